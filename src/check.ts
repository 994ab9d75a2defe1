/**
 * `rls-guard check`: files -> statements -> schema model -> rules -> findings.
 */
import { Tenancy } from './analysis/tenancy.js';
import type { ResolvedConfig, SeveritySetting } from './config.js';
import type { Finding, Severity } from './findings.js';
import { discoverGatedMigrations } from './migrations/discover.js';
import { configuredMaxFileBytes, readMigration, withContentProblems, type ContentProblem } from './migrations/read.js';
import type { Catalog, SourceLocation } from './model/catalog.js';
import { REPLAYED_STATEMENT_KINDS, Replayer } from './model/replay.js';
import { toFinding, type SqlRuleContext } from './rule.js';
import { failureReason, parseScript, type ParsedScript } from './sql/parse.js';
import { SourceText } from './sql/source.js';
import { parseMany } from './sql/parse-pool.js';
import type { ParseCache } from './sql/parse-cache.js';
import { sqlRules } from '../rules/sql/index.js';
import { PRESETS } from './presets/index.js';

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

/** The configured severity of a rule: null when the config turns it off (or leaves an opt-in rule, `fallback` null, off). */
export function configuredSeverity(config: ResolvedConfig, ruleId: string, fallback: Severity | null): Severity | null {
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
  private preludeReplayed = false;
  /** Files that were not analyzed, or not fully: each becomes a finding (see `notAnalyzed`). */
  private readonly failures: Finding[] = [];

  /**
   * With `everyRule`, opt-in rules the config does not turn off are run too: ESLint's configs,
   * not rls-guard's, then decide whether they are reported (`configs.strict` turns them on).
   */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly options: { everyRule?: boolean } = {},
  ) {}

  /** What the platform created before the first migration (the preset's prelude), replayed once, first. */
  private replayPrelude(): void {
    if (this.preludeReplayed) return;
    this.preludeReplayed = true;
    const preset = this.config.preset ? PRESETS[this.config.preset] : undefined;
    if (preset) this.replayer.replayPrelude({ file: `<preset ${preset.name}>`, script: parseScript(preset.prelude, REPLAYED_STATEMENT_KINDS) });
  }

  add(file: string, script: ParsedScript): void {
    this.replayPrelude();
    this.scripts.set(file, script);
    for (const failure of script.failures ?? []) {
      const at = script.source.position(failure.offset);
      this.failures.push(notAnalyzed({ file, line: at.line, column: at.column, endLine: at.line, endColumn: at.column }, `rls-guard could not analyze this statement: ${failure.message}. It was not checked (PostgreSQL may well accept it); the rest of the file was. Check it with rls-guard verify.`));
    }
    try {
      this.replayer.replayFile({ file, script });
    } catch (error) {
      // The model holds what the file did up to the failure; the other files are still replayed.
      this.failures.push(notAnalyzed(fileStart(file), `rls-guard failed while replaying this file (${failureReason(error)}): the rest of it was not analyzed. Check it with rls-guard verify.`));
    }
  }

  /** A file that could not be read or is not text: replayed as empty, reported at its start. */
  addUnread(file: string, reason: string): void {
    this.scripts.set(file, { source: new SourceText(''), statements: [], errors: [] });
    this.failures.push(notAnalyzed(fileStart(file), `This migration was not checked: ${reason}.`));
  }

  finish(): MigrationAnalysis {
    this.replayPrelude();
    const analysis = runRules(this.replayer.catalog, this.config, this.scripts, this.options.everyRule ?? false);
    if (this.failures.length > 0) {
      analysis.findings.push(...this.failures);
      analysis.findings.sort(compareFindings);
    }
    return analysis;
  }
}

const fileStart = (file: string): SourceLocation => ({ file, line: 1, column: 1, endLine: 1, endColumn: 1 });

/**
 * What rls-guard could not check, as a `parse-error` finding at error severity whatever the
 * config says: turning a rule off must not make an unread migration pass.
 */
function notAnalyzed(location: SourceLocation, message: string): Finding {
  return { ruleId: 'parse-error', severity: 2, message, location, object: 'not analyzed' };
}

/** Parses scripts, replays them in order and runs every SQL rule. Synchronous once the parser is loaded. */
export function analyzeMigrations(sources: MigrationSource[], config: ResolvedConfig): MigrationAnalysis {
  const analyzer = new MigrationAnalyzer(config);
  for (const source of sources) analyzer.add(source.file, parseScript(source.text));
  return analyzer.finish();
}

function runRules(catalog: Catalog, config: ResolvedConfig, scripts: Map<string, ParsedScript>, everyRule: boolean): MigrationAnalysis {
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
    const severity = configuredSeverity(config, rule.id, rule.optIn && !everyRule ? null : rule.severity);
    if (severity === null) continue;
    // Unless the config sets the rule's severity, a report may carry its own (by consequence).
    const configured = configuredSeverity(config, rule.id, null) !== null;
    for (const report of rule.check(context)) findings.push(toFinding(rule, report, configured ? severity : (report.severity ?? severity)));
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
  /** Files larger than this are reported and not read; default `configuredMaxFileBytes()`. */
  maxFileBytes?: number;
  /** A persistent parse cache (src/sql/parse-cache.ts); none by default. */
  cache?: ParseCache | null;
}

export interface CheckResult {
  /** Every migration file analyzed, in replay order. */
  files: string[];
  findings: Finding[];
  analysis: MigrationAnalysis;
}

interface HistoryInput {
  files: string[];
  sources: MigrationSource[];
  contentProblems: { file: string; problems: ContentProblem[] }[];
  unread: { file: string; reason: string }[];
}

function readHistory(options: CheckOptions): HistoryInput {
  const discovered = discoverGatedMigrations(options.paths, options.config, { allowEmpty: options.allowEmpty });
  const maxBytes = options.maxFileBytes ?? configuredMaxFileBytes();
  const files: string[] = [];
  const sources: MigrationSource[] = [];
  const contentProblems: { file: string; problems: ContentProblem[] }[] = [];
  const unread: { file: string; reason: string }[] = discovered.problems.map((p) => ({ file: p.path, reason: p.reason }));
  for (const { path: file } of discovered.files) {
    files.push(file);
    const read = readMigration(file, maxBytes);
    if (!read.ok) unread.push({ file, reason: read.reason });
    else {
      sources.push({ file, text: read.text });
      if (read.problems.length > 0) contentProblems.push({ file, problems: read.problems });
    }
  }
  return { files, sources, contentProblems, unread };
}

async function analyzeHistory(input: HistoryInput, options: CheckOptions): Promise<CheckResult> {
  const { files, sources, contentProblems, unread } = input;
  // Large histories are parsed across cores, keeping only statements the model replays, and each
  // file is replayed as soon as it and those before it are parsed; its AST is then dropped (the
  // model keeps what it needs), so memory stays flat however long the history is.
  const analyzer = new MigrationAnalyzer(options.config);
  for (const { file, reason } of unread) analyzer.addUnread(file, reason);
  const problemsOf = new Map(contentProblems.map((c) => [c.file, c.problems]));
  await parseMany(
    sources.map((s) => s.text),
    {
      keep: REPLAYED_STATEMENT_KINDS,
      cache: options.cache ?? null,
      onParsed: (index, script) => {
        const file = sources[index]!.file;
        // NUL bytes and invalid UTF-8 are syntax errors at their line: PostgreSQL rejects the file.
        analyzer.add(file, withContentProblems(script, problemsOf.get(file) ?? []));
        script.statements = [];
      },
    },
  );
  const analysis = analyzer.finish();
  return { files, findings: analysis.findings, analysis };
}

/**
 * Discovers, reads and analyzes migrations. Throws MigrationPathError for a path that does not
 * exist or holds no migration (unless `allowEmpty`): nothing checked is never a pass.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  return analyzeHistory(readHistory(options), options);
}

/** What a report of a check needs: the files, the findings, and each file's text (suppression comments, code frames). */
export interface CheckReport {
  files: string[];
  findings: Finding[];
  /** Per file, its source text; statements are not kept. */
  scripts: Map<string, ParsedScript>;
}

/**
 * As `runCheck`, for a report. With a cache, a history whose every file, the config and the
 * options are those of a run the cache recorded gets that run's findings without replaying
 * (src/sql/parse-cache.ts); otherwise it is analyzed (parsing only the files the cache does not
 * hold) and the findings are recorded.
 */
export async function checkReport(options: CheckOptions): Promise<CheckReport> {
  const input = readHistory(options);
  const cache = options.cache ?? null;
  const key = cache ? cache.historyKey({ config: options.config, maxFileBytes: options.maxFileBytes ?? configuredMaxFileBytes(), ...input }) : null;
  const recorded = cache && key ? cache.getFindings(key) : null;
  if (recorded) {
    const scripts = new Map<string, ParsedScript>();
    for (const { file } of input.unread) scripts.set(file, { source: new SourceText(''), statements: [], errors: [] });
    for (const { file, text } of input.sources) scripts.set(file, { source: new SourceText(text), statements: [], errors: [] });
    return { files: input.files, findings: recorded, scripts };
  }
  const result = await analyzeHistory(input, options);
  if (cache && key) cache.putFindings(key, result.findings);
  return { files: result.files, findings: result.findings, scripts: result.analysis.scripts };
}
