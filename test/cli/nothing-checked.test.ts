/**
 * Nothing checked is an error: a migrations path, given or configured, that does not exist or holds
 * no migration file exits 2 naming the path (and the setting), for `check` and `verify`. An empty
 * history passes only with --allow-empty, or where the directory holds just a placeholder.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAN_INIT, CONFIG, makeProject, runCli } from './support.js';

describe('rls-guard check: nothing checked is an error', () => {
  it('a given path that does not exist', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    expect(runCli(['check', 'migratons'], dir)).toEqual({ code: 2, stdout: '', stderr: `rls-guard check: ${join(dir, 'migratons')}: no such file or directory\n` });
  });

  it('a configured path that does not exist names the setting and the config file', () => {
    const dir = makeProject({ 'rls-guard.config.json': JSON.stringify({ migrations: ['db/migratons'] }), 'db/migrations/001_init.sql': CLEAN_INIT });
    expect(runCli(['check'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard check: ${join(dir, 'db/migratons')}: no such file or directory ("migrations" in ${join(dir, 'rls-guard.config.json')})\n`,
    });
  });

  it('every missing configured path, one per line', () => {
    const dir = makeProject({ 'rls-guard.config.json': JSON.stringify({ migrations: ['a', 'migrations', 'b'] }), 'migrations/001_init.sql': CLEAN_INIT });
    const config = join(dir, 'rls-guard.config.json');
    expect(runCli(['check'], dir).stderr).toBe(
      `rls-guard check: ${join(dir, 'a')}: no such file or directory ("migrations" in ${config})\n${join(dir, 'b')}: no such file or directory ("migrations" in ${config})\n`,
    );
  });

  it('no config file and no migrations directory: the default path, not "0 files checked"', () => {
    const dir = makeProject({ 'README.md': 'no migrations here\n' });
    expect(runCli(['check'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard check: ${join(dir, 'migrations')}: no such file or directory (the default "migrations": no rls-guard.config.json found)\n`,
    });
  });

  it('a directory that holds no migration file', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/README.md': 'soon\n', 'migrations/001_init.down.sql': 'DROP TABLE invoices;\n' });
    expect(runCli(['check'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard check: ${join(dir, 'migrations')}: no migration file (*.sql) in this directory ("migrations" in ${join(dir, 'rls-guard.config.json')}); pass --allow-empty if the history is empty on purpose\n`,
    });
  });

  it('an empty directory given on the command line', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG });
    mkdirSync(join(dir, 'empty'));
    expect(runCli(['check', 'empty'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard check: ${join(dir, 'empty')}: no migration file (*.sql) in this directory; pass --allow-empty if the history is empty on purpose\n`,
    });
  });

  it('--allow-empty: an empty history passes, with the count in the summary; a missing path still fails', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG });
    mkdirSync(join(dir, 'migrations'));
    expect(runCli(['check', '--allow-empty'], dir)).toEqual({ code: 0, stdout: 'rls-guard: 0 migration files checked, no problems found.\n', stderr: '' });
    expect(runCli(['check', '--allow-empty', 'nope'], dir)).toEqual({ code: 2, stdout: '', stderr: `rls-guard check: ${join(dir, 'nope')}: no such file or directory\n` });
  });

  it('a directory holding only a .gitkeep is empty on purpose', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/.gitkeep': '' });
    expect(runCli(['check'], dir)).toEqual({ code: 0, stdout: 'rls-guard: 0 migration files checked, no problems found.\n', stderr: '' });
  });
});

describe('rls-guard verify: nothing checked is an error', () => {
  it('a configured path that does not exist exits 2 before any database starts', () => {
    const dir = makeProject({ 'rls-guard.config.json': JSON.stringify({ migrations: ['migratons'] }) });
    expect(runCli(['verify'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard verify: ${join(dir, 'migratons')}: no such file or directory ("migrations" in ${join(dir, 'rls-guard.config.json')})\n`,
    });
  });

  it('a directory that holds no migration file', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/notes.txt': 'x\n' });
    expect(runCli(['verify'], dir).stderr).toBe(
      `rls-guard verify: ${join(dir, 'migrations')}: no migration file (*.sql) in this directory ("migrations" in ${join(dir, 'rls-guard.config.json')}); pass --allow-empty if the history is empty on purpose\n`,
    );
  });
});
