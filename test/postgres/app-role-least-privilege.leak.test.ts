/**
 * app-role-least-privilege: TRUNCATE is not subject to RLS (SPEC behaviour 3), and GRANT ALL
 * includes it: the app empties every tenant's rows of a forced table.
 */
import { describe, expect, it } from 'vitest';
import { checkSql } from '../support/check-sql.js';
import { supabase } from '../../src/presets/supabase.js';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, allTenants, applyMigration, attempt, errors, findings, lineOf, safeTable, seedTwoTenants } from './helpers.js';

const RULE = 'app-role-least-privilege';
const FIXED = safeTable('notes');
const GRANT_ALL = FIXED.replace('GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;', 'GRANT ALL ON notes TO app_user;');
const TRUNCATE_PUBLIC = `${FIXED}
GRANT TRUNCATE ON notes TO PUBLIC;`;

/** Tenant A's app session tries TRUNCATE; returns its SQLSTATE and whose rows remain. */
async function truncateAsTenantA(sql: string): Promise<{ truncate: string; remaining: string[] }> {
  return withScratchDatabase(async (db) => {
    await db.query(ROLES_SQL);
    await applyMigration(db, sql, 'mig_owner');
    await seedTwoTenants(db, 'notes');
    return db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
      expect(await attempt(c, 'SELECT tenant_id FROM notes')).toEqual({ code: 'ok', rowCount: 1, rows: [{ tenant_id: TENANT_A }] });
      const truncate = (await attempt(c, 'TRUNCATE notes')).code;
      return { truncate, remaining: await allTenants(c, 'notes') };
    });
  });
}

describe(`${RULE} on PostgreSQL`, () => {
  it('GRANT ALL to the app role: reported at the GRANT, and the app truncates tenant B\'s rows too', async () => {
    expect(await findings(RULE, GRANT_ALL)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(GRANT_ALL, 'GRANT ALL')}` }]);
    expect(await truncateAsTenantA(GRANT_ALL)).toEqual({ truncate: 'ok', remaining: [] });
  });

  it('GRANT TRUNCATE TO PUBLIC: reported at the GRANT, and the app truncates every tenant', async () => {
    expect(await findings(RULE, TRUNCATE_PUBLIC)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(TRUNCATE_PUBLIC, 'TO PUBLIC')}` }]);
    expect(await truncateAsTenantA(TRUNCATE_PUBLIC)).toEqual({ truncate: 'ok', remaining: [] });
  });

  it('fixed: SELECT, INSERT, UPDATE, DELETE only: no finding, no error, TRUNCATE is refused (42501) and tenant B keeps its row', async () => {
    expect(await findings(RULE, FIXED)).toEqual([]);
    expect(await errors(FIXED)).toEqual([]);
    expect(await truncateAsTenantA(FIXED)).toEqual({ truncate: '42501', remaining: [TENANT_A, TENANT_B] });
  });

  // On Supabase the platform's default privileges grant ALL on every new table in public to anon
  // and authenticated: the finding belongs to the project's CREATE TABLE (the prelude is not the
  // project's to edit), and a migration that revokes the defaults fixes it.
  const SUPABASE_TABLE = `CREATE TABLE public.notes (
  id int PRIMARY KEY,
  user_id uuid NOT NULL,
  body text
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON public.notes TO authenticated USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());`;
  const REVOKED = `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM anon, authenticated;\n${SUPABASE_TABLE}`;
  const config = { preset: 'supabase' as const, tenantColumns: ['user_id'] };

  async function truncateAsAuthenticated(sql: string): Promise<{ truncate: string; remaining: number }> {
    return withScratchDatabase(async (db) => {
      await db.query(supabase.prelude);
      await db.query(sql);
      await db.query(`INSERT INTO public.notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b')`);
      return db.asRole('authenticated', { 'request.jwt.claims': JSON.stringify({ sub: TENANT_A }) }, async (c) => {
        const truncate = (await attempt(c, 'TRUNCATE public.notes')).code;
        await c.query('SAVEPOINT truth; SET LOCAL ROLE NONE');
        const remaining = Number((await c.query('SELECT count(*) AS n FROM public.notes')).rows[0].n);
        return { truncate, remaining };
      });
    });
  }

  it("Supabase's default privileges: one finding at the CREATE TABLE naming anon and authenticated, and authenticated truncates every user's rows", async () => {
    const found = (await checkSql(SUPABASE_TABLE, config)).filter((f) => f.ruleId === RULE);
    expect(found.map((f) => `${f.location.file}:${f.location.line}`)).toEqual(['001.sql:1']);
    expect(found[0]!.message).toContain('app role anon and app role authenticated are granted TRUNCATE, REFERENCES, TRIGGER');
    expect(found[0]!.message).toContain("platform's default privileges");
    expect(await truncateAsAuthenticated(SUPABASE_TABLE)).toEqual({ truncate: 'ok', remaining: 0 });
  });

  it('Supabase with the defaults revoked in a migration: no finding, and TRUNCATE is refused', async () => {
    expect(await findings(RULE, REVOKED, config)).toEqual([]);
    expect(await truncateAsAuthenticated(REVOKED)).toEqual({ truncate: '42501', remaining: 2 });
  });
});
