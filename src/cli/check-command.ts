/** `rls-guard check [paths...]`: the CI gate. Exit 0 clean, 1 errors found, 2 usage or configuration error. */
// Output formats and the --since / --baseline machinery are imported when asked for: a pre-commit
// hook pays start-up on every run, and most runs need only one format.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkReport } from '../check.js';
import { ConfigError, resolveConfig } from '../config.js';
import type { Problem } from '../findings.js';
import type { ResultsFormatter } from '../format/eslint-formatter.js';
import { toLintResults } from '../format/results.js';
import type { Baseline } from '../gate/baseline.js';
import { applySuppressions } from '../gate/suppressions.js';
import { MigrationPathError } from '../migrations/discover.js';
import { configuredMaxFileBytes, FileSizeSettingError, parseFileSize } from '../migrations/read.js';
import { WorkersSettingError } from '../sql/parse-pool.js';
import { openParseCache } from '../sql/parse-cache.js';
import { sqlRules } from '../../rules/sql/index.js';

export const BUILT_IN_FORMATS = ['stylish', 'json', 'sarif', 'github', 'gitlab'] as const;

export const CHECK_USAGE = `Usage: rls-guard check [paths...] [options]

Replays the migrations in order into a schema model and reports the final state's defects.
With no paths, checks the migrations configured in rls-guard.config.json. A single file given
as a path is analyzed alone (without the migrations before it): in hooks, prefer no paths and
--since.

Options:
  --config <file>       use this rls-guard.config.json instead of searching upwards
  --format <name>       stylish (default), json, sarif, github, gitlab, or any ESLint formatter
  --since <git-ref>     report only findings in migration files added or changed since the ref
                        (the whole history is still replayed)
  --baseline <file>     accept the findings recorded in this file; fail only on new ones
  --update-baseline     write the current findings to the --baseline file
  --max-warnings <n>    exit 1 when there are more than n warnings
  --allow-empty         pass when there is no migration (a path that does not exist still fails)
  --max-file-size <n>   report and skip migration files over n bytes (or 32m, 512k; default 32m,
                        or RLS_GUARD_MAX_FILE_SIZE)
  --cache-location <dir>
                        keep the parse cache in dir (default node_modules/.cache/rls-guard
                        beside the nearest package.json, else none; or RLS_GUARD_CACHE_LOCATION)
  --no-cache            parse every file, reading and writing no cache (or RLS_GUARD_CACHE=0)
  --debug               print the stack of an internal error
  --no-color            plain output
  -h, --help            show this help

Suppress one finding with a comment on the line before the statement (or at the end of its
first line): -- rls-guard-ignore <rule>: <reason>

Environment: RLS_GUARD_PARSE_WORKERS=<n> parses with n worker threads besides the main one
(default 0; see docs/benchmarks.md).

A migrations path, given or configured, that does not exist or holds no migration file is a
configuration error: nothing checked is never a pass. A directory holding only a .gitkeep or
.keep placeholder is empty on purpose.

Exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage or configuration error.`;

type Io = { stdout: (s: string) => void; stderr: (s: string) => void; cwd: string; color: boolean };

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        format: { type: 'string', default: 'stylish' },
        since: { type: 'string' },
        baseline: { type: 'string' },
        'update-baseline': { type: 'boolean' },
        'max-warnings': { type: 'string' },
        'allow-empty': { type: 'boolean' },
        'max-file-size': { type: 'string' },
        'no-cache': { type: 'boolean' },
        'cache-location': { type: 'string' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`rls-guard check: ${(error as Error).message}\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    io.stdout(`${CHECK_USAGE}\n`);
    return 0;
  }
  const usageError = (message: string): number => {
    io.stderr(`rls-guard check: ${message}\n`);
    return 2;
  };

  const format = args.values.format!;
  let eslintFormatter: ResultsFormatter | null = null;
  if (!(BUILT_IN_FORMATS as readonly string[]).includes(format)) {
    const { FormatterNotFoundError, loadEslintFormatter } = await import('../format/eslint-formatter.js');
    try {
      eslintFormatter = await loadEslintFormatter(format, io.cwd, BUILT_IN_FORMATS);
    } catch (error) {
      if (error instanceof FormatterNotFoundError) return usageError(error.message);
      throw error;
    }
  }
  let maxWarnings = -1;
  if (args.values['max-warnings'] !== undefined) {
    maxWarnings = Number(args.values['max-warnings']);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) {
      return usageError(`--max-warnings expects a non-negative integer (got "${args.values['max-warnings']}")`);
    }
  }
  let maxFileBytes: number;
  try {
    maxFileBytes = args.values['max-file-size'] === undefined ? configuredMaxFileBytes() : parseFileSize(args.values['max-file-size'], '--max-file-size');
  } catch (error) {
    if (error instanceof FileSizeSettingError) return usageError(error.message);
    throw error;
  }
  const baselineFile = args.values.baseline === undefined ? null : resolve(io.cwd, args.values.baseline);
  const updateBaseline = args.values['update-baseline'] === true;
  if (updateBaseline && baselineFile === null) return usageError('--update-baseline needs --baseline <file> to know where to write');
  if (baselineFile !== null && isDirectory(baselineFile)) return usageError(`--baseline ${baselineFile}: is a directory; give the path of the baseline file`);

  const paths = args.positionals.map((p) => resolve(io.cwd, p));
  const since = args.values.since === undefined ? null : await import('../gate/since.js');
  const baselines = baselineFile === null ? null : await import('../gate/baseline.js');
  let result;
  let changed: Set<string> | null = null;
  let baseline: Baseline | null = null;
  try {
    const config = resolveConfig({ explicit: args.values.config ? resolve(io.cwd, args.values.config) : undefined, start: paths[0] ?? io.cwd });
    if (since) changed = since.changedFilesSince(args.values.since!, config.rootDir);
    if (baselines && !updateBaseline) baseline = baselines.loadBaseline(baselineFile!);
    const cache = openParseCache({ cwd: io.cwd, location: args.values['cache-location'] ?? null, disabled: args.values['no-cache'] === true });
    result = await checkReport({ paths, config, allowEmpty: args.values['allow-empty'] === true, maxFileBytes, cache });
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof MigrationPathError ||
      error instanceof WorkersSettingError ||
      (since && error instanceof since.SinceError) ||
      (baselines && error instanceof baselines.BaselineError)
    ) {
      return usageError((error as Error).message);
    }
    throw error;
  }

  // Suppression comments first, so a finding both suppressed and baselined leaves the baseline.
  const suppressed = applySuppressions(result.findings, result.scripts, new Set(sqlRules.map((r) => r.id)));
  let problems: Problem[] = suppressed.problems;
  if (baselines && baselineFile !== null) {
    if (updateBaseline) {
      baseline = baselines.createBaseline(problems, baselineFile);
      try {
        baselines.writeBaseline(baselineFile, baseline);
      } catch (error) {
        return usageError(`--update-baseline: cannot write ${baselineFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      const total = baseline.findings.reduce((n, e) => n + e.count, 0);
      io.stderr(`rls-guard: wrote ${baselineFile} (${total} finding${total === 1 ? '' : 's'})\n`);
    }
    const outcome = baselines.applyBaseline(problems, baseline!, baselineFile);
    problems = outcome.problems;
    if (outcome.stale.length > 0) {
      const lines = outcome.stale.map((e) => `  ${e.rule} ${e.object} in ${e.file}${e.count > 1 ? ` (${e.count}x)` : ''}`);
      io.stderr(`rls-guard: note: ${outcome.stale.length} baseline entr${outcome.stale.length === 1 ? 'y no longer occurs' : 'ies no longer occur'}; run with --update-baseline to remove ${outcome.stale.length === 1 ? 'it' : 'them'} from ${baselineFile}:\n${lines.join('\n')}\n`);
    }
  }
  let files = result.files;
  if (since && changed !== null) {
    problems = since.onlyChanged(problems, changed);
    files = since.onlyChanged(files.map((file) => ({ location: { file } })), changed).map((f) => f.location.file);
  }

  const errors = problems.filter((p) => p.severity === 2).length;
  const warnings = problems.length - errors;
  const results = toLintResults(files, problems);
  if (eslintFormatter) {
    const text = await eslintFormatter(results, { maxWarnings, foundWarnings: warnings });
    if (text) io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  } else if (format === 'json') {
    io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else if (format === 'sarif') {
    const { formatSarif } = await import('../format/sarif.js');
    io.stdout(`${formatSarif(problems, { cwd: io.cwd, rules: sqlRules })}\n`);
  } else if (format === 'github') {
    const { formatGithub } = await import('../format/github.js');
    const text = formatGithub(problems, { cwd: io.cwd });
    if (text) io.stdout(`${text}\n`);
  } else if (format === 'gitlab') {
    const { formatGitlab } = await import('../format/gitlab.js');
    io.stdout(`${formatGitlab(problems, { cwd: io.cwd })}\n`);
  } else {
    const { formatStylish } = await import('../format/stylish.js');
    const color = args.values['no-color'] ? false : (args.values.color ?? io.color);
    const text = formatStylish(results, { cwd: io.cwd, color, sourceOf: (f) => result.scripts.get(f)?.source.text });
    if (text) io.stdout(`${text}\n`);
    else {
      const scope = changed === null ? '' : ` (${files.length} changed since ${args.values.since})`;
      io.stdout(`rls-guard: ${result.files.length} migration file${result.files.length === 1 ? '' : 's'} checked${scope}, no problems found.\n`);
    }
  }

  if (errors > 0) return 1;
  if (maxWarnings >= 0 && warnings > maxWarnings) {
    io.stderr(`rls-guard: ${warnings} warnings exceed --max-warnings ${maxWarnings}\n`);
    return 1;
  }
  return 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
