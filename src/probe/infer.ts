/**
 * What `rls-guard.config.json` would say, inferred from the live catalog when there is none
 * (issue "probe and verify", item 1), and which identity model the policies use (item 2).
 *
 * Read from the policies' ASTs (libpg-query), never their text:
 *
 * - a **tenant setting** is a custom setting whose value a policy compares with a column
 *   (`tenant_id = current_setting('app.tenant')::uuid`, `owner_id = current_setting('jwt.claims.user_id')::int`);
 *   a setting compared with a constant (`current_setting('app.bypass') = 'on'`) is not one;
 * - a **tenant function** is a function outside pg_catalog, called without arguments, whose value a
 *   policy compares with a column (`org_id = app.current_org()`, `team_id = ANY (user_team_ids())`);
 * - a table's **key column** is a column of it that a policy compares with an identity value: a
 *   source (the settings and functions above, `auth.uid()`, the JWT claims, `current_user`) or a
 *   value derived from one (`team_id IN (SELECT team_id FROM members WHERE user_id = auth.uid())`);
 *   and columns passed to a function a policy calls as its test (`is_member(team_id)`; beside other
 *   keys only where the function, followed, pins them: see argumentColumns);
 * - a **tenant root** is a table a key column references by foreign key (`teams`, `auth.users`);
 *   a table with no policy that names a key has, as its key, a column with a foreign key to a root.
 *
 * The identity models: tenant settings; Supabase/PostgREST JWT claims (`auth.uid()`, `auth.jwt()`,
 * `request.jwt.claims`); role per tenant (`current_user`, `session_user`).
 */
import { unwrap } from '../model/ast-names.js';
import { IdentityModel, stripValueWrappers } from '../analysis/identity.js';
import { parseExpression, type AstNode } from '../sql/parse.js';
import type { PolicyRow, TableRow } from './catalog.js';

export interface InferredConfig {
  tenantColumns: string[];
  tenantSettings: string[];
  tenantFunctions: string[];
  /** `schema.table` of each tenant root. */
  tenantRoots: string[];
  /** Per table (oid): its key columns, best first. */
  keyColumns: Map<number, string[]>;
  /**
   * Per table that has key columns already: other columns its policies pass to a test function
   * (`has_role_on_account(account_id)` beside `user_id = auth.uid()`). Keys only where the
   * function, followed, pins them (the probe decides, with the functions' definitions).
   */
  argumentColumns: Map<number, string[]>;
}

/** Is `node` `current_user`, `session_user`, `current_role` or `user`? */
export function isRoleValue(node: unknown): boolean {
  const sql = strip(node)?.SQLValueFunction as AstNode | undefined;
  return !!sql && ['SVFOP_CURRENT_USER', 'SVFOP_SESSION_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER'].includes(String(sql.op));
}

/** Columns of `table` its policies compare with the role name (role per tenant: `owner = current_user`). */
export function roleKeyColumns(table: TableRow, expressions: readonly AstNode[]): string[] {
  const out: string[] = [];
  for (const [a, b] of comparisons(expressions, true)) {
    const column = ownColumn(a, table);
    if (column && isRoleValue(b) && !out.includes(column)) out.push(column);
  }
  return out;
}

export interface IdentityModels {
  settings: boolean;
  jwtClaims: boolean;
  rolePerTenant: boolean;
}

export type PolicyAsts = { table: TableRow; expressions: AstNode[] }[];

function names(list: unknown): string[] {
  return ((list ?? []) as AstNode[]).map((n) => String(n.String?.sval ?? '').toLowerCase());
}

/** Casts and one-value `(SELECT x)` wrappers stripped, as the identity model strips them. */
function strip(node: unknown): AstNode | null {
  return stripValueWrappers(node as AstNode | null) ?? null;
}

/** The column of `table` a reference at the policy's own level names, or null. */
function ownColumn(node: unknown, table: TableRow): string | null {
  const ref = strip(node)?.ColumnRef as AstNode | undefined;
  if (!ref) return null;
  const fields = names(ref.fields);
  const column = fields[fields.length - 1];
  if (!column || (fields.length === 2 && fields[0] !== table.name.toLowerCase()) || fields.length > 2) return null;
  return table.columns.find((c) => c.name.toLowerCase() === column)?.name ?? null;
}

function isClaimSetting(setting: string): boolean {
  return setting === 'request.jwt.claims' || setting === 'request.jwt.claim' || setting.startsWith('request.jwt.claim.');
}

/** Every node of `node`, depth first (subqueries included). */
function* nodes(node: unknown, depth = 0): Generator<AstNode> {
  if (depth > 400 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) yield* nodes(item, depth + 1);
    return;
  }
  yield node as AstNode;
  for (const value of Object.values(node as AstNode)) yield* nodes(value, depth + 1);
}

/** `(a, b)` pairs a policy compares for equality or membership: `a = b`, `a = ANY (b)`, `a IN (b, ...)`, `a IN (SELECT ...)`. */
function* comparisons(root: unknown, ownLevelOnly: boolean): Generator<[AstNode, AstNode]> {
  const visit = function* (node: unknown, depth: number): Generator<[AstNode, AstNode]> {
    if (depth > 400 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) yield* visit(item, depth + 1);
      return;
    }
    const record = node as AstNode;
    const expr = record.A_Expr as AstNode | undefined;
    if (expr && names(expr.name)[0] === '=' && (expr.kind === 'AEXPR_OP' || expr.kind === 'AEXPR_OP_ANY' || expr.kind === 'AEXPR_NOT_DISTINCT')) {
      yield [expr.lexpr, expr.rexpr];
      if (expr.kind !== 'AEXPR_OP_ANY') yield [expr.rexpr, expr.lexpr];
    } else if (expr && expr.kind === 'AEXPR_IN' && names(expr.name)[0] === '=') {
      for (const item of (expr.rexpr?.List?.items ?? []) as AstNode[]) yield [expr.lexpr, item];
    }
    const link = record.SubLink as AstNode | undefined;
    if (link && link.subLinkType === 'ANY_SUBLINK' && link.testexpr) {
      yield [link.testexpr, { SubLink: { subLinkType: 'EXPR_SUBLINK', subselect: link.subselect } }];
    }
    for (const [key, value] of Object.entries(record)) {
      // The policy's own level: not inside a subquery, whose columns are another table's.
      if (ownLevelOnly && (key === 'subselect' || key === 'SelectStmt')) continue;
      yield* visit(value, depth + 1);
    }
  };
  yield* visit(root, 0);
}

/** Function calls a policy makes as a test (a conjunct or disjunct, or the whole expression). */
function* predicateCalls(root: AstNode): Generator<AstNode> {
  const u = unwrap(root);
  if (!u) return;
  const [kind, n] = u;
  if (kind === 'BoolExpr') for (const a of (n.args ?? []) as AstNode[]) yield* predicateCalls(a);
  else if (kind === 'FuncCall') yield n;
  else if (kind === 'BooleanTest' && n.booltesttype === 'IS_TRUE') yield* predicateCalls(n.arg as AstNode);
  else if (kind === 'A_Expr' && n.kind === 'AEXPR_OP' && names(n.name).join() === '=') {
    // `f(x) = true`, `true = f(x)`: the call is the test.
    const isTrue = (side: unknown) => strip(side)?.A_Const?.boolval?.boolval === true;
    if (isTrue(n.rexpr)) yield* predicateCalls(n.lexpr as AstNode);
    else if (isTrue(n.lexpr)) yield* predicateCalls(n.rexpr as AstNode);
  }
}

function zeroArgumentCall(node: unknown): string[] | null {
  const fn = strip(node)?.FuncCall as AstNode | undefined;
  if (!fn || (fn.args ?? []).length > 0 || fn.agg_star) return null;
  return names(fn.funcname);
}

/** Parses every policy expression of every table (unparseable ones are left out: the audit reports them). */
export function policyAsts(tables: readonly TableRow[], policies: ReadonlyMap<number, readonly PolicyRow[]>): PolicyAsts {
  const out: PolicyAsts = [];
  for (const table of tables) {
    const expressions: AstNode[] = [];
    for (const p of policies.get(table.oid) ?? []) {
      for (const text of [p.using, p.withCheck]) {
        const ast = text === null ? null : parseExpression(text);
        if (ast) expressions.push(ast);
      }
    }
    out.push({ table, expressions });
  }
  return out;
}

/** The last part of every function name the policies call (for the pg_catalog lookup). */
export function calledFunctionNames(asts: PolicyAsts): string[] {
  const out = new Set<string>();
  for (const { expressions } of asts) {
    for (const node of nodes(expressions)) {
      const called = node.FuncCall ? names((node.FuncCall as AstNode).funcname) : [];
      if (called.length > 0) out.add(called[called.length - 1]!);
    }
  }
  return [...out];
}

/** The identity models the policies use. */
export function identityModels(asts: PolicyAsts, tenantSettings: readonly string[]): IdentityModels {
  const found: IdentityModels = { settings: false, jwtClaims: false, rolePerTenant: false };
  const settings = new Set(tenantSettings.map((s) => s.toLowerCase()));
  for (const { expressions } of asts) {
    for (const node of nodes(expressions)) {
      const fn = node.FuncCall as AstNode | undefined;
      if (fn) {
        const called = names(fn.funcname);
        if (called.length === 2 && called[0] === 'auth' && ['uid', 'jwt', 'role', 'email'].includes(called[1]!)) found.jwtClaims = true;
        if (called[called.length - 1] === 'current_setting') {
          const setting = strip(fn.args?.[0])?.A_Const?.sval?.sval;
          if (typeof setting === 'string' && isClaimSetting(setting.toLowerCase())) found.jwtClaims = true;
          else if (typeof setting === 'string' && settings.has(setting.toLowerCase())) found.settings = true;
        }
      }
      if (node.SQLValueFunction && isRoleValue(node)) found.rolePerTenant = true;
    }
  }
  return found;
}

/**
 * Infers the config from the policies. `builtin` says whether a function name (as called) resolves
 * to pg_catalog, so `now()` and `gen_random_uuid()` are never taken for tenant functions.
 */
export function inferConfig(tables: readonly TableRow[], asts: PolicyAsts, builtin: (name: string[]) => boolean): InferredConfig {
  // 1. Candidates: what policies compare columns with (anywhere, subqueries included).
  const settings = new Set<string>();
  const functions = new Map<string, string[]>();
  const probe = new IdentityModel({ tenantColumns: [], tenantSettings: [], tenantFunctions: [] }, null);
  for (const { expressions } of asts) {
    for (const [a, b] of comparisons(expressions, false)) {
      if (!strip(a)?.ColumnRef) continue;
      for (const s of probe.settingsRead(b)) if (s.includes('.') && !isClaimSetting(s.toLowerCase())) settings.add(s.toLowerCase());
      const call = zeroArgumentCall(b);
      if (call && !builtin(call) && !(call.length === 2 && call[0] === 'auth')) functions.set(call.join('.'), call);
    }
  }
  const model = new IdentityModel({ tenantColumns: [], tenantSettings: [...settings], tenantFunctions: [...functions.keys()] }, null);
  const usedSettings = new Set<string>();
  const usedFunctions = new Set<string>();

  // 2. Key columns: own-level columns compared with an identity value, then columns passed to a test function.
  const keyColumns = new Map<number, string[]>();
  const add = (table: TableRow, column: string) => {
    const list = keyColumns.get(table.oid) ?? [];
    if (!list.includes(column)) list.push(column);
    keyColumns.set(table.oid, list);
  };
  for (const { table, expressions } of asts) {
    for (const [a, b] of comparisons(expressions, true)) {
      const column = ownColumn(a, table);
      if (!column || !model.isIdentityValue(b)) continue;
      add(table, column);
      for (const s of model.settingsRead(b)) if (settings.has(s.toLowerCase())) usedSettings.add(s.toLowerCase());
      const call = zeroArgumentCall(b);
      if (call && functions.has(call.join('.'))) usedFunctions.add(call.join('.'));
    }
  }
  const argumentColumns = new Map<number, string[]>();
  for (const { table, expressions } of asts) {
    const keyed = keyColumns.has(table.oid);
    for (const expression of expressions) {
      for (const call of predicateCalls(expression)) {
        if (builtin(names(call.funcname))) continue;
        for (const arg of (call.args ?? []) as AstNode[]) {
          const column = ownColumn(arg, table);
          if (!column) continue;
          if (!keyed) add(table, column);
          else if (!keyColumns.get(table.oid)!.includes(column)) {
            const list = argumentColumns.get(table.oid) ?? [];
            if (!list.includes(column)) list.push(column);
            argumentColumns.set(table.oid, list);
          }
        }
      }
    }
  }
  // 3. Tenant roots, and tables keyed by a foreign key to one.
  const roots = new Map<string, Set<string>>();
  for (const table of tables) {
    for (const column of keyColumns.get(table.oid) ?? []) {
      const ref = table.columns.find((c) => c.name === column)?.references;
      if (!ref) continue;
      const set = roots.get(ref.table) ?? new Set<string>();
      set.add(ref.column);
      roots.set(ref.table, set);
    }
  }
  for (const table of tables) {
    if (keyColumns.has(table.oid)) continue;
    for (const c of table.columns) if (c.references && roots.get(c.references.table)?.has(c.references.column)) add(table, c.name);
  }

  // 4. The names a config would list: key columns that are not a table's own primary key (`id`
  //    names a row, not a tenant; check keys a root by its primary key anyway).
  const tenantColumns: string[] = [];
  for (const table of tables) {
    for (const column of keyColumns.get(table.oid) ?? []) {
      const row = table.columns.find((c) => c.name === column);
      if (row && !row.primaryKey && !tenantColumns.includes(column)) tenantColumns.push(column);
    }
  }
  return {
    tenantColumns,
    tenantSettings: [...usedSettings],
    tenantFunctions: [...usedFunctions].map((f) => `${f}()`),
    tenantRoots: [...roots.keys()].sort(),
    keyColumns,
    argumentColumns,
  };
}
