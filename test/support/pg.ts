/**
 * Scratch databases on the test PostgreSQL server.
 *
 * Roles are cluster-wide, and scenarios create fixed role names (`app_user`, `kahn_app`), so a
 * scratch database holds a cluster-wide advisory lock while it lives: tests that touch PostgreSQL
 * run one at a time across worker processes, and every role they create is dropped afterwards.
 */
import pg from 'pg';
import { inject } from 'vitest';

export interface ScratchDatabase {
  /** Superuser connection string for the scratch database. */
  url: string;
  name: string;
  /** Runs SQL as the superuser in the scratch database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * Runs `fn` in a transaction as `role` (`SET LOCAL ROLE`), with `settings` applied as
   * transaction-local settings (`set_config(name, value, true)`), and always rolls back.
   */
  asRole<T>(role: string, settings: Record<string, string>, fn: (client: pg.Client) => Promise<T>): Promise<T>;
}

export function testDatabaseUrl(database?: string): string {
  const url = new URL(inject('pgUrl'));
  if (database) url.pathname = `/${database}`;
  return url.toString();
}

let counter = 0;

export async function withScratchDatabase<T>(fn: (db: ScratchDatabase) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query('SELECT pg_advisory_lock(727274)');
  const name = `rlsg_${process.pid}_${Date.now()}_${counter++}`;
  const rolesBefore = new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  await admin.query(`CREATE DATABASE ${name}`);
  const client = new pg.Client({ connectionString: testDatabaseUrl(name) });
  await client.connect();
  client.on('error', () => {});
  const db: ScratchDatabase = {
    url: testDatabaseUrl(name),
    name,
    query: (sql, params) => client.query(sql, params as unknown[]),
    async asRole(role, settings, body) {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL ROLE ${pg.escapeIdentifier(role)}`);
        for (const [key, value] of Object.entries(settings)) {
          await client.query('SELECT set_config($1, $2, true)', [key, value]);
        }
        return await body(client);
      } finally {
        await client.query('ROLLBACK');
      }
    },
  };
  try {
    return await fn(db);
  } finally {
    await client.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const roles = (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname);
    for (const role of roles) {
      if (!rolesBefore.has(role)) await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
    await admin.query('SELECT pg_advisory_unlock(727274)');
    await admin.end();
  }
}
