/**
 * no-rls-disable: a later migration that disables RLS, drops FORCE, or drops the policy that
 * pinned the tenant undoes the protection; `SET (row_security = off)` is rejected by PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, applyMigration, errors, findings, safeTable, seedTwoTenants, seenBy, sqlstate } from './helpers.js';

const RULE = 'no-rls-disable';
const PIN = `tenant_id = current_setting('app.current_tenant')::uuid`;
const BASE = safeTable('notes');
/** An open permissive policy kept tenant-tight by a restrictive one. */
const BASE_RESTRICTIVE = `CREATE TABLE notes (
  id int PRIMARY KEY,
  tenant_id uuid NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_all ON notes USING (true);
CREATE POLICY notes_tenant ON notes AS RESTRICTIVE USING (${PIN}) WITH CHECK (${PIN});
GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;`;

/** Applies the migrations in order as the (non-superuser) owner and seeds both tenants after the first. */
async function apply(db: ScratchDatabase, files: Record<string, string>): Promise<void> {
  await db.query(ROLES_SQL);
  const [first, ...rest] = Object.values(files);
  await applyMigration(db, first!, 'mig_owner');
  await seedTwoTenants(db, 'notes');
  for (const sql of rest) await applyMigration(db, sql, 'mig_owner');
}

const hit = (at: string) => [{ ruleId: RULE, at }];
const q = 'SELECT tenant_id FROM notes';

describe(`${RULE} on PostgreSQL`, () => {
  it('DISABLE ROW LEVEL SECURITY in a later migration: reported there, and the app reads every tenant', async () => {
    const files = { '001.sql': BASE, '002.sql': 'ALTER TABLE notes DISABLE ROW LEVEL SECURITY;' };
    expect(await findings(RULE, files)).toEqual(hit('002.sql:1'));
    await withScratchDatabase(async (db) => {
      await apply(db, files);
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('NO FORCE ROW LEVEL SECURITY in a later migration: reported there, and the owner reads every tenant again', async () => {
    const files = { '001.sql': BASE, '002.sql': '-- owner-run jobs need all rows\nALTER TABLE notes NO FORCE ROW LEVEL SECURITY;' };
    expect(await findings(RULE, files)).toEqual(hit('002.sql:2'));
    await withScratchDatabase(async (db) => {
      await apply(db, files);
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
      expect(await seenBy(db, 'mig_owner', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('DROP POLICY of the restrictive policy that pinned the tenant: reported at the DROP, and the open policy left shows every tenant', async () => {
    const files = { '001.sql': BASE_RESTRICTIVE, '002.sql': 'DROP POLICY notes_tenant ON notes;' };
    expect(await findings(RULE, files)).toEqual(hit('002.sql:1'));
    await withScratchDatabase(async (db) => {
      await apply(db, { '001.sql': BASE_RESTRICTIVE });
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
      await applyMigration(db, files['002.sql'], 'mig_owner');
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('SET (row_security = off): reported, and PostgreSQL rejects the statement (22023, not a table option)', async () => {
    const files = { '001.sql': BASE, '002.sql': 'ALTER TABLE notes SET (row_security = off);' };
    expect(await findings(RULE, files)).toEqual(hit('002.sql:1'));
    await withScratchDatabase(async (db) => {
      await apply(db, { '001.sql': BASE });
      expect(await sqlstate(applyMigration(db, files['002.sql'], 'mig_owner'))).toBe('22023');
      await db.query('RESET ROLE');
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
    });
  });

  it('fixed: the pinning policy dropped and recreated in the same migration: no finding, no error, no leak', async () => {
    const files = {
      '001.sql': BASE_RESTRICTIVE,
      '002.sql': `DROP POLICY notes_tenant ON notes;\nCREATE POLICY notes_tenant ON notes AS RESTRICTIVE\n  USING (${PIN} AND true) WITH CHECK (${PIN});`,
    };
    expect(await findings(RULE, files)).toEqual([]);
    expect(await errors(files)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await apply(db, files);
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
      expect(await seenBy(db, 'mig_owner', TENANT_A, q)).toEqual([TENANT_A]);
    });
  });
});
