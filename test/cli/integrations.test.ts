/**
 * The CI integrations, each parsed and run the way its host runs it: the pre-commit hook, the
 * lint-staged example, the composite GitHub Action's script and the GitLab CI example job.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BAD, CLEAN_INIT, cli, CONFIG, git, makeProject, NOTES, repoRoot, runCli, writeFiles } from './support.js';
import { parseYaml } from './yaml.js';

type Obj = Record<string, unknown>;
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** A committed history with legacy findings (002) and a new, uncommitted defective migration (003). */
function pullRequestRepo(): { dir: string; base: string } {
  const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/002_notes.sql': NOTES });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'legacy');
  const base = git(dir, 'rev-parse', 'HEAD').trim();
  writeFiles(dir, { 'migrations/003_bad.sql': BAD });
  return { dir, base };
}

/** Runs a shell script as GitHub Actions' `shell: bash` does (`bash --noprofile --norc -eo pipefail`). */
function bash(script: string, cwd: string, env: Record<string, string>) {
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project-local install of the built CLI, as `npm install -D rls-guard` would provide. */
function installCli(dir: string): void {
  writeFiles(dir, { 'node_modules/.bin/rls-guard': `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n` });
  chmodSync(join(dir, 'node_modules/.bin/rls-guard'), 0o755);
}

describe('the test YAML reader', () => {
  it('reads mappings, sequences of mappings, quoted scalars and block scalars', () => {
    expect(parseYaml("# c\na:\n  b: 'x: y'\n  c: true\nlist:\n  - id: one\n    run: |\n      echo 1\n\n      echo 2\n  - plain\n")).toEqual({
      a: { b: 'x: y', c: true },
      list: [{ id: 'one', run: 'echo 1\n\necho 2\n' }, 'plain'],
    });
    expect(() => parseYaml('a: [1, 2]\n')).toThrow(/unsupported scalar/);
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parseYaml(read('.pre-commit-hooks.yaml')) as Obj[];

  it('declares the rls-guard hook: whole history, triggered by .sql changes', () => {
    expect(hooks).toEqual([
      {
        id: 'rls-guard',
        name: 'rls-guard',
        description: expect.any(String),
        entry: 'rls-guard check',
        language: 'node',
        files: '\\.sql$',
        pass_filenames: false,
        require_serial: true,
      },
    ]);
    const files = new RegExp(hooks[0]!.files as string);
    expect(['db/migrations/001_init.sql', 'V2__x.sql'].every((f) => files.test(f))).toBe(true);
    expect(['src/app.ts', 'sql/readme.md'].some((f) => files.test(f))).toBe(false);
  });

  it('its entry gates a project (and with args: [--since, HEAD], only the staged change)', () => {
    const { dir } = pullRequestRepo();
    const args = (hooks[0]!.entry as string).split(' ').slice(1);
    expect(runCli(args, dir).code).toBe(1);
    git(dir, 'add', 'migrations/003_bad.sql');
    const since = runCli([...args, '--since', 'HEAD', '--format', 'json'], dir);
    expect(since.code).toBe(1);
    expect((JSON.parse(since.stdout) as { filePath: string }[]).map((r) => r.filePath)).toEqual([join(dir, 'migrations/003_bad.sql')]);
    git(dir, 'rm', '-q', '--cached', 'migrations/003_bad.sql');
    writeFiles(dir, { 'migrations/003_bad.sql': CLEAN_INIT.replace(/invoices/g, 'payments') });
    expect(runCli([...args, '--since', 'HEAD'], dir).code).toBe(0);
  });
});

describe('examples/lint-staged.config.mjs', () => {
  it('runs one check of the whole history, without appending the staged file names', async () => {
    const config = (await import(pathToFileURL(join(repoRoot, 'examples/lint-staged.config.mjs')).href)).default as Record<string, (files: string[]) => string>;
    expect(Object.keys(config)).toEqual(['*.sql']);
    const command = config['*.sql']!(['/repo/migrations/003_bad.sql', '/repo/migrations/004.sql']);
    expect(command).toBe('rls-guard check --since HEAD');
    const { dir } = pullRequestRepo();
    const run = runCli([...command.split(' ').slice(1), '--format', 'json'], dir);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { messages: unknown[] }[]).flatMap((r) => r.messages)).toHaveLength(4);
  });
});

describe('action.yml (composite GitHub Action)', () => {
  const action = parseYaml(read('action.yml')) as Obj;
  const runs = action.runs as { using: string; steps: Obj[] };
  const check = runs.steps.find((s) => s.id === 'check')!;

  it('has the documented inputs and a check, upload-sarif and fail step', () => {
    const inputs = action.inputs as Record<string, { description: string; default: string }>;
    expect(Object.keys(inputs)).toEqual(['paths', 'config', 'since', 'baseline', 'sarif', 'working-directory', 'version']);
    for (const input of Object.values(inputs)) expect(input.description.length).toBeGreaterThan(15);
    expect(inputs.sarif!.default).toBe('true');
    expect(runs.using).toBe('composite');
    expect(runs.steps).toHaveLength(3);
    expect(check.shell).toBe('bash');
    expect(check.env).toMatchObject({ INPUT_PATHS: '${{ inputs.paths }}', INPUT_SINCE: '${{ inputs.since }}', BASE_SHA: '${{ github.event.pull_request.base.sha }}' });
    // Inputs reach the script only through the environment (no expression injection).
    expect(check.run).not.toContain('${{');
    const upload = runs.steps[1]!;
    expect(upload.uses).toMatch(/^github\/codeql-action\/upload-sarif@v\d+$/);
    expect(upload.with).toEqual({ sarif_file: '${{ steps.check.outputs.sarif-file }}', category: 'rls-guard' });
    expect(upload.if).toContain("inputs.sarif == 'true'");
    expect(runs.steps[2]!.if).toBe("${{ steps.check.outputs.exit-code != '0' }}");
  });

  function runAction(dir: string, inputs: Record<string, string>) {
    const output = join(dir, '.github-output');
    writeFileSync(output, '');
    const env = { INPUT_PATHS: '', INPUT_CONFIG: '', INPUT_SINCE: '', INPUT_BASELINE: '', INPUT_SARIF: 'true', INPUT_VERSION: 'latest', BASE_SHA: '', GITHUB_OUTPUT: output, RUNNER_TEMP: dir, ...inputs };
    const step = bash(check.run as string, dir, env);
    const outputs = Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    const fail = bash((runs.steps[2]!.run as string), dir, { CODE: outputs['exit-code'] ?? '' });
    return { step, outputs, failCode: fail.code };
  }

  it('on a pull request: annotates only what it introduces, uploads every finding, fails the job', () => {
    const { dir, base } = pullRequestRepo();
    installCli(dir);
    const { step, outputs, failCode } = runAction(dir, { BASE_SHA: base });
    expect(step.code).toBe(0);
    const annotations = step.stdout.trimEnd().split('\n');
    expect(annotations).toHaveLength(4);
    expect(annotations.every((a) => a.startsWith('::error file=migrations/003_bad.sql,'))).toBe(true);
    expect(outputs).toEqual({ 'exit-code': '1', 'sarif-file': join(dir, 'rls-guard.sarif') });
    const sarif = JSON.parse(readFileSync(join(dir, 'rls-guard.sarif'), 'utf8')) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]!.results).toHaveLength(7);
    expect(failCode).toBe(1);
  });

  it('passes when the change is clean, honours since: none and sarif: false', () => {
    const { dir, base } = pullRequestRepo();
    installCli(dir);
    writeFiles(dir, { 'migrations/003_bad.sql': CLEAN_INIT.replace(/invoices/g, 'payments') });
    const clean = runAction(dir, { BASE_SHA: base, INPUT_SARIF: 'false' });
    expect(clean.step).toMatchObject({ code: 0, stdout: '' });
    expect(clean.outputs).toEqual({ 'exit-code': '0' });
    expect(clean.failCode).toBe(0);
    const everything = runAction(dir, { BASE_SHA: base, INPUT_SINCE: 'none', INPUT_SARIF: 'false' });
    expect(everything.step.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(everything.outputs).toEqual({ 'exit-code': '1' });
  });

  it('reports a configuration error as exit code 2 and uploads nothing', () => {
    const { dir, base } = pullRequestRepo();
    installCli(dir);
    writeFiles(dir, { 'rls-guard.config.json': '{ "migrations": 42 }' });
    const { step, outputs, failCode } = runAction(dir, { BASE_SHA: base });
    expect(step.code).toBe(0);
    expect(step.stderr).toContain(join(dir, 'rls-guard.config.json'));
    expect(outputs).toEqual({ 'exit-code': '2' });
    expect(existsSync(join(dir, 'rls-guard.sarif'))).toBe(false);
    expect(failCode).toBe(2);
  });
});

describe('examples/gitlab-ci.yml', () => {
  const job = (parseYaml(read('examples/gitlab-ci.yml')) as Record<string, Obj>)['rls-guard']!;

  it('publishes a Code Quality report', () => {
    expect(job.artifacts).toEqual({ when: 'always', reports: { codequality: 'gl-code-quality-report.json' } });
    expect((job.script as string[]).some((l) => l.includes('--format gitlab > gl-code-quality-report.json'))).toBe(true);
  });

  it('its script writes the full report and fails the merge request on what it introduces', () => {
    const { dir, base } = pullRequestRepo();
    // `npx rls-guard` resolved to the built CLI; `npm ci` is the project's business.
    const shim = `npx() { [ "$1" = rls-guard ] && shift; "${process.execPath}" "${cli}" "$@"; }\nnpm() { :; }\n`;
    const script = (job.script as string[]).join('\n');
    const mr = bash(shim + script, dir, { CI_MERGE_REQUEST_DIFF_BASE_SHA: base });
    expect(mr.code).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'gl-code-quality-report.json'), 'utf8')) as { check_name: string; location: { path: string } }[];
    expect(report).toHaveLength(7);
    expect(mr.stdout).toContain('✖ 4 problems (4 errors, 0 warnings)');
    writeFiles(dir, { 'migrations/003_bad.sql': '' });
    expect(bash(shim + script, dir, { CI_MERGE_REQUEST_DIFF_BASE_SHA: base }).code).toBe(0);
  });
});
