/**
 * `rls-guard check`: files -> statements -> schema model -> rules -> findings.
 */
import { readFileSync } from 'node:fs';
import { Tenancy } from './analysis/tenancy.js';
import type { ResolvedConfig, SeveritySetting } from './config.js';
import type { Finding, Severity } from './findings.js';
import { discoverGatedMigrations } from './migrations/discover.js';
import type { Catalog, SourceLocation } from './model/catalog.js';
import { REPLAYED_STATEMENT_KINDS, Replayer } from './model/replay.js';
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

/**
 * Replays parsed migrations one by one, in order, then runs every SQL rule on the final state.
 * `add` can be called while later files are still being parsed.
 */
export class MigrationAnalyzer {
  private readonly replayer = new Replayer();
  readonly scripts = new Map<string, ParsedScript>();

  constructor(private readonly config: ResolvedConfig) {}

  add(file: string, script: ParsedScript): void {
    this.scripts.set(file, script);
    this.replayer.replayFile({ file, script });
  }

  finish(): MigrationAnalysis {
    return runRules(this.replayer.catalog, this.config, this.scripts);
  }
}

/** Parses scripts, replays them in order and runs every SQL rule. Synchronous once the parser is loaded. */
export function analyzeMigrations(sources: MigrationSource[], config: ResolvedConfig): MigrationAnalysis {
  const analyzer = new MigrationAnalyzer(config);
  for (const source of sources) analyzer.add(source.file, parseScript(source.text));
  return analyzer.finish();
}

function runRules(catalog: Catalog, config: ResolvedConfig, scripts: Map<string, ParsedScript>): MigrationAnalysis {
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
  // Plain code-unit order: stable across locales, and far cheaper than localeCompare.
  const byFile = a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0;
  return (
    byFile ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)
  );
}

export interface CheckOptions {
  paths: string[];
  config: ResolvedConfig;
  /** Let a history with no migration pass (every path must still exist). */
  allowEmpty?: boolean;
}

export interface CheckResult {
  /** Every migration file analyzed, in replay order. */
  files: string[];
  findings: Finding[];
  analysis: MigrationAnalysis;
}

/**
 * Discovers, reads and analyzes migrations. Throws MigrationPathError for a path that does not
 * exist or holds no migration (unless `allowEmpty`): nothing checked is never a pass.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const files = discoverGatedMigrations(options.paths, options.config, { allowEmpty: options.allowEmpty }).map((f) => f.path);
  const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  // Large histories are parsed across cores, keeping only statements the model replays, and each
  // file is replayed as soon as it and those before it are parsed; its AST is then dropped (the
  // model keeps what it needs), so memory stays flat however long the history is.
  const analyzer = new MigrationAnalyzer(options.config);
  await parseMany(
    sources.map((s) => s.text),
    {
      keep: REPLAYED_STATEMENT_KINDS,
      onParsed: (index, script) => {
        analyzer.add(files[index]!, script);
        script.statements = [];
      },
    },
  );
  const analysis = analyzer.finish();
  return { files, findings: analysis.findings, analysis };
}
