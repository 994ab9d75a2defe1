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
}

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
];

/** The states a session of `role` can be in, as settings to apply. */
function states(c: Case): { label: string; settings: Record<string, string> }[] {
  const out: { label: string; settings: Record<string, string> }[] = [
    { label: 'own tenant', settings: { [SETTING]: TENANT_A } },
    { label: 'empty', settings: { [SETTING]: '' } },
  ];
  for (const literal of ['all', '*', 'servicetenant']) out.push({ label: `literal ${literal}`, settings: { [SETTING]: literal } });
  for (const [name, values] of Object.entries(c.bypass ?? {})) {
    for (const v of values) out.push({ label: `own tenant + ${name}=${v}`, settings: { [SETTING]: TENANT_A, [name]: v } });
  }
  return out;
}

/** Tenant B's row as the superuser sees it inside the current transaction. */
async function truthOfB(c: pg.Client): Promise<{ present: boolean; body: string | null; tenant: string | null }> {
  await c.query('SAVEPOINT truth');
  await c.query('SET LOCAL ROLE NONE');
  const { rows } = await c.query<{ body: string; tenant_id: string }>('SELECT body, tenant_id FROM t WHERE id = 2');
  await c.query('ROLLBACK TO SAVEPOINT truth');
  return { present: rows.length > 0, body: rows[0]?.body ?? null, tenant: rows[0]?.tenant_id ?? null };
}

async function changedB(c: pg.Client, sql: string): Promise<boolean> {
  await c.query('SAVEPOINT cmd');
  try {
    await c.query(sql);
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT cmd');
    return false;
  }
  const b = await truthOfB(c);
  await c.query('ROLLBACK TO SAVEPOINT cmd');
  return !b.present || b.body !== 'b' || b.tenant !== TENANT_B;
}

/** Every way `role` reaches tenant B's row, or moves tenant A's row, in any state: [] when safe. */
async function leaks(db: ScratchDatabase, role: string, c: Case): Promise<string[]> {
  const found: string[] = [];
  const probe = async (label: string, client: pg.Client) => {
      const tag = (what: string) => found.push(`${role} ${label}: ${what}`);
      const select = await attempt(client, 'SELECT id FROM t WHERE id = 2');
      if (select.code === 'ok' && select.rowCount > 0) tag('reads B');
      const insert = await attempt(client, `INSERT INTO t (id, tenant_id, body) VALUES (3, '${TENANT_B}', 'planted')`);
      if (insert.code === 'ok') tag('inserts for B');
      if (await changedB(client, "UPDATE t SET body = 'x' WHERE id = 2")) tag('updates B (WHERE)');
      if (await changedB(client, "UPDATE t SET body = 'x'")) tag('updates B (no WHERE)');
      if (await changedB(client, 'DELETE FROM t WHERE id = 2')) tag('deletes B (WHERE)');
      if (await changedB(client, 'DELETE FROM t')) tag('deletes B (no WHERE)');
      if (await changedB(client, `UPDATE t SET tenant_id = '${TENANT_A}'`)) tag('pulls B into A');
      const move = await attempt(client, `UPDATE t SET tenant_id = '${TENANT_B}' WHERE id = 1 RETURNING id`);
      if (move.code === 'ok' && move.rowCount > 0) tag('moves its row to B (WHERE)');
      if (await movedA(client)) tag('moves its rows to B (no WHERE)');
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
async function movedA(c: pg.Client): Promise<boolean> {
  await c.query('SAVEPOINT cmd');
  try {
    await c.query(`UPDATE t SET tenant_id = '${TENANT_B}'`);
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT cmd');
    return false;
  }
  await c.query('SAVEPOINT truth');
  await c.query('SET LOCAL ROLE NONE');
  const { rows } = await c.query<{ tenant_id: string }>('SELECT tenant_id FROM t WHERE id = 1');
  await c.query('ROLLBACK TO SAVEPOINT truth');
  await c.query('ROLLBACK TO SAVEPOINT cmd');
  return rows[0]?.tenant_id === TENANT_B;
}

function migration(c: Case): string {
  return `CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text, is_public boolean NOT NULL DEFAULT false);
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
      await db.query(`INSERT INTO t (id, tenant_id, body, is_public) VALUES (1, '${TENANT_A}', 'a', false), (2, '${TENANT_B}', 'b', true)`);
      return [...(await leaks(db, 'app_user', c)), ...(await leaks(db, 'mig_owner', c))];
    });
    const errors = (await checkSql(sql, { appRoles: ['app_user'], migrationRole: 'mig_owner' })).filter((f) => f.severity === 2).map((f) => `${f.ruleId}@${f.location.line}`);
    // Exactly one of: it leaks and check has an error, or it is safe and check has none.
    const detail = `observed on PostgreSQL: ${observed.length ? observed.slice(0, 4).join('; ') : 'no leak'} | check errors: ${errors.join(', ') || 'none'}`;
    expect(errors.length > 0, detail).toBe(observed.length > 0);
  });
});
