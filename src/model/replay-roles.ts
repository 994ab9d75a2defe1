/** Replaying roles, memberships and privileges: CREATE/ALTER ROLE, GRANT/REVOKE, ALTER DEFAULT PRIVILEGES. */
import type { AstNode } from '../sql/parse.js';
import { ALL_TABLE_PRIVILEGES, defBool, nameList, roleName, str } from './ast-names.js';
import type { FunctionState, RoleState, TablePrivilege } from './catalog.js';
import type { Replayer } from './replay.js';
import { findFunction } from './replay-functions.js';

export function ensureRole(r: Replayer, name: string): RoleState {
  let role = r.catalog.roles.get(name);
  if (!role) {
    role = { name, superuser: false, bypassRls: false, login: false, inherit: true, memberOf: new Map(), noInherit: new Set(), createdAt: r.here(), privilegedAt: null, platform: r.platform };
    r.catalog.roles.set(name, role);
  }
  return role;
}

export function applyRoleOptions(r: Replayer, role: RoleState, options: AstNode[] | undefined): void {
  for (const o of options ?? []) {
    const def = o.DefElem as AstNode;
    switch (def?.defname) {
      case 'superuser':
        role.superuser = defBool(def);
        if (role.superuser) role.privilegedAt = r.here();
        break;
      case 'bypassrls':
        role.bypassRls = defBool(def);
        if (role.bypassRls) role.privilegedAt = r.here();
        break;
      case 'canlogin':
        role.login = defBool(def);
        break;
      case 'inherit':
        role.inherit = defBool(def);
        break;
      case 'addroleto':
        for (const m of (def.arg?.List?.items ?? []) as AstNode[]) role.memberOf.set(roleName(m), r.here());
        break;
      case 'rolemembers':
        for (const m of (def.arg?.List?.items ?? []) as AstNode[]) ensureRole(r, roleName(m)).memberOf.set(role.name, r.here());
        break;
    }
  }
}

export function createRole(r: Replayer, node: AstNode): void {
  const name = String(node.role);
  const existing = r.catalog.roles.get(name);
  const role = ensureRole(r, name);
  if (!existing) role.createdAt = r.here();
  // CREATE USER implies LOGIN.
  if (node.stmt_type === 'ROLESTMT_USER') role.login = true;
  applyRoleOptions(r, role, node.options);
}

export function alterRole(r: Replayer, node: AstNode): void {
  const name = roleName(node.role);
  if (name === 'current_user' || name === 'public') return;
  if (node.action === -1) {
    // ALTER GROUP g DROP USER u
    for (const o of (node.options ?? []) as AstNode[]) {
      if (o.DefElem?.defname === 'rolemembers') for (const m of (o.DefElem.arg?.List?.items ?? []) as AstNode[]) ensureRole(r, roleName(m)).memberOf.delete(name);
    }
    return;
  }
  applyRoleOptions(r, ensureRole(r, name), node.options);
}

export function grantRole(r: Replayer, node: AstNode): void {
  const granted = ((node.granted_roles ?? []) as AstNode[]).map((r) => String(r.AccessPriv?.priv_name ?? ''));
  // GRANT r TO x WITH INHERIT FALSE (PostgreSQL 16+): x may SET ROLE r but does not inherit its
  // privileges, and r's policies do not apply to x.
  let inherit: boolean | null = null;
  for (const o of (node.opt ?? []) as AstNode[]) if (o.DefElem?.defname === 'inherit') inherit = defBool(o.DefElem);
  for (const grantee of (node.grantee_roles ?? []) as AstNode[]) {
    const role = ensureRole(r, roleName(grantee));
    for (const g of granted) {
      if (node.is_grant) {
        role.memberOf.set(g, r.here());
        if (inherit === false) role.noInherit.add(g);
        else if (inherit === true) role.noInherit.delete(g);
      } else if (inherit !== null) {
        // REVOKE INHERIT OPTION FOR r FROM x
        role.noInherit.add(g);
      } else {
        role.memberOf.delete(g);
      }
    }
  }
}

export function privilegesOf(r: Replayer, node: AstNode): TablePrivilege[] {
  const privs = (node.privileges ?? null) as AstNode[] | null;
  if (!privs) return ALL_TABLE_PRIVILEGES; // ALL [PRIVILEGES]
  // Column-level grants (SELECT (col)) do not grant table-wide rights; still count them as the privilege.
  return privs.map((p) => String(p.AccessPriv?.priv_name ?? '').toLowerCase() as TablePrivilege);
}

/**
 * `defaultsFor`: ALTER DEFAULT PRIVILEGES for future objects, in the listed schemas or (`'*'`)
 * everywhere. Null for a GRANT/REVOKE on existing objects.
 */
export function grant(r: Replayer, node: AstNode, defaultsForSchemas: string[] | null): void {
  const grantees = ((node.grantees ?? []) as AstNode[]).map((g) => roleName(g));
  if (node.objtype === 'OBJECT_TABLE') {
    const privileges = privilegesOf(r, node);
    if (defaultsForSchemas) {
      for (const schema of defaultsForSchemas) {
        let bySchema = r.catalog.defaultTableGrants.get(schema);
        if (!bySchema) r.catalog.defaultTableGrants.set(schema, (bySchema = new Map()));
        for (const grantee of grantees) {
          let entry = bySchema.get(grantee);
          if (!entry) bySchema.set(grantee, (entry = { privileges: new Set(), at: r.here(), platform: r.platform }));
          for (const p of privileges) node.is_grant ? entry.privileges.add(p) : entry.privileges.delete(p);
          entry.at = r.here();
          entry.platform = r.platform;
        }
      }
      return;
    }
    let tableKeys: string[] = [];
    if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
      const schemas = ((node.objects ?? []) as AstNode[]).map((o) => str(o)!);
      tableKeys = [...r.catalog.tables.keys(), ...r.catalog.views.keys()].filter((k) => schemas.some((s) => k.startsWith(`${s}.`)));
    } else {
      for (const o of (node.objects ?? []) as AstNode[]) {
        const rv = (o.RangeVar ?? o) as AstNode;
        const key = r.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
        if (key) tableKeys.push(key);
      }
    }
    for (const key of tableKeys) setTableGrant(r, key, grantees, privileges, !!node.is_grant);
    return;
  }
  if (node.objtype === 'OBJECT_SCHEMA' && !defaultsForSchemas) {
    // USAGE on a schema: without it no object in the schema can be named (ALL includes it).
    const privs = (node.privileges ?? null) as AstNode[] | null;
    if (privs && !privs.some((p) => String(p.AccessPriv?.priv_name ?? '').toLowerCase() === 'usage')) return;
    for (const o of (node.objects ?? []) as AstNode[]) {
      const schema = str(o);
      if (!schema) continue;
      let usage = r.catalog.schemaUsage.get(schema);
      if (!usage) r.catalog.schemaUsage.set(schema, (usage = new Set()));
      for (const g of grantees) node.is_grant ? usage.add(g) : usage.delete(g);
    }
    return;
  }
  if (node.objtype === 'OBJECT_FUNCTION' || node.objtype === 'OBJECT_PROCEDURE' || node.objtype === 'OBJECT_ROUTINE') {
    if (defaultsForSchemas) {
      // PUBLIC's EXECUTE on new functions is a global default: a per-schema REVOKE cannot remove it.
      if (grantees.includes('public') && (node.is_grant || defaultsForSchemas.includes('*'))) r.functionDefaultPublicExecute = !!node.is_grant;
      for (const schema of defaultsForSchemas) {
        let set = r.catalog.defaultFunctionGrants.get(schema);
        if (!set) r.catalog.defaultFunctionGrants.set(schema, (set = new Set()));
        for (const g of grantees) if (g !== 'public') node.is_grant ? set.add(g) : set.delete(g);
      }
      return;
    }
    let fns: FunctionState[] = [];
    if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
      const schemas = ((node.objects ?? []) as AstNode[]).map((o) => str(o)!);
      fns = [...r.catalog.functions.values()].filter((f) => schemas.includes(f.schema));
    } else {
      for (const o of (node.objects ?? []) as AstNode[]) {
        const fn = findFunction(r, o.ObjectWithArgs ?? o);
        if (fn) fns.push(fn);
      }
    }
    for (const fn of fns) for (const g of grantees) node.is_grant ? fn.executeGrantees.add(g) : fn.executeGrantees.delete(g);
  }
}

export function setTableGrant(r: Replayer, key: string, grantees: string[], privileges: TablePrivilege[], isGrant: boolean): void {
  let byGrantee = r.catalog.tableGrants.get(key);
  if (!byGrantee) r.catalog.tableGrants.set(key, (byGrantee = new Map()));
  for (const grantee of grantees) {
    let grant = byGrantee.get(grantee);
    if (!grant) byGrantee.set(grantee, (grant = { privileges: new Set(), grantedAt: new Map() }));
    for (const p of privileges) {
      grant.platformDefaults?.delete(p);
      if (isGrant) {
        grant.privileges.add(p);
        grant.grantedAt.set(p, r.here());
      } else {
        grant.privileges.delete(p);
        grant.grantedAt.delete(p);
      }
    }
  }
}

export function applyDefaultGrants(r: Replayer, key: string, schema: string): void {
  const defaults = [...(r.catalog.defaultTableGrants.get('*') ?? []), ...(r.catalog.defaultTableGrants.get(schema) ?? [])];
  for (const [grantee, entry] of defaults) {
    let byGrantee = r.catalog.tableGrants.get(key);
    if (!byGrantee) r.catalog.tableGrants.set(key, (byGrantee = new Map()));
    let grant = byGrantee.get(grantee);
    if (!grant) byGrantee.set(grantee, (grant = { privileges: new Set(), grantedAt: new Map() }));
    // Attributed to the ALTER DEFAULT PRIVILEGES statement, which is where the grant was decided;
    // the platform's own defaults (a preset's prelude) to the CREATE TABLE, the project's statement.
    for (const p of entry.privileges) {
      grant.privileges.add(p);
      if (entry.platform && !r.platform) {
        grant.grantedAt.set(p, r.here());
        (grant.platformDefaults ??= new Set()).add(p);
      } else {
        grant.grantedAt.set(p, entry.at);
        grant.platformDefaults?.delete(p);
      }
    }
  }
}

export function alterDefaultPrivileges(r: Replayer, node: AstNode): void {
  let schemas: string[] = ['*'];
  for (const o of (node.options ?? []) as AstNode[]) {
    if (o.DefElem?.defname === 'schemas') schemas = nameList(o.DefElem.arg?.List?.items);
  }
  grant(r, node.action as AstNode, schemas);
}
