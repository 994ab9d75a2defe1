/**
 * Config strictness: every mistake in the configuration or the paths given for it is one line on
 * stderr and exit 2, never a stack trace and never a silently ignored setting.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAN_INIT, CONFIG, makeProject, repoRoot, runCli } from './support.js';
import { readFileSync } from 'node:fs';

const KNOWN =
  'require-tenant-column, require-rls, require-force-rls, require-tenant-policy, require-with-check, no-fail-open-policy, security-definer-search-path, security-definer-narrow, no-bypass-role, no-rls-disable, view-security-invoker, app-role-least-privilege, storage-public-listing, policy-initplan, multiple-permissive-policies, parse-error, unverifiable-ddl, no-unscoped-query, no-libpq-options, no-owner-database-url, tenant-context-transaction-local, no-interpolated-tenant-context, no-rls-bypass-in-app';

describe('config strictness', () => {
  it('an unknown rule under "rules" is a config error listing the known ids (the prefixed form is known)', () => {
    const dir = makeProject({
      'rls-guard.config.json': JSON.stringify({ rules: { 'require-force-rsl': 'off', 'rls-guard/require-rls': 'warn', 'no-unscoped-query': 'off' } }),
      'migrations/001_init.sql': CLEAN_INIT,
    });
    expect(runCli(['check'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rls-guard check: ${join(dir, 'rls-guard.config.json')}: invalid configuration:\n  - "rules": unknown rule "require-force-rsl" (known rules: ${KNOWN})\n`,
    });
  });

  it('--config pointing at a directory', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    expect(runCli(['check', '--config', '.'], dir)).toEqual({ code: 2, stdout: '', stderr: `rls-guard check: ${dir}: is a directory, not a config file (give the path of rls-guard.config.json)\n` });
    expect(runCli(['verify', '--config', dir], dir)).toEqual({ code: 2, stdout: '', stderr: `rls-guard verify: ${dir}: is a directory, not a config file (give the path of rls-guard.config.json)\n` });
  });

  it('--baseline or --update-baseline pointing at a directory', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    const expected = { code: 2, stdout: '', stderr: `rls-guard check: --baseline ${join(dir, 'migrations')}: is a directory; give the path of the baseline file\n` };
    expect(runCli(['check', '--baseline', 'migrations', '--update-baseline'], dir)).toEqual(expected);
    expect(runCli(['check', '--baseline', 'migrations'], dir)).toEqual(expected);
  });

  it('JSON nested 100,000 levels deep is refused with its location, valid or not', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const text of [`{"rules": ${deep}}`, `{"appRoles": ${deep.slice(0, -1)}}`]) {
      const dir = makeProject({ 'rls-guard.config.json': text, 'migrations/001_init.sql': CLEAN_INIT });
      const run = runCli(['check'], dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^rls-guard check: .*rls-guard\.config\.json: invalid configuration: nested more than 32 levels deep at line 1, column \d+\n$/);
    }
  });

  it('--version prints the version', () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(runCli(['--version'], repoRoot)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
