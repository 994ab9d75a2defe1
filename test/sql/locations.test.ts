/**
 * Locations are characters, not bytes: PostgreSQL reports a syntax error's position in
 * characters, libpg-query reports statement locations in UTF-8 bytes, and findings count UTF-16
 * units as ESLint and editors do. A `’`, an `é` or an emoji before a finding must not move it, and
 * `eslint` must agree with `rls-guard check` on every line and column.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { runCheck } from '../../src/check.js';
import { resolveConfig } from '../../src/config.js';
import { checkSql } from '../support/check-sql.js';

const at = async (sql: string) => (await checkSql(sql)).map((f) => `${f.location.line}:${f.location.column} ${f.ruleId}`);

describe('columns are characters', () => {
  it.each([
    ['a ’ in a comment inside the statement', 'SELECT 1 /* it’s */ + ;', ['1:22 parse-error']],
    ['two ’ before the error', 'SELECT 1 /* ’’ */ + ;', ['1:20 parse-error']],
    ['emoji (two UTF-16 units each) before the error', 'SELECT 1 /* 😀😀 */ + ;', ['1:22 parse-error']],
    ['a ’ in a line comment, the error on the next line', 'SELECT 1 -- it’s\n  + ;', ['2:4 parse-error']],
    ['a non-ASCII string on an earlier line', "SELECT 'café ’’’';\nSELECT 1 +;", ['2:11 parse-error']],
    ['a statement after non-ASCII text on its line', "SELECT '’’’'; CREATE TABLE t (id int);", ['1:15 require-tenant-column']],
  ])('%s', async (_name, sql, expected) => {
    expect(await at(sql)).toEqual(expected);
  });
});

describe('eslint and check agree on non-ASCII migrations', () => {
  it('every line and column', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rls-guard-locations-'));
    mkdirSync(join(root, 'migrations'));
    writeFileSync(join(root, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'] }));
    writeFileSync(join(root, 'migrations', '001_a.sql'), "-- l’équipe 😀\nCREATE TABLE a (id int); SELECT 1 /* ’’ */ + ;\nCREATE TABLE b (id int, tenant_id uuid NOT NULL);\n");
    writeFileSync(join(root, 'migrations', '002_b.sql'), "\uFEFFSELECT 'ü'; CREATE TABLE c (id int);\n");
    const check = await runCheck({ paths: [], config: resolveConfig({ start: root }) });
    const fromCheck = check.findings.map((f) => `${f.location.file}:${f.location.line}:${f.location.column} ${f.ruleId}`).sort();
    const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: (plugin.configs.recommended as object[]).slice(0, 1) as never });
    const fromEslint = (await eslint.lintFiles(check.files)).flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${String(m.ruleId).replace('rls-guard/', '')}`)).sort();
    expect(fromCheck).toEqual([
      `${join(root, 'migrations', '001_a.sql')}:2:1 require-tenant-column`,
      `${join(root, 'migrations', '001_a.sql')}:2:45 parse-error`,
      `${join(root, 'migrations', '001_a.sql')}:3:1 require-rls`,
      `${join(root, 'migrations', '002_b.sql')}:1:13 require-tenant-column`,
    ]);
    expect(fromEslint).toEqual(fromCheck);
  });
});
