/**
 * SPEC section 4, "PostgreSQL behaviour the rules rely on", items 1-10, each asserted on a real
 * PostgreSQL server: the ground truth the error-severity rules are held to.
 */
import { describe, expect, it } from 'vitest';
import { withScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, allTenants, applyMigration, attempt, expectOk, seenBy, sqlstate, tenantsSeen } from './helpers.js';

const PIN = `tenant_id = current_setting('app.current_tenant')::uuid`;

/** notes(id, tenant_id, body), owned by mig_owner, RLS enabled with a pinned policy, one row per tenant. */
const NOTES = `
  CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text);
  ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON notes USING (${PIN});
  GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO app_user;`;
const SEED = `INSERT INTO notes VALUES (1, '${TENANT_A}', 'a'), (2, '${TENANT_B}', 'b');`;

describe('PostgreSQL behaviour the rules rely on (SPEC 4)', () => {
  it('1. the table owner sees every row unless FORCE ROW LEVEL SECURITY; superusers and BYPASSRLS roles see everything either way', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, NOTES, 'mig_owner');
      await db.query(`${SEED} CREATE ROLE auditor NOLOGIN BYPASSRLS; GRANT SELECT ON notes TO auditor;`);
      const q = 'SELECT tenant_id FROM notes';

      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
      expect(await seenBy(db, 'mig_owner', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
      expect(await seenBy(db, 'auditor', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
      expect((await db.query<{ tenant_id: string }>(q)).rows.map((r) => r.tenant_id).sort()).toEqual([TENANT_A, TENANT_B]); // superuser

      await db.query('ALTER TABLE notes FORCE ROW LEVEL SECURITY');
      expect(await seenBy(db, 'mig_owner', TENANT_A, q)).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, q)).toEqual([TENANT_A]);
      expect(await seenBy(db, 'auditor', TENANT_A, q)).toEqual([TENANT_A, TENANT_B]);
      expect((await db.query(q)).rowCount).toBe(2); // superuser
    });
  });

  it('2. a view owned by the table owner over a table without FORCE shows the app every tenant; security_invoker = true (or FORCE) filters it', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(
        db,
        `${NOTES}
        CREATE VIEW notes_definer AS SELECT id, tenant_id FROM notes;
        CREATE VIEW notes_invoker WITH (security_invoker = true) AS SELECT id, tenant_id FROM notes;
        GRANT SELECT ON notes_definer, notes_invoker TO app_user;`,
        'mig_owner',
      );
      await db.query(SEED);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes_definer')).toEqual([TENANT_A, TENANT_B]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes_invoker')).toEqual([TENANT_A]);
      await db.query('ALTER TABLE notes FORCE ROW LEVEL SECURITY');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes_definer')).toEqual([TENANT_A]);
    });
  });

  it('3. TRUNCATE by a role holding the TRUNCATE privilege removes every tenant\'s rows: RLS does not apply', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, `${NOTES} ALTER TABLE notes FORCE ROW LEVEL SECURITY;`, 'mig_owner');
      await db.query(SEED);
      await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        expect(await attempt(c, 'TRUNCATE notes')).toEqual({ code: '42501' }); // no privilege yet
        expectOk(await attempt(c, 'DELETE FROM notes'), 1); // RLS: only its own row
        expect(await allTenants(c, 'notes')).toEqual([TENANT_B]);
      });
      await db.query('GRANT TRUNCATE ON notes TO app_user');
      await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        expectOk(await attempt(c, 'TRUNCATE notes'));
        expect(await allTenants(c, 'notes')).toEqual([]);
      });
    });
  });

  it('4. ALL/UPDATE policies without WITH CHECK reuse USING (42501 moving a row); an INSERT policy without WITH CHECK rejects every insert; restrictive policies alone admit nothing', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(`
        CREATE TABLE t_all (id int PRIMARY KEY, tenant_id uuid NOT NULL);
        CREATE TABLE t_cmd (id int PRIMARY KEY, tenant_id uuid NOT NULL);
        CREATE TABLE t_restrictive (id int PRIMARY KEY, tenant_id uuid NOT NULL);
        ALTER TABLE t_all ENABLE ROW LEVEL SECURITY;
        ALTER TABLE t_cmd ENABLE ROW LEVEL SECURITY;
        ALTER TABLE t_restrictive ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p_all ON t_all FOR ALL USING (${PIN});
        CREATE POLICY p_sel ON t_cmd FOR SELECT USING (${PIN});
        CREATE POLICY p_upd ON t_cmd FOR UPDATE USING (${PIN});
        CREATE POLICY p_ins ON t_cmd FOR INSERT TO app_user;
        CREATE POLICY p_only ON t_restrictive AS RESTRICTIVE USING (${PIN});
        GRANT SELECT, INSERT, UPDATE ON t_all, t_cmd, t_restrictive TO app_user;
        INSERT INTO t_all VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');
        INSERT INTO t_cmd VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');
        INSERT INTO t_restrictive VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}');`);
      await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        // ALL without WITH CHECK: USING is the check for new rows of INSERT and UPDATE.
        expect(await attempt(c, `UPDATE t_all SET tenant_id = '${TENANT_B}'`)).toEqual({ code: '42501' });
        expect(await attempt(c, `INSERT INTO t_all VALUES (3, '${TENANT_B}')`)).toEqual({ code: '42501' });
        expectOk(await attempt(c, `INSERT INTO t_all VALUES (3, '${TENANT_A}')`), 1);
        // UPDATE without WITH CHECK: USING is the check.
        expect(await attempt(c, `UPDATE t_cmd SET tenant_id = '${TENANT_B}'`)).toEqual({ code: '42501' });
        expectOk(await attempt(c, `UPDATE t_cmd SET id = 10`), 1);
        // INSERT policy without WITH CHECK: no insert passes, not even the tenant's own row.
        expect(await attempt(c, `INSERT INTO t_cmd VALUES (3, '${TENANT_A}')`)).toEqual({ code: '42501' });
        // Restrictive policies and no permissive one: nothing is admitted.
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM t_restrictive')).toEqual([]);
        expect(await attempt(c, `INSERT INTO t_restrictive VALUES (3, '${TENANT_A}')`)).toEqual({ code: '42501' });
      });
    });
  });

  it("5. current_setting('app.current_tenant') unset raises 42704; with missing_ok it is NULL (no rows); after SET then RESET it is '', and ''::uuid raises 22P02", async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(`
        CREATE TABLE strict_t (tenant_id uuid NOT NULL);
        CREATE TABLE lenient_t (tenant_id uuid NOT NULL);
        ALTER TABLE strict_t ENABLE ROW LEVEL SECURITY;
        ALTER TABLE lenient_t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p ON strict_t USING (${PIN});
        CREATE POLICY p ON lenient_t USING (tenant_id = current_setting('app.current_tenant', true)::uuid);
        GRANT SELECT ON strict_t, lenient_t TO app_user;
        INSERT INTO strict_t VALUES ('${TENANT_A}'), ('${TENANT_B}');
        INSERT INTO lenient_t VALUES ('${TENANT_A}'), ('${TENANT_B}');`);
      // A fresh session: the setting has never been defined.
      expect(await sqlstate(db.query(`SELECT current_setting('app.current_tenant')`))).toBe('42704');
      expect((await db.query(`SELECT current_setting('app.current_tenant', true) AS v`)).rows).toEqual([{ v: null }]);
      await db.asRole('app_user', {}, async (c) => {
        expect(await attempt(c, 'SELECT tenant_id FROM strict_t')).toEqual({ code: '42704' });
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM lenient_t')).toEqual([]);
      });
      await db.query(`SET app.current_tenant = '${TENANT_A}'`);
      await db.query('RESET app.current_tenant');
      expect((await db.query(`SELECT current_setting('app.current_tenant') AS v`)).rows).toEqual([{ v: '' }]);
      expect((await db.query(`SELECT current_setting('app.current_tenant', true) AS v`)).rows).toEqual([{ v: '' }]);
      expect(await sqlstate(db.query(`SELECT ''::uuid`))).toBe('22P02');
      await db.asRole('app_user', {}, async (c) => {
        expect(await attempt(c, 'SELECT tenant_id FROM strict_t')).toEqual({ code: '22P02' });
        expect(await attempt(c, 'SELECT tenant_id FROM lenient_t')).toEqual({ code: '22P02' });
      });
    });
  });

  it("6. SET LOCAL app.current_tenant = $1 is a syntax error (42601); SELECT set_config('app.current_tenant', $1, true) works", async () => {
    await withScratchDatabase(async (db) => {
      await db.query('BEGIN');
      try {
        expect(await sqlstate(db.query('SET LOCAL app.current_tenant = $1', [TENANT_A]))).toBe('42601');
        await db.query('ROLLBACK');
        await db.query('BEGIN');
        expect((await db.query(`SELECT set_config('app.current_tenant', $1, true) AS v`, [TENANT_A])).rows).toEqual([{ v: TENANT_A }]);
        expect((await db.query(`SELECT current_setting('app.current_tenant') AS v`)).rows).toEqual([{ v: TENANT_A }]);
      } finally {
        await db.query('ROLLBACK');
      }
    });
  });

  it('7. a partition queried directly applies only its own RLS: without RLS it shows every tenant even when its parent is forced and has policies', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(`
        CREATE TABLE events (tenant_id uuid NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        ALTER TABLE events ENABLE ROW LEVEL SECURITY;
        ALTER TABLE events FORCE ROW LEVEL SECURITY;
        CREATE POLICY p ON events USING (${PIN});
        GRANT SELECT ON events, events_2025 TO app_user;
        INSERT INTO events VALUES ('${TENANT_A}', '2025-03-01'), ('${TENANT_B}', '2025-04-01');`);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events')).toEqual([TENANT_A]);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events_2025')).toEqual([TENANT_A, TENANT_B]);
      await db.query(`ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON events_2025 USING (${PIN});`);
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM events_2025')).toEqual([TENANT_A]);
    });
  });

  it("8. SECURITY DEFINER with an unpinned or pg_temp-less search_path and unqualified names reads the caller's temporary table", async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      const fn = (name: string, set: string) => `
        CREATE FUNCTION ${name}() RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER ${set}
        AS $$ BEGIN RETURN QUERY SELECT label FROM secrets; END $$;`;
      await db.query(`
        CREATE TABLE secrets (label text);
        INSERT INTO secrets VALUES ('real');
        ${fn('unpinned', '')}
        ${fn('empty_path', "SET search_path = ''")}
        ${fn('public_only', 'SET search_path = public')}
        ${fn('temp_last', 'SET search_path = public, pg_temp')}`);
      await db.asRole('app_user', {}, async (c) => {
        await c.query(`CREATE TEMP TABLE secrets (label text); INSERT INTO secrets VALUES ('forged')`);
        const call = async (name: string) => (await c.query<{ v: string }>(`SELECT public.${name}() AS v`)).rows.map((r) => r.v);
        expect(await call('unpinned')).toEqual(['forged']);
        expect(await call('empty_path')).toEqual(['forged']);
        expect(await call('public_only')).toEqual(['forged']);
        expect(await call('temp_last')).toEqual(['real']);
      });
    });
  });

  it('9. an UPDATE with WHERE or RETURNING must also pass the SELECT policies with its new row; one without does not, so an unpinned write check moves rows to another tenant', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(`
        ${NOTES.replace(`USING (${PIN});`, `USING (${PIN}) WITH CHECK (true);`)}
        ${SEED}`);
      await db.asRole('app_user', { 'app.current_tenant': TENANT_A }, async (c) => {
        expect(await attempt(c, `UPDATE notes SET tenant_id = '${TENANT_B}' WHERE id = 1`)).toEqual({ code: '42501' });
        expect(await attempt(c, `UPDATE notes SET tenant_id = '${TENANT_B}' RETURNING id`)).toEqual({ code: '42501' });
        expectOk(await attempt(c, `UPDATE notes SET tenant_id = '${TENANT_B}'`), 1);
        expect(await tenantsSeen(c, 'SELECT tenant_id FROM notes')).toEqual([]);
        expect(await allTenants(c, 'notes')).toEqual([TENANT_B, TENANT_B]);
      });
    });
  });

  it('10. CREATE MATERIALIZED VIEW over a forced table fails for a non-superuser owner with no tenant set; run by a superuser it stores every tenant\'s rows, never filtered again', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await applyMigration(db, `${NOTES} ALTER TABLE notes FORCE ROW LEVEL SECURITY;`, 'mig_owner');
      await db.query(SEED);
      expect(await sqlstate(applyMigration(db, 'CREATE MATERIALIZED VIEW notes_owner_mv AS SELECT id, tenant_id FROM notes;', 'mig_owner'))).toBe('42704');
      await db.query('RESET ROLE');
      await applyMigration(db, 'CREATE MATERIALIZED VIEW notes_mv AS SELECT id, tenant_id FROM notes; GRANT SELECT ON notes_mv TO app_user;');
      expect(await seenBy(db, 'app_user', TENANT_A, 'SELECT tenant_id FROM notes_mv')).toEqual([TENANT_A, TENANT_B]);
      expect(await sqlstate(db.query('ALTER TABLE notes_mv ENABLE ROW LEVEL SECURITY'))).toBe('42809');
    });
  });
});

