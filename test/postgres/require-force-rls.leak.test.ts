/**
 * require-force-rls: without FORCE ROW LEVEL SECURITY the table owner bypasses every policy, so an
 * app (or job) connecting as the migration role reads and rewrites every tenant's rows.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, allTenants, applyMigration, attempt, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy } from './helpers.js';

const RULE = 'require-force-rls';
const FIXED = safeTable('notes');
const LEAKY = FIXED.replace('ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n', '');

describe(`${RULE} on PostgreSQL`, () => {
  it('RLS without FORCE: reported at ENABLE ROW LEVEL SECURITY, and the owner reads and moves the other tenant\'s rows while the app is filtered', async () => {
    expect(await findings(RULE, LEAKY)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(LEAKY, 'ENABLE ROW LEVEL SECURITY')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, LEAKY, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'mig_owner', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
      await db.asRole('mig_owner', { 'app.current_tenant': TENANT_A }, async (c) => {
        expect(await attempt(c, `UPDATE notes SET tenant_id = '${TENANT_A}' WHERE id = 2`)).toEqual({ code: 'ok', rowCount: 1, rows: [] });
        expect(await allTenants(c, 'notes')).toEqual([TENANT_A, TENANT_A]);
      });
    });
  });

  it('fixed: with FORCE: no finding, no error, and the owner is held to the policy too', async () => {
    expect(await findings(RULE, FIXED)).toEqual([]);
    expect(await errors(FIXED)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, FIXED, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'mig_owner', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      await db.asRole('mig_owner', { 'app.current_tenant': TENANT_A }, async (c) => {
        expect(await attempt(c, `UPDATE notes SET tenant_id = '${TENANT_A}' WHERE id = 2`)).toEqual({ code: 'ok', rowCount: 0, rows: [] });
        expect(await attempt(c, `INSERT INTO notes (id, tenant_id) VALUES (3, '${TENANT_B}')`)).toEqual({ code: '42501' });
      });
    });
  });
});
