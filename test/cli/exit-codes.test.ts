/** `rls-guard check` exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage or configuration error. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD, CLEAN_INIT, CONFIG, makeProject, NOTES, runCli } from './support.js';

describe('rls-guard check exit codes', () => {
  it('0 on a clean project, with a one-line summary', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    const run = runCli(['check'], dir);
    expect(run).toEqual({ code: 0, stdout: 'rls-guard: 1 migration file checked, no problems found.\n', stderr: '' });
  });

  it('1 on a project with errors', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/003_bad.sql': BAD });
    const run = runCli(['check', '--no-color'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✖ 4 problems (4 errors, 0 warnings)');
  });

  it('0 with warnings only, 1 when they exceed --max-warnings', () => {
    const dir = makeProject({
      'rls-guard.config.json': JSON.stringify({ migrations: ['migrations'], tenantSettings: ['app.tenant_id'], rules: { 'require-force-rls': 'warn', 'no-fail-open-policy': 'off' } }),
      'migrations/002_notes.sql': NOTES,
    });
    expect(runCli(['check'], dir).code).toBe(0);
    expect(runCli(['check', '--max-warnings', '2'], dir).code).toBe(0);
    const over = runCli(['check', '--max-warnings', '1'], dir);
    expect(over.code).toBe(1);
    expect(over.stderr).toBe('rls-guard: 2 warnings exceed --max-warnings 1\n');
  });

  it('2 on a malformed config, naming the file', () => {
    const dir = makeProject({ 'rls-guard.config.json': '{ "migrations": ["migrations"], ', 'migrations/001_init.sql': CLEAN_INIT });
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(join(dir, 'rls-guard.config.json'));
    expect(run.stderr).toContain('invalid JSON');
  });

  it('2 on a config that fails the schema, naming the file and the key', () => {
    const dir = makeProject({ 'rls-guard.config.json': JSON.stringify({ migrations: 'migrations', rules: { 'require-rls': 'loud' } }), 'migrations/001_init.sql': CLEAN_INIT });
    const run = runCli(['check'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(dir, 'rls-guard.config.json')}: invalid configuration`);
  });

  it('2 on usage errors', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    expect(runCli(['check', '--bogus'], dir).code).toBe(2);
    expect(runCli(['check', '--max-warnings', 'many'], dir).code).toBe(2);
    expect(runCli(['check', 'no-such-dir'], dir).code).toBe(2);
    const update = runCli(['check', '--update-baseline'], dir);
    expect(update).toEqual({ code: 2, stdout: '', stderr: 'rls-guard check: --update-baseline needs --baseline <file> to know where to write\n' });
  });
});
