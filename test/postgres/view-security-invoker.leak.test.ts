/**
 * view-security-invoker: a view runs with its owner's rights unless security_invoker = true, and a
 * materialized view stores whatever rows its creator could see, with no RLS ever after. Migration
 * runners are very often superusers (postgres, supabase_admin), and a superuser owner bypasses
 * RLS even on a FORCE'd table.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { checkSql } from '../support/check-sql.js';
import { APP_CONFIG, ROLES_SQL, TENANT_A, TENANT_B, applyMigration, errors, findings, lineOf, safeTable, seedTwoTenants, seenBy, sqlstate } from './helpers.js';

const RULE = 'view-security-invoker';
const TABLE = safeTable('notes');
const VIEW = `${TABLE}
CREATE VIEW note_list AS
  SELECT id, tenant_id FROM notes;
GRANT SELECT ON note_list TO app_user;`;
const MATVIEW = `${TABLE}
CREATE MATERIALIZED VIEW note_counts AS
  SELECT tenant_id, count(*) AS n FROM notes GROUP BY tenant_id;
GRANT SELECT ON note_counts TO app_user;`;
const FIXED = `${TABLE}
CREATE VIEW note_list WITH (security_invoker = true) AS
  SELECT id, tenant_id FROM notes;
GRANT SELECT ON note_list TO app_user;`;

/** The rule's findings as `severity@line`. */
async function verdicts(sql: string): Promise<string[]> {
  return (await checkSql(sql, APP_CONFIG)).filter((f) => f.ruleId === RULE).map((f) => `${f.severity}@${f.location.line}`);
}

/** notes without FORCE, owned by mig_owner with its view: the owner reads past RLS. */
const NO_FORCE = `CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes
  USING (tenant_id = current_setting('app.current_tenant')::uuid);
GRANT SELECT ON notes TO app_user;
CREATE VIEW note_list AS SELECT id, tenant_id FROM notes;
GRANT SELECT ON note_list TO app_user;
ALTER TABLE notes OWNER TO mig_owner;
ALTER VIEW note_list OWNER TO mig_owner;`;

/** The forced table, its view handed to `owner` (created first by `roleSql`), plus `extra` policies. */
function ownedView(roleSql: string, owner: string, extra = ''): string {
  return `${roleSql}
${TABLE}
GRANT SELECT ON notes TO ${owner};${extra ? `\n${extra}` : ''}
CREATE VIEW note_list AS SELECT id, tenant_id FROM notes;
GRANT SELECT ON note_list TO app_user;
ALTER VIEW note_list OWNER TO ${owner};`;
}

describe(`${RULE} on PostgreSQL`, () => {
  it('a view without security_invoker over a FORCE\'d table whose policy pins the rows: a warning, because who runs the migrations decides (a superuser runner reads every tenant, a plain owner is filtered)', async () => {
    expect(await verdicts(VIEW)).toEqual([`1@${lineOf(VIEW, 'CREATE VIEW')}`]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, VIEW);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A, TENANT_B]);
    });
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, VIEW, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A]);
    });
  });

  it('the view\'s owner owns a table without FORCE: an error, and the app reads the other tenant through the view', async () => {
    expect(await verdicts(NO_FORCE)).toContain(`2@${lineOf(NO_FORCE, 'CREATE VIEW')}`);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, NO_FORCE);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('owned by a role with an open policy of its own (TO reporter USING (true)): an error naming the policy, and the app reads the other tenant through the view', async () => {
    const sql = ownedView('CREATE ROLE reporter NOLOGIN;', 'reporter', 'CREATE POLICY reports ON notes FOR SELECT TO reporter USING (true);');
    expect(await verdicts(sql)).toEqual([`2@${lineOf(sql, 'CREATE VIEW')}`]);
    expect((await checkSql(sql, APP_CONFIG)).find((f) => f.ruleId === RULE)!.message).toContain('policy reports on public.notes, which applies to reporter');
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, sql);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('owned by a BYPASSRLS role: an error, and the app reads the other tenant through the view although the table is forced', async () => {
    const sql = ownedView('CREATE ROLE auditor NOLOGIN BYPASSRLS;', 'auditor');
    expect(await verdicts(sql)).toEqual([`2@${lineOf(sql, 'CREATE VIEW')}`]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, sql);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('owned by a plain role the tenant policy (TO PUBLIC) applies to: a warning, and PostgreSQL filters the view by the session\'s tenant', async () => {
    const sql = ownedView('CREATE ROLE reporter NOLOGIN;', 'reporter');
    expect(await verdicts(sql)).toEqual([`1@${lineOf(sql, 'CREATE VIEW')}`]);
    expect(await errors(sql)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, sql);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_B, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_B]);
    });
  });

  it('a materialized view: reported at CREATE MATERIALIZED VIEW; run by a superuser it serves every tenant\'s counts, run by the owner it fails (42704, no tenant set)', async () => {
    expect(await findings(RULE, MATVIEW)).toEqual([{ ruleId: RULE, at: `001.sql:${lineOf(MATVIEW, 'CREATE MATERIALIZED VIEW')}` }]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, TABLE, 'mig_owner');
      await seedTwoTenants(db, 'notes');
      expect(await sqlstate(applyMigration(db, MATVIEW.slice(TABLE.length), 'mig_owner'))).toBe('42704');
      await db.query('RESET ROLE');
      await applyMigration(db, MATVIEW.slice(TABLE.length));
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_counts')).toEqual([TENANT_A, TENANT_B]);
    });
  });

  it('fixed: WITH (security_invoker = true): no finding, no error, and the view is filtered even when a superuser owns it', async () => {
    expect(await findings(RULE, FIXED)).toEqual([]);
    expect(await errors(FIXED)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, FIXED);
      await seedTwoTenants(db, 'notes');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM note_list')).toEqual([TENANT_A]);
    });
  });
});
