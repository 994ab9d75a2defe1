/**
 * app-role-least-privilege: TRUNCATE is not subject to RLS (SPEC behaviour 3), and GRANT ALL
 * includes it: the app empties every tenant's rows of a forced table.
 */
import { describe, expect, it } from 'vitest';
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
});
