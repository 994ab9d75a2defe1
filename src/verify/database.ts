/**
 * The database `verify` applies migrations to: an in-process PGlite (PostgreSQL compiled to WASM),
 * or a scratch database given by URL. Either way the session is a superuser's; the migrations run
 * as a non-superuser owner role (`SET ROLE`) and each probe path switches role per transaction.
 */
import { PGlite } from '@electric-sql/pglite';
import { ProbeConnectionError } from '../probe/probe.js';
import { redactSecrets } from '../probe/redact.js';
import { connectRedacted, pgSession, type ProbeSession } from '../probe/session.js';

export interface VerifyDatabase {
  engine: 'pglite' | 'postgres';
  session: ProbeSession;
  /** Runs one statement with the simple protocol (a migration statement: no parameters). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPglite(): Promise<VerifyDatabase> {
  const db = await PGlite.create();
  return {
    engine: 'pglite',
    session: {
      async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
        const result = await db.query<R>(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
      },
    },
    async exec(sql) {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

/** A scratch database by URL. It must be empty (verify creates tables and roles) and the user a superuser. */
export async function openScratch(url: string): Promise<VerifyDatabase> {
  const client = await connectRedacted(url, 'rls-guard verify');
  const fail = async (message: string): Promise<never> => {
    await client.end().catch(() => {});
    throw new ProbeConnectionError(redactSecrets(message, url));
  };
  const facts = await client.query<{ superuser: boolean; tables: number }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_%') AS tables`,
  );
  if (!facts.rows[0]?.superuser) await fail(`verify --url ${url}: the user must be a superuser of a scratch database (verify creates roles and switches to them)`);
  if ((facts.rows[0]?.tables ?? 0) > 0) await fail(`verify --url ${url}: the database is not empty; verify applies the migrations from scratch and needs an empty scratch database`);
  return {
    engine: 'postgres',
    session: pgSession(client),
    async exec(sql) {
      await client.query(sql);
    },
    close: () => client.end(),
  };
}
