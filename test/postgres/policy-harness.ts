/**
 * Differential test of policy semantics: for each policy shape, PostgreSQL decides whether the
 * table leaks (app role or owner, in any session state, through any command form), and check must
 * agree: an error finding on the table exactly when it leaks.
 *
 * Session states (issue "Exact policy semantics"): the own tenant set; that plus a custom setting
 * someone can SET; the tenant set to a literal a policy compares with; empty (''); never set.
 * Commands: SELECT; INSERT; UPDATE and DELETE with and without WHERE; moving an own row to
 * another tenant; pulling every row into the own tenant.
 */
import pg from 'pg';

const pgClient = pg.Client;
import { checkSql } from '../support/check-sql.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, attempt } from './helpers.js';

export const SETTING = 'app.current_tenant';
export const CTX = `current_setting('${SETTING}')`;
export const CTX_OK = `current_setting('${SETTING}', true)`;

export interface Case {
  name: string;
  /** Policy statements on table t (id int, tenant_id uuid NOT NULL, body text, is_public boolean). */
  policies: string;
  /** No FORCE: the owner bypasses (default: FORCE on). */
  noForce?: boolean;
  /** Settings besides the tenant setting a session could set, with the values to try. */
  bypass?: Record<string, string[]>;
  /** More literals to try as the tenant setting (besides 'all', '*', 'servicetenant'). */
  literals?: string[];
  /** The type of tenant_id (default uuid). */
  tenantType?: keyof typeof TENANTS;
}

/** Tenant A's and B's keys for each tenant column type. */
const TENANTS = {
  uuid: { a: TENANT_A, b: TENANT_B },
  int: { a: '1', b: '2' },
  text: { a: 'acme', b: 'globex' },
} as const;
const tenants = (c: Case) => TENANTS[c.tenantType ?? 'uuid'];

export const PIN = `tenant_id = ${CTX}::uuid`;
/**
 * The states a session of `role` can be in, as settings to apply on a fresh connection. Each base
 * state comes twice: with the other settings never set (NULL with missing_ok), and with them
 * holding '' (what a pooled connection holds once any transaction set them locally).
 */
function states(c: Case): { label: string; settings: Record<string, string> }[] {
  const base: { label: string; settings: Record<string, string> }[] = [
    { label: 'own tenant', settings: { [SETTING]: tenants(c).a } },
    { label: 'empty', settings: { [SETTING]: '' } },
    { label: 'never set', settings: {} },
  ];
  for (const literal of ['all', '*', 'servicetenant', ...(c.literals ?? [])]) base.push({ label: `literal ${literal}`, settings: { [SETTING]: literal } });
  const others = Object.keys(c.bypass ?? {});
  const out = [...base];
  if (others.length > 0) for (const b of base) out.push({ label: `${b.label}, others ''`, settings: { ...b.settings, ...Object.fromEntries(others.map((o) => [o, ''])) } });
  for (const [name, values] of Object.entries(c.bypass ?? {})) {
    for (const v of values) out.push({ label: `own tenant + ${name}=${v}`, settings: { [SETTING]: tenants(c).a, [name]: v } });
  }
  return out;
}

/** Tenant B's row as the superuser sees it inside the current transaction. */
async function truthOfB(c: pg.Client): Promise<{ present: boolean; body: string | null; tenant: string | null }[]> {
  // tenant_id read as text, whatever its type.
  await c.query('SAVEPOINT truth');
  await c.query('SET LOCAL ROLE NONE');
  const { rows } = await c.query<{ id: number; body: string; tenant_id: string }>('SELECT id, body, tenant_id::text AS tenant_id FROM t WHERE id IN (2, 5)');
  await c.query('ROLLBACK TO SAVEPOINT truth');
  return [2, 5].map((id) => {
    const row = rows.find((r) => r.id === id);
    return { present: !!row, body: row?.body ?? null, tenant: row?.tenant_id ?? null };
  });
}

async function changedB(c: pg.Client, sql: string, tenantB: string): Promise<boolean> {
  await c.query('SAVEPOINT cmd');
  try {
    await c.query(sql);
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT cmd');
    return false;
  }
  const b = await truthOfB(c);
  await c.query('ROLLBACK TO SAVEPOINT cmd');
  return b.some((row) => !row.present || row.body !== 'b' || row.tenant !== tenantB);
}

/** Every way `role` reaches tenant B's row, or moves tenant A's row, in any state: [] when safe. */
async function leaks(db: ScratchDatabase, role: string, c: Case): Promise<string[]> {
  const found: string[] = [];
  const { a: A, b: B } = tenants(c);
  const changed = (client: pg.Client, sql: string) => changedB(client, sql, B);
  const probe = async (label: string, client: pg.Client) => {
      const tag = (what: string) => found.push(`${role} ${label}: ${what}`);
      const select = await attempt(client, 'SELECT id FROM t WHERE id IN (2, 5)');
      if ('rowCount' in select && select.rowCount > 0) tag('reads B');
      for (const flag of [false, true]) {
        const insert = await attempt(client, `INSERT INTO t (id, tenant_id, body, is_public) VALUES (${flag ? 4 : 3}, '${B}', 'planted', ${flag})`);
        if (insert.code === 'ok') tag(`inserts for B${flag ? ' (is_public)' : ''}`);
      }
      if (await changed(client, "UPDATE t SET body = 'x' WHERE id IN (2, 5)")) tag('updates B (WHERE)');
      if (await changed(client, "UPDATE t SET body = 'x'")) tag('updates B (no WHERE)');
      if (await changed(client, 'DELETE FROM t WHERE id IN (2, 5)')) tag('deletes B (WHERE)');
      if (await changed(client, 'DELETE FROM t')) tag('deletes B (no WHERE)');
      if (await changed(client, `UPDATE t SET tenant_id = '${A}'`)) tag('pulls B into A');
      const move = await attempt(client, `UPDATE t SET tenant_id = '${B}' WHERE id = 1 RETURNING id`);
      if ('rowCount' in move && move.rowCount > 0) tag('moves its row to B (WHERE)');
      if (await movedA(client, B)) tag('moves its rows to B (no WHERE)');
  };
  for (const state of states(c)) {
    const client = new pgClient({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${role}`);
      for (const [key, value] of Object.entries(state.settings)) await client.query('SELECT set_config($1, $2, true)', [key, value]);
      await probe(state.label, client);
    } finally {
      await client.query('ROLLBACK').catch(() => {});
      await client.end();
    }
  }
  return found;
}

/** Does `UPDATE t SET tenant_id = B` (no WHERE, no RETURNING) move tenant A's row? */
async function movedA(c: pg.Client, B: string): Promise<boolean> {
  await c.query('SAVEPOINT cmd');
  try {
    await c.query(`UPDATE t SET tenant_id = '${B}'`);
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT cmd');
    return false;
  }
  await c.query('SAVEPOINT truth');
  await c.query('SET LOCAL ROLE NONE');
  const { rows } = await c.query<{ tenant_id: string }>('SELECT tenant_id::text AS tenant_id FROM t WHERE id = 1');
  await c.query('ROLLBACK TO SAVEPOINT truth');
  await c.query('ROLLBACK TO SAVEPOINT cmd');
  return rows[0]?.tenant_id === B;
}

export function migration(c: Case): string {
  return `CREATE TABLE t (id int PRIMARY KEY, tenant_id ${c.tenantType ?? 'uuid'} NOT NULL, body text, is_public boolean NOT NULL DEFAULT false);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
${c.noForce ? '' : 'ALTER TABLE t FORCE ROW LEVEL SECURITY;'}
${c.policies}
GRANT SELECT, INSERT, UPDATE, DELETE ON t TO app_user;`;
}

/** What PostgreSQL shows for the case (every leak, as "role state: what"), and check's error findings. */
export async function judge(c: Case): Promise<{ observed: string[]; errors: string[] }> {
  const sql = migration(c);
  const observed = await withScratchDatabase(async (db) => {
    await db.query(ROLES_SQL);
    await db.query(`SET ROLE mig_owner;\n${sql}\nRESET ROLE;`);
    // Tenant B has a row flagged public (a row flag admits it to everyone, as the analysis says)
    // and a private one (a policy that admits only unflagged rows reaches it).
    await db.query(`INSERT INTO t (id, tenant_id, body, is_public) VALUES (1, '${tenants(c).a}', 'a', false), (2, '${tenants(c).b}', 'b', true), (5, '${tenants(c).b}', 'b', false)`);
    return [...(await leaks(db, 'app_user', c)), ...(await leaks(db, 'mig_owner', c))];
  });
  const errors = (await checkSql(sql, { appRoles: ['app_user'], migrationRole: 'mig_owner' })).filter((f) => f.severity === 2).map((f) => `${f.ruleId}@${f.location.line}`);
  return { observed, errors };
}
