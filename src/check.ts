/**
 * `rls-guard check`: files -> statements -> schema model -> rules -> findings.
 */
import { readFileSync } from 'node:fs';
import { Tenancy } from './analysis/tenancy.js';
import type { ResolvedConfig, SeveritySetting } from './config.js';
import type { Finding, Severity } from './findings.js';
import { discoverMigrations } from './migrations/discover.js';
import type { Catalog, SourceLocation } from './model/catalog.js';
import { REPLAYED_STATEMENT_KINDS, replayMigrations } from './model/replay.js';
import { toFinding, type SqlRuleContext } from './rule.js';
import { parseScript, type ParsedScript } from './sql/parse.js';
import { parseMany } from './sql/parse-pool.js';
import { sqlRules } from '../rules/sql/index.js';

export interface MigrationSource {
  /** Absolute path (as reported in findings). */
  file: string;
  text: string;
}

export interface MigrationAnalysis {
  catalog: Catalog;
  tenancy: Tenancy;
  findings: Finding[];
  scripts: Map<string, ParsedScript>;
}

/** The configured severity of a rule: null when the config turns it off. */
export function configuredSeverity(config: ResolvedConfig, ruleId: string, fallback: Severity): Severity | null {
  const setting: SeveritySetting | undefined = config.rules[ruleId] ?? config.rules[`rls-guard/${ruleId}`];
  if (setting === undefined) return fallback;
  if (setting === 'off' || setting === 0) return null;
  return setting === 'warn' || setting === 1 ? 1 : 2;
}

/** Parses (or reuses parsed) scripts, replays them in order and runs every SQL rule. Synchronous once the parser is loaded. */
export function analyzeMigrations(sources: MigrationSource[], config: ResolvedConfig, parsed?: Map<string, ParsedScript>): MigrationAnalysis {
  const scripts = new Map<string, ParsedScript>();
  for (const source of sources) scripts.set(source.file, parsed?.get(source.file) ?? parseScript(source.text));
  const catalog = replayMigrations(
    sources.map((s) => ({ file: s.file, script: scripts.get(s.file)! })),
    { appRoles: config.appRoles },
  );
  const tenancy = new Tenancy(catalog, config);
  const syntaxErrors: SqlRuleContext['syntaxErrors'] = [];
  for (const [file, script] of scripts) {
    for (const error of script.errors) {
      const start = script.source.position(error.offset);
      const location: SourceLocation = { file, line: start.line, column: start.column, endLine: start.line, endColumn: start.column };
      syntaxErrors.push({ file, error, location });
    }
  }
  const context: SqlRuleContext = { catalog, config, tenancy, syntaxErrors };
  const findings: Finding[] = [];
  for (const rule of sqlRules) {
    const severity = configuredSeverity(config, rule.id, rule.severity);
    if (severity === null) continue;
    for (const report of rule.check(context)) findings.push(toFinding(rule, report, severity));
  }
  findings.sort(compareFindings);
  return { catalog, tenancy, findings, scripts };
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    a.ruleId.localeCompare(b.ruleId)
  );
}

export interface CheckOptions {
  paths: string[];
  config: ResolvedConfig;
}

export interface CheckResult {
  /** Every migration file analyzed, in replay order. */
  files: string[];
  findings: Finding[];
  analysis: MigrationAnalysis;
}

/** Discovers, reads and analyzes migrations. Throws MigrationPathError for a path that does not exist. */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const files = discoverMigrations(options.paths, options.config).map((f) => f.path);
  const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  // Large histories are parsed across cores; only statements the model replays are kept.
  const scripts = await parseMany(
    sources.map((s) => s.text),
    { keep: REPLAYED_STATEMENT_KINDS },
  );
  const analysis = analyzeMigrations(sources, options.config, new Map(files.map((f, i) => [f, scripts[i]!])));
  return { files, findings: analysis.findings, analysis };
}
