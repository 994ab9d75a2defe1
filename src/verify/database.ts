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
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite, type Extension } from '@electric-sql/pglite';
import pg from 'pg';
import { ProbeConnectionError } from '../probe/probe.js';
import { redactSecrets } from '../probe/redact.js';
import { connectRedacted, pgSession, type ProbeSession } from '../probe/session.js';
import { quoteIdent } from '../probe/values.js';
import { cacheDisabledByEnv, defaultCacheLocation } from '../sql/parse-cache.js';

export interface VerifyDatabase {
  engine: 'pglite' | 'postgres';
  session: ProbeSession;
  /** Runs SQL in the admin session with the simple protocol. */
  exec(sql: string): Promise<void>;
  /** Opens the session the migrations run in, as `owner` (a role the admin session created). */
  openOwnerSession(owner: string): Promise<OwnerSession>;
  /** The scratch database verify created (`--create-database`), or null. */
  createdDatabase: string | null;
  /**
   * Closes. With `cleanup` (by URL): drops the database verify created, else what the roles this
   * run created own in the scratch database; then those roles (roles are cluster-wide).
   */
  close(options?: { cleanup?: boolean }): Promise<CleanupResult>;
}

export interface CleanupResult {
  droppedDatabase: string | null;
  droppedRoles: string[];
  /** Roles the run created that could not be dropped (they own objects elsewhere). */
  keptRoles?: string[];
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
 * PGlite's settings for verify: a scratch database of a few thousand small tables needs no 128 MB
 * buffer cache (PGlite's default), and each buffer is WASM memory the process keeps.
 */
const PGLITE_CONF = ['shared_buffers = 16MB', 'fsync = off', 'synchronous_commit = off', 'full_page_writes = off'];

/** PGlite's version, read from its package.json (which its `exports` do not expose). */
function pgliteVersion(): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
      }
      const parent = dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'unknown';
  }
}

/**
 * A freshly initialized PGlite data directory, made once per PGlite version in the cache directory
 * (`node_modules/.cache/rls-guard/pglite-<version>`): initdb is most of PGlite's start-up (about 5 s
 * here), copying its result takes milliseconds. Made in a temporary directory and renamed into
 * place, so concurrent runs never see half of one (without a package.json above the working
 * directory, in the temp directory). Null when the cache is off (RLS_GUARD_CACHE=0) or unwritable:
 * each run then runs initdb itself.
 */
async function pgliteTemplate(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (cacheDisabledByEnv(env)) return null;
  const configured = env.RLS_GUARD_CACHE_LOCATION?.trim();
  const cacheDir = configured || defaultCacheLocation(process.cwd()) || join(tmpdir(), `rls-guard-pglite-${process.getuid?.() ?? 'user'}`);
  const template = join(cacheDir, `pglite-${pgliteVersion()}`);
  if (existsSync(join(template, '.rls-guard-complete'))) return template;
  let building: string | null = null;
  try {
    mkdirSync(cacheDir, { recursive: true });
    building = mkdtempSync(`${template}.tmp-`);
    const db = await PGlite.create({ dataDir: building, postgresqlconf: PGLITE_CONF });
    await db.close();
    writeFileSync(join(building, '.rls-guard-complete'), '');
    try {
      renameSync(building, template);
      building = null;
    } catch {
      // Another run put its template in place first: use that one.
    }
    return existsSync(join(template, '.rls-guard-complete')) ? template : null;
  } catch {
    return null;
  } finally {
    if (building) rmSync(building, { recursive: true, force: true });
  }
}

/** A PGlite on a private copy of the template in the temp directory (removed on close), or in memory. */
async function createPglite(extensions: Record<string, Extension>): Promise<{ db: PGlite; dataDir: string | null }> {
  const template = await pgliteTemplate();
  const dataDir = mkdtempSync(join(tmpdir(), 'rls-guard-verify-'));
  try {
    if (template) cpSync(template, dataDir, { recursive: true });
    const db = await PGlite.create({ dataDir, extensions, postgresqlconf: PGLITE_CONF, relaxedDurability: true });
    return { db, dataDir };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
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
  const { db, dataDir } = await createPglite(loaded);
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
    createdDatabase: null,
    async close() {
      try {
        await db.close();
      } finally {
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
      return { droppedDatabase: null, droppedRoles: [] };
    },
  };
}

export interface ScratchOptions {
  /** Create a fresh database `rls_guard_<hex>` on the URL's server and apply there. */
  createDatabase?: boolean;
}

/**
 * A scratch database by URL. The user must be a superuser (verify creates roles); the database
 * must be empty, unless verify creates its own (`createDatabase`).
 */
export async function openScratch(adminUrl: string, options: ScratchOptions = {}): Promise<VerifyDatabase> {
  let url = adminUrl;
  let client = await connectRedacted(url, 'rls-guard verify');
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
  let createdDatabase: string | null = null;
  if (options.createDatabase) {
    createdDatabase = `rls_guard_${randomBytes(6).toString('hex')}`;
    await client.query(`CREATE DATABASE ${createdDatabase}`);
    await client.end();
    const u = new URL(adminUrl);
    u.pathname = `/${createdDatabase}`;
    url = u.toString();
    client = await connectRedacted(url, 'rls-guard verify');
  } else if ((facts.rows[0]?.tables ?? 0) > 0) {
    await fail(`verify --url ${url}: the database is not empty; verify applies the migrations from scratch and needs an empty scratch database (or --create-database)`);
  }
  // Roles are cluster-wide: the ones there before the run are not this run's to drop.
  const rolesBefore = new Set((await client.query<{ rolname: string }>('SELECT rolname::text AS rolname FROM pg_roles')).rows.map((r) => r.rolname));
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
    createdDatabase,
    async close(close = {}) {
      if (ownerClient) await ownerClient.end().catch(() => {});
      if (!close.cleanup) {
        await client.end();
        return { droppedDatabase: null, droppedRoles: [] };
      }
      const made = (await client.query<{ rolname: string }>('SELECT rolname::text AS rolname FROM pg_roles ORDER BY 1')).rows.map((r) => r.rolname).filter((r) => !rolesBefore.has(r));
      // What the roles own here, and their privileges, go with them (in a database verify made, with the database).
      if (made.length > 0 && !createdDatabase) await client.query(`DROP OWNED BY ${made.map(quoteIdent).join(', ')} CASCADE`);
      await client.end();
      const admin = await connectRedacted(adminUrl, 'rls-guard verify (cleanup)');
      try {
        if (createdDatabase) await admin.query(`DROP DATABASE IF EXISTS ${createdDatabase} WITH (FORCE)`);
        const dropped: string[] = [];
        const kept: string[] = [];
        for (const role of made) {
          // A role that owns objects in another database (the run's migrations reached further) stays, named.
          const ok = await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`).then(() => true, () => false);
          (ok ? dropped : kept).push(role);
        }
        return { droppedDatabase: createdDatabase, droppedRoles: dropped, ...(kept.length ? { keptRoles: kept } : {}) };
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };
}
