/**
 * Replays parsed migrations, in order, into a `Catalog`.
 *
 * Each handler mirrors what PostgreSQL does with the statement as far as isolation is concerned,
 * and records where it happened. Statements that do not bear on isolation (indexes, data
 * changes, comments) are skipped. Statements PostgreSQL would reject for a reason rls-guard knows
 * change nothing and are recorded in `catalog.rejected`.
 */
import { analyzePlpgsql, relationsIn } from '../analysis/function-body.js';
import type { PolicyCommand } from '../analysis/policies.js';
import type { ParsedScript, SqlStatement, AstNode } from '../sql/parse.js';
import {
  Catalog,
  qualifiedKey,
  type FunctionState,
  type RoleState,
  type SourceLocation,
  type TablePrivilege,
  type TableState,
} from './catalog.js';

export interface ReplayInput {
  /** Path as it should appear in findings. */
  file: string;
  script: ParsedScript;
}

const ALL_TABLE_PRIVILEGES: TablePrivilege[] = ['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger', 'maintain'];

function str(node: AstNode | undefined): string | undefined {
  return node?.String?.sval as string | undefined;
}

function nameList(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => str(n) ?? '').filter((s) => s !== '');
}

function roleName(spec: AstNode | undefined): string {
  const s = (spec?.RoleSpec ?? spec) as AstNode | undefined;
  switch (s?.roletype) {
    case 'ROLESPEC_PUBLIC':
      return 'public';
    case 'ROLESPEC_CURRENT_USER':
    case 'ROLESPEC_CURRENT_ROLE':
    case 'ROLESPEC_SESSION_USER':
      return 'current_user';
    default:
      return String(s?.rolename ?? '');
  }
}

function defBool(def: AstNode): boolean {
  const arg = def.arg as AstNode | undefined;
  if (!arg) return true;
  if (arg.Boolean) return !!arg.Boolean.boolval;
  if (arg.Integer) return arg.Integer.ival !== 0;
  const text = (str(arg) ?? arg.TypeName?.names?.[0]?.String?.sval ?? 'true').toLowerCase();
  return ['true', 'on', 'yes', '1'].includes(text);
}

/** Normalizes a type name the way PostgreSQL identifies function signatures (int -> int4, ...). */
export function normalizeTypeName(typeName: AstNode | undefined): string {
  const names = nameList(typeName?.names);
  let name = (names[names.length - 1] ?? '').toLowerCase();
  const aliases: Record<string, string> = {
    integer: 'int4',
    int: 'int4',
    smallint: 'int2',
    bigint: 'int8',
    boolean: 'bool',
    'character varying': 'varchar',
    character: 'bpchar',
    real: 'float4',
    'double precision': 'float8',
    decimal: 'numeric',
  };
  name = aliases[name] ?? name;
  return typeName?.arrayBounds ? `${name}[]` : name;
}

function functionArgTypes(params: AstNode[] | undefined): { types: string[]; names: string[] } {
  const types: string[] = [];
  const names: string[] = [];
  for (const p of params ?? []) {
    const fp = (p.FunctionParameter ?? p) as AstNode;
    const mode = fp.mode as string | undefined;
    if (mode === 'FUNC_PARAM_OUT' || mode === 'FUNC_PARAM_TABLE') continue;
    types.push(normalizeTypeName(fp.argType));
    names.push(String(fp.name ?? ''));
  }
  return { types, names };
}

function searchPathFromSet(set: AstNode): string[] | null {
  if (String(set.name ?? '').toLowerCase() !== 'search_path') return null;
  if (set.kind === 'VAR_SET_DEFAULT' || set.kind === 'VAR_RESET') return null;
  if (set.kind === 'VAR_SET_CURRENT') return ['$current'];
  const path: string[] = [];
  for (const arg of (set.args ?? []) as AstNode[]) {
    const value = (arg.A_Const?.sval?.sval ?? str(arg) ?? '') as string;
    // `SET search_path = 'a, b'` is one string PostgreSQL splits on commas.
    for (const part of value.split(',')) {
      const p = part.trim().replace(/^"(.*)"$/, '$1');
      if (p !== '') path.push(p);
    }
  }
  return path;
}

/** The statement kinds that change the schema model; every other statement is skipped. */
export const REPLAYED_STATEMENT_KINDS: ReadonlySet<string> = new Set([
  'CreateStmt', 'CreateTableAsStmt', 'ViewStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt',
  'DropStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'CreateFunctionStmt', 'AlterFunctionStmt',
  'CreateRoleStmt', 'AlterRoleStmt', 'GrantRoleStmt', 'GrantStmt', 'AlterDefaultPrivilegesStmt',
  'CreateSchemaStmt', 'VariableSetStmt', 'DoStmt', 'SelectStmt', 'CallStmt', 'DropRoleStmt',
]);

export class Replayer {
  readonly catalog = new Catalog();
  /** The session search_path of the migration runner (`SET search_path` in a migration changes it). */
  private searchPath: string[] = ['public'];
  private file = '';
  private script!: ParsedScript;
  private stmt!: SqlStatement;
  private functionDefaultPublicExecute = true;
  /** The role a migration switched to (SET ROLE / SET SESSION AUTHORIZATION): it owns what it creates. */
  private currentRole: string | null = null;
  /** Function keys by bare name, so finding a function (GRANT, ALTER, DROP) does not scan them all. */
  private readonly functionKeysByName = new Map<string, Set<string>>();

  replayFile(input: ReplayInput): void {
    this.file = input.file;
    this.script = input.script;
    // Each migration runs in a new session: SET search_path and SET ROLE in one file do not carry over.
    this.searchPath = ['public'];
    this.currentRole = null;
    for (const stmt of input.script.statements) {
      this.stmt = stmt;
      this.apply(stmt.kind, stmt.node);
    }
  }

  private hereCache: { stmt: SqlStatement; location: SourceLocation } | null = null;

  /** The location of the current statement (one object per statement: locations are never mutated). */
  private here(): SourceLocation {
    if (this.hereCache?.stmt === this.stmt) return this.hereCache.location;
    const start = this.script.source.position(this.stmt.start);
    const end = this.script.source.position(this.stmt.end);
    const location = { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
    this.hereCache = { stmt: this.stmt, location };
    return location;
  }

  private apply(kind: string, node: AstNode): void {
    if (!REPLAYED_STATEMENT_KINDS.has(kind)) return;
    switch (kind) {
      case 'CreateStmt':
        return this.createTable(node);
      case 'CreateTableAsStmt':
        return this.createTableAs(node);
      case 'ViewStmt':
        return this.createView(node);
      case 'AlterTableStmt':
        return this.alterTable(node);
      case 'RenameStmt':
        return this.rename(node);
      case 'AlterObjectSchemaStmt':
        return this.setSchema(node);
      case 'DropStmt':
        return this.drop(node);
      case 'CreatePolicyStmt':
        return this.createPolicy(node);
      case 'AlterPolicyStmt':
        return this.alterPolicy(node);
      case 'CreateFunctionStmt':
        return this.createFunction(node);
      case 'AlterFunctionStmt':
        return this.alterFunction(node);
      case 'CreateRoleStmt':
        return this.createRole(node);
      case 'AlterRoleStmt':
        return this.alterRole(node);
      case 'GrantRoleStmt':
        return this.grantRole(node);
      case 'GrantStmt':
        return this.grant(node, null);
      case 'AlterDefaultPrivilegesStmt':
        return this.alterDefaultPrivileges(node);
      case 'CreateSchemaStmt':
        this.catalog.schemas.add(String(node.schemaname ?? roleName(node.authrole)));
        for (const elt of (node.schemaElts ?? []) as AstNode[]) {
          const k = Object.keys(elt)[0]!;
          this.withDefaultSchema(String(node.schemaname), () => this.apply(k, elt[k]));
        }
        return;
      case 'DropRoleStmt':
        for (const r of (node.roles ?? []) as AstNode[]) this.catalog.roles.delete(roleName(r));
        return;
      case 'VariableSetStmt': {
        // SET takes no bind parameters: PostgreSQL rejects `SET x = $1` with a syntax error (42601).
        if (((node.args ?? []) as AstNode[]).some((a) => a.ParamRef)) {
          this.catalog.rejected.push({
            ruleId: 'parse-error',
            location: this.here(),
            message: `PostgreSQL cannot parse this statement: SET takes no bind parameters, so \`SET ${node.is_local ? 'LOCAL ' : ''}${String(node.name)} = $n\` fails with a syntax error (42601). Use SELECT set_config('${String(node.name)}', $1, true).`,
          });
          return;
        }
        const setting = String(node.name ?? '').toLowerCase();
        if (setting === 'role' || setting === 'session_authorization') {
          const value = node.kind === 'VAR_SET_VALUE' ? String(((node.args ?? []) as AstNode[])[0]?.A_Const?.sval?.sval ?? '') : '';
          this.currentRole = value && value.toLowerCase() !== 'none' && value.toLowerCase() !== 'default' ? value : null;
          return;
        }
        if (node.kind === 'VAR_RESET_ALL') this.currentRole = null;
        const path = searchPathFromSet(node);
        if (path && !path.includes('$current')) this.searchPath = path.filter((p) => p !== '$user' && p !== '"$user"');
        if (node.kind === 'VAR_RESET' && String(node.name).toLowerCase() === 'search_path') this.searchPath = ['public'];
        return;
      }
      case 'DoStmt':
        return this.doBlock(node);
      case 'SelectStmt':
      case 'CallStmt':
        return this.invocation(node);
      default:
        return;
    }
  }

  private withDefaultSchema(schema: string, fn: () => void): void {
    const saved = this.searchPath;
    this.searchPath = [schema, ...saved];
    try {
      fn();
    } finally {
      this.searchPath = saved;
    }
  }

  // ---- names ---------------------------------------------------------------------------------

  private creationSchema(rv: AstNode): string {
    if (rv.relpersistence === 't') return 'pg_temp';
    return (rv.schemaname as string | undefined) ?? this.searchPath.find((s) => s !== 'pg_temp' && s !== 'pg_catalog') ?? 'public';
  }

  /** Resolves a relation reference the way PostgreSQL's search_path lookup does. */
  resolveRelation(schema: string | null, name: string): string | null {
    if (schema) {
      const key = qualifiedKey(schema, name);
      return this.catalog.tables.has(key) || this.catalog.views.has(key) ? key : null;
    }
    for (const s of ['pg_temp', ...this.searchPath]) {
      const key = qualifiedKey(s, name);
      if (this.catalog.tables.has(key) || this.catalog.views.has(key)) return key;
    }
    return null;
  }

  /** The table an ALTER / policy statement names; unknown tables are created as external. */
  private tableFor(rv: AstNode, createIfMissing: boolean): TableState | null {
    const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
    if (key) return this.catalog.tables.get(key) ?? null;
    if (!createIfMissing) return null;
    const table = this.newTable(this.creationSchema(rv), String(rv.relname), false);
    table.external = true;
    this.catalog.tables.set(qualifiedKey(table.schema, table.name), table);
    return table;
  }

  private newTable(schema: string, name: string, temporary: boolean): TableState {
    return {
      kind: 'table',
      schema,
      name,
      columns: new Map(),
      primaryKey: [],
      partitionOf: null,
      partitioned: false,
      rlsEnabled: false,
      rlsForced: false,
      owner: null,
      temporary,
      external: false,
      createdAt: this.here(),
      rlsEnabledAt: null,
      rlsForcedAt: null,
      rlsDisabledAt: null,
      forceDisabledAt: null,
      ownerSetAt: null,
      columnsDroppedAt: new Map(),
    };
  }

  // ---- tables --------------------------------------------------------------------------------

  private createTable(node: AstNode): void {
    const rv = node.relation as AstNode;
    const schema = this.creationSchema(rv);
    const key = qualifiedKey(schema, String(rv.relname));
    if (this.catalog.tables.has(key) || this.catalog.views.has(key)) {
      if (node.if_not_exists) return;
      const existing = this.catalog.tables.get(key);
      if (existing && !existing.external) return; // PostgreSQL rejects the duplicate; the first one stands.
    }
    const table = this.newTable(schema, String(rv.relname), rv.relpersistence === 't');
    if (this.currentRole) {
      table.owner = this.currentRole;
      table.ownerSetAt = this.here();
    }
    this.catalog.schemas.add(schema);
    table.partitioned = !!node.partspec;
    for (const parent of (node.inhRelations ?? []) as AstNode[]) {
      const prv = (parent.RangeVar ?? parent) as AstNode;
      const parentKey = this.resolveRelation((prv.schemaname as string | undefined) ?? null, String(prv.relname));
      const parentTable = parentKey ? this.catalog.tables.get(parentKey) : undefined;
      if (parentTable) {
        for (const [name, col] of parentTable.columns) table.columns.set(name, { ...col });
        if (node.partbound) table.partitionOf = parentKey;
      }
    }
    for (const elt of (node.tableElts ?? []) as AstNode[]) {
      if (elt.ColumnDef) this.addColumn(table, elt.ColumnDef);
      else if (elt.Constraint) this.addConstraint(table, elt.Constraint);
      else if (elt.TableLikeClause) {
        const lrv = elt.TableLikeClause.relation as AstNode;
        const likeKey = this.resolveRelation((lrv.schemaname as string | undefined) ?? null, String(lrv.relname));
        const like = likeKey ? this.catalog.tables.get(likeKey) : undefined;
        for (const [name, col] of like?.columns ?? []) table.columns.set(name, { ...col, location: this.here() });
      }
    }
    this.catalog.tables.set(key, table);
    this.applyDefaultGrants(key, schema);
  }

  private addColumn(table: TableState, def: AstNode): void {
    const name = String(def.colname);
    let notNull = table.primaryKey.includes(name);
    for (const c of (def.constraints ?? []) as AstNode[]) {
      const contype = c.Constraint?.contype as string | undefined;
      if (contype === 'CONSTR_NOTNULL' || contype === 'CONSTR_PRIMARY') notNull = true;
      if (contype === 'CONSTR_PRIMARY') table.primaryKey.push(name);
    }
    const existing = table.columns.get(name);
    table.columns.set(name, { name, notNull: notNull || (existing?.notNull ?? false), location: this.here() });
  }

  private addConstraint(table: TableState, c: AstNode): void {
    if (c.contype === 'CONSTR_PRIMARY') {
      for (const key of nameList(c.keys)) {
        table.primaryKey.push(key);
        const col = table.columns.get(key);
        if (col) col.notNull = true;
      }
    } else if (c.contype === 'CONSTR_NOTNULL' && c.keys) {
      for (const key of nameList(c.keys)) {
        const col = table.columns.get(key);
        if (col) col.notNull = true;
      }
    }
  }

  private createTableAs(node: AstNode): void {
    const into = node.into as AstNode;
    const rv = into.rel as AstNode;
    const schema = this.creationSchema(rv);
    const key = qualifiedKey(schema, String(rv.relname));
    if (node.objtype === 'OBJECT_MATVIEW') {
      if (this.catalog.views.has(key) && node.if_not_exists) return;
      this.catalog.views.set(key, {
        kind: 'materialized view',
        schema,
        name: String(rv.relname),
        securityInvoker: false,
        reads: this.relationsRead(node.query),
        createdAt: this.here(),
        changedAt: this.here(),
      });
      return;
    }
    if (this.catalog.tables.has(key) && node.if_not_exists) return;
    const table = this.newTable(schema, String(rv.relname), rv.relpersistence === 't');
    const colNames = nameList(into.colNames);
    const targets = (node.query?.SelectStmt?.targetList ?? []) as AstNode[];
    const names = colNames.length > 0 ? colNames : targets.map((t) => (t.ResTarget?.name as string | undefined) ?? nameList(t.ResTarget?.val?.ColumnRef?.fields).pop() ?? '');
    for (const name of names) if (name) table.columns.set(name, { name, notNull: false, location: this.here() });
    this.catalog.tables.set(key, table);
    this.applyDefaultGrants(key, schema);
  }

  /** The tables (views expanded) a query reads, as `schema.name` keys. */
  private relationsRead(query: AstNode | undefined): string[] {
    const keys = new Set<string>();
    for (const ref of relationsIn(query ? [query] : [])) {
      const key = this.resolveRelation(ref.schema, ref.name);
      if (!key) continue;
      const view = this.catalog.views.get(key);
      if (view && view.kind === 'view') {
        keys.add(key);
        for (const inner of view.reads) keys.add(inner);
      } else {
        keys.add(key);
      }
    }
    return [...keys];
  }

  private createView(node: AstNode): void {
    const rv = node.view as AstNode;
    const schema = this.creationSchema(rv);
    const key = qualifiedKey(schema, String(rv.relname));
    const existing = this.catalog.views.get(key);
    let securityInvoker = false;
    for (const opt of (node.options ?? []) as AstNode[]) {
      if (opt.DefElem?.defname === 'security_invoker') securityInvoker = defBool(opt.DefElem);
    }
    this.catalog.views.set(key, {
      kind: 'view',
      schema,
      name: String(rv.relname),
      securityInvoker,
      reads: this.relationsRead(node.query),
      createdAt: node.replace && existing ? existing.createdAt : this.here(),
      changedAt: this.here(),
    });
  }

  private alterTable(node: AstNode): void {
    const rv = node.relation as AstNode;
    if (node.objtype === 'OBJECT_VIEW' || node.objtype === 'OBJECT_MATVIEW') {
      const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
      const view = key ? this.catalog.views.get(key) : undefined;
      if (!view) return;
      for (const c of (node.cmds ?? []) as AstNode[]) {
        const cmd = c.AlterTableCmd as AstNode;
        for (const opt of (cmd.def?.List?.items ?? []) as AstNode[]) {
          if (opt.DefElem?.defname !== 'security_invoker') continue;
          view.securityInvoker = cmd.subtype === 'AT_SetRelOptions' ? defBool(opt.DefElem) : false;
          view.changedAt = this.here();
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
            this.catalog.rejected.push({
              ruleId: 'no-rls-disable',
              location: this.here(),
              message:
                "`row_security` is not a table option: PostgreSQL rejects this statement (unrecognized parameter). It is a session setting, and turning it off makes queries on RLS tables fail rather than bypass policies; to lift RLS, DISABLE ROW LEVEL SECURITY, which a forward migration must not do either.",
            });
            return;
          }
        }
      }
    }
    const table = this.tableFor(rv, !node.missing_ok);
    if (!table) return;
    for (const c of (node.cmds ?? []) as AstNode[]) this.alterTableCmd(table, c.AlterTableCmd as AstNode);
  }

  private alterTableCmd(table: TableState, cmd: AstNode): void {
    const at = this.here();
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
        this.addColumn(table, cmd.def.ColumnDef);
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
        if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint);
        return;
      case 'AT_ChangeOwner': {
        const owner = roleName(cmd.newowner);
        table.owner = owner === 'current_user' ? null : owner;
        table.ownerSetAt = at;
        return;
      }
      case 'AT_AttachPartition': {
        const prv = cmd.def?.PartitionCmd?.name as AstNode | undefined;
        const child = prv ? this.tableFor(prv, false) : null;
        if (child) child.partitionOf = qualifiedKey(table.schema, table.name);
        return;
      }
      case 'AT_DetachPartition': {
        const prv = cmd.def?.PartitionCmd?.name as AstNode | undefined;
        const child = prv ? this.tableFor(prv, false) : null;
        if (child) child.partitionOf = null;
        return;
      }
      default:
        return;
    }
  }

  private rekeyTable(oldKey: string, newKey: string): void {
    const table = this.catalog.tables.get(oldKey);
    if (table) {
      this.catalog.tables.delete(oldKey);
      this.catalog.tables.set(newKey, table);
      const [schema, name] = [newKey.slice(0, newKey.indexOf('.')), newKey.slice(newKey.indexOf('.') + 1)];
      table.schema = schema;
      table.name = name;
    }
    const view = this.catalog.views.get(oldKey);
    if (view) {
      this.catalog.views.delete(oldKey);
      this.catalog.views.set(newKey, view);
      view.schema = newKey.slice(0, newKey.indexOf('.'));
      view.name = newKey.slice(newKey.indexOf('.') + 1);
    }
    for (const map of [this.catalog.policies, this.catalog.tableGrants] as Map<string, unknown>[]) {
      const value = map.get(oldKey);
      if (value !== undefined) {
        map.delete(oldKey);
        map.set(newKey, value);
      }
    }
    for (const policies of this.catalog.policies.values()) for (const p of policies.values()) if (p.table === oldKey) p.table = newKey;
    for (const t of this.catalog.tables.values()) if (t.partitionOf === oldKey) t.partitionOf = newKey;
    for (const v of this.catalog.views.values()) v.reads = v.reads.map((r) => (r === oldKey ? newKey : r));
  }

  private rename(node: AstNode): void {
    const rv = node.relation as AstNode | undefined;
    switch (node.renameType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_VIEW':
      case 'OBJECT_MATVIEW': {
        if (!rv) return;
        const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
        if (key) this.rekeyTable(key, qualifiedKey(key.slice(0, key.indexOf('.')), String(node.newname)));
        return;
      }
      case 'OBJECT_COLUMN': {
        const table = rv ? this.tableFor(rv, false) : null;
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
        const table = rv ? this.tableFor(rv, false) : null;
        if (!table) return;
        const policies = this.catalog.policies.get(qualifiedKey(table.schema, table.name));
        const policy = policies?.get(String(node.subname));
        if (policies && policy) {
          policies.delete(policy.name);
          policy.name = String(node.newname);
          policies.set(policy.name, policy);
        }
        return;
      }
      case 'OBJECT_ROLE': {
        const role = this.catalog.roles.get(String(node.subname));
        if (role) {
          this.catalog.roles.delete(role.name);
          role.name = String(node.newname);
          this.catalog.roles.set(role.name, role);
        }
        return;
      }
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE': {
        const fn = this.findFunction(node.object?.ObjectWithArgs ?? node.object);
        if (fn) {
          this.deleteFunction(fn);
          fn.name = String(node.newname);
          this.putFunction(fn);
        }
        return;
      }
      default:
        return;
    }
  }

  private setSchema(node: AstNode): void {
    const newSchema = String(node.newschema);
    if (['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(node.objectType as string)) {
      const rv = node.relation as AstNode;
      const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
      if (key) this.rekeyTable(key, qualifiedKey(newSchema, String(rv.relname)));
    } else if (node.objectType === 'OBJECT_FUNCTION' || node.objectType === 'OBJECT_PROCEDURE') {
      const fn = this.findFunction(node.object?.ObjectWithArgs ?? node.object);
      if (fn) {
        this.deleteFunction(fn);
        fn.schema = newSchema;
        this.putFunction(fn);
      }
    }
  }

  private drop(node: AstNode): void {
    const removeType = node.removeType as string;
    for (const obj of (node.objects ?? []) as AstNode[]) {
      if (removeType === 'OBJECT_TABLE' || removeType === 'OBJECT_VIEW' || removeType === 'OBJECT_MATVIEW') {
        const parts = nameList(obj.List?.items);
        const name = parts[parts.length - 1]!;
        const key = this.resolveRelation(parts.length > 1 ? parts[parts.length - 2]! : null, name);
        if (!key) continue;
        this.catalog.tables.delete(key);
        this.catalog.views.delete(key);
        this.catalog.policies.delete(key);
        this.catalog.tableGrants.delete(key);
        for (const [k, t] of this.catalog.tables) if (t.partitionOf === key) this.catalog.tables.delete(k);
      } else if (removeType === 'OBJECT_POLICY') {
        const parts = nameList(obj.List?.items);
        const policyName = parts.pop()!;
        const tableName = parts.pop()!;
        const key = this.resolveRelation(parts.pop() ?? null, tableName);
        const policies = key ? this.catalog.policies.get(key) : undefined;
        const policy = policies?.get(policyName);
        if (policies && policy && key) {
          policies.delete(policyName);
          this.catalog.droppedPolicies.push({ table: key, policy, droppedAt: this.here() });
        }
      } else if (removeType === 'OBJECT_FUNCTION' || removeType === 'OBJECT_PROCEDURE' || removeType === 'OBJECT_ROUTINE') {
        const fn = this.findFunction(obj.ObjectWithArgs ?? obj);
        if (fn) this.deleteFunction(fn);
      } else if (removeType === 'OBJECT_ROLE') {
        this.catalog.roles.delete(String(str(obj) ?? obj.RoleSpec?.rolename ?? ''));
      } else if (removeType === 'OBJECT_SCHEMA' && node.behavior === 'DROP_CASCADE') {
        const schema = str(obj);
        if (!schema) continue;
        for (const key of [...this.catalog.tables.keys(), ...this.catalog.views.keys()]) {
          if (key.startsWith(`${schema}.`)) {
            this.catalog.tables.delete(key);
            this.catalog.views.delete(key);
            this.catalog.policies.delete(key);
          }
        }
      }
    }
    if (removeType === 'OBJECT_ROLE') {
      for (const r of (node.roles ?? []) as AstNode[]) this.catalog.roles.delete(roleName(r));
    }
  }

  // ---- policies ------------------------------------------------------------------------------

  private createPolicy(node: AstNode): void {
    const table = this.tableFor(node.table as AstNode, true)!;
    const key = qualifiedKey(table.schema, table.name);
    let policies = this.catalog.policies.get(key);
    if (!policies) this.catalog.policies.set(key, (policies = new Map()));
    const name = String(node.policy_name);
    if (policies.has(name)) return; // PostgreSQL rejects a duplicate policy name.
    const command = String(node.cmd_name ?? 'all').toLowerCase();
    const invalid =
      command === 'insert' && node.qual
        ? 'only WITH CHECK expression allowed for INSERT'
        : (command === 'select' || command === 'delete') && node.with_check
          ? 'WITH CHECK cannot be applied to SELECT or DELETE'
          : null;
    if (invalid) {
      this.catalog.rejected.push({
        ruleId: 'parse-error',
        location: this.here(),
        message: `PostgreSQL rejects this CREATE POLICY (42601: ${invalid}): the migration fails and the policy does not exist. ${command === 'insert' ? 'An INSERT policy takes only WITH CHECK.' : 'SELECT and DELETE policies take only USING.'}`,
      });
      return;
    }
    const roles = ((node.roles ?? []) as AstNode[]).map((r) => roleName(r));
    policies.set(name, {
      name,
      table: key,
      command: (String(node.cmd_name ?? 'all').toLowerCase() as PolicyCommand) ?? 'all',
      // The parser's JSON omits false booleans: AS RESTRICTIVE has no `permissive` field.
      permissive: node.permissive === true,
      roles: roles.length > 0 ? roles : ['public'],
      using: (node.qual as AstNode | undefined) ?? null,
      withCheck: (node.with_check as AstNode | undefined) ?? null,
      createdAt: this.here(),
      changedAt: this.here(),
    });
  }

  private alterPolicy(node: AstNode): void {
    const table = this.tableFor(node.table as AstNode, false);
    if (!table) return;
    const policy = this.catalog.policies.get(qualifiedKey(table.schema, table.name))?.get(String(node.policy_name));
    if (!policy) return;
    if (node.roles) policy.roles = (node.roles as AstNode[]).map((r) => roleName(r));
    if (node.qual) policy.using = node.qual as AstNode;
    if (node.with_check) policy.withCheck = node.with_check as AstNode;
    policy.changedAt = this.here();
  }

  // ---- functions -----------------------------------------------------------------------------

  private functionKey(schema: string, name: string, argTypes: string[]): string {
    return `${schema}.${name}(${argTypes.join(',')})`;
  }

  /** Adds (or replaces) a function in the catalog and the by-name index. */
  private putFunction(fn: FunctionState): void {
    const key = this.functionKey(fn.schema, fn.name, fn.argTypes);
    this.catalog.functions.set(key, fn);
    let keys = this.functionKeysByName.get(fn.name);
    if (!keys) this.functionKeysByName.set(fn.name, (keys = new Set()));
    keys.add(key);
  }

  private deleteFunction(fn: FunctionState): void {
    const key = this.functionKey(fn.schema, fn.name, fn.argTypes);
    this.catalog.functions.delete(key);
    this.functionKeysByName.get(fn.name)?.delete(key);
  }

  private findFunction(owa: AstNode | undefined): FunctionState | undefined {
    if (!owa) return undefined;
    const parts = nameList(owa.objname);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
    // The index keeps each name's keys in catalog order, so `candidates[0]` is the oldest overload.
    const candidates = [...(this.functionKeysByName.get(name) ?? [])]
      .map((key) => this.catalog.functions.get(key)!)
      .filter((f) => (schema ? f.schema === schema : this.searchPath.includes(f.schema) || f.schema === 'public'));
    if (owa.args_unspecified || !owa.objargs) return candidates[0];
    const types = ((owa.objfuncargs ?? owa.objargs) as AstNode[])
      .filter((a) => {
        const mode = a.FunctionParameter?.mode as string | undefined;
        return mode !== 'FUNC_PARAM_OUT' && mode !== 'FUNC_PARAM_TABLE';
      })
      .map((a) => normalizeTypeName(a.FunctionParameter?.argType ?? a.TypeName));
    return candidates.find((f) => f.argTypes.join(',') === types.join(',')) ?? (candidates.length === 1 ? candidates[0] : undefined);
  }

  private createFunction(node: AstNode): void {
    const parts = nameList(node.funcname);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : (this.searchPath.find((s) => s !== 'pg_temp' && s !== 'pg_catalog') ?? 'public');
    const { types, names } = functionArgTypes(node.parameters);
    const key = this.functionKey(schema, name, types);
    let language = 'sql';
    let securityDefiner = false;
    let searchPath: string[] | null = null;
    let body: string | null = null;
    for (const opt of (node.options ?? []) as AstNode[]) {
      const def = opt.DefElem as AstNode;
      switch (def?.defname) {
        case 'language':
          language = String(str(def.arg) ?? 'sql').toLowerCase();
          break;
        case 'security':
          securityDefiner = defBool(def);
          break;
        case 'set':
          searchPath = searchPathFromSet(def.arg.VariableSetStmt) ?? searchPath;
          break;
        case 'as': {
          const items = nameList(def.arg?.List?.items);
          body = items.length === 1 ? items[0]! : null;
          break;
        }
      }
    }
    const existing = this.catalog.functions.get(key);
    const fn: FunctionState = {
      kind: node.is_procedure ? 'procedure' : 'function',
      schema,
      name,
      argTypes: types,
      argNames: names,
      language,
      securityDefiner,
      searchPath: searchPath?.includes('$current') ? [...this.searchPath] : searchPath,
      body,
      sqlBody: (node.sql_body as AstNode | undefined) ?? null,
      // CREATE OR REPLACE keeps the function's privileges; a new function is executable by PUBLIC.
      executeGrantees: existing && node.replace ? existing.executeGrantees : new Set(this.functionDefaultPublicExecute ? ['public'] : []),
      createdAt: this.here(),
      searchPathSetAt: searchPath ? this.here() : null,
      statementText: this.script.source.text.slice(this.stmt.start, this.stmt.end),
    };
    if (existing && !node.replace) return; // PostgreSQL rejects the duplicate.
    this.putFunction(fn);
  }

  private alterFunction(node: AstNode): void {
    const fn = this.findFunction(node.func as AstNode);
    if (!fn) return;
    for (const a of (node.actions ?? []) as AstNode[]) {
      const def = a.DefElem as AstNode;
      if (def?.defname === 'security') fn.securityDefiner = defBool(def);
      if (def?.defname === 'set' && def.arg?.VariableSetStmt) {
        const set = def.arg.VariableSetStmt as AstNode;
        if (String(set.name ?? '').toLowerCase() === 'search_path' || set.kind === 'VAR_RESET_ALL') {
          const path = searchPathFromSet(set);
          fn.searchPath = path?.includes('$current') ? [...this.searchPath] : path;
          fn.searchPathSetAt = this.here();
        }
      }
    }
  }

  // ---- roles and privileges ------------------------------------------------------------------

  private role(name: string): RoleState {
    let role = this.catalog.roles.get(name);
    if (!role) {
      role = { name, superuser: false, bypassRls: false, login: false, inherit: true, memberOf: new Map(), noInherit: new Set(), createdAt: this.here(), privilegedAt: null };
      this.catalog.roles.set(name, role);
    }
    return role;
  }

  private applyRoleOptions(role: RoleState, options: AstNode[] | undefined): void {
    for (const o of options ?? []) {
      const def = o.DefElem as AstNode;
      switch (def?.defname) {
        case 'superuser':
          role.superuser = defBool(def);
          if (role.superuser) role.privilegedAt = this.here();
          break;
        case 'bypassrls':
          role.bypassRls = defBool(def);
          if (role.bypassRls) role.privilegedAt = this.here();
          break;
        case 'canlogin':
          role.login = defBool(def);
          break;
        case 'inherit':
          role.inherit = defBool(def);
          break;
        case 'addroleto':
          for (const r of (def.arg?.List?.items ?? []) as AstNode[]) role.memberOf.set(roleName(r), this.here());
          break;
        case 'rolemembers':
          for (const r of (def.arg?.List?.items ?? []) as AstNode[]) this.role(roleName(r)).memberOf.set(role.name, this.here());
          break;
      }
    }
  }

  private createRole(node: AstNode): void {
    const name = String(node.role);
    const existing = this.catalog.roles.get(name);
    const role = this.role(name);
    if (!existing) role.createdAt = this.here();
    // CREATE USER implies LOGIN.
    if (node.stmt_type === 'ROLESTMT_USER') role.login = true;
    this.applyRoleOptions(role, node.options);
  }

  private alterRole(node: AstNode): void {
    const name = roleName(node.role);
    if (name === 'current_user' || name === 'public') return;
    if (node.action === -1) {
      // ALTER GROUP g DROP USER u
      for (const o of (node.options ?? []) as AstNode[]) {
        if (o.DefElem?.defname === 'rolemembers') for (const r of (o.DefElem.arg?.List?.items ?? []) as AstNode[]) this.role(roleName(r)).memberOf.delete(name);
      }
      return;
    }
    this.applyRoleOptions(this.role(name), node.options);
  }

  private grantRole(node: AstNode): void {
    const granted = ((node.granted_roles ?? []) as AstNode[]).map((r) => String(r.AccessPriv?.priv_name ?? ''));
    // GRANT r TO x WITH INHERIT FALSE (PostgreSQL 16+): x may SET ROLE r but does not inherit its
    // privileges, and r's policies do not apply to x.
    let inherit: boolean | null = null;
    for (const o of (node.opt ?? []) as AstNode[]) if (o.DefElem?.defname === 'inherit') inherit = defBool(o.DefElem);
    for (const grantee of (node.grantee_roles ?? []) as AstNode[]) {
      const role = this.role(roleName(grantee));
      for (const g of granted) {
        if (node.is_grant) {
          role.memberOf.set(g, this.here());
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

  private privilegesOf(node: AstNode): TablePrivilege[] {
    const privs = (node.privileges ?? null) as AstNode[] | null;
    if (!privs) return ALL_TABLE_PRIVILEGES; // ALL [PRIVILEGES]
    // Column-level grants (SELECT (col)) do not grant table-wide rights; still count them as the privilege.
    return privs.map((p) => String(p.AccessPriv?.priv_name ?? '').toLowerCase() as TablePrivilege);
  }

  /**
   * `defaultsFor`: ALTER DEFAULT PRIVILEGES for future objects, in the listed schemas or (`'*'`)
   * everywhere. Null for a GRANT/REVOKE on existing objects.
   */
  private grant(node: AstNode, defaultsForSchemas: string[] | null): void {
    const grantees = ((node.grantees ?? []) as AstNode[]).map((g) => roleName(g));
    if (node.objtype === 'OBJECT_TABLE') {
      const privileges = this.privilegesOf(node);
      if (defaultsForSchemas) {
        for (const schema of defaultsForSchemas) {
          let bySchema = this.catalog.defaultTableGrants.get(schema);
          if (!bySchema) this.catalog.defaultTableGrants.set(schema, (bySchema = new Map()));
          for (const grantee of grantees) {
            let entry = bySchema.get(grantee);
            if (!entry) bySchema.set(grantee, (entry = { privileges: new Set(), at: this.here() }));
            for (const p of privileges) node.is_grant ? entry.privileges.add(p) : entry.privileges.delete(p);
            entry.at = this.here();
          }
        }
        return;
      }
      let tableKeys: string[] = [];
      if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
        const schemas = ((node.objects ?? []) as AstNode[]).map((o) => str(o)!);
        tableKeys = [...this.catalog.tables.keys(), ...this.catalog.views.keys()].filter((k) => schemas.some((s) => k.startsWith(`${s}.`)));
      } else {
        for (const o of (node.objects ?? []) as AstNode[]) {
          const rv = (o.RangeVar ?? o) as AstNode;
          const key = this.resolveRelation((rv.schemaname as string | undefined) ?? null, String(rv.relname));
          if (key) tableKeys.push(key);
        }
      }
      for (const key of tableKeys) this.setTableGrant(key, grantees, privileges, !!node.is_grant);
      return;
    }
    if (node.objtype === 'OBJECT_FUNCTION' || node.objtype === 'OBJECT_PROCEDURE' || node.objtype === 'OBJECT_ROUTINE') {
      if (defaultsForSchemas) {
        // PUBLIC's EXECUTE on new functions is a global default: a per-schema REVOKE cannot remove it.
        if (grantees.includes('public') && (node.is_grant || defaultsForSchemas.includes('*'))) this.functionDefaultPublicExecute = !!node.is_grant;
        return;
      }
      let fns: FunctionState[] = [];
      if (node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
        const schemas = ((node.objects ?? []) as AstNode[]).map((o) => str(o)!);
        fns = [...this.catalog.functions.values()].filter((f) => schemas.includes(f.schema));
      } else {
        for (const o of (node.objects ?? []) as AstNode[]) {
          const fn = this.findFunction(o.ObjectWithArgs ?? o);
          if (fn) fns.push(fn);
        }
      }
      for (const fn of fns) for (const g of grantees) node.is_grant ? fn.executeGrantees.add(g) : fn.executeGrantees.delete(g);
    }
  }

  private setTableGrant(key: string, grantees: string[], privileges: TablePrivilege[], isGrant: boolean): void {
    let byGrantee = this.catalog.tableGrants.get(key);
    if (!byGrantee) this.catalog.tableGrants.set(key, (byGrantee = new Map()));
    for (const grantee of grantees) {
      let grant = byGrantee.get(grantee);
      if (!grant) byGrantee.set(grantee, (grant = { privileges: new Set(), grantedAt: new Map() }));
      for (const p of privileges) {
        if (isGrant) {
          grant.privileges.add(p);
          grant.grantedAt.set(p, this.here());
        } else {
          grant.privileges.delete(p);
          grant.grantedAt.delete(p);
        }
      }
    }
  }

  private applyDefaultGrants(key: string, schema: string): void {
    const defaults = [...(this.catalog.defaultTableGrants.get('*') ?? []), ...(this.catalog.defaultTableGrants.get(schema) ?? [])];
    for (const [grantee, entry] of defaults) {
      let byGrantee = this.catalog.tableGrants.get(key);
      if (!byGrantee) this.catalog.tableGrants.set(key, (byGrantee = new Map()));
      let grant = byGrantee.get(grantee);
      if (!grant) byGrantee.set(grantee, (grant = { privileges: new Set(), grantedAt: new Map() }));
      // Attributed to the ALTER DEFAULT PRIVILEGES statement, which is where the grant was decided.
      for (const p of entry.privileges) {
        grant.privileges.add(p);
        grant.grantedAt.set(p, entry.at);
      }
    }
  }

  private alterDefaultPrivileges(node: AstNode): void {
    let schemas: string[] = ['*'];
    for (const o of (node.options ?? []) as AstNode[]) {
      if (o.DefElem?.defname === 'schemas') schemas = nameList(o.DefElem.arg?.List?.items);
    }
    this.grant(node.action as AstNode, schemas);
  }

  // ---- code run by migrations ----------------------------------------------------------------

  private doBlock(node: AstNode): void {
    let body: string | null = null;
    let language = 'plpgsql';
    for (const a of (node.args ?? []) as AstNode[]) {
      if (a.DefElem?.defname === 'as') body = str(a.DefElem.arg) ?? null;
      if (a.DefElem?.defname === 'language') language = String(str(a.DefElem.arg)).toLowerCase();
    }
    if (body === null || language !== 'plpgsql') {
      this.catalog.unverifiable.push({ location: this.here(), what: `a DO block in ${language}` });
      return;
    }
    const analysis = analyzePlpgsql({ doBody: body });
    if (!analysis.analyzable) {
      this.catalog.unverifiable.push({ location: this.here(), what: 'a DO block whose body rls-guard could not parse' });
      return;
    }
    // Static statements in a DO block are replayed as if run (conditions are assumed to hold).
    for (const command of analysis.commands) {
      const kind = Object.keys(command)[0]!;
      this.apply(kind, command[kind] as AstNode);
    }
    const dynamic = analysis.dynamic.filter((d) => d.constantSql === null);
    if (dynamic.length > 0) {
      this.catalog.unverifiable.push({ location: this.here(), what: `a DO block that runs dynamic SQL (EXECUTE ${dynamic[0]!.query.trim()})` });
    }
  }

  /** `SELECT f()` / `CALL p()` of a migration-defined function that runs dynamic SQL. */
  private invocation(node: AstNode): void {
    const calls: string[][] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n as AstNode)) {
          if (k === 'FuncCall' || k === 'funccall') calls.push(nameList((v as AstNode).funcname));
          walk(v);
        }
      }
    };
    walk(node);
    for (const parts of calls) {
      const name = parts[parts.length - 1]!;
      for (const fn of this.catalog.functions.values()) {
        if (fn.name !== name || fn.language !== 'plpgsql') continue;
        const analysis = analyzePlpgsql({ createStatement: fn.statementText });
        if (analysis.dynamic.some((d) => d.constantSql === null)) {
          this.catalog.unverifiable.push({ location: this.here(), what: `a call of ${fn.schema}.${fn.name}(), which runs dynamic SQL` });
          return;
        }
      }
    }
  }
}
