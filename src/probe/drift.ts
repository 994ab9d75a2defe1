/**
 * Drift: the live catalog against the final state of the migration history. The history is
 * applied to a fresh database (PGlite, or a scratch database), and both catalogs are read with the
 * same queries, so PostgreSQL itself normalizes what is compared: policy expressions as
 * `pg_get_expr` prints them, function signatures as `regprocedure`, both under
 * `search_path = pg_catalog` (every non-catalog name qualified, the same on both sides).
 *
 * What is compared, and in which scope (what the migrations are the authority for):
 * - tables and views the migrations created or changed: presence, RLS and FORCE flags, a view's
 *   security_invoker/security_barrier; a live table in a schema the migrations create tables in
 *   that the history never made is reported too;
 * - their policies, by name: command, permissive/restrictive, roles, USING and WITH CHECK;
 *   a live policy the history never made, on such a table, is reported;
 * - functions the migrations created or changed: SECURITY DEFINER, search_path, EXECUTE grants,
 *   and the body (whitespace collapsed); a live SECURITY DEFINER function the history never made,
 *   in those schemas, is reported;
 * - roles the migrations create or alter: attributes (SUPERUSER, BYPASSRLS, LOGIN, ...) and the
 *   roles they are members of.
 * Objects that belong to an extension, and what a preset's prelude made that the migrations left
 * alone, are the platform's, not the history's: not compared.
 */
import type { AstNode, ParsedScript } from '../sql/parse.js';
import { roleName } from '../model/ast-names.js';
import type { ProbeSession } from './session.js';

export interface SnapshotRelation {
  name: string;
  kind: 'table' | 'view';
  rls: boolean;
  force: boolean;
  /** View options that decide whose rights it runs with: `security_invoker=true`, `security_barrier=true`. */
  options: string[];
  /** A partition: its root partitioned table. */
  partitionOf: string | null;
}

export interface SnapshotPolicy {
  table: string;
  name: string;
  command: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
}

export interface SnapshotFunction {
  signature: string;
  definer: boolean;
  searchPath: string | null;
  /** Roles (or PUBLIC) that may EXECUTE it, the owner aside. */
  execute: string[];
  /** The body, whitespace collapsed (`BEGIN ATOMIC` bodies as PostgreSQL prints them). */
  body: string;
}

export interface SnapshotRole {
  name: string;
  attributes: Record<string, boolean>;
  memberOf: string[];
}

export interface SchemaSnapshot {
  relations: Map<string, SnapshotRelation>;
  /** Keyed `<table> <policy>`. */
  policies: Map<string, SnapshotPolicy>;
  functions: Map<string, SnapshotFunction>;
  roles: Map<string, SnapshotRole>;
}

const USER_NAMESPACE = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'`;
const NOT_EXTENSION = (classid: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${classid}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const ROLE_ATTRIBUTES = ['superuser', 'bypassrls', 'login', 'createrole', 'createdb', 'replication', 'inherit'] as const;

/**
 * Reads what drift compares. Runs in the caller's transaction and sets `search_path` locally, so
 * call it inside one (the probe's catalog step, or BEGIN ... ROLLBACK).
 */
export async function readSnapshot(session: ProbeSession, roles: readonly string[]): Promise<SchemaSnapshot> {
  await session.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  const relations = await session.query<{ name: string; kind: string; rls: boolean; force: boolean; options: string[] | null; root: string | null }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
            ARRAY(SELECT o FROM unnest(c.reloptions) o WHERE o LIKE 'security\\_%' ORDER BY 1) AS options,
            CASE WHEN c.relispartition THEN (SELECT format('%I.%I', rn.nspname, r.relname) FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                              WHERE r.oid = pg_partition_root(c.oid)) END AS root
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_NAMESPACE} AND ${NOT_EXTENSION('pg_class', 'c.oid')}`,
  );
  const policies = await session.query<{ tbl: string; name: string; cmd: string; permissive: boolean; roles: string[]; qual: string | null; wcheck: string | null }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS tbl, p.polname::text AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r ORDER BY 1) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_NAMESPACE}`,
  );
  const functions = await session.query<{ signature: string; definer: boolean; config: string[] | null; execute: string[]; body: string | null }>(
    `SELECT p.oid::regprocedure::text AS signature, p.prosecdef AS definer, p.proconfig AS config,
            ARRAY(SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END
                    FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                   WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner ORDER BY 1) AS execute,
            coalesce(pg_get_function_sqlbody(p.oid), p.prosrc) AS body
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind IN ('f', 'p') AND ${USER_NAMESPACE} AND ${NOT_EXTENSION('pg_proc', 'p.oid')}`,
  );
  const roleRows = roles.length === 0
    ? { rows: [] }
    : await session.query<{ name: string; superuser: boolean; bypassrls: boolean; login: boolean; createrole: boolean; createdb: boolean; replication: boolean; inherit: boolean; member_of: string[] }>(
      `SELECT r.rolname::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls, r.rolcanlogin AS login, r.rolcreaterole AS createrole,
              r.rolcreatedb AS createdb, r.rolreplication AS replication, r.rolinherit AS inherit,
              ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
         FROM pg_roles r WHERE r.rolname = ANY ($1::text[])`,
      [roles],
    );
  const snapshot: SchemaSnapshot = { relations: new Map(), policies: new Map(), functions: new Map(), roles: new Map() };
  for (const r of relations.rows) {
    const kind = r.kind === 'v' || r.kind === 'm' ? 'view' : 'table';
    snapshot.relations.set(r.name, { name: r.name, kind, rls: r.rls, force: r.force, options: r.options ?? [], partitionOf: r.root });
  }
  for (const p of policies.rows) {
    snapshot.policies.set(`${p.tbl} ${p.name}`, { table: p.tbl, name: p.name, command: COMMANDS[p.cmd] ?? p.cmd, permissive: p.permissive, roles: p.roles, using: p.qual, check: p.wcheck });
  }
  for (const f of functions.rows) {
    const entry = (f.config ?? []).find((c) => c.toLowerCase().startsWith('search_path='));
    snapshot.functions.set(f.signature, {
      signature: f.signature,
      definer: f.definer,
      searchPath: entry === undefined ? null : entry.slice('search_path='.length),
      execute: f.execute,
      body: (f.body ?? '').replace(/\s+/g, ' ').trim(),
    });
  }
  for (const r of roleRows.rows) {
    const attributes = Object.fromEntries(ROLE_ATTRIBUTES.map((a) => [a, r[a]])) as Record<string, boolean>;
    snapshot.roles.set(r.name, { name: r.name, attributes, memberOf: r.member_of });
  }
  return snapshot;
}

/**
 * Migration tools' bookkeeping tables (Prisma, Rails, knex, Flyway, Liquibase, goose, TypeORM,
 * node-pg-migrate, Sequelize, sqlx, Diesel, EF Core, gorp, golang-migrate, dbmate): made by the
 * tool that applies the history, not by the history.
 */
export const MIGRATION_TOOL_TABLES = new Set([
  '_prisma_migrations', 'schema_migrations', 'ar_internal_metadata', 'knex_migrations', 'knex_migrations_lock',
  'flyway_schema_history', 'databasechangelog', 'databasechangeloglock', 'goose_db_version', 'migrations',
  'typeorm_metadata', 'pgmigrations', 'SequelizeMeta', '_sqlx_migrations', '__diesel_schema_migrations',
  '__EFMigrationsHistory', 'gorp_migrations', '__drizzle_migrations', 'schema_version',
]);

function isBookkeeping(qualified: string): boolean {
  const name = qualified.slice(schemaOf(qualified).length + 1).replace(/^"|"$/g, '').replace(/""/g, '"');
  return MIGRATION_TOOL_TABLES.has(name);
}

const COMMANDS: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/** Roles the history creates or alters (lower-cased, as unquoted names are): their attributes are the history's. */
export function rolesNamedBy(scripts: Iterable<ParsedScript>): string[] {
  const roles = new Set<string>();
  for (const script of scripts) {
    for (const s of script.statements) {
      if (s.kind === 'CreateRoleStmt' && typeof s.node.role === 'string') roles.add(s.node.role);
      else if (s.kind === 'AlterRoleStmt') {
        const name = roleName(s.node.role as AstNode | undefined);
        if (name && name !== 'public' && name !== 'current_user' && name !== 'session_user') roles.add(name);
      }
    }
  }
  return [...roles].sort();
}

export interface DriftFinding {
  /** `public.documents`, `public.documents policy tenant_isolation`, `function public.f(uuid)`, `role app_user`. */
  object: string;
  /** What differs: `table`, `RLS`, `FORCE`, `policy`, `USING`, `WITH CHECK`, `SECURITY DEFINER`, `search_path`, `EXECUTE`, `body`, ... */
  aspect: string;
  /** The migrations' side, in words (`absent` when the history does not have it). */
  migrations: string;
  /** The live database's side. */
  live: string;
  message: string;
}

export interface ExpectedState {
  /** After the prelude, before any migration: what the platform made. */
  base: SchemaSnapshot;
  /** After every migration. */
  final: SchemaSnapshot;
  roles: string[];
}

function finding(object: string, aspect: string, migrations: string, live: string): DriftFinding {
  return { object, aspect, migrations, live, message: `${object}: ${aspect} differs: migrations ${migrations}; live ${live}` };
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : '(none)';
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function schemaOf(qualified: string): string {
  // Names are format('%I.%I'): the first unquoted dot outside quotes ends the schema.
  let quoted = false;
  for (let i = 0; i < qualified.length; i++) {
    const ch = qualified[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '.' && !quoted) return qualified.slice(0, i);
  }
  return qualified;
}

function relationText(r: SnapshotRelation): string {
  return r.kind === 'view' ? `view${r.options.length ? ` (${r.options.join(', ')})` : ''}` : `table, RLS ${onOff(r.rls)}, FORCE ${onOff(r.force)}`;
}

function policyText(p: SnapshotPolicy): string {
  const parts = [`FOR ${p.command}`, p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE', `TO ${p.roles.join(', ')}`];
  if (p.using !== null) parts.push(`USING ${p.using}`);
  if (p.check !== null) parts.push(`WITH CHECK ${p.check}`);
  return parts.join(' ');
}

function samePolicy(a: SnapshotPolicy, b: SnapshotPolicy): boolean {
  return a.command === b.command && a.permissive === b.permissive && same(a.roles, b.roles) && a.using === b.using && a.check === b.check;
}

function sameFunction(a: SnapshotFunction, b: SnapshotFunction): boolean {
  return a.definer === b.definer && a.searchPath === b.searchPath && same(a.execute, b.execute) && a.body === b.body;
}

/** Each snapshot's policies by table, computed once per snapshot. */
const byTable = new WeakMap<SchemaSnapshot, Map<string, SnapshotPolicy[]>>();

function policiesOn(snapshot: SchemaSnapshot, table: string): SnapshotPolicy[] {
  let index = byTable.get(snapshot);
  if (!index) {
    index = new Map();
    for (const p of snapshot.policies.values()) {
      const list = index.get(p.table);
      if (list) list.push(p);
      else index.set(p.table, [p]);
    }
    byTable.set(snapshot, index);
  }
  return [...(index.get(table) ?? [])];
}

/** A short excerpt around the first place two bodies differ, for the finding's two sides. */
function bodyExcerpts(a: string, b: string): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 30);
  const cut = (s: string) => `${from > 0 ? '…' : ''}${s.slice(from, i + 50)}${s.length > i + 50 ? '…' : ''}`;
  return [JSON.stringify(cut(a)), JSON.stringify(cut(b))];
}

/** Every difference between the history's final state and the live catalog, in a stable order. */
export function compareWithLive(expected: ExpectedState, live: SchemaSnapshot): { findings: DriftFinding[]; compared: { relations: number; policies: number; functions: number; roles: number } } {
  const { base, final } = expected;
  const out: DriftFinding[] = [];
  const compared = { relations: 0, policies: 0, functions: 0, roles: 0 };

  // Schemas the history creates tables, views or functions in: there it is the authority.
  // Not in the platform's own schemas (Supabase's auth, storage): the live platform holds far more
  // there than a preset's prelude makes, so a migration's function in auth does not make it the history's.
  const platform = new Set([...base.relations.keys(), ...base.functions.keys()].map(schemaOf));
  const schemas = new Set<string>();
  for (const name of final.relations.keys()) if (!base.relations.has(name)) schemas.add(schemaOf(name));
  for (const sig of final.functions.keys()) if (!base.functions.has(sig)) schemas.add(schemaOf(sig));
  for (const schema of platform) schemas.delete(schema);

  for (const [name, rel] of [...final.relations].sort(([a], [b]) => a.localeCompare(b))) {
    const before = base.relations.get(name);
    const policiesBefore = policiesOn(base, name);
    const policiesAfter = policiesOn(final, name);
    const touched = !before || relationText(before) !== relationText(rel) || policiesBefore.length !== policiesAfter.length || policiesAfter.some((p) => {
      const b = base.policies.get(`${name} ${p.name}`);
      return !b || !samePolicy(b, p);
    });
    if (!touched) continue;
    compared.relations++;
    const actual = live.relations.get(name);
    if (!actual) {
      out.push(finding(name, rel.kind, relationText(rel), 'absent'));
      continue;
    }
    if (actual.kind !== rel.kind) out.push(finding(name, 'kind', rel.kind, actual.kind));
    else if (rel.kind === 'table') {
      if (actual.rls !== rel.rls) out.push(finding(name, 'RLS', onOff(rel.rls), onOff(actual.rls)));
      if (actual.force !== rel.force) out.push(finding(name, 'FORCE', onOff(rel.force), onOff(actual.force)));
    } else if (!same(actual.options, rel.options)) out.push(finding(name, 'view options', list(rel.options), list(actual.options)));

    for (const p of policiesAfter.sort((a, b) => a.name.localeCompare(b.name))) {
      compared.policies++;
      const object = `${name} policy ${p.name}`;
      const l = live.policies.get(`${name} ${p.name}`);
      if (!l) {
        out.push(finding(object, 'policy', policyText(p), 'absent'));
        continue;
      }
      if (l.command !== p.command) out.push(finding(object, 'command', `FOR ${p.command}`, `FOR ${l.command}`));
      if (l.permissive !== p.permissive) out.push(finding(object, 'mode', p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE', l.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'));
      if (!same(l.roles, p.roles)) out.push(finding(object, 'roles', `TO ${p.roles.join(', ')}`, `TO ${l.roles.join(', ')}`));
      if (l.using !== p.using) out.push(finding(object, 'USING', p.using ?? '(none)', l.using ?? '(none)'));
      if (l.check !== p.check) out.push(finding(object, 'WITH CHECK', p.check ?? '(none)', l.check ?? '(none)'));
    }
    for (const l of policiesOn(live, name).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!final.policies.has(`${name} ${l.name}`)) out.push(finding(`${name} policy ${l.name}`, 'policy', 'absent', policyText(l)));
    }
  }
  for (const [name, rel] of [...live.relations].sort(([a], [b]) => a.localeCompare(b))) {
    if (final.relations.has(name) || !schemas.has(schemaOf(name)) || isBookkeeping(name)) continue;
    // A partition made at run time (pg_partman, the app) of a table the history made is operation, not drift.
    if (rel.partitionOf && final.relations.has(rel.partitionOf)) continue;
    {
      out.push(finding(name, rel.kind, 'absent', relationText(rel)));
      for (const l of policiesOn(live, name)) out.push(finding(`${name} policy ${l.name}`, 'policy', 'absent', policyText(l)));
    }
  }

  for (const [sig, fn] of [...final.functions].sort(([a], [b]) => a.localeCompare(b))) {
    const before = base.functions.get(sig);
    if (before && sameFunction(before, fn)) continue;
    compared.functions++;
    const object = `function ${sig}`;
    const l = live.functions.get(sig);
    if (!l) {
      out.push(finding(object, 'function', fn.definer ? 'SECURITY DEFINER' : 'present', 'absent'));
      continue;
    }
    if (l.definer !== fn.definer) out.push(finding(object, 'SECURITY DEFINER', fn.definer ? 'SECURITY DEFINER' : 'SECURITY INVOKER', l.definer ? 'SECURITY DEFINER' : 'SECURITY INVOKER'));
    if (l.searchPath !== fn.searchPath) out.push(finding(object, 'search_path', fn.searchPath ?? '(not set)', l.searchPath ?? '(not set)'));
    if (!same(l.execute, fn.execute)) out.push(finding(object, 'EXECUTE', list(fn.execute), list(l.execute)));
    if (l.body !== fn.body) {
      const [m, lv] = bodyExcerpts(fn.body, l.body);
      out.push(finding(object, 'body', m, lv));
    }
  }
  for (const [sig, l] of [...live.functions].sort(([a], [b]) => a.localeCompare(b))) {
    if (l.definer && !final.functions.has(sig) && schemas.has(schemaOf(sig))) {
      out.push(finding(`function ${sig}`, 'function', 'absent', `SECURITY DEFINER, search_path ${l.searchPath ?? '(not set)'}, EXECUTE ${list(l.execute)}`));
    }
  }

  for (const name of expected.roles) {
    const role = final.roles.get(name);
    if (!role) continue;
    compared.roles++;
    const object = `role ${name}`;
    const l = live.roles.get(name);
    if (!l) {
      out.push(finding(object, 'role', 'present', 'absent'));
      continue;
    }
    for (const a of ROLE_ATTRIBUTES) {
      if (l.attributes[a] !== role.attributes[a]) out.push(finding(object, a.toUpperCase(), role.attributes[a] ? a.toUpperCase() : `NO${a.toUpperCase()}`, l.attributes[a] ? a.toUpperCase() : `NO${a.toUpperCase()}`));
    }
    if (!same(l.memberOf, role.memberOf)) out.push(finding(object, 'member of', list(role.memberOf), list(l.memberOf)));
  }
  return { findings: out, compared };
}
