/**
 * require-rls: every tenant table, partitions included, ends with ROW LEVEL SECURITY enabled.
 * A partition queried directly applies only its own RLS (SPEC behaviour 7).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'require-rls';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const PARENT =
  "CREATE TABLE events (tenant_id uuid NOT NULL, at date) PARTITION BY RANGE (at); ALTER TABLE events ENABLE ROW LEVEL SECURITY; ALTER TABLE events FORCE ROW LEVEL SECURITY;";
const PARTITION = "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['RLS enabled', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;'],
      ['RLS enabled in a later migration', { '001_a.sql': 'CREATE TABLE docs (tenant_id uuid NOT NULL);', '002_b.sql': 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;' }],
      ['schema-qualified', 'CREATE SCHEMA app;\nCREATE TABLE app.docs (tenant_id uuid NOT NULL);\nALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;'],
      ['unqualified through SET search_path', 'CREATE SCHEMA app;\nCREATE TABLE app.docs (tenant_id uuid NOT NULL);\nSET search_path = app;\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;'],
      ['quoted name used consistently', 'CREATE TABLE "Tenant_Docs" (tenant_id uuid NOT NULL);\nALTER TABLE "Tenant_Docs" ENABLE ROW LEVEL SECURITY;'],
      ['a table without tenant column is not a tenant table (require-tenant-column reports it)', 'CREATE TABLE audit (id bigint);'],
      ['partition with its own RLS', `${PARENT}\n${PARTITION}\nALTER TABLE events_2024 ENABLE ROW LEVEL SECURITY;`],
      ['static ENABLE inside IF in a DO block is replayed', "CREATE TABLE docs (tenant_id uuid NOT NULL);\nDO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'docs' AND relrowsecurity) THEN ALTER TABLE docs ENABLE ROW LEVEL SECURITY; END IF; END $$;"],
      ['an EXECUTE of constant pieces in a DO block is evaluated', "CREATE TABLE docs (tenant_id uuid NOT NULL);\nDO $$ BEGIN EXECUTE 'ALTER TABLE ' || quote_ident('docs') || ' ENABLE ROW LEVEL SECURITY'; EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', 'docs'); END $$;"],
      ['constant EXECUTE in a DO block is replayed', "CREATE TABLE docs (tenant_id uuid NOT NULL);\nDO $$ BEGIN EXECUTE 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY'; END $$;"],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });

    it('a global table with a tenant column is not a tenant table', async () => {
      expect(await hits('CREATE TABLE plans (id bigint, tenant_id uuid);', { globalTables: ['plans'] })).toEqual([]);
    });
  });

  describe('errors', () => {
    it('tenant table never enables RLS: error at its CREATE TABLE', async () => {
      const findings = (await checkSql('SELECT 1;\nCREATE TABLE docs (tenant_id uuid NOT NULL);')).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain("Tenant table public.docs never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant's rows.");
    });

    it('a partition needs its own RLS, even under a forced parent with RLS', async () => {
      const findings = (await checkSql(`${PARENT}\n${PARTITION}`)).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => `${f.location.file}:${f.location.line}`)).toEqual(['001.sql:2']);
      expect(findings[0]!.message).toContain('It is a partition of public.events: queried directly, a partition applies only its own RLS');
    });

    it.each([
      ['FORCE alone does not enable RLS', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs FORCE ROW LEVEL SECURITY;', ['001.sql:1']],
      ['a partition attached later', `${PARENT}\nCREATE TABLE events_2025 (tenant_id uuid NOT NULL, at date);\nALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`, ['001.sql:2']],
      ['"Tenant_Docs" is not the folded tenant_docs', 'CREATE TABLE "Tenant_Docs" (tenant_id uuid NOT NULL);\nALTER TABLE Tenant_Docs ENABLE ROW LEVEL SECURITY;', ['001.sql:1']],
      ['ENABLE on the public table leaves app.docs without RLS', 'CREATE SCHEMA app;\nCREATE TABLE app.docs (tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;', ['001.sql:2']],
      ['dynamic EXECUTE in a DO block is not assumed to enable RLS', "CREATE TABLE docs (tenant_id uuid NOT NULL);\nDO $$ BEGIN EXECUTE 'ALTER TABLE ' || quote_ident(current_setting('app.table')) || ' ENABLE ROW LEVEL SECURITY'; END $$;", ['001.sql:1']],
      ['IF NOT EXISTS does not replace the first definition', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nCREATE TABLE IF NOT EXISTS docs (id bigint);', ['001.sql:1']],
      ['a table renamed keeps its finding at its CREATE', 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs RENAME TO documents;', ['001.sql:1']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });

    it('a renamed table is named by its final name', async () => {
      const [finding] = (await checkSql('CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs RENAME TO documents;')).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('Tenant table public.documents never enables');
    });
  });

  describe('shared tables the platform\'s clients can write', () => {
    const SUPA = { preset: 'supabase' };
    const FLAGS = 'create table public.flags (name text primary key, on_ boolean);';
    it.each([
      ['through the platform\'s default privileges', FLAGS, SUPA],
      ['listed in globalTables: shared for reading, not for writing', FLAGS, { ...SUPA, globalTables: ['flags'] }],
      ['a write granted to PUBLIC', `revoke all on tables in schema public from anon, authenticated;\n${FLAGS}\ngrant update on public.flags to public;`.replace('revoke all on tables in schema public from anon, authenticated;', 'alter default privileges in schema public revoke all on tables from anon, authenticated;'), SUPA],
    ] as const)('reported: %s', async (_name, sql, config) => {
      const lines = sql.split('\n');
      expect(await hits(sql, config)).toEqual([`001.sql:${lines.indexOf(FLAGS) + 1}`]);
    });

    it.each([
      ['RLS enabled (policies decide)', `${FLAGS}\nalter table public.flags enable row level security;`, { ...SUPA, globalTables: ['flags'] }],
      ['write privileges revoked from anon and authenticated', `${FLAGS}\nrevoke insert, update, delete, truncate on public.flags from anon, authenticated;`, SUPA],
      ['only SELECT by default privileges', `alter default privileges in schema public revoke insert, update, delete, truncate on tables from anon, authenticated;\n${FLAGS}`, SUPA],
      ['a server app role without a preset writes through the project\'s own code', 'create table flags (name text primary key);\ngrant select, insert, update, delete on flags to app;', { appRoles: ['app'], globalTables: ['flags'] }],
    ] as const)('not reported: %s', async (_name, sql, config) => {
      expect(await hits(sql, config)).toEqual([]);
    });

    it('the message names the roles, the privileges and both fixes', async () => {
      const [finding] = (await checkSql(FLAGS, SUPA)).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('Table public.flags has no ROW LEVEL SECURITY and anon, authenticated can INSERT, UPDATE, DELETE, TRUNCATE it');
      expect(finding!.message).toContain('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.flags FROM anon, authenticated');
    });
  });
});
