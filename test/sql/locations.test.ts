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

describe('findings inside a DO block point at the inner statement', () => {
  it.each([
    ['each of two statements on one line, in a nested IF', 'DO $$\nBEGIN\n  IF true THEN\n    CREATE TABLE a (id int); CREATE TABLE b (id int);\n  END IF;\nEND $$;', ['4:5 require-tenant-column', '4:30 require-tenant-column']],
    ['after non-ASCII text on the same line (characters, not bytes)', 'DO $$ BEGIN /* é😀 */ CREATE TABLE g (id int); END $$;', ['1:23 require-tenant-column']],
    ['after a SELECT ... INTO, whose text PL/pgSQL edits', 'CREATE TABLE t (id int, tenant_id uuid NOT NULL);\nDO $$\nDECLARE n int;\nBEGIN\n  SELECT count(*) INTO n FROM t; ALTER TABLE t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\nEND $$;', ['5:34 require-tenant-policy']],
    ['a constant EXECUTE: at the EXECUTE statement', "DO $$\nBEGIN\n  PERFORM 1;\n  EXECUTE 'CREATE TABLE d (id int)';\nEND $$;", ['4:3 require-tenant-column']],
    ['dynamic SQL: unverifiable at the EXECUTE, even with its expression on the next line', "DO $body$\nBEGIN\n  EXECUTE\n    format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', current_setting('app.table'));\nEND $body$;", ['3:3 unverifiable-ddl']],
    ["a single-quoted body: each '' is one character of the body", "DO 'BEGIN RAISE NOTICE ''x''; CREATE TABLE e (id int); END';", ['1:31 require-tenant-column']],
    ['a CREATE FUNCTION inside: located there, and its own body analyzed', "DO $$\nBEGIN\n  CREATE FUNCTION lookup(k text) RETURNS SETOF int LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$\n  BEGIN RETURN QUERY EXECUTE 'SELECT 1 WHERE ' || k; END $f$;\n  REVOKE EXECUTE ON FUNCTION lookup(text) FROM PUBLIC;\nEND $$;", ['3:3 security-definer-narrow']],
  ])('%s', async (_name, sql, expected) => {
    expect(await at(sql)).toEqual(expected);
  });

  it('the inner function body is read as its own statement, not as the DO block', async () => {
    const findings = await checkSql("DO $$\nBEGIN\n  CREATE FUNCTION lookup(k text) RETURNS SETOF int LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$\n  BEGIN RETURN QUERY EXECUTE 'SELECT 1 WHERE ' || k; END $f$;\n  REVOKE EXECUTE ON FUNCTION lookup(text) FROM PUBLIC;\nEND $$;");
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("it builds dynamic SQL from input (EXECUTE 'SELECT 1 WHERE ' || k)")]);
  });

  it('an escape-string body, which cannot be placed exactly, stays at the DO statement', async () => {
    expect(await at("SELECT 1;\nDO E'BEGIN\\n CREATE TABLE f (id int); END';")).toEqual(['2:1 require-tenant-column']);
  });
});

describe('eslint and check agree on DO blocks', () => {
  it('every line and column', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rls-guard-do-locations-'));
    mkdirSync(join(root, 'migrations'));
    writeFileSync(join(root, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'] }));
    writeFileSync(
      join(root, 'migrations', '001_do.sql'),
      "-- l’équipe\nDO $$\nBEGIN\n  /* ’ */ CREATE TABLE a (id int); CREATE TABLE b (id int, tenant_id uuid NOT NULL);\n  EXECUTE 'ALTER TABLE ' || current_setting('app.table') || ' ENABLE ROW LEVEL SECURITY';\nEND $$;\n",
    );
    writeFileSync(join(root, 'migrations', '002_do.sql'), "\uFEFFDO 'BEGIN RAISE NOTICE ''é''; CREATE TABLE c (id int); END';\n");
    const check = await runCheck({ paths: [], config: resolveConfig({ start: root }) });
    const fromCheck = check.findings.map((f) => `${f.location.file.slice(root.length + 1)}:${f.location.line}:${f.location.column} ${f.ruleId}`).sort();
    const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: (plugin.configs.recommended as object[]).slice(0, 1) as never });
    const fromEslint = (await eslint.lintFiles(check.files)).flatMap((r) => r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line}:${m.column} ${String(m.ruleId).replace('rls-guard/', '')}`)).sort();
    expect(fromCheck).toEqual([
      'migrations/001_do.sql:4:11 require-tenant-column',
      'migrations/001_do.sql:4:36 require-rls',
      'migrations/001_do.sql:5:3 unverifiable-ddl',
      'migrations/002_do.sql:1:31 require-tenant-column',
    ]);
    expect(fromEslint).toEqual(fromCheck);
  });
});
