/**
 * require-tenant-column: every table that is not in `globalTables` has a tenant column, NOT NULL.
 * A NOT NULL may come from the column, a PRIMARY KEY, or a later ALTER TABLE.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'require-tenant-column';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['NOT NULL tenant column', 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL);'],
      ['NOT NULL through a column PRIMARY KEY', 'CREATE TABLE tenant_settings (tenant_id uuid PRIMARY KEY);'],
      ['NOT NULL through a table PRIMARY KEY', 'CREATE TABLE docs (tenant_id uuid, id bigint, PRIMARY KEY (tenant_id, id));'],
      ['NOT NULL through a later ADD PRIMARY KEY', 'CREATE TABLE docs (tenant_id uuid);\nALTER TABLE docs ADD PRIMARY KEY (tenant_id);'],
      ['NOT NULL added later', 'CREATE TABLE docs (tenant_id uuid);\nALTER TABLE docs ALTER COLUMN tenant_id SET NOT NULL;'],
      ['column added later', 'CREATE TABLE docs (id bigint);\nALTER TABLE docs ADD COLUMN tenant_id uuid NOT NULL;'],
      ['table dropped later', 'CREATE TABLE docs (id bigint);\nDROP TABLE docs;'],
      ['temporary table', 'CREATE TEMP TABLE scratch (id bigint);'],
      ['unquoted names fold to lower case', 'CREATE TABLE "Tenant_Docs" (Tenant_Id uuid NOT NULL);'],
      ['IF NOT EXISTS on an existing table changes nothing', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nCREATE TABLE IF NOT EXISTS docs (id bigint);'],
      ['partition inherits the parent columns', 'CREATE TABLE events (tenant_id uuid NOT NULL, at date) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM (\'2024-01-01\') TO (\'2025-01-01\');'],
    ])('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });

    it('global table listed by name', async () => {
      expect(await hits('CREATE TABLE plans (id bigint);', { globalTables: ['plans'] })).toEqual([]);
    });

    it('global table listed schema-qualified', async () => {
      expect(await hits('CREATE SCHEMA billing;\nCREATE TABLE billing.plans (id bigint);', { globalTables: ['billing.plans'] })).toEqual([]);
    });

    it('configured tenant column name', async () => {
      expect(await hits('CREATE TABLE docs (org_id uuid NOT NULL);', { tenantColumns: ['org_id'] })).toEqual([]);
    });
  });

  describe('errors', () => {
    it('table without a tenant column: error at the CREATE TABLE, naming the column and globalTables', async () => {
      const findings = (await checkSql('CREATE TABLE docs (id bigint);')).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 1, column: 1 } });
      expect(findings[0]!.message).toContain('Table public.docs has no tenant column (`tenant_id`) and is not listed in globalTables');
    });

    it('nullable tenant column: error naming the column', async () => {
      const findings = (await checkSql('CREATE TABLE docs (id bigint,\n  tenant_id uuid);')).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 1]]);
      expect(findings[0]!.message).toContain('Tenant column public.docs.tenant_id is nullable');
    });

    it.each([
      ['DROP NOT NULL later: reported at the ALTER', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs ALTER COLUMN tenant_id DROP NOT NULL;', ['001.sql:2']],
      ['a quoted "Tenant_Id" is not tenant_id', 'CREATE TABLE docs ("Tenant_Id" uuid NOT NULL);', ['001.sql:1']],
      ['a UNIQUE constraint does not imply NOT NULL', 'CREATE TABLE docs (tenant_id uuid UNIQUE);', ['001.sql:1']],
      ['CREATE TABLE AS without the column', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nCREATE TABLE docs_copy AS SELECT 1 AS id;', ['001.sql:2']],
      ['the table lands in the schema SET search_path names', "CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE docs (id bigint);", ['001.sql:3']],
      ['findings are per file', { '001_a.sql': 'CREATE TABLE a (tenant_id uuid NOT NULL);', '002_b.sql': 'SELECT 1;\nCREATE TABLE b (id bigint);' }, ['002_b.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql as string | Record<string, string>)).toEqual(expected);
    });

    it('a global table in another schema is a different table', async () => {
      expect(await hits('CREATE SCHEMA billing;\nCREATE TABLE billing.plans (id bigint);', { globalTables: ['public.plans'] })).toEqual(['001.sql:2']);
    });

    it('a table created by CREATE SCHEMA ... CREATE TABLE lands in that schema', async () => {
      const findings = (await checkSql('CREATE SCHEMA crm\n  CREATE TABLE docs (id bigint);')).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => f.location.line)).toEqual([1]);
      expect(findings[0]!.message).toContain('Table crm.docs has no tenant column');
    });

    it('the message names the schema from SET search_path', async () => {
      const [finding] = (await checkSql('CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE docs (id bigint);')).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('Table app.docs has no tenant column');
    });

    it('configured tenant column names all appear in the message', async () => {
      const [finding] = (await checkSql('CREATE TABLE docs (id bigint);', { tenantColumns: ['tenant_id', 'org_id'] })).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('(`tenant_id` or `org_id`)');
    });

    // Dropping the tenant column is the statement that broke the table (SPEC section 4: findings land
    // "at the statement that created or last broke the object").
    it('DROP COLUMN tenant_id later: reported at the ALTER that dropped it', async () => {
      expect(await hits('CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL);\nALTER TABLE docs DROP COLUMN tenant_id;')).toEqual(['001.sql:2']);
    });
  });
});
