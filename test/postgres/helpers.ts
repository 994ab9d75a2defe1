/**
 * Shared pieces of the real-PostgreSQL tests: two tenants, the roles a migration runs against,
 * and small probes that turn PostgreSQL's answers into values a test can assert exactly.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { checkSql } from '../support/check-sql.js';
import type { ScratchDatabase } from '../support/pg.js';
import type { RlsGuardConfig } from '../../src/config.js';

export const TENANT_A = '00000000-0000-0000-0000-00000000000a';
export const TENANT_B = '00000000-0000-0000-0000-00000000000b';

/** The app role, and a non-superuser migration role that owns what it creates (RLS applies to it only under FORCE). */
export const ROLES_SQL = `
  CREATE ROLE app_user NOLOGIN;
  CREATE ROLE mig_owner NOLOGIN;
  GRANT ALL ON SCHEMA public TO mig_owner;
  GRANT USAGE ON SCHEMA public TO app_user;`;

/** The config every leak test lints with: the application connects as app_user. */
export const APP_CONFIG: Partial<RlsGuardConfig> = { appRoles: ['app_user'] };

/** 1-based line of the only line of `sql` that contains `needle` (throws unless exactly one does). */
export function lineOf(sql: string, needle: string): number {
  const lines = sql.split('\n');
  const found = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (found.length !== 1) throw new Error(`lineOf: ${JSON.stringify(needle)} is on ${found.length} lines`);
  return found[0]!;
}

type Migrations = string | Record<string, string>;

/** The findings of one rule as `{ ruleId, at: 'file:line' }`, the exact shape the leak tests assert. */
export async function findings(ruleId: string, sql: Migrations, config: Partial<RlsGuardConfig> = APP_CONFIG): Promise<{ ruleId: string; at: string }[]> {
  return (await checkSql(sql, config)).filter((f) => f.ruleId === ruleId).map((f) => ({ ruleId: f.ruleId, at: `${f.location.file}:${f.location.line}` }));
}

/** Every error-severity finding, as `ruleId@file:line`: a fixed migration must have none. */
export async function errors(sql: Migrations, config: Partial<RlsGuardConfig> = APP_CONFIG): Promise<string[]> {
  return (await checkSql(sql, config)).filter((f) => f.severity === 2).map((f) => `${f.ruleId}@${f.location.file}:${f.location.line}`);
}

/** A safe tenant table: NOT NULL tenant column, RLS enabled and forced, one policy pinning reads and writes, DML only for the app. */
export function safeTable(name: string, extraColumns = 'body text'): string {
  return `CREATE TABLE ${name} (
  id int PRIMARY KEY,
  tenant_id uuid NOT NULL,
  ${extraColumns}
);
ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;
CREATE POLICY ${name}_tenant ON ${name}
  USING (tenant_id = current_setting('app.current_tenant')::uuid)
  WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${name} TO app_user;`;
}

/** One row per tenant in `table(id, tenant_id)`: id 1 for tenant A, id 2 for tenant B (as the superuser). */
export function seedTwoTenants(db: ScratchDatabase, table: string): Promise<unknown> {
  return db.query(`INSERT INTO ${table} (id, tenant_id) VALUES (1, '${TENANT_A}'), (2, '${TENANT_B}')`);
}

/** Applies migration SQL as `role` (SET ROLE from the superuser connection), or as the superuser. */
export async function applyMigration(db: ScratchDatabase, sql: string, role?: string): Promise<void> {
  await db.query(role ? `SET ROLE ${role};\n${sql}\nRESET ROLE;` : sql);
}

/** The SQLSTATE a statement fails with, or 'ok'. For statements outside a transaction. */
export async function sqlstate(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'ok';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code) throw error;
    return code;
  }
}

export type Attempt = { code: 'ok'; rowCount: number; rows: Record<string, unknown>[] } | { code: string };

/** Runs a statement inside the current transaction under a savepoint: its result, or its SQLSTATE (and the transaction goes on). */
export async function attempt(client: pg.Client, sql: string, params?: unknown[]): Promise<Attempt> {
  await client.query('SAVEPOINT probe');
  try {
    const result = await client.query(sql, params);
    await client.query('RELEASE SAVEPOINT probe');
    return { code: 'ok', rowCount: result.rowCount ?? 0, rows: result.rows };
  } catch (error) {
    const code = (error as { code?: string }).code;
    await client.query('ROLLBACK TO SAVEPOINT probe');
    if (!code) throw error;
    return { code };
  }
}

/** Tenant ids of the rows `sql` returns (it must select a `tenant_id` column), sorted. */
export async function tenantsSeen(client: pg.Client, sql: string): Promise<string[]> {
  const { rows } = await client.query<{ tenant_id: string | null }>(sql);
  return rows.map((r) => r.tenant_id ?? 'NULL').sort();
}

/** Tenant ids of every row of `table` as the superuser sees them, inside the current transaction (RLS-free ground truth). */
export async function allTenants(client: pg.Client, table: string): Promise<string[]> {
  await client.query('SAVEPOINT truth');
  await client.query('SET LOCAL ROLE NONE');
  const seen = await tenantsSeen(client, `SELECT tenant_id FROM ${table}`);
  await client.query('ROLLBACK TO SAVEPOINT truth');
  return seen;
}

/** What `role` sees of `table` with the tenant context set to `tenant`. */
export function seenBy(db: ScratchDatabase, role: string, tenant: string, sql: string): Promise<string[]> {
  return db.asRole(role, { 'app.current_tenant': tenant }, (c) => tenantsSeen(c, sql));
}

export function expectOk(result: Attempt, rowCount?: number): void {
  expect(result.code).toBe('ok');
  if (rowCount !== undefined) expect((result as { rowCount: number }).rowCount).toBe(rowCount);
}
