/**
 * What the catalog says about the probed role and the tenant tables it can reach. Every query
 * runs as the probed role (`current_user`), so privileges and memberships are the role's own.
 */
import type { ProbeSession } from './session.js';

export interface RoleRow {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
  canCreateTemp: boolean;
  /** Superuser or BYPASSRLS roles the role is a member of (directly or through other roles). */
  bypassMemberships: { role: string; superuser: boolean; bypassRls: boolean }[];
}

export async function readRole(session: ProbeSession): Promise<RoleRow> {
  const { rows } = await session.query<{ name: string; superuser: boolean; bypass: boolean; temp: boolean }>(
    `SELECT current_user::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
            has_database_privilege(current_database(), 'TEMP') AS temp
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error('the current role is missing from pg_roles');
  const members = await session.query<{ role: string; superuser: boolean; bypass: boolean }>(
    `SELECT b.rolname::text AS role, b.rolsuper AS superuser, b.rolbypassrls AS bypass
       FROM pg_roles b
      WHERE b.rolname <> current_user AND (b.rolsuper OR b.rolbypassrls)
        AND pg_has_role(current_user, b.oid, 'MEMBER')
      ORDER BY 1`,
  );
  return {
    name: row.name,
    superuser: row.superuser,
    bypassRls: row.bypass,
    canCreateTemp: row.temp,
    bypassMemberships: members.rows.map((m) => ({ role: m.role, superuser: m.superuser, bypassRls: m.bypass })),
  };
}

export interface ColumnRow {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  /** Filled from a sequence (serial, identity): the probe supplies a value so no sequence advances. */
  sequence: boolean;
  identityAlways: boolean;
  /** `format_type` of the column, usable in a cast. */
  type: string;
  /** The base type's name (domains resolved), e.g. `int4`, `uuid`, `text`. */
  baseType: string;
  category: string;
  firstEnumLabel: string | null;
  unique: boolean;
  /** The table's single-column primary key. */
  primaryKey: boolean;
  /** `schema.table` and column of a single-column foreign key. */
  references: { table: string; column: string } | null;
}

export interface TableRow {
  oid: number;
  schema: string;
  name: string;
  /** `schema.name`, quoted where needed: usable in SQL. */
  sqlName: string;
  kind: 'r' | 'p';
  rlsEnabled: boolean;
  rlsForced: boolean;
  isPartition: boolean;
  owner: string;
  /** The probed role owns the table (or inherits the owner's privileges): it bypasses RLS without FORCE. */
  owned: boolean;
  privileges: { select: boolean; insert: boolean; update: boolean; delete: boolean; truncate: boolean };
  hasUserTriggers: boolean;
  columns: ColumnRow[];
}

export async function readTables(session: ProbeSession): Promise<TableRow[]> {
  const { rows } = await session.query<{
    oid: number;
    schema: string;
    name: string;
    sql_name: string;
    kind: 'r' | 'p';
    rls: boolean;
    force: boolean;
    is_partition: boolean;
    owner: string;
    owned: boolean;
    sel: boolean;
    ins: boolean;
    upd: boolean;
    del: boolean;
    trunc: boolean;
    triggers: boolean;
  }>(
    `SELECT c.oid::int AS oid, n.nspname::text AS schema, c.relname::text AS name,
            format('%I.%I', n.nspname, c.relname) AS sql_name, c.relkind::text AS kind,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS force, c.relispartition AS is_partition,
            pg_get_userbyid(c.relowner)::text AS owner, pg_has_role(current_user, c.relowner, 'USAGE') AS owned,
            has_table_privilege(c.oid, 'SELECT') AS sel, has_table_privilege(c.oid, 'INSERT') AS ins,
            has_table_privilege(c.oid, 'UPDATE') AS upd, has_table_privilege(c.oid, 'DELETE') AS del,
            has_table_privilege(c.oid, 'TRUNCATE') AS trunc,
            EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AS triggers
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        AND has_schema_privilege(n.oid, 'USAGE')
      ORDER BY n.nspname, c.relname`,
  );
  const columns = await readColumns(session, rows.map((r) => r.oid));
  const tables: TableRow[] = [];
  for (const r of rows) {
    tables.push({
      oid: r.oid,
      schema: r.schema,
      name: r.name,
      sqlName: r.sql_name,
      kind: r.kind,
      rlsEnabled: r.rls,
      rlsForced: r.force,
      isPartition: r.is_partition,
      owner: r.owner,
      owned: r.owned,
      privileges: { select: r.sel, insert: r.ins, update: r.upd, delete: r.del, truncate: r.trunc },
      hasUserTriggers: r.triggers,
      columns: columns.get(r.oid) ?? [],
    });
  }
  return tables;
}

// Lock-free on purpose (no pg_get_expr on the table, which takes a lock): a table another session
// holds locked must not stall the catalog read. One query for all the tables (per table it was
// most of verify's probe time on a 500-table history).
export async function readColumns(session: ProbeSession, oids: readonly number[]): Promise<Map<number, ColumnRow[]>> {
  const byTable = new Map<number, ColumnRow[]>();
  if (oids.length === 0) return byTable;
  const { rows } = await session.query<{
    oid: number;
    name: string;
    not_null: boolean;
    has_default: boolean;
    generated: boolean;
    sequence: boolean;
    identity_always: boolean;
    type: string;
    base_type: string;
    category: string;
    enum_first: string | null;
    is_unique: boolean;
    is_pkey: boolean;
    ref_table: string | null;
    ref_column: string | null;
  }>(
    `SELECT a.attrelid::int AS oid, a.attname::text AS name, a.attnotnull AS not_null,
            (a.atthasdef OR a.attidentity <> '') AS has_default, a.attgenerated <> '' AS generated,
            (a.attidentity <> '' OR EXISTS (SELECT 1 FROM pg_depend dd JOIN pg_class sc ON sc.oid = dd.refobjid AND sc.relkind = 'S'
                                             WHERE dd.classid = 'pg_attrdef'::regclass AND dd.objid = ad.oid)) AS sequence,
            a.attidentity = 'a' AS identity_always,
            format_type(a.atttypid, a.atttypmod) AS type,
            coalesce(bt.typname, t.typname)::text AS base_type,
            coalesce(bt.typcategory, t.typcategory)::text AS category,
            (SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = coalesce(bt.oid, t.oid)
              ORDER BY e.enumsortorder LIMIT 1) AS enum_first,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = a.attrelid AND k.contype IN ('p', 'u')
                     AND a.attnum = ANY (k.conkey)) AS is_unique,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = a.attrelid AND k.contype = 'p'
                     AND k.conkey = ARRAY[a.attnum]::int2[]) AS is_pkey,
            fk.ref_table, fk.ref_column
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
       LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
       LEFT JOIN LATERAL (
         SELECT format('%I.%I', rn.nspname, rc.relname) AS ref_table, ra.attname::text AS ref_column
           FROM pg_constraint f
           JOIN pg_class rc ON rc.oid = f.confrelid
           JOIN pg_namespace rn ON rn.oid = rc.relnamespace
           JOIN pg_attribute ra ON ra.attrelid = f.confrelid AND ra.attnum = f.confkey[1]
          WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND f.conkey = ARRAY[a.attnum]::int2[]
          LIMIT 1) fk ON true
      WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  for (const r of rows) {
    let list = byTable.get(r.oid);
    if (!list) byTable.set(r.oid, (list = []));
    list.push({
      name: r.name,
      notNull: r.not_null,
      hasDefault: r.has_default,
      generated: r.generated,
      sequence: r.sequence,
      identityAlways: r.identity_always,
      type: r.type,
      baseType: r.base_type,
      category: r.category,
      firstEnumLabel: r.enum_first,
      unique: r.is_unique,
      primaryKey: r.is_pkey,
      references: r.ref_table && r.ref_column ? { table: r.ref_table, column: r.ref_column } : null,
    });
  }
  return byTable;
}

export interface PolicyRow {
  name: string;
  command: 'all' | 'select' | 'insert' | 'update' | 'delete';
  permissive: boolean;
  roles: string[];
  /** The policy applies to the probed role (PUBLIC, or a role whose privileges it has). */
  applies: boolean;
  using: string | null;
  withCheck: string | null;
}

const COMMANDS: Record<string, PolicyRow['command']> = { '*': 'all', r: 'select', a: 'insert', w: 'update', d: 'delete' };

export async function readPolicies(session: ProbeSession, oid: number): Promise<PolicyRow[]> {
  return (await queryPolicies(session, oid)).get(oid) ?? [];
}

/** Every policy in the database, by table (one query; it fails as a whole when a table is locked). */
export async function readAllPolicies(session: ProbeSession): Promise<Map<number, PolicyRow[]>> {
  return queryPolicies(session, null);
}

async function queryPolicies(session: ProbeSession, oid: number | null): Promise<Map<number, PolicyRow[]>> {
  // A policy applies to a role that has the privileges of one of its roles (has_privs_of_role,
  // i.e. pg_has_role ... USAGE), or to everyone when it names PUBLIC (oid 0).
  const { rows } = await session.query<{
    oid: number;
    name: string;
    cmd: string;
    permissive: boolean;
    roles: string[];
    applies: boolean;
    qual: string | null;
    with_check: string | null;
  }>(
    `SELECT p.polrelid::int AS oid, p.polname::text AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r) AS roles,
            (0 = ANY (p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) r
                                              WHERE r <> 0 AND pg_has_role(current_user, r, 'USAGE'))) AS applies,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
       FROM pg_policy p WHERE $1::oid IS NULL OR p.polrelid = $1::oid ORDER BY p.polrelid, p.polname`,
    [oid],
  );
  const byTable = new Map<number, PolicyRow[]>();
  for (const r of rows) {
    const list = byTable.get(r.oid) ?? [];
    list.push({
      name: r.name,
      command: COMMANDS[r.cmd] ?? 'all',
      permissive: r.permissive,
      roles: r.roles.map((x) => x.toLowerCase()),
      applies: r.applies,
      using: r.qual,
      withCheck: r.with_check,
    });
    byTable.set(r.oid, list);
  }
  return byTable;
}

/** Which of `names` are functions in pg_catalog (built-ins such as now() or gen_random_uuid()). */
export async function builtinFunctionNames(session: ProbeSession, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await session.query<{ name: string }>(
    `SELECT DISTINCT proname::text AS name FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY ($1::text[])`,
    [names],
  );
  return new Set(rows.map((r) => r.name));
}

export interface ViewRow {
  sqlName: string;
  kind: 'v' | 'm';
  owner: string;
  securityInvoker: boolean;
  selectable: boolean;
  /** The view's owner bypasses RLS on the table: superuser, BYPASSRLS, or owner of an unforced table. */
  ownerBypasses: boolean;
}

/** Views and materialized views that read `oid` directly. */
export async function readViews(session: ProbeSession, oid: number): Promise<ViewRow[]> {
  const { rows } = await session.query<{
    sql_name: string;
    kind: 'v' | 'm';
    owner: string;
    invoker: boolean;
    selectable: boolean;
    owner_bypasses: boolean;
  }>(
    `SELECT DISTINCT format('%I.%I', n.nspname, v.relname) AS sql_name, v.relkind::text AS kind,
            pg_get_userbyid(v.relowner)::text AS owner,
            coalesce(EXISTS (SELECT 1 FROM unnest(v.reloptions) o
                              WHERE lower(o) IN ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes')), false) AS invoker,
            has_table_privilege(v.oid, 'SELECT') AS selectable,
            (o.rolsuper OR o.rolbypassrls OR (pg_has_role(v.relowner, t.relowner, 'USAGE') AND NOT t.relforcerowsecurity)) AS owner_bypasses
       FROM pg_depend d
       JOIN pg_rewrite w ON w.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
       JOIN pg_class v ON v.oid = w.ev_class
       JOIN pg_namespace n ON n.oid = v.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_roles o ON o.oid = v.relowner
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND v.oid <> $1 AND v.relkind IN ('v', 'm')
      ORDER BY 1`,
    [oid],
  );
  return rows.map((r) => ({
    sqlName: r.sql_name,
    kind: r.kind,
    owner: r.owner,
    securityInvoker: r.invoker,
    selectable: r.selectable,
    ownerBypasses: r.owner_bypasses,
  }));
}

export interface PartitionRow {
  sqlName: string;
  rlsEnabled: boolean;
  reachable: boolean;
}

export async function readPartitions(session: ProbeSession, oid: number): Promise<PartitionRow[]> {
  const { rows } = await session.query<{ sql_name: string; rls: boolean; reachable: boolean }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS sql_name, c.relrowsecurity AS rls,
            (has_table_privilege(c.oid, 'SELECT') OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')) AS reachable
       FROM pg_partition_tree($1::regclass) pt
       JOIN pg_class c ON c.oid = pt.relid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE pt.relid <> $1::regclass
      ORDER BY pt.level, 1`,
    [oid],
  );
  return rows.map((r) => ({ sqlName: r.sql_name, rlsEnabled: r.rls, reachable: r.reachable }));
}

export interface DefinerFunctionRow {
  signature: string;
  owner: string;
  searchPath: string | null;
  publicExecute: boolean;
}

/** SECURITY DEFINER functions the probed role may execute. */
export async function readDefinerFunctions(session: ProbeSession): Promise<DefinerFunctionRow[]> {
  const { rows } = await session.query<{ signature: string; owner: string; config: string[] | null; public_execute: boolean }>(
    `SELECT p.oid::regprocedure::text AS signature, pg_get_userbyid(p.proowner)::text AS owner, p.proconfig AS config,
            EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_execute
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND has_function_privilege(p.oid, 'EXECUTE')
      ORDER BY 1`,
  );
  return rows.map((r) => {
    const entry = (r.config ?? []).find((c) => c.toLowerCase().startsWith('search_path='));
    return {
      signature: r.signature,
      owner: r.owner,
      searchPath: entry === undefined ? null : entry.slice('search_path='.length),
      publicExecute: r.public_execute,
    };
  });
}

/**
 * The definitions of the functions policies may call (outside PostgreSQL's own schemas, not an
 * extension's), as `pg_get_functiondef` prints them: the probe replays them into a schema model so
 * the policy audit follows helper functions (`is_member(team_id)`) as check does.
 */
export async function readFunctionDefinitions(session: ProbeSession, limit = 5000): Promise<string[]> {
  const { rows } = await session.query<{ def: string }>(
    `SELECT pg_get_functiondef(p.oid) AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE p.prokind = 'f' AND l.lanname IN ('sql', 'plpgsql')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
      ORDER BY p.oid LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.def);
}
