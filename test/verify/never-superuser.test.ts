/**
 * verify never runs a migration as a superuser (issue "probe and verify", item 6): by URL the
 * migrations run in a session that logged in as the owner role verify created, so RESET ROLE and
 * COPY ... TO PROGRAM get no further than that role; on PGlite (one superuser session) role
 * switches mean what they mean for a login owner, and an escape is caught and reported. A role
 * statement run in the admin session instead is echoed with its password redacted.
 */
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { verifyCommand } from '../../src/verify/command.js';
import { runVerify } from '../../src/verify/verify.js';
import { withScratchDatabase } from '../support/pg.js';
import { migrationProject } from '../support/migration-project.js';
import { captureIo } from '../support/capture-io.js';

const PASSWORD = 'hunter2-never-printed';

const project = (files: Record<string, string>) => migrationProject('rls-guard-verify-su-', files);

const TABLE = `CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON notes USING (tenant_id = current_setting('app.current_tenant', true)::uuid);
`;

describe('verify never runs migrations as a superuser', () => {
  it('by URL: RESET ROLE returns to the owner, COPY TO PROGRAM and a predefined-role grant fail and are reported', async () => {
    const marker = join(realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-marker-'))), 'escaped');
    const dir = project({
      '001_init.sql': `${TABLE}CREATE ROLE app_user NOLOGIN;\nGRANT SELECT ON notes TO app_user;\n`,
      '002_escape.sql': `RESET ROLE;\nCREATE TABLE after_reset (id int);\nCOPY (SELECT 1) TO PROGRAM 'touch ${marker}';\nGRANT pg_execute_server_program TO rls_guard_owner;\n`,
    });
    await withScratchDatabase(async (db) => {
      const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }), url: db.url });
      expect(existsSync(marker)).toBe(false);
      const failures = result.migrations.failures.filter((f) => f.file.endsWith('002_escape.sql'));
      expect(failures.map((f) => [f.line, f.sqlState])).toEqual([
        [3, '42501'],
        [4, '42501'],
      ]);
      expect(result.migrations.appliedAsSuperuser).toEqual([]);
      // What RESET ROLE returned to is the owner: the table after it is the owner's.
      const owner = await db.query(`SELECT tableowner FROM pg_tables WHERE tablename = 'after_reset'`);
      expect(owner.rows).toEqual([{ tableowner: 'rls_guard_owner' }]);
      const member = await db.query(`SELECT pg_has_role('rls_guard_owner', 'pg_execute_server_program', 'MEMBER') AS m`);
      expect(member.rows).toEqual([{ m: false }]);
      expect(result.ok).toBe(false);
    });
  });

  it('on PGlite: RESET ROLE means the owner, SET ROLE to a superuser is caught, SET SESSION AUTHORIZATION refused', async () => {
    const dir = project({
      '001_init.sql': `${TABLE}CREATE ROLE app_user NOLOGIN;\nGRANT SELECT ON notes TO app_user;\n`,
      '002_switch.sql': `RESET ROLE;\nCREATE TABLE after_reset (id int);\nSET SESSION AUTHORIZATION postgres;\nSET ROLE postgres;\nCREATE TABLE as_superuser (id int);\n`,
      '003_after.sql': 'CREATE TABLE later (id int);\n',
    });
    const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(result.engine).toBe('pglite');
    const failures = result.migrations.failures.map((f) => [f.file.split('/').pop(), f.line, f.sqlState]);
    expect(failures).toEqual([
      ['002_switch.sql', 3, '42501'],
      ['002_switch.sql', 4, '42501'],
    ]);
    expect(result.migrations.failures[1]!.message).toContain("left the owner role and holds a superuser's rights");
    expect(result.ok).toBe(false);
  });

  it('a role the migrations create with BYPASSRLS is created by the admin session, its password never printed', async () => {
    const dir = project({
      '001_init.sql': `${TABLE}CREATE ROLE app_user LOGIN BYPASSRLS PASSWORD '${PASSWORD}';\nGRANT SELECT ON notes TO app_user;\n`,
    });
    const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(result.migrations.failures).toEqual([]);
    expect(result.migrations.appliedAsSuperuser.map((a) => a.statement)).toEqual(["CREATE ROLE app_user LOGIN BYPASSRLS PASSWORD '***'"]);
    // The probe then finds what the attribute does: the app role bypasses every policy.
    expect(result.role).toMatchObject({ name: 'app_user', bypassRls: true });
    for (const format of ['text', 'json']) {
      const io = captureIo();
      expect(await verifyCommand([dir, '--format', format], io)).toBe(1);
      expect(io.out + io.err).not.toContain(PASSWORD);
    }
  });

  it('on PGlite: loads the contrib extensions the migrations create (pgcrypto, uuid-ossp, citext)', async () => {
    const dir = project({
      '001_init.sql': `CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION citext;
CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL DEFAULT uuid_generate_v4(), email citext, digest bytea DEFAULT digest('x', 'sha256'));
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON notes USING (tenant_id = current_setting('app.current_tenant', true)::uuid);
CREATE ROLE app_user NOLOGIN;
GRANT SELECT ON notes TO app_user;
`,
    });
    const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(result.migrations.failures).toEqual([]);
    expect(result.seed).toEqual([expect.objectContaining({ table: 'public.notes', seeded: true })]);
  });

  it('SUPERUSER is never granted: not in CREATE ROLE, not to the owner by ALTER ROLE', async () => {
    const dir = project({
      '001_init.sql': `${TABLE}CREATE ROLE app_user NOLOGIN;\nGRANT SELECT ON notes TO app_user;\nCREATE ROLE boss SUPERUSER;\nALTER ROLE rls_guard_owner SUPERUSER;\n`,
    });
    const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(result.migrations.failures.map((f) => [f.line, f.sqlState])).toEqual([
      [7, '42501'],
      [8, '42501'],
    ]);
    expect(result.migrations.appliedAsSuperuser).toEqual([]);
  });
});

describe('verify --url cleanup', () => {
  const roles = async (db: { query: (sql: string) => Promise<{ rows: { rolname: string }[] }> }) =>
    (await db.query(`SELECT rolname::text AS rolname FROM pg_roles WHERE rolname IN ('rls_guard_owner', 'app_user', 'migrator') ORDER BY 1`)).rows.map((r) => r.rolname);

  it('--create-database applies to a database it creates and, by default, drops it and the roles it made', async () => {
    const dir = project({ '001_init.sql': `${TABLE}CREATE ROLE app_user NOLOGIN;\nCREATE ROLE migrator NOLOGIN BYPASSRLS;\nGRANT SELECT ON notes TO app_user;\n` });
    await withScratchDatabase(async (db) => {
      // A table already here: --create-database does not need this database empty.
      await db.query('CREATE TABLE unrelated (id int)');
      const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }), url: db.url, createDatabase: true });
      expect(result.migrations.failures).toEqual([]);
      expect(result.database.created).toMatch(/^rls_guard_[0-9a-f]{12}$/);
      expect(result.database.cleanup).toEqual({ droppedDatabase: result.database.created, droppedRoles: ['app_user', 'migrator', 'rls_guard_owner'] });
      const left = await db.query(`SELECT count(*)::int AS n FROM pg_database WHERE datname = '${result.database.created}'`);
      expect(left.rows).toEqual([{ n: 0 }]);
      expect(await roles(db)).toEqual([]);
    });
  });

  it('--cleanup on a given scratch database drops what the run made there, and its roles; --no-cleanup keeps them', async () => {
    const dir = project({ '001_init.sql': `${TABLE}CREATE ROLE app_user NOLOGIN;\nGRANT SELECT ON notes TO app_user;\n` });
    await withScratchDatabase(async (db) => {
      const kept = captureIo();
      expect(await verifyCommand([dir, '--url', db.url, '--no-cleanup'], kept)).toBe(0);
      expect(await roles(db)).toEqual(['app_user', 'rls_guard_owner']);
    });
    await withScratchDatabase(async (db) => {
      const io = captureIo();
      expect(await verifyCommand([dir, '--url', db.url, '--cleanup'], io)).toBe(0);
      expect(io.out).toContain('cleanup: dropped role(s) app_user, rls_guard_owner');
      expect(await roles(db)).toEqual([]);
      const tables = await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`);
      expect(tables.rows).toEqual([{ n: 0 }]);
      const bad = captureIo();
      expect(await verifyCommand([dir, '--cleanup'], bad)).toBe(2);
      expect(bad.err).toBe('rls-guard verify: --cleanup needs --url (PGlite leaves nothing behind)\n');
    });
  });
});
