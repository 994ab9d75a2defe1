/**
 * A scenario run as a user runs it: the built `rls-guard check --format json` in the scenario
 * folder for the migrations, and the `eslint` command with the plugin's `configs.recommended` for
 * `src/` and for the migrations check replayed. `expected.json` is matched as the shared scenarios'
 * README states: each `expect[]` entry by one finding at one of its `at` locations (and its
 * severity, where given), `tolerate[]` entries allowed, anything else a false positive.
 *
 * Used by the acceptance run over ../shared/scenarios and by `npm test` over the project's own
 * fixtures, so the harness itself is exercised on a clean clone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const eslintBin = join(repoRoot, 'node_modules', 'eslint', 'bin', 'eslint.js');

export interface Expected {
  expect: { rule: string; at: string[]; severity?: 1 | 2 }[];
  tolerate?: string[];
}

/** One reported message, located relative to the scenario folder (`path:line`, forward slashes). */
export interface Reported {
  rule: string;
  at: string;
  column: number;
  endLine: number;
  endColumn: number;
  severity: number;
  message: string;
}

export interface CommandRun {
  /** The process exit code. */
  code: number;
  /** The absolute paths the command reported on, findings or not. */
  files: string[];
  reported: Reported[];
}

interface JsonResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string; line: number; column: number; endLine?: number; endColumn?: number }[];
}

export function readExpected(dir: string): Expected {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
}

function toRun(dir: string, command: string, status: number | null, stdout: string, stderr: string): CommandRun {
  let results: JsonResult[];
  try {
    results = JSON.parse(stdout) as JsonResult[];
  } catch {
    throw new Error(`${command} in ${dir} exited ${status} without JSON results:\n${stderr}${stdout.slice(0, 2000)}`);
  }
  return {
    code: status ?? -1,
    files: results.map((r) => r.filePath),
    reported: results.flatMap((r) =>
      r.messages.map((m) => ({
        rule: m.ruleId === null ? `(no rule) ${m.message}` : m.ruleId.replace(/^rls-guard\//, ''),
        at: `${relative(dir, r.filePath).split(sep).join('/')}:${m.line}`,
        column: m.column,
        endLine: m.endLine ?? m.line,
        endColumn: m.endColumn ?? m.column,
        severity: m.severity,
        message: m.message,
      })),
    ),
  };
}

/** `rls-guard check --format json` with the built CLI, in `dir`, with the configuration found there. */
export function runCheckCommand(dir: string): CommandRun {
  const run = spawnSync(process.execPath, [cli, 'check', '--format', 'json'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`rls-guard check in ${dir} exited ${run.status}:\n${run.stderr}`);
  return toRun(dir, 'rls-guard check', run.status, run.stdout, run.stderr);
}

let eslintConfig: string | undefined;
/** An `eslint.config.mjs` a user would write: `[...rlsGuard.configs.recommended]`, from the built package. */
function recommendedConfigFile(): string {
  if (eslintConfig) return eslintConfig;
  const dir = mkdtempSync(join(tmpdir(), 'rls-guard-eslint-config-'));
  eslintConfig = join(dir, 'eslint.config.mjs');
  const plugin = pathToFileURL(join(repoRoot, 'dist', 'src', 'index.js')).href;
  writeFileSync(eslintConfig, `import rlsGuard from ${JSON.stringify(plugin)};\n\nexport default [...rlsGuard.configs.recommended];\n`);
  return eslintConfig;
}

/** The `eslint` command with `configs.recommended` on `patterns`, in `dir` (patterns are relative to it). */
export function runEslintCommand(dir: string, patterns: string[]): CommandRun {
  if (patterns.length === 0) return { code: 0, files: [], reported: [] };
  const run = spawnSync(process.execPath, [eslintBin, '--config', recommendedConfigFile(), '--format', 'json', ...patterns], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint in ${dir} exited ${run.status}:\n${run.stderr}${run.stdout.slice(0, 2000)}`);
  return toRun(dir, 'eslint', run.status, run.stdout, run.stderr);
}

/** Application code is what is under `src/`; a scenario without one has no app findings. */
export function runEslintOnApp(dir: string): CommandRun {
  return runEslintCommand(dir, existsSync(join(dir, 'src')) ? ['src/'] : []);
}

const isMigrationLocation = (at: string) => at.split(':')[0]!.endsWith('.sql');

/** The expectations one surface answers for: migrations (`.sql` locations) or application code. */
export function expectationsFor(expected: Expected, surface: 'migrations' | 'app'): Expected['expect'] {
  return expected.expect.filter((e) => e.at.every(isMigrationLocation) === (surface === 'migrations'));
}

/** Missing expectations and unexpected findings; both empty is a pass. */
export function match(expectations: Expected['expect'], tolerate: readonly string[], reported: readonly Reported[]): { missing: string[]; unexpected: string[] } {
  const unmatched = [...reported];
  const missing: string[] = [];
  for (const want of expectations) {
    const i = unmatched.findIndex((r) => r.rule === want.rule && want.at.includes(r.at) && (want.severity === undefined || r.severity === want.severity));
    if (i === -1) missing.push(`${want.rule}@${want.at.join('|')}${want.severity ? ` (severity ${want.severity})` : ''}`);
    else unmatched.splice(i, 1);
  }
  const tolerated = new Set(tolerate);
  const unexpected = unmatched.filter((r) => !tolerated.has(`${r.rule}@${r.at}`)).map((r) => `${r.rule}@${r.at} (severity ${r.severity})`);
  return { missing, unexpected };
}

/** Exit code a run must end with: 1 when it reported an error, else 0. */
export const exitCodeFor = (reported: readonly Reported[]) => (reported.some((r) => r.severity === 2) ? 1 : 0);

/** Everything a finding says, for comparing two surfaces finding by finding. */
export const describeReported = (r: Reported) => `${r.at}:${r.column}-${r.endLine}:${r.endColumn} ${r.rule} ${r.severity} ${r.message}`;

/** The scenario folders under `root`: those with an `expected.json`. */
export function scenarioFolders(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'expected.json')))
    .map((d) => d.name)
    .sort();
}

/** One `describe` per scenario: migrations by `check`, app code by `eslint`, and the two agreeing on the migrations. */
export function describeScenarios(root: string): void {
  // Real path: the CLI reports files under its working directory as the OS resolves it.
  const base = realpathSync(root);
  for (const name of scenarioFolders(base)) {
    const dir = join(base, name);
    describe(name, () => {
      const expected = readExpected(dir);
      const tolerate = expected.tolerate ?? [];
      let check: CommandRun | undefined;
      const checked = () => (check ??= runCheckCommand(dir));

      it('rls-guard check reports exactly the expected migration findings', () => {
        const run = checked();
        expect(run.files.length, 'migration files checked').toBeGreaterThan(0);
        expect(match(expectationsFor(expected, 'migrations'), tolerate, run.reported)).toEqual({ missing: [], unexpected: [] });
        expect(run.code).toBe(exitCodeFor(run.reported));
      });

      it('eslint with configs.recommended reports exactly the expected app-code findings in src/', () => {
        const run = runEslintOnApp(dir);
        expect(match(expectationsFor(expected, 'app'), tolerate, run.reported)).toEqual({ missing: [], unexpected: [] });
        expect(run.code).toBe(exitCodeFor(run.reported));
      });

      it('eslint on the migrations reports what rls-guard check reports', () => {
        const run = checked();
        const patterns = run.files.map((f) => relative(dir, f));
        const linted = runEslintCommand(dir, patterns);
        expect(linted.files).toEqual(run.files);
        expect(linted.reported.map(describeReported).sort()).toEqual(run.reported.map(describeReported).sort());
      });
    });
  }
}
