/**
 * require-tenant-column: a table with no tenant column cannot be isolated by any policy, so the
 * app reads every tenant's rows of it (a child table reached through a tenant table's key).
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, applyMigration, attempt, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy } from './helpers.js';

const RULE = 'require-tenant-column';

const LEAKY = `${safeTable('invoices')}
CREATE TABLE invoice_lines (
  id int PRIMARY KEY,
  invoice_id int NOT NULL REFERENCES invoices (id),
  amount int NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON invoice_lines TO app_user;`;

const FIXED = `${safeTable('invoices')}
${safeTable('invoice_lines', 'invoice_id int NOT NULL REFERENCES invoices (id),\n  amount int NOT NULL')}`;

describe(`${RULE} on PostgreSQL`, () => {
  it('a child table without a tenant column: reported at its CREATE TABLE, and the app reads the other tenant\'s lines', async () => {
    expect(await findings(RULE, LEAKY)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(LEAKY, 'CREATE TABLE invoice_lines')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, LEAKY, 'mig_owner');
      await seedTwoTenants(db, 'invoices');
      await db.query('INSERT INTO invoice_lines VALUES (10, 1, 100), (20, 2, 200)');
      // Tenant A cannot see invoice 2, but reads its lines (and may change them).
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM invoices')).toEqual([TENANT_A]);
      const lines = await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        const read = (await c.query<{ invoice_id: number }>('SELECT invoice_id FROM invoice_lines ORDER BY invoice_id')).rows.map((r) => r.invoice_id);
        const written = await attempt(c, 'UPDATE invoice_lines SET amount = 0 WHERE invoice_id = 2');
        return { read, written };
      });
      expect(lines).toEqual({ read: [1, 2], written: { code: 'ok', rowCount: 1, rows: [] } });
    });
  });

  it('fixed: the child carries tenant_id NOT NULL under its own policy: no finding, no error, and the other tenant\'s lines are invisible', async () => {
    expect(await findings(RULE, FIXED)).toEqual([]);
    expect(await errors(FIXED)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, FIXED, 'mig_owner');
      await seedTwoTenants(db, 'invoices');
      await db.query(`INSERT INTO invoice_lines VALUES (10, '${TENANT_A}', 1, 100), (20, '${TENANT_B}', 2, 200)`);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM invoice_lines')).toEqual([TENANT_A]);
      const written = await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, (c) => attempt(c, 'UPDATE invoice_lines SET amount = 0 WHERE invoice_id = 2'));
      expect(written).toEqual({ code: 'ok', rowCount: 0, rows: [] });
    });
  });

  // SPEC section 4 defines require-tenant-column as "a tenant column, NOT NULL", one rule at one
  // severity. A nullable tenant column under a pinning policy shows no cross-tenant leak on
  // PostgreSQL: a NULL-tenant row is visible to no tenant, and the app cannot write one (the WITH
  // CHECK `NULL = tenant` is not true). The finding is doctrine here (orphan rows no tenant owns),
  // and this test pins both facts so a change to either is noticed.
  it('a nullable tenant column under a pinning policy: no leak on PostgreSQL, still reported by doctrine', async () => {
    const NULLABLE = safeTable('notes').replace('tenant_id uuid NOT NULL', 'tenant_id uuid');
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, NULLABLE, 'mig_owner');
      await db.query(`INSERT INTO notes (id, tenant_id) VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}'), (3, NULL)`);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_B, 'SELECT tenant_id FROM notes')).toEqual([TENANT_B]);
      const writes = await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => [
        await attempt(c, 'INSERT INTO notes (id, tenant_id) VALUES (4, NULL)'),
        await attempt(c, 'UPDATE notes SET tenant_id = NULL'),
      ]);
      expect(writes).toEqual([{ code: '42501' }, { code: '42501' }]);
    });
    expect((await errors(NULLABLE)).map((e) => e.split('@')[0])).toEqual(['require-tenant-column']);
  });
});
