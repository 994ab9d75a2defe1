/** `rls-guard check [paths...]`: the CI gate. Exit 0 clean, 1 errors found, 2 usage or configuration error. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCheck } from '../check.js';
import { ConfigError, resolveConfig } from '../config.js';
import { toLintResults } from '../format/results.js';
import { formatStylish } from '../format/stylish.js';
import { MigrationPathError } from '../migrations/discover.js';

export const CHECK_USAGE = `Usage: rls-guard check [paths...] [options]

Replays the migrations in order into a schema model and reports the final state's defects.
With no paths, checks the migrations configured in rls-guard.config.json.

Options:
  --config <file>       use this rls-guard.config.json instead of searching upwards
  --format <name>       stylish (default) or json
  --max-warnings <n>    exit 1 when there are more than n warnings
  --no-color            plain output
  -h, --help            show this help`;

export async function checkCommand(argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void; cwd: string; color: boolean }): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        format: { type: 'string', default: 'stylish' },
        'max-warnings': { type: 'string' },
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
  const format = args.values.format!;
  if (!['stylish', 'json'].includes(format)) {
    io.stderr(`rls-guard check: unknown --format "${format}" (expected stylish or json)\n`);
    return 2;
  }
  let maxWarnings = -1;
  if (args.values['max-warnings'] !== undefined) {
    maxWarnings = Number(args.values['max-warnings']);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) {
      io.stderr(`rls-guard check: --max-warnings expects a non-negative integer (got "${args.values['max-warnings']}")\n`);
      return 2;
    }
  }
  const paths = args.positionals.map((p) => resolve(io.cwd, p));
  let result;
  try {
    const config = resolveConfig({ explicit: args.values.config ? resolve(io.cwd, args.values.config) : undefined, start: paths[0] ?? io.cwd });
    result = await runCheck({ paths, config });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof MigrationPathError) {
      io.stderr(`rls-guard check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const results = toLintResults(result.files, result.findings);
  if (format === 'json') {
    io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const color = args.values['no-color'] ? false : (args.values.color ?? io.color);
    const text = formatStylish(results, { cwd: io.cwd, color, sourceOf: (f) => result.analysis.scripts.get(f)?.source.text });
    if (text) io.stdout(`${text}\n`);
    else io.stdout(`rls-guard: ${result.files.length} migration file${result.files.length === 1 ? '' : 's'} checked, no problems found.\n`);
  }
  const errors = result.findings.filter((f) => f.severity === 2).length;
  const warnings = result.findings.length - errors;
  if (errors > 0) return 1;
  if (maxWarnings >= 0 && warnings > maxWarnings) {
    io.stderr(`rls-guard: ${warnings} warnings exceed --max-warnings ${maxWarnings}\n`);
    return 1;
  }
  return 0;
}
