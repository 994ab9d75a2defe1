/** The SQL language's cached histories follow the config as well as the migrations. */
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
