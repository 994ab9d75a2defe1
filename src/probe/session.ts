/**
 * The one database session a probe runs on: a `pg` client connected as the app role (`probe`), or
 * a superuser PGlite / scratch session that switches role per transaction (`verify`).
 */
import pg from 'pg';
import { redactSecrets } from './redact.js';

/** The database cannot be reached (or is not what the command needs): exit code 2. */
export class ProbeConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeConnectionError';
  }
}

export interface QueryOutcome<R> {
  rows: R[];
  /** Rows written by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export interface ProbeSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryOutcome<R>>;
}

/** The SQLSTATE and message of a database error (pg and PGlite both carry `code`). */
export interface SqlError {
  sqlState: string | null;
  message: string;
}

export function toSqlError(error: unknown): SqlError {
  const e = error as { code?: unknown; message?: unknown };
  const sqlState = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  return { sqlState, message: typeof e?.message === 'string' ? e.message : String(error) };
}

export function pgSession(client: pg.Client | pg.PoolClient): ProbeSession {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await client.query<R>(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * Opens a node-postgres connection for probe and verify. A failure becomes a ProbeConnectionError
 * whose message never shows the password in `url`.
 */
export async function connectRedacted(url: string, applicationName: string, connectTimeoutMs = 10_000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: applicationName });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new ProbeConnectionError(redactSecrets(`cannot connect to ${url}: ${toSqlError(error).message}`, url));
  }
  return client;
}
