/**
 * The history a linted `.sql` file is replayed with: with a config file, only the configured
 * migrations get the migration rules. The cached histories follow the config as well as the migrations.
 */
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { analysisForFile } from '../../src/eslint/history.js';
import { loadSqlParser } from '../../src/sql/parse.js';

const dir = mkdtempSync(join(tmpdir(), 'rls-guard-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analysisForFile', () => {
  it('re-analyzes when a config key other than rules changes', async () => {
    await loadSqlParser();
    mkdirSync(join(dir, 'migrations'));
    const file = join(dir, 'migrations', '001_init.sql');
    const sql = 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\nGRANT ALL ON docs TO app_user;\n';
    writeFileSync(file, sql);
    const config = join(dir, 'rls-guard.config.json');
    const grantFindings = () => analysisForFile(file, sql).analysis.findings.filter((f) => f.ruleId === 'app-role-least-privilege').map((f) => f.location.line);

    writeFileSync(config, JSON.stringify({ migrations: ['migrations'] }));
    expect(grantFindings()).toEqual([]);

    writeFileSync(config, JSON.stringify({ migrations: ['migrations'], appRoles: ['app_user'] }));
    const later = new Date(Date.now() + 5000);
    utimesSync(config, later, later); // a new modification time, as an editor's save gives
    expect(grantFindings()).toEqual([3]);
  });
});

describe('which .sql files are migrations', () => {
  it('with a config file, only the configured history gets findings: query files, seeds and other .sql files get none', async () => {
    const project = mkdtempSync(join(tmpdir(), 'rls-guard-query-files-'));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(join(project, path, '..'), { recursive: true });
        writeFileSync(join(project, path), text);
      };
      write('rls-guard.config.json', JSON.stringify({ migrations: ['db/migrations'] }));
      write('db/migrations/001_init.sql', 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL);\n');
      // A pgtyped query file: `:id` is its parameter syntax, not PostgreSQL's.
      write('src/queries/docs.sql', '/* @name GetDoc */\nSELECT * FROM docs WHERE id = :id;\n');
      write('db/seed.sql', 'CREATE TABLE scratch (note text);\n');
      write('db/migrations-old/001_legacy.sql', 'CREATE TABLE legacy (tenant_id uuid);\n');
      const eslint = new ESLint({ cwd: project, overrideConfigFile: true, overrideConfig: plugin.configs.sql as never });
      const results = await eslint.lintFiles(['.']);
      const reported = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(project.length + 1)}:${m.line} ${m.ruleId}`));
      expect(results.map((r) => r.filePath.slice(project.length + 1)).sort()).toEqual(['db/migrations-old/001_legacy.sql', 'db/migrations/001_init.sql', 'db/seed.sql', 'src/queries/docs.sql']);
      expect(reported).toEqual(['db/migrations/001_init.sql:1 rls-guard/require-rls']);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('without a config file, a .sql file is replayed with its directory', async () => {
    const project = mkdtempSync(join(tmpdir(), 'rls-guard-no-config-'));
    try {
      mkdirSync(join(project, 'migrations'));
      writeFileSync(join(project, 'migrations', '001_init.sql'), 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL);\n');
      writeFileSync(join(project, 'migrations', '002_rls.sql'), 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n');
      const eslint = new ESLint({ cwd: project, overrideConfigFile: true, overrideConfig: plugin.configs.sql as never });
      const results = await eslint.lintFiles(['.']);
      // 002 enables RLS on 001's table: FORCE and a policy are still missing, reported at 002.
      expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(project.length + 1)}:${m.line} ${m.ruleId}`))).toEqual(['migrations/002_rls.sql:1 rls-guard/require-force-rls', 'migrations/002_rls.sql:1 rls-guard/require-tenant-policy']);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
