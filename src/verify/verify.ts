/**
 * `rls-guard verify`: ground truth for the migrations. Applies them to a fresh PostgreSQL (PGlite
 * in process, or a scratch database) as a non-superuser owner role, seeds two tenants' rows into
 * every tenant table, probes each table as each app role and as the owner, and compares what it
 * observed with the static verdict of `check`.
 */
import type { ResolvedConfig } from '../config.js';
import { runCheck } from '../check.js';
import type { Finding } from '../findings.js';
import { discoverGatedMigrations } from '../migrations/discover.js';
import { configuredMaxFileBytes } from '../migrations/read.js';
import { readTables, type TableRow } from '../probe/catalog.js';
import { runProbe } from '../probe/probe.js';
import type { ProbeCheck, RoleReport } from '../probe/types.js';
import { quoteIdent } from '../probe/values.js';
import { loadSqlParser } from '../sql/parse.js';
import { PRESETS } from '../presets/index.js';
import { applyMigrations, applyPrelude, readMigrations, rolesCreatedBy, type AppliedMigrations } from './apply.js';
import { openPglite, openScratch, type CleanupResult, type VerifyDatabase } from './database.js';
import { seedTenantTables, type SeedOutcome } from './seed.js';
import { parseScript, type ParsedScript } from '../sql/parse.js';

export const OWNER_ROLE = 'rls_guard_owner';

export interface VerifyOptions {
  paths: string[];
  config: ResolvedConfig;
  /** A scratch database (superuser URL, empty database); PGlite when absent. */
  url?: string;
  /** Let a history with no migration pass (every path must still exist). */
  allowEmpty?: boolean;
  /** Files larger than this are reported and not applied; default `configuredMaxFileBytes()`. */
  maxFileBytes?: number;
  /** With `url`: create a fresh database on that server and apply there. */
  createDatabase?: boolean;
  /** With `url`: drop what the run made (its database, or what its roles own; then its roles). Default: with `createDatabase`. */
  cleanup?: boolean;
}

export interface VerifyCheck extends ProbeCheck {
  /** `app role <name>` or `owner <name>`. */
  path: string;
}

export interface VerifyTable {
  table: string;
  tenantColumn: string | null;
  rlsEnabled: boolean;
  forceRls: boolean;
  seeded: boolean;
  /** Each leak prefixed with the path that leaked: `app role app_user: ...`, `owner rls_guard_owner: ...`. */
  leaks: string[];
  checks: VerifyCheck[];
}

export interface Disagreement {
  table: string;
  /** `check-missed`: verify observed a leak no check error names; `not-observed`: check's error did not show. */
  kind: 'check-missed' | 'not-observed';
  message: string;
}

export interface VerifyResult {
  engine: 'pglite' | 'postgres';
  migrations: Pick<AppliedMigrations, 'files' | 'statements' | 'failures' | 'appliedAsSuperuser'>;
  owner: string;
  /** Why the owner path was not probed (the platform's migration role bypasses RLS by design), or null. */
  ownerNotProbed: string | null;
  /** The first app role's facts (the shape `probe` prints); every path's facts are in `roles`. */
  role: (RoleReport & { path: string }) | null;
  roles: (RoleReport & { path: string })[];
  seed: SeedOutcome[];
  tables: VerifyTable[];
  disagreements: Disagreement[];
  /** With `--url`: the database verify created, and what `--cleanup` dropped (null: nothing dropped). */
  database: { created: string | null; cleanup: CleanupResult | null };
  ok: boolean;
}

/**
 * The owner role the migrations run as, and the app roles. Where a preset's migration role
 * bypasses RLS (Supabase's `postgres`), the owner gets BYPASSRLS too, and rights on what the
 * platform created (schemas, tables, functions), as the platform's migration role has.
 */
async function prepareRoles(db: VerifyDatabase, appRoles: readonly string[], createdByMigrations: Set<string>, platform: { ownerBypassesRls: boolean; schemas: string[] }): Promise<void> {
  const s = db.session;
  const exists = async (role: string) => (await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rows.length > 0;
  if (!(await exists(OWNER_ROLE))) await s.query(`CREATE ROLE ${OWNER_ROLE} NOLOGIN CREATEROLE`);
  await s.query(`ALTER ROLE ${OWNER_ROLE} ${platform.ownerBypassesRls ? 'BYPASSRLS' : 'NOBYPASSRLS'}`);
  const database = (await s.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  await s.query(`GRANT CREATE, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${OWNER_ROLE}`);
  await s.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${OWNER_ROLE}`);
  for (const schema of platform.schemas) {
    const q = quoteIdent(schema);
    await s.query(`GRANT USAGE, CREATE ON SCHEMA ${q} TO ${OWNER_ROLE}`);
    await s.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${q} TO ${OWNER_ROLE}`);
    await s.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${q} TO ${OWNER_ROLE}`);
    await s.query(`GRANT ALL ON ALL FUNCTIONS IN SCHEMA ${q} TO ${OWNER_ROLE}`);
  }
  for (const role of appRoles) {
    if (createdByMigrations.has(role.toLowerCase()) || (await exists(role))) continue;
    await s.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
  }
}

/** App roles: the configured ones, else every role the migrations granted table privileges to. */
async function appRolesToProbe(db: VerifyDatabase, config: ResolvedConfig): Promise<string[]> {
  if (config.appRoles.length > 0) {
    const present = await db.session.query<{ rolname: string }>('SELECT rolname::text AS rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1', [config.appRoles]);
    return present.rows.map((r) => r.rolname);
  }
  const { rows } = await db.session.query<{ rolname: string }>(
    `SELECT DISTINCT r.rolname::text AS rolname
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL aclexplode(c.relacl) a
       JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND r.rolname <> $1 AND a.grantee <> c.relowner AND NOT r.rolname = ANY($2::text[])
      ORDER BY 1`,
    [OWNER_ROLE, config.allowBypassRoles],
  );
  return rows.map((r) => r.rolname);
}

const DEFAULT_ACL_OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

/**
 * The prelude's ALTER DEFAULT PRIVILEGES ran as the superuser, so they apply to what the superuser
 * creates; on the platform they apply to what its migration role creates (Supabase: postgres).
 * The same defaults are given to the owner role the migrations run as here.
 */
async function inheritDefaultPrivileges(db: VerifyDatabase, owner: string): Promise<void> {
  const { rows } = await db.session.query<{ schema: string | null; objtype: string; grantee: string | null; privilege: string }>(
    `SELECT n.nspname::text AS schema, d.defaclobjtype::text AS objtype,
            CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END AS grantee, a.privilege_type::text AS privilege
       FROM pg_default_acl d
       LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
      CROSS JOIN LATERAL aclexplode(d.defaclacl) a
      WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
  );
  for (const r of rows) {
    const objects = DEFAULT_ACL_OBJECTS[r.objtype];
    if (!objects) continue;
    const inSchema = r.schema ? ` IN SCHEMA ${quoteIdent(r.schema)}` : '';
    const grantee = r.grantee === null ? 'PUBLIC' : quoteIdent(r.grantee);
    await db.exec(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)}${inSchema} GRANT ${r.privilege} ON ${objects} TO ${grantee}`);
  }
}

export const PLATFORM_OWNER_ROLE = 'rls_guard_platform';

/**
 * The platform's tables belong to its service roles (Supabase: supabase_auth_admin,
 * supabase_storage_admin), and its migration role has their owner's rights: projects' migrations
 * create policies on storage.objects and triggers on auth.users. Here they are owned by a NOLOGIN
 * role the owner the migrations run as is a member of, never by a superuser.
 */
async function shareOwnership(db: VerifyDatabase, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  const s = db.session;
  if ((await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [PLATFORM_OWNER_ROLE])).rows.length === 0) await s.query(`CREATE ROLE ${PLATFORM_OWNER_ROLE} NOLOGIN`);
  // Foreign-key checks on its tables run as their owner, which needs its schemas.
  for (const schema of new Set(tables.map((t) => t.split('.')[0]!))) await s.query(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${PLATFORM_OWNER_ROLE}`);
  for (const table of tables) {
    const [schema, name] = table.split('.') as [string, string];
    await s.query(`ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(name)} OWNER TO ${PLATFORM_OWNER_ROLE}`);
  }
  await s.query(`GRANT ${PLATFORM_OWNER_ROLE} TO ${OWNER_ROLE}`);
}

/** Schemas other than PostgreSQL's own and public: what a preset's prelude created. */
async function userSchemas(db: VerifyDatabase): Promise<string[]> {
  const { rows } = await db.session.query<{ nspname: string }>(
    `SELECT nspname::text AS nspname FROM pg_namespace
      WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
  );
  return rows.map((r) => r.nspname);
}

function isTenantTable(table: TableRow, config: ResolvedConfig): boolean {
  const names = config.tenantColumns.map((c) => c.toLowerCase());
  const global = config.globalTables.some((g) => {
    const e = g.replace(/"/g, '').toLowerCase();
    return e === table.name.toLowerCase() || e === `${table.schema}.${table.name}`.toLowerCase();
  });
  return !global && (table.rlsEnabled || table.columns.some((c) => names.includes(c.name.toLowerCase())));
}

export interface MigratedDatabase {
  db: VerifyDatabase;
  scripts: Map<string, ParsedScript>;
  applied: AppliedMigrations;
  preset: (typeof PRESETS)[keyof typeof PRESETS] | undefined;
  /** Tables the preset's prelude created (the platform's, not the project's). */
  platformTables: string[];
  /** The platform's migration role bypasses RLS, so the owner the migrations ran as does too. */
  ownerBypassesRls: boolean;
}

export interface MigrateOptions extends Pick<VerifyOptions, 'paths' | 'config' | 'url' | 'allowEmpty' | 'maxFileBytes' | 'createDatabase'> {
  /** Called once the prelude ran and before any migration, with the admin session. */
  beforeMigrations?: (db: VerifyDatabase) => Promise<void>;
}

/**
 * A fresh database (PGlite, or a scratch database at `url`) with the preset's prelude and the
 * migrations applied as the non-superuser owner. The caller closes `db`.
 */
export async function migrateFreshDatabase(options: MigrateOptions): Promise<MigratedDatabase> {
  await loadSqlParser();
  const discovered = discoverGatedMigrations(options.paths, options.config, { allowEmpty: options.allowEmpty });
  const maxFileBytes = options.maxFileBytes ?? configuredMaxFileBytes();
  const { scripts, failures: readFailures } = readMigrations(discovered.files.map((f) => f.path), maxFileBytes, discovered.problems);
  const config = options.config;
  const preset = config.preset ? PRESETS[config.preset] : undefined;
  const extensionScripts = [...scripts.values(), ...(preset ? [parseScript(preset.prelude)] : [])];
  const extensions = extensionScripts.flatMap((script) => script.statements.filter((st) => st.kind === 'CreateExtensionStmt').map((st) => String(st.node.extname ?? '')));
  const db = options.url ? await openScratch(options.url, { createDatabase: options.createDatabase }) : await openPglite(extensions);
  try {
    if (preset?.searchPath) {
      // The platform's search_path: for sessions that log in (the owner by URL) and for this one (PGlite's owner).
      const database = (await db.session.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      await db.exec(`ALTER DATABASE ${quoteIdent(database)} SET search_path = ${preset.searchPath}; SET search_path = ${preset.searchPath}`);
    }
    const preludeFailures = preset ? await applyPrelude(db, preset.name, preset.prelude) : [];
    const platformSchemas = preset ? await userSchemas(db) : [];
    // What the platform created is the platform's to secure, not the project's: not probed.
    const platformTables = preset ? (await readTables(db.session)).map((t) => `${t.schema}.${t.name}`) : [];
    // The platform's migration role bypasses RLS (it is allowed to): so does the owner here, and the
    // owner path's findings are what that role is for, not leaks (check's require-force-rls agrees).
    const ownerBypassesRls = !!preset && !!config.migrationRole && config.allowBypassRoles.includes(config.migrationRole);
    await prepareRoles(db, config.appRoles, rolesCreatedBy(scripts), { ownerBypassesRls, schemas: platformSchemas });
    if (preset) {
      await inheritDefaultPrivileges(db, OWNER_ROLE);
      await shareOwnership(db, platformTables);
    }
    await options.beforeMigrations?.(db);
    const applied = await applyMigrations(db, scripts, OWNER_ROLE, readFailures);
    applied.failures.unshift(...preludeFailures);
    await db.session.query('RESET ROLE');
    return { db, scripts, applied, preset, platformTables, ownerBypassesRls };
  } catch (error) {
    await db.close({ cleanup: !!options.url && !!options.createDatabase }).catch(() => {});
    throw error;
  }
}

export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  await loadSqlParser();
  const maxFileBytes = options.maxFileBytes ?? configuredMaxFileBytes();
  const check = await runCheck({ paths: options.paths, config: options.config, allowEmpty: options.allowEmpty, maxFileBytes });
  const { db, applied, preset, platformTables, ownerBypassesRls } = await migrateFreshDatabase({ ...options, maxFileBytes });
  const cleanup = !!options.url && (options.cleanup ?? !!options.createDatabase);
  let result: VerifyResult | undefined;
  try {
    const config = options.config;
    const probeConfig: ResolvedConfig = { ...options.config, globalTables: [...options.config.globalTables, ...platformTables] };

    // The superuser's view of the schema, for seeding.
    const allTables = await readTables(db.session);
    const tenantTables = allTables.filter((t) => isTenantTable(t, probeConfig));
    const { outcomes, seeded } = await seedTenantTables(db.session, tenantTables, allTables, config.tenantColumns, config.tenantSettings);

    const appRoles = await appRolesToProbe(db, config);
    const { catalog, tenancy } = check.analysis;
    const keyColumns = (table: string): string[] | null => {
      const state = catalog.tables.get(table);
      return state ? tenancy.keyColumns(state) : null;
    };
    const paths = [...appRoles.map((role) => ({ label: `app role ${role}`, role })), ...(ownerBypassesRls ? [] : [{ label: `owner ${OWNER_ROLE}`, role: OWNER_ROLE }])];
    const tables = new Map<string, VerifyTable>();
    const roles: (RoleReport & { path: string })[] = [];
    for (const path of paths) {
      const result = await runProbe({ session: db.session, asRole: path.role, config: probeConfig, seeded, catalog: check.analysis.catalog, keyColumns, trackSequences: false });
      roles.push({ ...result.role, path: path.label });
      for (const t of result.tables) {
        const entry = tables.get(t.table) ?? {
          table: t.table,
          tenantColumn: t.tenantColumn,
          rlsEnabled: t.rlsEnabled,
          forceRls: t.forceRls,
          seeded: seeded.has(t.table),
          leaks: [],
          checks: [],
        };
        for (const c of t.checks) {
          // The owner always holds TRUNCATE; that is the migration role's nature, not a leak of the app's path.
          const check = path.role === OWNER_ROLE && c.id === 'truncate' ? { ...c, status: 'skipped' as const, message: `${c.message} (expected of the owner)` } : c;
          entry.checks.push({ ...check, path: path.label });
          if (check.status === 'leak') entry.leaks.push(`${path.label}: ${check.message}`);
        }
        tables.set(t.table, entry);
      }
      for (const leak of result.role.leaks) {
        for (const entry of tables.values()) if (!entry.leaks.includes(`${path.label}: ${leak}`)) entry.leaks.push(`${path.label}: ${leak}`);
      }
    }
    const tableList = [...tables.values()].sort((a, b) => a.table.localeCompare(b.table));
    const disagreements = compareWithCheck(tableList, check.findings, appRoles.length > 0, !ownerBypassesRls);
    const ok = applied.failures.length === 0 && tableList.every((t) => t.leaks.length === 0) && roles.every((r) => r.leaks.length === 0);
    const { files: appliedFiles, statements, failures, appliedAsSuperuser } = applied;
    result = {
      engine: db.engine,
      migrations: { files: appliedFiles, statements, failures, appliedAsSuperuser },
      owner: OWNER_ROLE,
      ownerNotProbed: ownerBypassesRls ? `it has BYPASSRLS, as ${config.migrationRole} has on ${preset!.name} (an allowed bypass role): it reads every row by design` : null,
      role: roles.find((r) => r.path.startsWith('app role')) ?? null,
      roles,
      seed: outcomes,
      tables: tableList,
      disagreements,
      database: { created: db.createdDatabase, cleanup: null },
      ok,
    };
  } finally {
    const dropped = await db.close({ cleanup });
    if (result && cleanup) result.database.cleanup = dropped;
  }
  return result;
}

/** Rules whose errors claim a leak on the owner path; every other error claims one on the app path. */
const OWNER_RULES = new Set(['require-force-rls']);
/** Rules whose errors claim a leak verify can observe per table. */
const OBSERVABLE_RULES = new Set(['require-rls', 'require-force-rls', 'no-fail-open-policy', 'view-security-invoker', 'app-role-least-privilege', 'no-rls-disable']);

/** Is the finding about `table`? By the object it names (`public.t`, `public.t policy p`), else by its message. */
function isAbout(finding: Finding, table: string): boolean {
  if (finding.object === table || finding.object?.startsWith(`${table} `)) return true;
  // Findings whose object is not the table they open: a view (its message names the tables it
  // reads) and a membership table's write policy (its message names the tables that trust it).
  // Any other finding is about its object only, whatever tables its suggestion mentions.
  if (finding.object && finding.ruleId !== 'view-security-invoker' && !finding.object.endsWith('(membership)')) return false;
  return namesTable(finding.message, table);
}

function namesTable(message: string, table: string): boolean {
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.])${escaped}($|[^\\w])`).test(message);
}

/** Every table where the observed leaks and check's errors disagree. */
export function compareWithCheck(tables: readonly VerifyTable[], findings: readonly Finding[], probedAppRoles: boolean, probedOwner = true): Disagreement[] {
  const out: Disagreement[] = [];
  for (const t of tables) {
    const errors = findings.filter((f) => f.severity === 2 && isAbout(f, t.table));
    if (t.leaks.length > 0 && errors.length === 0) {
      out.push({ table: t.table, kind: 'check-missed', message: `verify observed a leak that check reports no error for: ${t.leaks[0]}` });
    }
    for (const f of errors) {
      if (!OBSERVABLE_RULES.has(f.ruleId)) continue;
      const ownerRule = OWNER_RULES.has(f.ruleId);
      if (!ownerRule && !probedAppRoles) continue;
      if (ownerRule && !probedOwner) continue;
      const observed = t.leaks.some((l) => (ownerRule ? l.startsWith('owner ') : l.startsWith('app role ')));
      if (!observed) {
        const where = `${f.location.file}:${f.location.line}`;
        out.push({ table: t.table, kind: 'not-observed', message: `check reports ${f.ruleId} (${where}) but verify observed no leak on the ${ownerRule ? 'owner' : 'app role'} path` });
      }
    }
  }
  return out;
}
