/**
 * parse-error: SQL that does not parse is a finding at its location, never a crash; the rest of
 * the file and of the directory is still analyzed.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'parse-error';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['valid SQL', 'CREATE TABLE docs (tenant_id uuid NOT NULL);'],
      ['psql meta-commands', '\\set ON_ERROR_STOP on\nCREATE TABLE docs (tenant_id uuid NOT NULL);\n\\echo done'],
      ['psql variables', "\\set tenant '00000000-0000-0000-0000-000000000000'\nSELECT :'tenant', :\"col\", :limit;"],
      ['drizzle statement breakpoints', 'CREATE TABLE a (tenant_id uuid NOT NULL);\n--> statement-breakpoint\nCREATE TABLE b (tenant_id uuid NOT NULL);'],
      ['COPY ... FROM stdin data', 'COPY docs (tenant_id) FROM stdin;\n00000000-0000-0000-0000-000000000000\n\\.\nSELECT 1;'],
      ['an empty file', ''],
      ['only comments', '-- nothing yet\n/* still nothing */'],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('a syntax error: error at the offending token, with PostgreSQL\'s message', async () => {
      const findings = (await checkSql('SELECT 1;\n  SELEC 2;')).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 3 } });
      expect(findings[0]!.message).toBe('PostgreSQL cannot parse this statement: syntax error at or near "SELEC". The migration fails when run; the rest of the file is still analyzed.');
    });

    it('findings after the bad statement are still reported', async () => {
      const findings = await checkSql('CREATE TABLE a (tenant_id uuid NOT NULL,);\nCREATE TABLE b (id bigint);');
      expect(findings.map((f) => `${f.ruleId}@${f.location.line}:${f.location.column}`)).toEqual(['parse-error@1:41', 'require-tenant-column@2:1']);
    });

    it('later files are still analyzed', async () => {
      const findings = await checkSql({ '001_bad.sql': 'CREATE TABLE (;', '002_next.sql': 'CREATE TABLE b (id bigint);' });
      expect(findings.map((f) => `${f.ruleId}@${f.location.file}:${f.location.line}`)).toEqual(['parse-error@001_bad.sql:1', 'require-tenant-column@002_next.sql:1']);
    });

    it.each([
      ['two bad statements, two findings', 'SELEC 1;\nSELECT 2;\nSELEC 3;', ['001.sql:1', '001.sql:3']],
      ['an unterminated quote', "SELECT 1;\nSELECT 'abc;", ['001.sql:2']],
      ['an unterminated dollar quote', 'SELECT 1;\nSELECT $$abc;', ['001.sql:2']],
      ['an unterminated block comment', 'SELECT 1;\n/* never closed\nSELECT 2;', ['001.sql:2']],
      ['a policy expression cut short', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nCREATE POLICY p ON docs USING (tenant_id = );', ['001.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });

    // PostgreSQL rejects a bind parameter in SET with 42601 (SPEC behaviour 6); libpg-query's grammar
    // accepts `$1` there, so the replay reports it.
    it('SET LOCAL with a bind parameter (SPEC behaviour 6)', async () => {
      expect(await hits('SELECT 1;\nSET LOCAL app.current_tenant = $1;')).toEqual(['001.sql:2']);
    });

    it('the column counts characters, not UTF-8 bytes', async () => {
      const [finding] = (await checkSql("SELECT 'é😀ü'; SELEC 2;")).filter((f) => f.ruleId === RULE);
      expect(finding!.location).toMatchObject({ line: 1, column: 16 });
    });
  });
});
