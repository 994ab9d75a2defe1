/**
 * A multi-tenant schema with one of each defect the probe must find, on the real test server,
 * with login roles that have passwords: the application role, a BYPASSRLS role and the owner.
 */
import pg from 'pg';
import type { ScratchDatabase } from '../support/pg.js';

export const PASSWORDS = {
  app: 'app-Secret-9f3k',
  owner: 'owner-Secret-2mq7',
  bypass: 'bypass-Secret-x81z',
};

export function roleUrl(db: ScratchDatabase, role: string, password: string): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

const pinned = `tenant_id = current_setting('app.current_tenant')::int`;

/** Creates the roles and a clean table `docs` (RLS, FORCE, pinned policy) owned by `probe_owner`. */
export async function createCleanSchema(db: ScratchDatabase): Promise<void> {
  await db.query(`
    CREATE ROLE probe_owner LOGIN PASSWORD '${PASSWORDS.owner}';
    CREATE ROLE probe_app LOGIN PASSWORD '${PASSWORDS.app}';
    CREATE ROLE probe_bypass LOGIN BYPASSRLS PASSWORD '${PASSWORDS.bypass}';
    GRANT CREATE ON SCHEMA public TO probe_owner;
    SET ROLE probe_owner;
    CREATE TABLE docs (id serial PRIMARY KEY, tenant_id int NOT NULL, body text NOT NULL);
    ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
    ALTER TABLE docs FORCE ROW LEVEL SECURITY;
    CREATE POLICY docs_tenant ON docs USING (${pinned}) WITH CHECK (${pinned});
    GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO probe_app, probe_bypass;
    GRANT USAGE ON SEQUENCE docs_id_seq TO probe_app;
    RESET ROLE;
    INSERT INTO docs (tenant_id, body) VALUES (1, 'one'), (2, 'two'), (2, 'two again');`);
}

/** Adds the defects: a fail-open policy, a view without security_invoker, a partition without RLS, TRUNCATE. */
export async function addDefects(db: ScratchDatabase): Promise<void> {
  await db.query(`
    SET ROLE probe_owner;
    -- Fail-open: a bypass switch OR-ed into the policy; not FORCEd, so the owner bypasses it.
    CREATE TABLE notes (id serial PRIMARY KEY, tenant_id int NOT NULL, body text NOT NULL);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    CREATE POLICY notes_tenant ON notes
      USING (tenant_id = current_setting('app.current_tenant', true)::int OR current_setting('app.bypass_rls', true) = 'on')
      WITH CHECK (tenant_id = current_setting('app.current_tenant', true)::int);
    GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON notes TO probe_app;
    -- A view owned by the table owner over an unforced table, without security_invoker.
    CREATE VIEW notes_view AS SELECT id, tenant_id, body FROM notes;
    CREATE VIEW docs_view AS SELECT id, tenant_id FROM docs;
    ALTER VIEW docs_view SET (security_invoker = true);
    GRANT SELECT ON notes_view, docs_view TO probe_app;
    -- A forced, pinned partitioned parent with one partition that never got RLS.
    CREATE TABLE events (tenant_id int NOT NULL, kind text NOT NULL) PARTITION BY LIST (tenant_id);
    CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
    CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
    ALTER TABLE events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events FORCE ROW LEVEL SECURITY;
    ALTER TABLE events_1 ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events_1 FORCE ROW LEVEL SECURITY;
    CREATE POLICY events_tenant ON events USING (${pinned}) WITH CHECK (${pinned});
    CREATE POLICY events_1_tenant ON events_1 USING (${pinned}) WITH CHECK (${pinned});
    GRANT SELECT, INSERT ON events, events_1, events_2 TO probe_app;
    RESET ROLE;
    INSERT INTO notes (tenant_id, body) VALUES (1, 'n1'), (2, 'n2');
    INSERT INTO events VALUES (1, 'a'), (2, 'b'), (2, 'c');`);
}

/** A digest of every row of every table and the sequences: equal before and after means nothing changed. */
export async function checksum(db: ScratchDatabase): Promise<string> {
  const tables = await db.query<{ name: string; kind: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'S') AND n.nspname = 'public' ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const t of tables.rows) {
    const sql =
      t.kind === 'S'
        ? `SELECT last_value::text || is_called::text AS d FROM ${t.name}`
        : `SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), 'empty') AS d FROM ${t.name} x`;
    parts.push(`${t.name}=${(await db.query<{ d: string }>(sql)).rows[0]!.d}`);
  }
  const policies = await db.query<{ d: string }>(`SELECT md5(string_agg(format('%s %s %s', polname, polrelid, pg_get_expr(polqual, polrelid)), '|' ORDER BY polname)) AS d FROM pg_policy`);
  parts.push(`policies=${policies.rows[0]!.d}`);
  return parts.join('\n');
}

export { pg };
