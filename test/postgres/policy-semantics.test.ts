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
import { describe, expect, it } from 'vitest';
import { checkSql } from '../support/check-sql.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { ROLES_SQL, TENANT_A, TENANT_B, attempt } from './helpers.js';

const SETTING = 'app.current_tenant';
const CTX = `current_setting('${SETTING}')`;
const CTX_OK = `current_setting('${SETTING}', true)`;

interface Case {
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

const PIN = `tenant_id = ${CTX}::uuid`;
const CASES: Case[] = [
  { name: 'pinned USING and WITH CHECK', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'pinned, missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX_OK}::uuid);` },
  { name: 'pinned through NULLIF for the empty state', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  { name: 'USING (true)', policies: 'CREATE POLICY p ON t TO app_user USING (true);' },
  { name: 'open WITH CHECK under pinned USING', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (true);` },
  { name: 'OR-ed bypass setting', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR current_setting('app.bypass', true) = 'on');`, bypass: { 'app.bypass': ['on'] } },
  { name: 'IS NULL fallback for an unset tenant', policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} IS NULL OR tenant_id = ${CTX_OK}::uuid);` },
  { name: "empty-string fallback", policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} = '' OR tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  { name: "magic literal 'all' on the setting", policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK} = 'all' OR tenant_id = nullif(${CTX_OK}, '')::uuid);` },
  // tenant_id is uuid: as text it is never 'all', so the branch admits nothing in every state.
  { name: "magic literal compared with the uuid column as text (never true)", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK} OR tenant_id::text = 'all');` },
  { name: 'text comparison of the column with the setting', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK});` },
  { name: 'a row flag for reads only', policies: `CREATE POLICY r ON t FOR SELECT TO app_user USING (is_public OR ${PIN});\nCREATE POLICY w ON t FOR INSERT TO app_user WITH CHECK (${PIN});` },
  { name: 'per-command policies, UPDATE check open', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (${PIN}) WITH CHECK (true);` },
  // An open UPDATE check is harmless when no state lets USING reach a row at all.
  { name: 'UPDATE check open but USING admits nothing', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (false) WITH CHECK (true);` },
  { name: 'DELETE open, SELECT pinned', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY d ON t FOR DELETE TO app_user USING (true);` },
  { name: 'restrictive pin over a permissive true', policies: `CREATE POLICY open ON t TO app_user USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE TO app_user USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'restrictive pin for SELECT only over a permissive true', policies: `CREATE POLICY open ON t TO app_user USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE FOR SELECT TO app_user USING (${PIN});` },
  { name: 'no policy for the app (deny all)', policies: `CREATE POLICY p ON t TO mig_owner USING (${PIN});` },
  // The owner: with FORCE, policies TO PUBLIC apply to it as well.
  { name: 'TO PUBLIC pinned, FORCE', policies: `CREATE POLICY p ON t USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'open policy for the owner only, FORCE', policies: `CREATE POLICY app ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});\nCREATE POLICY own ON t TO mig_owner USING (true);` },
  { name: "the setting compared with a literal tenant ('servicetenant')", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX_OK} OR ${CTX_OK} = 'servicetenant');` },
  { name: 'COALESCE(..., true) for an unset tenant', policies: `CREATE POLICY p ON t TO app_user USING (coalesce(tenant_id = nullif(${CTX_OK}, '')::uuid, true));` },
  { name: 'UPDATE USING open, check pinned, SELECT pinned', policies: `CREATE POLICY s ON t FOR SELECT TO app_user USING (${PIN});\nCREATE POLICY u ON t FOR UPDATE TO app_user USING (true) WITH CHECK (${PIN});` },
  { name: 'restrictive pin TO PUBLIC covers the owner', policies: `CREATE POLICY app ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});\nCREATE POLICY own ON t TO mig_owner USING (true);\nCREATE POLICY pin ON t AS RESTRICTIVE USING (${PIN}) WITH CHECK (${PIN});` },
  { name: 'no FORCE: the owner bypasses', policies: `CREATE POLICY p ON t TO app_user USING (${PIN}) WITH CHECK (${PIN});`, noForce: true },
  // Session states in which PostgreSQL raises before a branch could open the table (issue item 1).
  { name: 'IS NULL of a setting read without missing_ok (raises when unset)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX} IS NULL OR ${PIN});` },
  { name: "a magic literal after a pin whose cast raises on it ('all'::uuid)", policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX} = 'all');` },
  { name: 'a magic literal before the pin (reached first)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX} = 'all' OR ${PIN});` },
  { name: "an empty-setting branch after a pin whose cast raises on ''", policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX} = '');` },
  { name: "an empty-setting branch after a text comparison (no raise)", policies: `CREATE POLICY p ON t TO app_user USING (tenant_id::text = ${CTX} OR ${CTX} = '');` },
  { name: 'the setting cast to uuid IS NULL, without missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (${CTX}::uuid IS NULL OR ${PIN});` },
  { name: 'the setting cast to uuid IS NULL, with missing_ok (NULL when unset)', policies: `CREATE POLICY p ON t TO app_user USING (${CTX_OK}::uuid IS NULL OR ${PIN});` },
  { name: "NULLIF(setting, '') IS NULL (NULL when empty)", policies: `CREATE POLICY p ON t TO app_user USING (nullif(${CTX}, '') IS NULL OR ${PIN});` },
  { name: 'COALESCE falling back to the row\'s own key', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = coalesce(nullif(${CTX_OK}, '')::uuid, tenant_id));` },
  { name: "CASE that answers false for the empty setting", policies: `CREATE POLICY p ON t TO app_user USING (CASE WHEN ${CTX} = '' THEN false ELSE ${PIN} END);` },
  { name: 'a nil-uuid service tenant compared after the cast', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR ${CTX_OK}::uuid = '00000000-0000-0000-0000-000000000000');`, literals: ['00000000-0000-0000-0000-000000000000'] },
  { name: 'a bypass setting read without missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (${PIN} OR current_setting('app.bypass') = 'on');`, bypass: { 'app.bypass': ['on'] } },
  { name: 'a bypass setting cast to boolean first', policies: `CREATE POLICY p ON t TO app_user USING (current_setting('app.bypass')::boolean OR ${PIN});`, bypass: { 'app.bypass': ['on'] } },
  { name: "a conjunction that raises before the magic literal", policies: `CREATE POLICY p ON t TO app_user USING ((${CTX} <> '' AND ${PIN}) OR ${CTX} = 'all');` },
  { name: 'a negated inequality', policies: `CREATE POLICY p ON t TO app_user USING (NOT (tenant_id <> ${CTX}::uuid));` },
  { name: 'IS NOT DISTINCT FROM the setting with missing_ok', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id IS NOT DISTINCT FROM ${CTX_OK}::uuid);` },
  // Integer and text tenant keys: 'all'::int raises like 'all'::uuid; text never raises.
  { name: "int tenant: a magic literal after a pin whose cast raises ('all'::int)", tenantType: 'int', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX}::int OR ${CTX} = 'all');` },
  { name: 'int tenant: 0 as a service tenant', tenantType: 'int', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX}::int OR ${CTX}::int = 0);`, literals: ['0'] },
  { name: "text tenant: a magic literal after the pin (nothing raises)", tenantType: 'text', policies: `CREATE POLICY p ON t TO app_user USING (tenant_id = ${CTX} OR ${CTX} = 'all');` },
  { name: "text tenant: an empty-setting CASE", tenantType: 'text', policies: `CREATE POLICY p ON t TO app_user USING (CASE WHEN ${CTX} = '' THEN false ELSE tenant_id = ${CTX} END);` },
];

/** The states a session of `role` can be in, as settings to apply. */
function states(c: Case): { label: string; settings: Record<string, string> }[] {
  const out: { label: string; settings: Record<string, string> }[] = [
    { label: 'own tenant', settings: { [SETTING]: tenants(c).a } },
    { label: 'empty', settings: { [SETTING]: '' } },
  ];
  for (const literal of ['all', '*', 'servicetenant', ...(c.literals ?? [])]) out.push({ label: `literal ${literal}`, settings: { [SETTING]: literal } });
  for (const [name, values] of Object.entries(c.bypass ?? {})) {
    for (const v of values) out.push({ label: `own tenant + ${name}=${v}`, settings: { [SETTING]: tenants(c).a, [name]: v } });
  }
  return out;
}

/** Tenant B's row as the superuser sees it inside the current transaction. */
async function truthOfB(c: pg.Client): Promise<{ present: boolean; body: string | null; tenant: string | null }> {
  // tenant_id read as text, whatever its type.
  await c.query('SAVEPOINT truth');
  await c.query('SET LOCAL ROLE NONE');
  const { rows } = await c.query<{ body: string; tenant_id: string }>('SELECT body, tenant_id::text AS tenant_id FROM t WHERE id = 2');
  await c.query('ROLLBACK TO SAVEPOINT truth');
  return { present: rows.length > 0, body: rows[0]?.body ?? null, tenant: rows[0]?.tenant_id ?? null };
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
  return !b.present || b.body !== 'b' || b.tenant !== tenantB;
}

/** Every way `role` reaches tenant B's row, or moves tenant A's row, in any state: [] when safe. */
async function leaks(db: ScratchDatabase, role: string, c: Case): Promise<string[]> {
  const found: string[] = [];
  const { a: A, b: B } = tenants(c);
  const changed = (client: pg.Client, sql: string) => changedB(client, sql, B);
  const probe = async (label: string, client: pg.Client) => {
      const tag = (what: string) => found.push(`${role} ${label}: ${what}`);
      const select = await attempt(client, 'SELECT id FROM t WHERE id = 2');
      if (select.code === 'ok' && select.rowCount > 0) tag('reads B');
      const insert = await attempt(client, `INSERT INTO t (id, tenant_id, body) VALUES (3, '${B}', 'planted')`);
      if (insert.code === 'ok') tag('inserts for B');
      if (await changed(client, "UPDATE t SET body = 'x' WHERE id = 2")) tag('updates B (WHERE)');
      if (await changed(client, "UPDATE t SET body = 'x'")) tag('updates B (no WHERE)');
      if (await changed(client, 'DELETE FROM t WHERE id = 2')) tag('deletes B (WHERE)');
      if (await changed(client, 'DELETE FROM t')) tag('deletes B (no WHERE)');
      if (await changed(client, `UPDATE t SET tenant_id = '${A}'`)) tag('pulls B into A');
      const move = await attempt(client, `UPDATE t SET tenant_id = '${B}' WHERE id = 1 RETURNING id`);
      if (move.code === 'ok' && move.rowCount > 0) tag('moves its row to B (WHERE)');
      if (await movedA(client, B)) tag('moves its rows to B (no WHERE)');
  };
  for (const state of states(c)) await db.asRole(role, state.settings, (client) => probe(state.label, client));
  // Never set: a fresh connection (after a transaction-local set_config, a session holds '' instead).
  const fresh = new pgClient({ connectionString: db.url });
  await fresh.connect();
  try {
    await fresh.query('BEGIN');
    await fresh.query(`SET LOCAL ROLE ${role}`);
    await probe('never set', fresh);
  } finally {
    await fresh.query('ROLLBACK').catch(() => {});
    await fresh.end();
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

function migration(c: Case): string {
  return `CREATE TABLE t (id int PRIMARY KEY, tenant_id ${c.tenantType ?? 'uuid'} NOT NULL, body text, is_public boolean NOT NULL DEFAULT false);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
${c.noForce ? '' : 'ALTER TABLE t FORCE ROW LEVEL SECURITY;'}
${c.policies}
GRANT SELECT, INSERT, UPDATE, DELETE ON t TO app_user;`;
}

describe('policy semantics: check agrees with PostgreSQL', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const sql = migration(c);
    const observed = await withScratchDatabase(async (db) => {
      await db.query(ROLES_SQL);
      await db.query(`SET ROLE mig_owner;\n${sql}\nRESET ROLE;`);
      // Tenant B's row is flagged public: a row flag admits it to everyone, as the analysis says.
      await db.query(`INSERT INTO t (id, tenant_id, body, is_public) VALUES (1, '${tenants(c).a}', 'a', false), (2, '${tenants(c).b}', 'b', true)`);
      return [...(await leaks(db, 'app_user', c)), ...(await leaks(db, 'mig_owner', c))];
    });
    const errors = (await checkSql(sql, { appRoles: ['app_user'], migrationRole: 'mig_owner' })).filter((f) => f.severity === 2).map((f) => `${f.ruleId}@${f.location.line}`);
    // Exactly one of: it leaks and check has an error, or it is safe and check has none.
    const detail = `observed on PostgreSQL: ${observed.length ? observed.slice(0, 4).join('; ') : 'no leak'} | check errors: ${errors.join(', ') || 'none'}`;
    expect(errors.length > 0, detail).toBe(observed.length > 0);
  });
});
