/**
 * The persistent parse cache (src/sql/parse-cache.ts): a warm run gives byte-identical output,
 * parses only files whose contents changed, survives corrupt entries and concurrent runs, and
 * `--no-cache` writes nothing. Parses are counted, never timed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../bench/generate-history.mjs';
import { runCheck } from '../../src/check.js';
import { resolveConfig } from '../../src/config.js';
import { ParseCache } from '../../src/sql/parse-cache.js';
import { scriptParseCount } from '../../src/sql/parse.js';
import { cli, makeProject, repoRoot, runCli } from './support.js';

const tmp = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

/** Every directory under `root` that directly holds .sql files. */
function sqlDirectories(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('.sql'))) out.push(dir);
    for (const e of entries) if (e.isDirectory() && e.name !== 'node_modules') walk(join(dir, e.name));
  };
  walk(root);
  return out;
}

const HISTORY_WITH_EDGES = {
  'migrations/001_init.sql': "CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON notes USING (true);\n",
  'migrations/002_broken.sql': "CREATE TABLE broken (id int,);\nCREATE TABLE after_error (tenant_id uuid NOT NULL, note text);\n",
  'migrations/003_unicode.sql': "-- prénom 🎉\nCREATE TABLE naïve (id int, tenant_id uuid);\nCOMMENT ON TABLE naïve IS 'Ünïcödé — 日本語';\nSELECT FROM WHERE;\n",
  'migrations/004_psql.sql': "\\set ON_ERROR_STOP on\nCREATE TABLE café (tenant_id uuid NOT NULL);\nALTER TABLE café ENABLE ROW LEVEL SECURITY;\n",
  'migrations/005_definer.sql':
    "CREATE FUNCTION leak(p uuid) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN RETURN (SELECT count(*) FROM notes WHERE tenant_id = p); END $$;\n",
  'migrations/006_empty.sql': '-- nothing\n',
};

describe('parse cache', () => {
  it('gives byte-identical output cold and warm, in every format, over the fixtures and edge cases', () => {
    const project = makeProject(HISTORY_WITH_EDGES);
    const dirs = [...sqlDirectories(join(repoRoot, 'fixtures')), join(project, 'migrations')];
    const generated = join(tmp('rls-guard-cache-gen-'), 'migrations');
    generateHistory(generated, { files: 60, seed: 5, definerInEveryFile: true });
    dirs.push(generated);
    expect(dirs.length).toBeGreaterThan(4);
    for (const [i, dir] of dirs.entries()) {
      // Every directory in JSON; stylish (which prints source lines) on the edge cases and the generated history.
      for (const format of i >= dirs.length - 2 ? ['json', 'stylish'] : ['json']) {
        const cache = tmp('rls-guard-cache-');
        const uncached = runCli(['check', dir, '--format', format, '--no-cache'], project);
        const cold = runCli(['check', dir, '--format', format, '--cache-location', cache], project);
        expect(readdirSync(cache).length).toBeGreaterThan(0);
        const warm = runCli(['check', dir, '--format', format, '--cache-location', cache], project);
        // Without the run's recorded findings: every file from the parse cache, replayed.
        for (const name of readdirSync(cache)) if (name.startsWith('run-')) rmSync(join(cache, name));
        const replayed = runCli(['check', dir, '--format', format, '--cache-location', cache], project);
        expect(cold.stdout).toBe(uncached.stdout);
        for (const run of [warm, replayed]) {
          expect(run.stdout).toBe(uncached.stdout);
          expect(run.stderr).toBe(uncached.stderr);
          expect(run.code).toBe(uncached.code);
        }
      }
    }
  }, 600_000);

  it('parses nothing on a warm run and only the changed file after a one-file change', async () => {
    const dir = join(tmp('rls-guard-cache-count-'), 'migrations');
    generateHistory(dir, { files: 40, seed: 9 });
    const config = resolveConfig({ start: dir });
    const cacheDir = tmp('rls-guard-cache-');
    const run = async () => {
      const cache = new ParseCache(cacheDir);
      const before = scriptParseCount();
      const result = await runCheck({ paths: [dir], config, cache });
      return { parses: scriptParseCount() - before, findings: JSON.stringify(result.findings), stats: cache.stats };
    };
    const cold = await run();
    expect(cold.parses).toBe(40);
    expect(cold.stats.writes).toBe(40);
    const warm = await run();
    expect(warm.parses).toBe(0);
    expect(warm.stats.hits).toBe(40);
    expect(warm.findings).toBe(cold.findings);

    const file = join(dir, '00020_migration_20.sql');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nCREATE TABLE extra_20 (id int, tenant_id uuid NOT NULL);\n`);
    const changed = await run();
    expect(changed.parses).toBe(1);
    expect(changed.stats).toEqual({ hits: 39, misses: 1, writes: 1, runHits: 0 });
    expect(changed.findings).not.toBe(cold.findings);
    const uncached = await runCheck({ paths: [dir], config });
    expect(changed.findings).toBe(JSON.stringify(uncached.findings));
  });

  it('never reads entries written by other rls-guard code of the same version (a rebuilt dist/)', () => {
    const project = makeProject(HISTORY_WITH_EDGES);
    const cache = tmp('rls-guard-cache-code-');
    const entries = () => readdirSync(cache).filter((n) => n.endsWith('.json')).length;
    const first = runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project);
    const written = entries();
    expect(written).toBeGreaterThan(0);
    runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project);
    expect(entries()).toBe(written);
    // A module of the running build changes (same size, new modification time): a new set of keys.
    const module = join(repoRoot, 'dist', 'rules', 'sql', 'index.js');
    const { atime, mtime } = statSync(module);
    try {
      utimesSync(module, atime, new Date(mtime.getTime() + 1000));
      const after = runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project);
      expect(after.stdout).toBe(first.stdout);
      expect(entries()).toBe(2 * written);
    } finally {
      utimesSync(module, atime, mtime);
    }
  });

  it('ignores and rewrites corrupt or foreign entries', async () => {
    const project = makeProject(HISTORY_WITH_EDGES);
    const cache = tmp('rls-guard-cache-');
    const expected = runCli(['check', 'migrations', '--format', 'json', '--no-cache'], project);
    runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project);
    const entries = readdirSync(cache).sort();
    // One per file, and the run's findings.
    expect(entries.length).toBe(Object.keys(HISTORY_WITH_EDGES).length + 1);
    // Truncated, empty, not an entry, malformed, and another file's entry in its place.
    const contents = entries.map((name) => readFileSync(join(cache, name), 'utf8'));
    const damage = (i: number): string => ['', contents[i]!.slice(0, 40), 'null', '{"format":1,"script":{"statements":[{}],"errors":[]}}', contents[(i + 1) % contents.length]!][i % 5]!;
    entries.forEach((name, i) => writeFileSync(join(cache, name), damage(i)));
    const repaired = runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project);
    expect(repaired.stdout).toBe(expected.stdout);
    expect(repaired.code).toBe(expected.code);
    // Rewritten whole: a run after that reads every entry back.
    for (const name of entries) expect(() => JSON.parse(readFileSync(join(cache, name), 'utf8'))).not.toThrow();
    expect(runCli(['check', 'migrations', '--format', 'json', '--cache-location', cache], project).stdout).toBe(expected.stdout);
  });

  it('is safe under concurrent runs: same output, whole entries, no temporary files left', async () => {
    const dir = join(tmp('rls-guard-cache-conc-'), 'migrations');
    generateHistory(dir, { files: 120, seed: 13 });
    const cache = tmp('rls-guard-cache-');
    const expected = runCli(['check', dir, '--format', 'json', '--no-cache'], repoRoot).stdout;
    const runAsync = () =>
      new Promise<string>((resolvePromise, reject) => {
        const child = spawn(process.execPath, [cli, 'check', dir, '--format', 'json', '--cache-location', cache], { env: { ...process.env, NO_COLOR: '1' } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('close', () => resolvePromise(out));
      });
    const outputs = await Promise.all([runAsync(), runAsync(), runAsync(), runAsync()]);
    for (const out of outputs) expect(out).toBe(expected);
    const names = readdirSync(cache);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(names.length).toBe(121);
    for (const name of names) expect(() => JSON.parse(readFileSync(join(cache, name), 'utf8'))).not.toThrow();
  }, 300_000);

  it('reuses a run only when no file, the config or the options changed', () => {
    const project = makeProject({ ...HISTORY_WITH_EDGES, 'rls-guard.config.json': JSON.stringify({ migrations: ['migrations'] }) });
    const cache = tmp('rls-guard-cache-');
    const check = (...extra: string[]) => runCli(['check', '--format', 'json', ...extra], project);
    const same = (...extra: string[]) => expect(check('--cache-location', cache, ...extra).stdout).toBe(check('--no-cache', ...extra).stdout);
    same();
    writeFileSync(join(project, 'migrations/001_init.sql'), "CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, body text);\n");
    same();
    writeFileSync(join(project, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'], rules: { 'require-rls': 'warn' } }));
    same();
    same('--max-file-size', '100');
    writeFileSync(join(project, 'migrations/007_new.sql'), 'CREATE TABLE more (tenant_id uuid NOT NULL);\n');
    same();
    rmSync(join(project, 'migrations/007_new.sql'));
    same();
  }, 300_000);

  it('writes nothing with --no-cache or RLS_GUARD_CACHE=0, and defaults to node_modules/.cache/rls-guard beside package.json', () => {
    const project = makeProject({ ...HISTORY_WITH_EDGES, 'package.json': '{"name":"app"}' });
    runCli(['check', 'migrations', '--no-cache'], project);
    runCli(['check', 'migrations'], project, { RLS_GUARD_CACHE: '0' });
    expect(existsSync(join(project, 'node_modules'))).toBe(false);
    runCli(['check', 'migrations'], project);
    const dir = join(project, 'node_modules', '.cache', 'rls-guard');
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdirSync(dir).length).toBe(Object.keys(HISTORY_WITH_EDGES).length + 1);
    // Without a package.json above the working directory, no cache is written unless asked for.
    const bare = makeProject(HISTORY_WITH_EDGES);
    runCli(['check', 'migrations'], bare);
    expect(existsSync(join(bare, 'node_modules'))).toBe(false);
  });
});
