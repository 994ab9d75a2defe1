/** Replaying tables: CREATE/ALTER/DROP TABLE, renames and schema moves of tables, views and functions. */
import type { AstNode } from '../sql/parse.js';
import { defBool, nameList, normalizeTypeName, roleName, str } from './ast-names.js';
import { qualifiedKey, type TableState } from './catalog.js';
import type { Replayer } from './replay.js';
import { deleteFunction, findFunction, putFunction } from './replay-functions.js';
import { applyDefaultGrants } from './replay-roles.js';

export function createTable(r: Replayer, node: AstNode): void {
  const rv = node.relation as AstNode;
  const schema = r.creationSchema(rv);
  const key = qualifiedKey(schema, String(rv.relname));
  if (r.catalog.tables.has(key) || r.catalog.views.has(key)) {
    if (node.if_not_exists) return;
    const existing = r.catalog.tables.get(key);
    if (existing && !existing.external) return; // PostgreSQL rejects the duplicate; the first one stands.
  }
  const table = r.newTable(schema, String(rv.relname), rv.relpersistence === 't');
  if (r.currentRole) {
    table.owner = r.currentRole;
    table.ownerSetAt = r.here();
  }
  r.catalog.schemas.add(schema);
  table.partitioned = !!node.partspec;
  for (const parent of (node.inhRelations ?? []) as AstNode[]) {
    const prv = (parent.RangeVar ?? parent) as AstNode;
    const parentKey = r.resolveRelation((prv.schemaname as string | undefined) ?? null, String(prv.relname));
    const parentTable = parentKey ? r.catalog.tables.get(parentKey) : undefined;
    if (parentTable) {
      for (const [name, col] of parentTable.columns) table.columns.set(name, { ...col });
      if (node.partbound) table.partitionOf = parentKey;
    }
  }
  for (const elt of (node.tableElts ?? []) as AstNode[]) {
    if (elt.ColumnDef) addColumn(r, table, elt.ColumnDef);
    else if (elt.Constraint) addConstraint(r, table, elt.Constraint);
    else if (elt.TableLikeClause) {
      const lrv = elt.TableLikeClause.relation as AstNode;
      const likeKey = r.resolveRelation((lrv.schemaname as string | undefined) ?? null, String(lrv.relname));
      const like = likeKey ? r.catalog.tables.get(likeKey) : undefined;
      for (const [name, col] of like?.columns ?? []) table.columns.set(name, { ...col, location: r.here() });
    }
  }
  r.catalog.tables.set(key, table);
  applyDefaultGrants(r, key, schema);
}

export function addColumn(r: Replayer, table: TableState, def: AstNode): void {
  const name = String(def.colname);
  let notNull = table.primaryKey.includes(name);
  for (const c of (def.constraints ?? []) as AstNode[]) {
    const constraint = c.Constraint as AstNode | undefined;
    const contype = constraint?.contype as string | undefined;
    if (contype === 'CONSTR_NOTNULL' || contype === 'CONSTR_PRIMARY') notNull = true;
    if (contype === 'CONSTR_PRIMARY') table.primaryKey.push(name);
    if (contype === 'CONSTR_UNIQUE') table.uniqueKeys.push([name]);
    if (contype === 'CONSTR_FOREIGN') addForeignKey(r, table, [name], constraint!);
  }
  const existing = table.columns.get(name);
  table.columns.set(name, { name, notNull: notNull || (existing?.notNull ?? false), type: def.typeName ? normalizeTypeName(def.typeName) : null, location: r.here() });
}

/** `REFERENCES t [(cols)]`, resolved now (a table referencing itself is not in the catalog yet). */
function addForeignKey(r: Replayer, table: TableState, columns: string[], c: AstNode): void {
  const pk = c.pktable as AstNode | undefined;
  if (!pk) return;
  const schema = (pk.schemaname as string | undefined) ?? null;
  const name = String(pk.relname);
  const self = name === table.name && (schema === null || schema === table.schema);
  const references = self ? qualifiedKey(table.schema, table.name) : (r.resolveRelation(schema, name) ?? qualifiedKey(schema ?? 'public', name));
  table.foreignKeys.push({ columns, references, refColumns: nameList(c.pk_attrs) });
}

export function addConstraint(r: Replayer, table: TableState, c: AstNode): void {
  if (c.contype === 'CONSTR_PRIMARY') {
    for (const key of nameList(c.keys)) {
      table.primaryKey.push(key);
      const col = table.columns.get(key);
      if (col) col.notNull = true;
    }
  } else if (c.contype === 'CONSTR_UNIQUE') {
    const keys = nameList(c.keys);
    if (keys.length > 0) table.uniqueKeys.push(keys);
  } else if (c.contype === 'CONSTR_FOREIGN') {
    addForeignKey(r, table, nameList(c.fk_attrs), c);
  } else if (c.contype === 'CONSTR_NOTNULL' && c.keys) {
    for (const key of nameList(c.keys)) {
      const col = table.columns.get(key);
      if (col) col.notNull = true;
    }
  }
}

export function alterTable(r: Replayer, node: AstNode): void {
  const rv = node.relation as AstNode;
  if (node.objtype === 'OBJECT_VIEW' || node.objtype === 'OBJECT_MATVIEW') {
    const key = r.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
    const view = key ? r.catalog.views.get(key) : undefined;
    if (!view) return;
    for (const c of (node.cmds ?? []) as AstNode[]) {
      const cmd = c.AlterTableCmd as AstNode;
      if (cmd.subtype === 'AT_ChangeOwner') {
        const owner = roleName(cmd.newowner);
        view.owner = owner === 'current_user' ? null : owner;
      }
      for (const opt of (cmd.def?.List?.items ?? []) as AstNode[]) {
        if (opt.DefElem?.defname !== 'security_invoker') continue;
        view.securityInvoker = cmd.subtype === 'AT_SetRelOptions' ? defBool(opt.DefElem) : false;
        view.changedAt = r.here();
      }
    }
    return;
  }
  // row_security is a server setting, not a table option: PostgreSQL rejects the whole statement.
  for (const c of (node.cmds ?? []) as AstNode[]) {
    const cmd = c.AlterTableCmd as AstNode;
    if (cmd.subtype === 'AT_SetRelOptions' || cmd.subtype === 'AT_ResetRelOptions') {
      for (const opt of (cmd.def?.List?.items ?? []) as AstNode[]) {
        if (String(opt.DefElem?.defname).toLowerCase() === 'row_security') {
          r.catalog.rejected.push({
            ruleId: 'no-rls-disable',
            location: r.here(),
            message:
              "`row_security` is not a table option: PostgreSQL rejects this statement (unrecognized parameter). It is a session setting, and turning it off makes queries on RLS tables fail rather than bypass policies; to lift RLS, DISABLE ROW LEVEL SECURITY, which a forward migration must not do either.",
          });
          return;
        }
      }
    }
  }
  const table = r.tableFor(rv, !node.missing_ok);
  if (!table) return;
  for (const c of (node.cmds ?? []) as AstNode[]) alterTableCmd(r, table, c.AlterTableCmd as AstNode);
}

export function alterTableCmd(r: Replayer, table: TableState, cmd: AstNode): void {
  const at = r.here();
  switch (cmd.subtype) {
    case 'AT_EnableRowSecurity':
      table.rlsEnabled = true;
      table.rlsEnabledAt = at;
      table.rlsDisabledAt = null;
      return;
    case 'AT_DisableRowSecurity':
      if (table.rlsEnabled) table.rlsDisabledAt = at;
      table.rlsEnabled = false;
      return;
    case 'AT_ForceRowSecurity':
      table.rlsForced = true;
      table.rlsForcedAt = at;
      table.forceDisabledAt = null;
      return;
    case 'AT_NoForceRowSecurity':
      if (table.rlsForced) table.forceDisabledAt = at;
      table.rlsForced = false;
      return;
    case 'AT_AddColumn':
      addColumn(r, table, cmd.def.ColumnDef);
      return;
    case 'AT_DropColumn':
      if (table.columns.delete(String(cmd.name))) table.columnsDroppedAt.set(String(cmd.name), at);
      return;
    case 'AT_SetNotNull': {
      const col = table.columns.get(String(cmd.name));
      if (col) col.notNull = true;
      return;
    }
    case 'AT_DropNotNull': {
      const col = table.columns.get(String(cmd.name));
      if (col && !table.primaryKey.includes(col.name)) {
        col.notNull = false;
        col.location = at;
      }
      return;
    }
    case 'AT_AddConstraint':
      if (cmd.def?.Constraint) addConstraint(r, table, cmd.def.Constraint);
      return;
    case 'AT_ChangeOwner': {
      const owner = roleName(cmd.newowner);
      table.owner = owner === 'current_user' ? null : owner;
      table.ownerSetAt = at;
      return;
    }
    case 'AT_AttachPartition': {
      const prv = cmd.def?.PartitionCmd?.name as AstNode | undefined;
      const child = prv ? r.tableFor(prv, false) : null;
      if (child) child.partitionOf = qualifiedKey(table.schema, table.name);
      return;
    }
    case 'AT_DetachPartition': {
      const prv = cmd.def?.PartitionCmd?.name as AstNode | undefined;
      const child = prv ? r.tableFor(prv, false) : null;
      if (child) child.partitionOf = null;
      return;
    }
    default:
      return;
  }
}

export function rekeyTable(r: Replayer, oldKey: string, newKey: string): void {
  const table = r.catalog.tables.get(oldKey);
  if (table) {
    r.catalog.tables.delete(oldKey);
    r.catalog.tables.set(newKey, table);
    const [schema, name] = [newKey.slice(0, newKey.indexOf('.')), newKey.slice(newKey.indexOf('.') + 1)];
    table.schema = schema;
    table.name = name;
  }
  const view = r.catalog.views.get(oldKey);
  if (view) {
    r.catalog.views.delete(oldKey);
    r.catalog.views.set(newKey, view);
    view.schema = newKey.slice(0, newKey.indexOf('.'));
    view.name = newKey.slice(newKey.indexOf('.') + 1);
  }
  for (const map of [r.catalog.policies, r.catalog.tableGrants] as Map<string, unknown>[]) {
    const value = map.get(oldKey);
    if (value !== undefined) {
      map.delete(oldKey);
      map.set(newKey, value);
    }
  }
  for (const policies of r.catalog.policies.values()) for (const p of policies.values()) if (p.table === oldKey) p.table = newKey;
  for (const t of r.catalog.tables.values()) if (t.partitionOf === oldKey) t.partitionOf = newKey;
  for (const v of r.catalog.views.values()) v.reads = v.reads.map((r) => (r === oldKey ? newKey : r));
}

export function rename(r: Replayer, node: AstNode): void {
  const rv = node.relation as AstNode | undefined;
  switch (node.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW': {
      if (!rv) return;
      const key = r.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
      if (key) rekeyTable(r, key, qualifiedKey(key.slice(0, key.indexOf('.')), String(node.newname)));
      return;
    }
    case 'OBJECT_COLUMN': {
      const table = rv ? r.tableFor(rv, false) : null;
      const col = table?.columns.get(String(node.subname));
      if (table && col) {
        table.columns.delete(col.name);
        col.name = String(node.newname);
        table.columns.set(col.name, col);
        table.primaryKey = table.primaryKey.map((k) => (k === node.subname ? col.name : k));
      }
      return;
    }
    case 'OBJECT_POLICY': {
      const table = rv ? r.tableFor(rv, false) : null;
      if (!table) return;
      const policies = r.catalog.policies.get(qualifiedKey(table.schema, table.name));
      const policy = policies?.get(String(node.subname));
      if (policies && policy) {
        policies.delete(policy.name);
        policy.name = String(node.newname);
        policies.set(policy.name, policy);
      }
      return;
    }
    case 'OBJECT_ROLE': {
      const role = r.catalog.roles.get(String(node.subname));
      if (role) {
        r.catalog.roles.delete(role.name);
        role.name = String(node.newname);
        r.catalog.roles.set(role.name, role);
      }
      return;
    }
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE': {
      const fn = findFunction(r, node.object?.ObjectWithArgs ?? node.object);
      if (fn) {
        deleteFunction(r, fn);
        fn.name = String(node.newname);
        putFunction(r, fn);
      }
      return;
    }
    default:
      return;
  }
}

export function setSchema(r: Replayer, node: AstNode): void {
  const newSchema = String(node.newschema);
  if (['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(node.objectType as string)) {
    const rv = node.relation as AstNode;
    const key = r.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
    if (key) rekeyTable(r, key, qualifiedKey(newSchema, String(rv.relname)));
  } else if (node.objectType === 'OBJECT_FUNCTION' || node.objectType === 'OBJECT_PROCEDURE') {
    const fn = findFunction(r, node.object?.ObjectWithArgs ?? node.object);
    if (fn) {
      deleteFunction(r, fn);
      fn.schema = newSchema;
      putFunction(r, fn);
    }
  }
}

export function drop(r: Replayer, node: AstNode): void {
  const removeType = node.removeType as string;
  for (const obj of (node.objects ?? []) as AstNode[]) {
    if (removeType === 'OBJECT_TABLE' || removeType === 'OBJECT_VIEW' || removeType === 'OBJECT_MATVIEW') {
      const parts = nameList(obj.List?.items);
      const name = parts[parts.length - 1]!;
      const key = r.resolveRelation(parts.length > 1 ? parts[parts.length - 2]! : null, name);
      if (!key) continue;
      r.catalog.tables.delete(key);
      r.catalog.views.delete(key);
      r.catalog.policies.delete(key);
      r.catalog.tableGrants.delete(key);
      for (const [k, t] of r.catalog.tables) if (t.partitionOf === key) r.catalog.tables.delete(k);
    } else if (removeType === 'OBJECT_POLICY') {
      const parts = nameList(obj.List?.items);
      const policyName = parts.pop()!;
      const tableName = parts.pop()!;
      const key = r.resolveRelation(parts.pop() ?? null, tableName);
      const policies = key ? r.catalog.policies.get(key) : undefined;
      const policy = policies?.get(policyName);
      if (policies && policy && key) {
        policies.delete(policyName);
        r.catalog.droppedPolicies.push({ table: key, policy, droppedAt: r.here() });
      }
    } else if (removeType === 'OBJECT_FUNCTION' || removeType === 'OBJECT_PROCEDURE' || removeType === 'OBJECT_ROUTINE') {
      const fn = findFunction(r, obj.ObjectWithArgs ?? obj);
      if (fn) deleteFunction(r, fn);
    } else if (removeType === 'OBJECT_ROLE') {
      r.catalog.roles.delete(String(str(obj) ?? obj.RoleSpec?.rolename ?? ''));
    } else if (removeType === 'OBJECT_SCHEMA' && node.behavior === 'DROP_CASCADE') {
      const schema = str(obj);
      if (!schema) continue;
      for (const key of [...r.catalog.tables.keys(), ...r.catalog.views.keys()]) {
        if (key.startsWith(`${schema}.`)) {
          r.catalog.tables.delete(key);
          r.catalog.views.delete(key);
          r.catalog.policies.delete(key);
        }
      }
    }
  }
  if (removeType === 'OBJECT_ROLE') {
    for (const m of (node.roles ?? []) as AstNode[]) r.catalog.roles.delete(roleName(m));
  }
}
