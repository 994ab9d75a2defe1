/**
 * The database `verify` applies migrations to: an in-process PGlite (PostgreSQL compiled to WASM),
 * or a scratch database given by URL.
 *
 * Two sessions. The admin session (a superuser's) creates the owner role, seeds and probes (each
 * probe path switches role per transaction). The migrations run in the owner session, which must
 * never hold a superuser's rights. By URL it is a second connection that logs in as the owner role
 * itself (with a one-time password, never printed), so a migration's `RESET ROLE`, `SET ROLE
 * postgres` or `SET SESSION AUTHORIZATION` gets no further than PostgreSQL lets the owner go.
 * PGlite has one session, whose user is the superuser `postgres`: there the owner is entered with
 * `SET ROLE`, apply.ts gives role switches the meaning they have for a login owner, and checks
 * that nothing escaped (PGlite has no shell and no host filesystem to escape to).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { PGlite, type Extension } from '@electric-sql/pglite';
import pg from 'pg';
import { ProbeConnectionError } from '../probe/probe.js';
import { redactSecrets } from '../probe/redact.js';
import { connectRedacted, pgSession, type ProbeSession } from '../probe/session.js';
import { quoteIdent } from '../probe/values.js';

export interface VerifyDatabase {
  engine: 'pglite' | 'postgres';
  session: ProbeSession;
  /** Runs SQL in the admin session with the simple protocol. */
  exec(sql: string): Promise<void>;
  /** Opens the session the migrations run in, as `owner` (a role the admin session created). */
  openOwnerSession(owner: string): Promise<OwnerSession>;
  close(): Promise<void>;
}

export interface OwnerSession {
  /** Logged in as the owner (by URL), or the owner entered with SET ROLE in a superuser session (PGlite). */
  loggedIn: boolean;
  /** Runs one migration statement as the owner, simple protocol. */
  exec(sql: string): Promise<void>;
  /** Runs a statement the owner may not (a role with attributes) in the admin session. */
  execAsAdmin(sql: string): Promise<void>;
  /** Does the session hold a superuser's rights now (a statement escaped the owner role)? */
  isSuperuser(): Promise<boolean>;
  /** Back to the owner role, outside any transaction (after a file, or an escape). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** The PGlite contrib module (`@electric-sql/pglite/contrib/<module>`) of an extension, when PGlite ships one. */
export function pgliteContribModule(extension: string): string | null {
  const module = extension.toLowerCase().replace(/-/g, '_');
  if (!/^[a-z0-9_]+$/.test(module)) return null;
  try {
    createRequire(import.meta.url).resolve(`@electric-sql/pglite/contrib/${module}`);
    return module;
  } catch {
    return null;
  }
}

/**
 * PGlite's contrib extensions (pgcrypto, uuid-ossp, citext, ...) must be passed to
 * `PGlite.create`, so the extensions the migrations create are named up front; one PGlite does not
 * ship makes its CREATE EXTENSION fail, reported like any failed statement.
 */
export async function openPglite(extensions: readonly string[] = []): Promise<VerifyDatabase> {
  const loaded: Record<string, Extension> = {};
  for (const name of extensions) {
    const module = pgliteContribModule(name);
    if (!module || loaded[module]) continue;
    const exports = (await import(`@electric-sql/pglite/contrib/${module}`)) as Record<string, Extension>;
    if (exports[module]) loaded[module] = exports[module];
  }
  const db = await PGlite.create({ extensions: loaded });
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
    async openOwnerSession(owner) {
      const asOwner = `SET ROLE ${quoteIdent(owner)}`;
      await db.exec(asOwner);
      return {
        loggedIn: false,
        exec: async (sql) => {
          await db.exec(sql);
        },
        async execAsAdmin(sql) {
          await db.exec('RESET ROLE');
          try {
            await db.exec(sql);
          } finally {
            await db.exec(asOwner).catch(() => {});
          }
        },
        async isSuperuser() {
          const { rows } = await db.query<{ su: string }>(`SELECT current_setting('is_superuser') AS su`);
          return rows[0]?.su === 'on';
        },
        async restore() {
          await db.exec('ROLLBACK').catch(() => {});
          await db.exec(`RESET SESSION AUTHORIZATION; ${asOwner}`);
        },
        async close() {
          await db.exec('ROLLBACK').catch(() => {});
          await db.exec('RESET SESSION AUTHORIZATION; RESET ROLE');
        },
      };
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
  let ownerClient: pg.Client | null = null;
  return {
    engine: 'postgres',
    session: pgSession(client),
    async exec(sql) {
      await client.query(sql);
    },
    async openOwnerSession(owner) {
      // LOGIN with a password used once and never printed: the owner session's session user is the
      // owner, so RESET ROLE cannot reach the superuser the admin session logged in as.
      const password = randomBytes(24).toString('base64url');
      await client.query(`ALTER ROLE ${quoteIdent(owner)} LOGIN PASSWORD '${password}'`);
      const u = new URL(url);
      u.username = owner;
      u.password = password;
      const ownerUrl = u.toString();
      const revoke = () => client.query(`ALTER ROLE ${quoteIdent(owner)} NOLOGIN PASSWORD NULL`).catch(() => {});
      try {
        ownerClient = await connectRedacted(ownerUrl, 'rls-guard verify (migrations)');
      } catch (error) {
        await revoke();
        throw new ProbeConnectionError(redactSecrets(redactSecrets(`verify --url: cannot log in as the owner role ${owner} it created (pg_hba.conf must allow password logins for it on this database): ${(error as Error).message}`, ownerUrl), url));
      }
      const session = ownerClient;
      return {
        loggedIn: true,
        exec: async (sql) => {
          await session.query(sql);
        },
        execAsAdmin: async (sql) => {
          await client.query(sql);
        },
        async isSuperuser() {
          const { rows } = await session.query<{ su: string }>(`SELECT current_setting('is_superuser') AS su`);
          return rows[0]?.su === 'on';
        },
        async restore() {
          await session.query('ROLLBACK').catch(() => {});
          await session.query('RESET ROLE').catch(() => {});
        },
        async close() {
          await session.end().catch(() => {});
          ownerClient = null;
          await revoke();
        },
      };
    },
    async close() {
      if (ownerClient) await ownerClient.end().catch(() => {});
      await client.end();
    },
  };
}
