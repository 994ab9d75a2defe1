/**
 * The published package works in a fresh app: `npm pack` (of the built dist/, as `npm test`
 * builds it first), then the README's install line with the tarball in place of `rls-guard`, the
 * README's `eslint.config.js`, and `eslint` on a project with migrations and app code reports
 * rls-guard's findings; the installed `rls-guard` bin checks the same migrations.
 *
 * Packages come from the npm cache (`--prefer-offline`), at the versions this repository has
 * installed, so the run needs no network once they are cached.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(repoRoot, 'fixtures', 'eslint-presets');
const work = mkdtempSync(join(tmpdir(), 'rls-guard-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

const installedVersion = (name: string) => (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The README's app-side install line and its `eslint.config.js`, as a user copies them. */
function readmeInstructions(): { packages: string[]; eslintConfig: string } {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## ESLint\n'));
  const install = /```sh\nnpm install --save-dev ([^\n]+)\n```/u.exec(section);
  const config = /```js\n(\/\/ eslint\.config\.js\n[\s\S]*?)```/u.exec(section);
  if (!install || !config) throw new Error('README.md: the ESLint section lost its install line or its eslint.config.js');
  return { packages: install[1]!.split(' '), eslintConfig: config[1]! };
}

describe('npm pack, then install into a fresh app', () => {
  it('the tarball holds the built package, its LICENSE and README, and no sources or tests', () => {
    const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repoRoot);
    expect(packed.status, packed.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/cli/main.js', 'schema/rls-guard.config.schema.json']));
    expect(paths.filter((p) => /^(src|test|fixtures|bench|scripts)\//u.test(p))).toEqual([]);
    writeFileSync(join(work, 'tarball'), join(work, filename));
  });

  it('installs with the README’s line, and eslint with the README’s config reports the findings', { timeout: 180_000 }, () => {
    const tarball = readFileSync(join(work, 'tarball'), 'utf8');
    const { packages, eslintConfig } = readmeInstructions();
    expect(packages[0]).toBe('rls-guard');
    // The README's packages at the versions installed here (cached), rls-guard from the tarball.
    const pinned = packages.map((p) => (p === 'rls-guard' ? tarball : `${p.replace(/@\d+$/u, '')}@${installedVersion(p.replace(/@\d+$/u, ''))}`));

    const app = join(work, 'app');
    cpSync(fixture, app, { recursive: true });
    const config = JSON.parse(readFileSync(join(fixture, 'rls-guard.config.json'), 'utf8')) as Record<string, unknown>;
    delete config.$schema;
    writeFileSync(join(app, 'rls-guard.config.json'), JSON.stringify(config));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
    writeFileSync(join(app, 'eslint.config.js'), eslintConfig);

    const install = run('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', ...pinned], app);
    expect(install.status, install.stderr).toBe(0);

    const eslint = run(process.execPath, [join(app, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', '.'], app);
    expect(eslint.status, eslint.stderr).toBe(1);
    const results = JSON.parse(eslint.stdout) as { filePath: string; messages: { ruleId: string | null; line: number; fatal?: boolean }[] }[];
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(app.length + 1)}:${m.line} ${m.ruleId}${m.fatal ? ' fatal' : ''}`))).toEqual([
      'migrations/0002_isolation.sql:11 rls-guard/require-force-rls',
      'migrations/0002_isolation.sql:12 rls-guard/require-with-check',
      'src/db.ts:3 rls-guard/no-owner-database-url',
      'src/projects.ts:16 rls-guard/no-unscoped-query',
    ]);

    const check = run(join(app, 'node_modules', '.bin', 'rls-guard'), ['check', '--format', 'json'], app);
    expect(check.status, check.stderr).toBe(1);
    const checked = JSON.parse(check.stdout) as { filePath: string; messages: { ruleId: string; line: number }[] }[];
    expect(checked.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(app.length + 1)}:${m.line} ${m.ruleId}`))).toEqual([
      'migrations/0002_isolation.sql:11 rls-guard/require-force-rls',
      'migrations/0002_isolation.sql:12 rls-guard/require-with-check',
    ]);
  });
});
