/** Pull-request mode: `--since <ref>` replays everything but reports only what changed since the ref. */
import { appendFileSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD, CLEAN_INIT, CONFIG, git, makeProject, NOTES, runCli, summarize, writeFiles, type JsonResult } from './support.js';

/** A repository whose committed history already has defects (002_notes.sql). */
function legacyRepo(): string {
  const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/002_notes.sql': NOTES, '.gitignore': 'ignored/\n' });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'legacy');
  return dir;
}

describe('--since', () => {
  it('reports nothing when nothing changed, though the history has findings', () => {
    const dir = legacyRepo();
    expect(runCli(['check'], dir).code).toBe(1);
    const run = runCli(['check', '--since', 'HEAD'], dir);
    expect(run).toEqual({ code: 0, stdout: 'rls-guard: 2 migration files checked (0 changed since HEAD), no problems found.\n', stderr: '' });
  });

  it('reports only what a new (untracked) migration introduces', () => {
    const dir = legacyRepo();
    writeFiles(dir, { 'migrations/003_bad.sql': BAD });
    const run = runCli(['check', '--since', 'HEAD', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as JsonResult[];
    expect(results.map((r) => r.filePath)).toEqual([join(dir, 'migrations/003_bad.sql')]);
    // no-rls-disable on invoices needs 001's history: the state was replayed.
    expect(summarize(results, dir)).toEqual([
      'migrations/003_bad.sql:1 rls-guard/no-rls-disable 2',
      'migrations/003_bad.sql:1 rls-guard/require-force-rls 2',
      'migrations/003_bad.sql:2 rls-guard/require-rls 2',
      'migrations/003_bad.sql:2 rls-guard/require-tenant-column 2',
    ]);
    const annotations = runCli(['check', '--since', 'HEAD', '--format', 'github'], dir).stdout.trimEnd().split('\n');
    expect(annotations).toHaveLength(4);
    expect(annotations.every((a) => a.startsWith('::error file=migrations/003_bad.sql,'))).toBe(true);
  });

  it('counts committed, staged and modified files since an older ref', () => {
    const dir = legacyRepo();
    writeFiles(dir, { 'migrations/003_bad.sql': BAD });
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'bad');
    expect(summarize(JSON.parse(runCli(['check', '--since', 'HEAD~1', '--format', 'json'], dir).stdout), dir)).toHaveLength(4);
    expect(JSON.parse(runCli(['check', '--since', 'HEAD', '--format', 'json'], dir).stdout)).toEqual([]);
    // An edit to a committed legacy file puts that file's findings in scope.
    appendFileSync(join(dir, 'migrations/002_notes.sql'), '-- touched\n');
    expect(summarize(JSON.parse(runCli(['check', '--since', 'HEAD', '--format', 'json'], dir).stdout), dir)).toEqual([
      'migrations/002_notes.sql:6 rls-guard/require-force-rls 2',
      'migrations/002_notes.sql:7 rls-guard/no-fail-open-policy 2',
      'migrations/002_notes.sql:7 rls-guard/require-with-check 1',
    ]);
  });

  it('ignores files git ignores', () => {
    const dir = makeProject({ 'rls-guard.config.json': JSON.stringify({ migrations: ['migrations', 'ignored'], tenantSettings: ['app.tenant_id'] }), 'migrations/001_init.sql': CLEAN_INIT, '.gitignore': 'ignored/\n' });
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'init');
    writeFiles(dir, { 'ignored/009_bad.sql': BAD });
    expect(runCli(['check', '--format', 'json'], dir).code).toBe(1);
    expect(runCli(['check', '--since', 'HEAD', '--format', 'json'], dir)).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('exits 2 with a clear message outside a git repository', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-nogit-')));
    writeFiles(dir, { 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    const run = runCli(['check', '--since', 'main'], dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^rls-guard check: --since needs a git repository, and ${dir} is not in one`));
  });

  it('exits 2 naming an unknown ref', () => {
    const dir = legacyRepo();
    const run = runCli(['check', '--since', 'origin/nope'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--since: unknown git revision "origin/nope"');
    expect(runCli(['check', '--since', '--help'], dir).code).toBe(2);
  });
});
