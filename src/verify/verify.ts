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
import { applyMigrations, readMigrations, rolesCreatedBy, type AppliedMigrations } from './apply.js';
import { openPglite, openScratch, type VerifyDatabase } from './database.js';
import { seedTenantTables, type SeedOutcome } from './seed.js';

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
  /** The first app role's facts (the shape `probe` prints); every path's facts are in `roles`. */
  role: (RoleReport & { path: string }) | null;
  roles: (RoleReport & { path: string })[];
  seed: SeedOutcome[];
  tables: VerifyTable[];
  disagreements: Disagreement[];
  ok: boolean;
}

async function prepareRoles(db: VerifyDatabase, appRoles: readonly string[], createdByMigrations: Set<string>): Promise<void> {
  const s = db.session;
  const exists = async (role: string) => (await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rows.length > 0;
  if (!(await exists(OWNER_ROLE))) await s.query(`CREATE ROLE ${OWNER_ROLE} NOLOGIN CREATEROLE`);
  const database = (await s.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  await s.query(`GRANT CREATE, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${OWNER_ROLE}`);
  await s.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${OWNER_ROLE}`);
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

function isTenantTable(table: TableRow, config: ResolvedConfig): boolean {
  const names = config.tenantColumns.map((c) => c.toLowerCase());
  const global = config.globalTables.some((g) => {
    const e = g.replace(/"/g, '').toLowerCase();
    return e === table.name.toLowerCase() || e === `${table.schema}.${table.name}`.toLowerCase();
  });
  return !global && (table.rlsEnabled || table.columns.some((c) => names.includes(c.name.toLowerCase())));
}

export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  await loadSqlParser();
  const discovered = discoverGatedMigrations(options.paths, options.config, { allowEmpty: options.allowEmpty });
  const maxFileBytes = options.maxFileBytes ?? configuredMaxFileBytes();
  const { scripts, failures: readFailures } = readMigrations(discovered.files.map((f) => f.path), maxFileBytes, discovered.problems);
  const check = await runCheck({ paths: options.paths, config: options.config, allowEmpty: options.allowEmpty, maxFileBytes });
  const db = options.url ? await openScratch(options.url) : await openPglite();
  try {
    const config = options.config;
    await prepareRoles(db, config.appRoles, rolesCreatedBy(scripts));
    const applied = await applyMigrations(db, scripts, OWNER_ROLE, readFailures);

    // The superuser's view of the schema, for seeding.
    await db.session.query('RESET ROLE');
    const allTables = await readTables(db.session);
    const tenantTables = allTables.filter((t) => isTenantTable(t, config));
    const { outcomes, seeded } = await seedTenantTables(db.session, tenantTables, allTables, config.tenantColumns, config.tenantSettings);

    const appRoles = await appRolesToProbe(db, config);
    const paths = [...appRoles.map((role) => ({ label: `app role ${role}`, role })), { label: `owner ${OWNER_ROLE}`, role: OWNER_ROLE }];
    const tables = new Map<string, VerifyTable>();
    const roles: (RoleReport & { path: string })[] = [];
    for (const path of paths) {
      const result = await runProbe({ session: db.session, asRole: path.role, config, seeded });
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
    const disagreements = compareWithCheck(tableList, check.findings, appRoles.length > 0);
    const ok = applied.failures.length === 0 && tableList.every((t) => t.leaks.length === 0) && roles.every((r) => r.leaks.length === 0);
    const { files: appliedFiles, statements, failures, appliedAsSuperuser } = applied;
    return {
      engine: db.engine,
      migrations: { files: appliedFiles, statements, failures, appliedAsSuperuser },
      owner: OWNER_ROLE,
      role: roles.find((r) => r.path.startsWith('app role')) ?? null,
      roles,
      seed: outcomes,
      tables: tableList,
      disagreements,
      ok,
    };
  } finally {
    await db.close();
  }
}

/** Rules whose errors claim a leak on the owner path; every other error claims one on the app path. */
const OWNER_RULES = new Set(['require-force-rls']);
/** Rules whose errors claim a leak verify can observe per table. */
const OBSERVABLE_RULES = new Set(['require-rls', 'require-force-rls', 'no-fail-open-policy', 'view-security-invoker', 'app-role-least-privilege', 'no-rls-disable']);

/** Is the finding about `table`? By the object it names (`public.t`, `public.t policy p`), else by its message (views name the tables they read there). */
function isAbout(finding: Finding, table: string): boolean {
  if (finding.object === table || finding.object?.startsWith(`${table} `)) return true;
  return namesTable(finding.message, table);
}

function namesTable(message: string, table: string): boolean {
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.])${escaped}($|[^\\w])`).test(message);
}

/** Every table where the observed leaks and check's errors disagree. */
export function compareWithCheck(tables: readonly VerifyTable[], findings: readonly Finding[], probedAppRoles: boolean): Disagreement[] {
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
      const observed = t.leaks.some((l) => (ownerRule ? l.startsWith('owner ') : l.startsWith('app role ')));
      if (!observed) {
        const where = `${f.location.file}:${f.location.line}`;
        out.push({ table: t.table, kind: 'not-observed', message: `check reports ${f.ruleId} (${where}) but verify observed no leak on the ${ownerRule ? 'owner' : 'app role'} path` });
      }
    }
  }
  return out;
}
