/**
 * no-rls-disable: forward migrations do not take a tenant table's protection away:
 * DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY, or a DROP POLICY that leaves it
 * fail-open. `SET (row_security = off)` is a statement PostgreSQL rejects.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'no-rls-disable';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";
/** Line 1: a protected tenant table with a pinned policy. Each case's statements start on line 2. */
const TABLE = `CREATE TABLE docs (tenant_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY; CREATE POLICY tenant ON docs USING (${PIN});`;
const on = (...lines: string[]) => [TABLE, ...lines].join('\n');

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['protections left in place', on('SELECT 1;')],
      ['DISABLE then ENABLE again', on('ALTER TABLE docs DISABLE ROW LEVEL SECURITY;', 'ALTER TABLE docs ENABLE ROW LEVEL SECURITY;')],
      ['NO FORCE then FORCE again', on('ALTER TABLE docs NO FORCE ROW LEVEL SECURITY;', 'ALTER TABLE docs FORCE ROW LEVEL SECURITY;')],
      ['DISABLE on a table that never had RLS', 'CREATE TABLE audit (id bigint);\nALTER TABLE audit DISABLE ROW LEVEL SECURITY;'],
      ['DROP POLICY then CREATE POLICY with the same name', on('DROP POLICY tenant ON docs;', `CREATE POLICY tenant ON docs USING (${PIN});`)],
      ['DROP POLICY of the only policy: deny-all, not fail-open', on('DROP POLICY tenant ON docs;')],
      ['DROP POLICY of an open policy', on('CREATE POLICY open ON docs USING (true);', 'DROP POLICY open ON docs;')],
      ['DROP POLICY IF EXISTS of a policy that does not exist', on('DROP POLICY IF EXISTS nothing ON docs;')],
      ['the table dropped', on('DROP TABLE docs;')],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });

    it('DISABLE on a global table', async () => {
      expect(await hits('CREATE TABLE plans (id bigint); ALTER TABLE plans ENABLE ROW LEVEL SECURITY;\nALTER TABLE plans DISABLE ROW LEVEL SECURITY;', { globalTables: ['plans'] })).toEqual([]);
    });
  });

  describe('errors', () => {
    it('DISABLE ROW LEVEL SECURITY: error at the ALTER', async () => {
      const findings = (await checkSql(on('ALTER TABLE docs DISABLE ROW LEVEL SECURITY;'))).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('DISABLE ROW LEVEL SECURITY leaves tenant table public.docs without RLS');
    });

    it('NO FORCE ROW LEVEL SECURITY: error at the ALTER', async () => {
      const findings = (await checkSql(on('ALTER TABLE docs NO FORCE ROW LEVEL SECURITY;'))).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 2]]);
      expect(findings[0]!.message).toContain('NO FORCE ROW LEVEL SECURITY lets the owner of tenant table public.docs bypass its policies again');
    });

    it('SET (row_security = off): a statement PostgreSQL rejects', async () => {
      const findings = (await checkSql(on('ALTER TABLE docs SET (row_security = off);'))).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 2]]);
      expect(findings[0]!.message).toContain('`row_security` is not a table option: PostgreSQL rejects this statement');
    });

    it('DROP POLICY leaving a permissive true: error at the DROP', async () => {
      const findings = (await checkSql(on('CREATE POLICY open ON docs AS PERMISSIVE USING (true);', 'CREATE POLICY pin ON docs AS RESTRICTIVE USING (' + PIN + ');', 'DROP POLICY pin ON docs;'))).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => [f.severity, f.location.line])).toEqual([[2, 4]]);
      expect(findings[0]!.message).toContain('DROP POLICY pin leaves tenant table public.docs fail-open');
    });

    it.each([
      ['DISABLE in a later migration', { '001_a.sql': TABLE, '002_b.sql': 'ALTER TABLE docs DISABLE ROW LEVEL SECURITY;' }, ['002_b.sql:1']],
      ['DISABLE inside a DO block', on("DO $$ BEGIN IF true THEN ALTER TABLE docs DISABLE ROW LEVEL SECURITY; END IF; END $$;"), ['001.sql:2']],
      ['DISABLE on a schema-qualified table', 'CREATE SCHEMA crm; CREATE TABLE crm.docs (tenant_id uuid NOT NULL); ALTER TABLE crm.docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE crm.docs DISABLE ROW LEVEL SECURITY;', ['001.sql:2']],
      ['SET (row_security = off) among other options', on('ALTER TABLE docs SET (fillfactor = 90, row_security = off);'), ['001.sql:2']],
      ['DROP POLICY of the restrictive pin in a later migration', { '001_a.sql': on('CREATE POLICY open ON docs USING (true);', `CREATE POLICY pin ON docs AS RESTRICTIVE USING (${PIN});`), '002_b.sql': 'DROP POLICY pin ON docs;' }, ['002_b.sql:1']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });
  });
});
