/**
 * no-bypass-role: BYPASSRLS (and SUPERUSER) skip every policy, FORCE included; an app role that may
 * SET ROLE to such a role, or that owns a tenant table, switches the policies off for itself.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, applyMigration, attempt, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy, tenantsSeen } from './helpers.js';

const RULE = 'no-bypass-role';
const TABLE = safeTable('notes');
const CONFIG = { appRoles: ['app_user'], allowBypassRoles: ['admin'] };

const APP_BYPASS = `${TABLE}
ALTER ROLE app_user BYPASSRLS;`;
const MEMBER_OF_BYPASS = `${TABLE}
CREATE ROLE admin NOLOGIN BYPASSRLS;
GRANT SELECT, UPDATE, DELETE ON notes TO admin;
GRANT admin TO app_user;`;
const APP_OWNS = `${TABLE}
ALTER TABLE notes OWNER TO app_user;`;
const FIXED = `${TABLE}
CREATE ROLE admin NOLOGIN BYPASSRLS;
GRANT SELECT, UPDATE, DELETE ON notes TO admin;`;

/** Runs `fn` with app_user as the session user (so SET ROLE checks app_user's own memberships) and the tenant set to A. */
function asAppSession<T>(db: Parameters<Parameters<typeof withScratchDatabase>[0]>[0], fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  return db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
    await c.query('SET LOCAL SESSION AUTHORIZATION app_user');
    expect((await c.query('SELECT session_user::text AS s, current_user::text AS u')).rows).toEqual([{ s: 'app_user', u: 'app_user' }]);
    return fn(c);
  });
}

async function setUp(db: Parameters<Parameters<typeof withScratchDatabase>[0]>[0], sql: string): Promise<void> {
  await db.query(ROLES_SQL);
  await applyMigration(db, sql); // role attributes and ownership changes need the superuser
  await seedTwoTenants(db, 'notes');
}

describe(`${RULE} on PostgreSQL`, () => {
  it('the app role made BYPASSRLS: reported at the ALTER ROLE, and the app reads every tenant of a forced table', async () => {
    expect(await findings(RULE, APP_BYPASS, CONFIG)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(APP_BYPASS, 'ALTER ROLE app_user BYPASSRLS')}` }]);
    await withScratchDatabase(async (db) => {
      await setUp(db, APP_BYPASS);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('the app role a member of an (allowed) BYPASSRLS role: reported at the GRANT, and SET ROLE admin reads and deletes every tenant', async () => {
    expect(await findings(RULE, MEMBER_OF_BYPASS, CONFIG)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(MEMBER_OF_BYPASS, 'GRANT admin TO app_user')}` }]);
    await withScratchDatabase(async (db) => {
      await setUp(db, MEMBER_OF_BYPASS);
      await asAppSession(db, async (c) => {
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
        await c.query('SET LOCAL ROLE admin');
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
        expect(await attempt(c, 'DELETE FROM notes WHERE id = 2')).toEqual({ code: 'ok', rowCount: 1, rows: [] });
      });
    });
  });

  it('the app role owns the tenant table: reported at the OWNER TO, and the app lifts FORCE itself and reads every tenant', async () => {
    expect(await findings(RULE, APP_OWNS, CONFIG)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(APP_OWNS, 'OWNER TO app_user')}` }]);
    await withScratchDatabase(async (db) => {
      await setUp(db, APP_OWNS);
      await asAppSession(db, async (c) => {
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
        expect(await attempt(c, 'ALTER TABLE notes NO FORCE ROW LEVEL SECURITY')).toEqual({ code: 'ok', rowCount: 0, rows: [] });
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
      });
    });
  });

  it('fixed: the bypass role is allowed and not granted to the app; the migration role owns the table: no finding, no error, and the app can neither SET ROLE nor lift FORCE', async () => {
    expect(await findings(RULE, FIXED, CONFIG)).toEqual([]);
    expect(await errors(FIXED, CONFIG)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, TABLE, 'mig_owner');
      await applyMigration(db, FIXED.slice(TABLE.length));
      await seedTwoTenants(db, 'notes');
      await asAppSession(db, async (c) => {
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
        expect(await attempt(c, 'SET LOCAL ROLE admin')).toEqual({ code: '42501' });
        expect(await attempt(c, 'ALTER TABLE notes NO FORCE ROW LEVEL SECURITY')).toEqual({ code: '42501' });
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      });
    });
  });
  // DISCREPANCY. The schema model ignores SET ROLE, so a migration that creates its tables after
  // `SET ROLE app_user` is linted as if the migration role owned them. On PostgreSQL app_user owns
  // the table, and an owner may lift FORCE (or disable RLS, or drop the policy) at will: the app
  // then reads every tenant. The rule should report the CREATE TABLE run under SET ROLE app_user.
  it('tables created after SET ROLE app_user are owned by the app, which lifts FORCE and reads every tenant (rule reports nothing)', async () => {
    const sql = `SET ROLE app_user;\n${TABLE}\nRESET ROLE;`;
    await withScratchDatabase(async (db) => {
      await db.query(`${ROLES_SQL} GRANT CREATE ON SCHEMA public TO app_user;`);
      await applyMigration(db, sql);
      await seedTwoTenants(db, 'notes');
      expect((await db.query(`SELECT tableowner FROM pg_tables WHERE tablename = 'notes'`)).rows).toEqual([{ tableowner: 'app_user' }]);
      await asAppSession(db, async (c) => {
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
        expect(await attempt(c, 'ALTER TABLE notes NO FORCE ROW LEVEL SECURITY')).toEqual({ code: 'ok', rowCount: 0, rows: [] });
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A, TENANT_B]);
      });
    });
    expect(await findings(RULE, sql, CONFIG)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(sql, 'CREATE TABLE notes')}` }]);
  });
});
