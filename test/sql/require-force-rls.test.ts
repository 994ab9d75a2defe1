/**
 * require-force-rls: a tenant table with RLS also has FORCE ROW LEVEL SECURITY; the owner bypasses
 * every policy otherwise (SPEC behaviour 1).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'require-force-rls';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
const TABLE = 'CREATE TABLE docs (tenant_id uuid NOT NULL);';

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['ENABLE and FORCE', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs FORCE ROW LEVEL SECURITY;`],
      ['ENABLE and FORCE in one ALTER TABLE', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;`],
      ['FORCE in a later migration', { '001_a.sql': `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`, '002_b.sql': 'ALTER TABLE docs FORCE ROW LEVEL SECURITY;' }],
      ['no RLS at all is require-rls\'s finding', TABLE],
      // FORCE binds no SUPERUSER or BYPASSRLS owner: there is nothing to add.
      ['the migration role bypasses RLS (migrationRole)', `CREATE ROLE migrator BYPASSRLS;\n${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`, { migrationRole: 'migrator', allowBypassRoles: ['migrator'] }],
      ['the owner is a superuser', `CREATE ROLE admin SUPERUSER;\n${TABLE}\nALTER TABLE docs OWNER TO admin;\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`],
      ['preset supabase: the owner postgres has BYPASSRLS', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`, { preset: 'supabase' }],
      ['a table the app roles cannot reach (no privilege)', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`, { appRoles: ['app'] }],
      ['FORCE inside a DO block is replayed', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nDO $$ BEGIN IF true THEN ALTER TABLE docs FORCE ROW LEVEL SECURITY; END IF; END $$;`],
    ] as [string, string | Record<string, string>, object?][])('%s', async (_name, sql, config) => {
      expect(await hits(sql, config ?? {})).toEqual([]);
    });
  });

  describe('errors', () => {
    it('ENABLE without FORCE: error at the ENABLE', async () => {
      const findings = (await checkSql(`${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain('Tenant table public.docs enables RLS without FORCE ROW LEVEL SECURITY');
      expect(findings[0]!.message).toContain('Add ALTER TABLE public.docs FORCE ROW LEVEL SECURITY.');
    });

    it('NO FORCE after FORCE: reported at the NO FORCE, with no-rls-disable on or off', async () => {
      const sql = `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\nALTER TABLE docs NO FORCE ROW LEVEL SECURITY;`;
      expect(await hits(sql)).toEqual(['001.sql:3']);
      expect(await hits(sql, { rules: { 'no-rls-disable': 'off' } })).toEqual(['001.sql:3']);
      const [finding] = (await checkSql(sql)).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('without FORCE ROW LEVEL SECURITY (a later migration turned FORCE off)');
    });

    it('the message names an explicit owner', async () => {
      const [finding] = (await checkSql(`${TABLE}\nALTER TABLE docs OWNER TO migrator;\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`)).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('its owner migrator bypasses every policy');
    });

    it.each([
      ['a partition enables RLS but not FORCE', "CREATE TABLE events (tenant_id uuid NOT NULL, at date) PARTITION BY RANGE (at); ALTER TABLE events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nALTER TABLE events_2024 ENABLE ROW LEVEL SECURITY;", ['001.sql:3']],
      ['FORCE on another table', `${TABLE}\nCREATE TABLE notes (tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE notes FORCE ROW LEVEL SECURITY;`, ['001.sql:3']],
      ['re-enabling later moves the finding', `${TABLE}\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;`, ['001.sql:3']],
      ['FORCE on the quoted table does not force the folded one', 'CREATE TABLE tenant_docs (tenant_id uuid NOT NULL);\nALTER TABLE tenant_docs ENABLE ROW LEVEL SECURITY;\nCREATE TABLE "Tenant_Docs" (tenant_id uuid NOT NULL);\nALTER TABLE "Tenant_Docs" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;', ['001.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });
  });

  describe('final state, whatever other rules are on', () => {
    const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";
    const NO_FORCE = `CREATE TABLE docs (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON docs USING (${PIN}) WITH CHECK (${PIN});
ALTER TABLE docs NO FORCE ROW LEVEL SECURITY;`;
    const IN_DO = `CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL);
DO $$ BEGIN ALTER TABLE notes ENABLE ROW LEVEL SECURITY; END $$;
CREATE POLICY n ON notes USING (${PIN}) WITH CHECK (${PIN});`;
    it.each([{}, { rules: { 'no-rls-disable': 'off' } }, { rules: { 'require-rls': 'off', 'no-fail-open-policy': 'off' } }])('NO FORCE later, and RLS enabled inside a DO block (config %j)', async (config) => {
      expect(await hits(NO_FORCE, config)).toEqual(['001.sql:5']);
      expect(await hits(IN_DO, config)).toEqual(['001.sql:2']);
      expect(await ruleHits('require-rls', IN_DO, {})).toEqual([]);
    });
  });
});
