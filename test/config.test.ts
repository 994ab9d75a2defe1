/**
 * rls-guard.config.json (SPEC section 3): defaults, found by walking up, validated with messages
 * that name the file, the key and the bad value; and the CLI's contract around it (SPEC section 6):
 * exit 2 for usage and configuration errors, 1 when errors are found, 0 when clean, and the
 * ESLint-compatible JSON output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, findConfigFile, loadConfigFile, resolveConfig } from '../src/config.js';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'main.js');
const created: string[] = [];

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rls-guard-config-'));
  created.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

/** The ConfigError message for a config file with this text. */
function configError(text: string): string {
  const root = project({ 'rls-guard.config.json': text });
  try {
    loadConfigFile(join(root, 'rls-guard.config.json'));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

/** Runs the built CLI; a non-zero exit is returned, not thrown. */
function run(cwd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

const CLEAN = [
  'CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);',
  'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;',
  'ALTER TABLE docs FORCE ROW LEVEL SECURITY;',
  "CREATE POLICY tenant ON docs USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid);",
].join('\n');

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('config', () => {
  describe('loading', () => {
    it('without a config file: the SPEC defaults, rooted at the start directory', () => {
      const root = project({ 'migrations/001.sql': 'SELECT 1;' });
      expect(resolveConfig({ start: root })).toEqual({
        migrations: ['migrations'],
        tenantColumns: ['tenant_id'],
        tenantSettings: ['app.current_tenant'],
        tenantFunctions: [],
        globalTables: [],
        appRoles: [],
        allowBypassRoles: [],
        scopeFunctions: ['withTenant'],
        ownerUrlVars: ['DATABASE_URL'],
        appUrlVars: ['DATABASE_APP_URL'],
        migrationRole: null,
        appPaths: ['src/**'],
        rules: {},
        configPath: null,
        rootDir: root,
      });
    });

    it('walks up from a file to the nearest rls-guard.config.json', () => {
      const root = project({ 'rls-guard.config.json': '{"appRoles": ["app"]}', 'db/migrations/001.sql': 'SELECT 1;' });
      const config = resolveConfig({ start: join(root, 'db/migrations/001.sql') });
      expect(config).toMatchObject({ configPath: join(root, 'rls-guard.config.json'), rootDir: root, appRoles: ['app'], tenantColumns: ['tenant_id'] });
    });

    it('the nearest config wins over one further up', () => {
      const root = project({ 'rls-guard.config.json': '{}', 'svc/rls-guard.config.json': '{"globalTables": ["plans"]}', 'svc/migrations/001.sql': 'SELECT 1;' });
      expect(findConfigFile(join(root, 'svc/migrations'))).toBe(join(root, 'svc/rls-guard.config.json'));
    });

    it('an explicit config is used instead of searching', () => {
      const root = project({ 'rls-guard.config.json': '{"appRoles": ["near"]}', 'ci/other.json': '{"appRoles": ["explicit"]}' });
      expect(resolveConfig({ explicit: join(root, 'ci/other.json'), start: root })).toMatchObject({ appRoles: ['explicit'], rootDir: join(root, 'ci') });
    });

    it('keys given override the defaults; the rest stay', () => {
      const root = project({ 'rls-guard.config.json': '{"tenantColumns": ["org_id"], "rules": {"require-with-check": "off"}}' });
      expect(loadConfigFile(join(root, 'rls-guard.config.json'))).toMatchObject({ tenantColumns: ['org_id'], tenantSettings: ['app.current_tenant'], rules: { 'require-with-check': 'off' } });
    });

    it('a $schema key is allowed', () => {
      const root = project({ 'rls-guard.config.json': '{"$schema": "./node_modules/rls-guard/schema/rls-guard.config.schema.json"}' });
      expect(loadConfigFile(join(root, 'rls-guard.config.json')).configPath).toBe(join(root, 'rls-guard.config.json'));
    });
  });

  describe('errors name the file, the key and the value', () => {
    it('invalid JSON: the message has the line and column', () => {
      const message = configError('{\n  "appRoles": ["app"]\n  "globalTables": []\n}');
      expect(message).toMatch(/rls-guard\.config\.json: invalid JSON: .* at line 3, column 3$/);
    });

    // Node 20's JSON.parse reports some errors without "at position N" (here `Unexpected token ']',
    // ..."["app",]..." is not valid JSON`): the loader finds the position itself.
    it('invalid JSON with a trailing comma: the message has the line and column', () => {
      expect(configError('{\n  "appRoles": ["app",]\n}')).toMatch(/at line 2, column \d+/);
    });

    it('wrong type: "tenantColumns": "tenant_id"', () => {
      const message = configError('{"tenantColumns": "tenant_id"}');
      expect(message).toMatch(/rls-guard\.config\.json: invalid configuration:/);
      expect(message).toContain('"tenantColumns" must be an array (got "tenant_id")');
    });

    it('wrong item type', () => {
      expect(configError('{"appRoles": ["app", 7]}')).toContain('"appRoles"[1] must be a string (got 7)');
    });

    it('unknown key', () => {
      expect(configError('{"tenantColumn": ["tenant_id"]}')).toContain('unknown key "tenantColumn"');
    });

    it('bad rules severity', () => {
      expect(configError('{"rules": {"require-rls": "fatal"}}')).toContain('"rules"."require-rls" must be one of "off", "warn", "error", 0, 1, 2 (got "fatal")');
    });

    it('empty tenantColumns', () => {
      expect(configError('{"tenantColumns": []}')).toContain('"tenantColumns" must not be empty');
    });

    it('a config file that does not exist', () => {
      const root = project({});
      expect(() => loadConfigFile(join(root, 'missing.json'))).toThrow(`${join(root, 'missing.json')}: config file not found`);
    });

    it('the defaults object is not changed by loading', () => {
      configError('{"tenantColumns": "tenant_id"}');
      expect(DEFAULT_CONFIG.tenantColumns).toEqual(['tenant_id']);
    });
  });

  describe('rls-guard check (built CLI)', () => {
    it('--config with a bad file: exit 2, stderr names the file and the key', () => {
      const root = project({ 'bad.json': '{"tenantColumns": "tenant_id"}', 'migrations/001.sql': CLEAN });
      const { status, stdout, stderr } = run(root, ['check', '--config', 'bad.json']);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`${join(root, 'bad.json')}: invalid configuration:`);
      expect(stderr).toContain('"tenantColumns" must be an array (got "tenant_id")');
    });

    it('a bad config found by walking up: exit 2', () => {
      const root = project({ 'rls-guard.config.json': '{"rules": {"require-rls": "fatal"}}', 'migrations/001.sql': CLEAN });
      const { status, stderr } = run(root, ['check']);
      expect(status).toBe(2);
      expect(stderr).toContain('"rules"."require-rls"');
    });

    it('a missing path: exit 2, naming it', () => {
      const root = project({ 'migrations/001.sql': CLEAN });
      const { status, stderr } = run(root, ['check', 'nope']);
      expect(status).toBe(2);
      expect(stderr).toContain(`${join(root, 'nope')}: no such file or directory`);
    });

    it('an unknown --format: exit 2', () => {
      const root = project({ 'migrations/001.sql': CLEAN });
      expect(run(root, ['check', '--format', 'yaml']).status).toBe(2);
    });

    it('clean migrations: exit 0', () => {
      const root = project({ 'migrations/001.sql': CLEAN });
      const { status, stdout } = run(root, ['check']);
      expect(status).toBe(0);
      expect(stdout).toContain('1 migration file checked, no problems found.');
    });

    it('warnings only: exit 0', () => {
      const root = project({ 'migrations/001.sql': CLEAN.replace(/ WITH CHECK \(.*\);$/, ';') });
      const { status, stdout } = run(root, ['check', '--format', 'json']);
      expect(status).toBe(0);
      expect(JSON.parse(stdout)[0]).toMatchObject({ errorCount: 0, warningCount: 1 });
    });

    it('--format json: ESLint-compatible results, exit 1 with errors', () => {
      const root = project({ 'migrations/001_init.sql': CLEAN, 'migrations/002_notes.sql': 'SELECT 1;\nCREATE TABLE notes (id bigint);' });
      const { status, stdout } = run(root, ['check', '--format', 'json']);
      expect(status).toBe(1);
      const results = JSON.parse(stdout) as unknown[];
      expect(results).toEqual([
        expect.objectContaining({ filePath: join(root, 'migrations/001_init.sql'), messages: [], errorCount: 0, warningCount: 0 }),
        expect.objectContaining({
          filePath: join(root, 'migrations/002_notes.sql'),
          messages: [
            {
              ruleId: 'rls-guard/require-tenant-column',
              severity: 2,
              message: expect.stringContaining('Table public.notes has no tenant column'),
              line: 2,
              column: 1,
              endLine: 2,
              endColumn: 31,
            },
          ],
          errorCount: 1,
          warningCount: 0,
        }),
      ]);
    });

    it('a project directory with rls-guard.config.json stands for its configured migrations', () => {
      const root = project({
        'rls-guard.config.json': '{"migrations": ["db/migrations"]}',
        'db/migrations/001.sql': CLEAN,
        'scratch.sql': 'CREATE TABLE notes (id bigint);',
      });
      const { status, stdout } = run(tmpdir(), ['check', root, '--format', 'json']);
      expect(status).toBe(0);
      expect((JSON.parse(stdout) as { filePath: string }[]).map((r) => r.filePath)).toEqual([join(root, 'db/migrations/001.sql')]);
    });

    it('a single file argument is checked alone', () => {
      const root = project({ 'migrations/001.sql': 'CREATE TABLE notes (id bigint);', 'migrations/002.sql': CLEAN });
      const { status, stdout } = run(root, ['check', 'migrations/002.sql', '--format', 'json']);
      expect(status).toBe(0);
      expect((JSON.parse(stdout) as { filePath: string }[]).map((r) => r.filePath)).toEqual([join(root, 'migrations/002.sql')]);
    });

    it('rules set to "off" in the config are not reported', () => {
      const root = project({ 'rls-guard.config.json': '{"rules": {"require-tenant-column": "off"}}', 'migrations/001.sql': 'CREATE TABLE notes (id bigint);' });
      const { status, stdout } = run(root, ['check', '--format', 'json']);
      expect(status).toBe(0);
      expect(JSON.parse(stdout)[0].messages).toEqual([]);
    });

    it('a rule set to "warn" reports with severity 1 and exit 0', () => {
      const root = project({ 'rls-guard.config.json': '{"rules": {"rls-guard/require-tenant-column": "warn"}}', 'migrations/001.sql': 'CREATE TABLE notes (id bigint);' });
      const { status, stdout } = run(root, ['check', '--format', 'json']);
      expect(status).toBe(0);
      expect(JSON.parse(stdout)[0].messages.map((m: { ruleId: string; severity: number }) => [m.ruleId, m.severity])).toEqual([['rls-guard/require-tenant-column', 1]]);
    });
  });
});

describe('the validator compiled at build time', () => {
  it('reports exactly what compiling the schema at run time reports', async () => {
    const { createRequire } = await import('node:module');
    const { readFileSync } = await import('node:fs');
    const require = createRequire(import.meta.url);
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    const compiled = require(join(root, 'dist/schema/config-validator.cjs')).default as ((v: unknown) => boolean) & { errors?: unknown };
    const { Ajv } = require('ajv') as typeof import('ajv');
    const runtime = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(root, 'schema/rls-guard.config.schema.json'), 'utf8')));
    const inputs: unknown[] = [
      {},
      { migrations: ['db'], rules: { 'require-rls': 'warn' } },
      { migrations: [1, ''], tenantColumns: 'tenant_id', bogus: true },
      { rules: { 'require-rls': 'loud' }, appRoles: [''] },
      [],
      'text',
    ];
    for (const input of inputs) {
      expect(compiled(input)).toBe(runtime(input));
      expect(compiled.errors ?? null).toEqual(runtime.errors ?? null);
    }
    // Both reject at least one of the inputs: the comparison is not between two no-ops.
    expect(inputs.some((input) => !runtime(input))).toBe(true);
  });
});
