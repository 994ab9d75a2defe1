/**
 * `--format <name>` for any formatter ESLint can load (its built-ins, `eslint-formatter-<name>`
 * packages, a path): rls-guard's results are ESLint-compatible, so they are handed to
 * `new ESLint().loadFormatter(name)`. ESLint is an optional peer dependency; without it only the
 * built-in formats exist.
 */
import type { LintResult } from './results.js';

/** No built-in and no ESLint formatter has this name. The CLI exits 2. */
export class FormatterNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatterNotFoundError';
  }
}

export type ResultsFormatter = (results: LintResult[], meta: { maxWarnings: number; foundWarnings: number }) => Promise<string>;

export async function loadEslintFormatter(name: string, cwd: string, builtIns: readonly string[]): Promise<ResultsFormatter> {
  let eslintModule: typeof import('eslint');
  try {
    eslintModule = await import('eslint');
  } catch {
    throw new FormatterNotFoundError(`unknown --format "${name}": the built-in formats are ${builtIns.join(', ')}, and ESLint (for its formatters) is not installed`);
  }
  // The rules' meta (descriptions, docs URLs) for formatters that read `rulesMeta`, e.g. html.
  const { sqlEslintRules } = await import('../eslint/sql-rules.js');
  const eslint = new eslintModule.ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.sql'], plugins: { 'rls-guard': { rules: sqlEslintRules as never } } }],
  });
  let formatter: Awaited<ReturnType<typeof eslint.loadFormatter>>;
  try {
    formatter = await eslint.loadFormatter(name);
  } catch (error) {
    const detail = (error as Error).message.split('\n').pop() ?? '';
    throw new FormatterNotFoundError(`unknown --format "${name}": not one of ${builtIns.join(', ')}, and ESLint could not load a formatter of that name (${detail})`);
  }
  return async (results, meta) => {
    // ESLint answers `rulesMeta` from the configs it computed for the files; compute them first.
    for (const r of results) await eslint.calculateConfigForFile(r.filePath).catch(() => undefined);
    const resultsMeta = meta.maxWarnings >= 0 && meta.foundWarnings > meta.maxWarnings ? { maxWarningsExceeded: meta } : {};
    return formatter.format(results as never, resultsMeta as never);
  };
}
