/**
 * Facts about SECURITY DEFINER functions shared by the two definer rules: which relations the
 * body names without a schema, and which tenant tables it reads without keying on an argument.
 */
import type { Catalog, FunctionState } from '../model/catalog.js';
import { qualifiedKey } from '../model/catalog.js';
import type { AstNode } from '../sql/parse.js';
import { analyzeFunctionBody, relationsIn, visitAst, type BodyAnalysis } from '../sql/function-body.js';
import type { Tenancy } from './tenancy.js';

const cache = new WeakMap<FunctionState, BodyAnalysis>();

export function bodyOf(fn: FunctionState): BodyAnalysis {
  let analysis = cache.get(fn);
  if (!analysis) cache.set(fn, (analysis = analyzeFunctionBody(fn)));
  return analysis;
}

/**
 * Relations the body names without a schema: resolved through search_path at run time. System
 * catalogs (`pg_*`) are left out: pg_catalog is searched before pg_temp unless listed after it.
 */
export function unqualifiedRelations(fn: FunctionState): string[] {
  // SQL-standard bodies (BEGIN ATOMIC / RETURN) bind their names when the function is created.
  if (fn.sqlBody) return [];
  // A trigger's transition tables (REFERENCING OLD TABLE AS deleted) are not looked up through search_path.
  return [...new Set(relationsIn(bodyOf(fn).statements).filter((r) => r.schema === null && !r.name.startsWith('pg_') && !fn.transitionTables.has(r.name)).map((r) => r.name))];
}

/**
 * Unqualified names that no schema listed before pg_temp holds: PostgreSQL searches pg_temp last
 * and finds the caller's temporary table there (SPEC behaviour 8), e.g. `SET search_path =
 * pg_catalog, pg_temp` with a body reading `api_keys` from public.
 */
export function namesOnlyInTemp(fn: FunctionState, catalog: Catalog): string[] {
  const schemas = (fn.searchPath ?? []).filter((s) => s !== 'pg_temp' && s !== '');
  return unqualifiedRelations(fn).filter((name) => !schemas.some((schema) => catalog.tables.has(qualifiedKey(schema, name)) || catalog.views.has(qualifiedKey(schema, name))));
}

/** pg_temp is searched first for relations unless it is listed explicitly; listed last, it comes last. */
export function pinsTempLast(path: string[] | null): boolean {
  return path !== null && path.length > 0 && path[path.length - 1]!.toLowerCase() === 'pg_temp';
}

/**
 * Does `node` key the rows it filters to something narrower than "all of them": an argument
 * (`$1`, `name`, `fn_name.name`), `NEW`/`OLD` in a trigger, a PL/pgSQL variable assigned from
 * one, the caller's identity (`auth.uid()`, `current_user`), or a column of an outer query (a
 * correlated subquery)? A bare name that is also a column of the statement's FROM items is the
 * column: PostgreSQL resolves it so in SQL functions, and PL/pgSQL rejects the ambiguity.
 */
function keysRows(node: AstNode | undefined, fn: FunctionState, tenancy: Tenancy, own: Set<string>, columnsInScope: Set<string>, depth = 0): boolean {
  if (!node || depth > 4) return false;
  const args = new Set(fn.argNames.filter(Boolean));
  const trigger = isTriggerFunction(fn);
  const variables = bodyOf(fn).variables;
  let found = false;
  visitAst(node, (key, value) => {
    if (found) return;
    if (key === 'ParamRef') found = true;
    else if (key === 'ColumnRef') {
      const fields = ((value.fields ?? []) as AstNode[]).map((f) => f.String?.sval as string | undefined);
      const last = fields[fields.length - 1];
      const qualifier = fields.length >= 2 ? fields[fields.length - 2] : undefined;
      if (!last) return;
      if (fields.length === 1 && args.has(last) && !columnsInScope.has(last)) found = true;
      else if (qualifier === fn.name && args.has(last)) found = true;
      else if (trigger && (qualifier === 'new' || qualifier === 'old')) found = true;
      else if (fields.length === 1 && !columnsInScope.has(last) && variables.has(last)) {
        found = (variables.get(last) ?? []).some((v) => keysRows(v, fn, tenancy, own, columnsInScope, depth + 1));
      } else if (qualifier !== undefined && !own.has(qualifier) && qualifier !== fn.name && !(trigger && (qualifier === 'new' || qualifier === 'old'))) {
        // A column of an outer query: the subquery is correlated with rows the outer query keys.
        found = true;
      }
    } else if ((key === 'FuncCall' || key === 'SQLValueFunction') && tenancy.identity.isIdentityValue({ [key]: value })) {
      found = true;
    }
  });
  return found;
}

/** Trigger and event trigger functions cannot be called directly: PostgreSQL runs them. */
export function isTriggerFunction(fn: FunctionState): boolean {
  return fn.returnType === 'trigger' || fn.returnType === 'event_trigger';
}

function resolveIn(fn: FunctionState, tenancy: Tenancy, schema: string | null, name: string): string | null {
  const path = schema ? [schema] : [...(fn.searchPath ?? []).filter((s) => s !== 'pg_temp' && s !== ''), 'public'];
  for (const s of path) {
    const key = qualifiedKey(s, name);
    if (tenancy.catalog.tables.has(key)) return key;
  }
  return null;
}

/** Tenant tables the body reads or changes without a WHERE that keys its rows (see keysRows). */
export function tenantTablesAtLarge(fn: FunctionState, tenancy: Tenancy): string[] {
  const atLarge = new Set<string>();
  visitAst(bodyOf(fn).statements, (key, stmt) => {
    if (key !== 'SelectStmt' && key !== 'UpdateStmt' && key !== 'DeleteStmt') return;
    const sources: AstNode[] = key === 'SelectStmt' ? ((stmt.fromClause ?? []) as AstNode[]) : [{ RangeVar: stmt.relation }];
    const direct = relationsIn(sources.filter((s) => s.RangeVar || s.JoinExpr));
    if (direct.length === 0) return;
    // The FROM items' names and columns: what a bare or qualified name in WHERE refers to first.
    const own = new Set<string>();
    const columns = new Set<string>();
    visitAst(sources, (k, v) => {
      if (k === 'RangeVar' || (k === 'relation' && v.relname !== undefined)) {
        own.add(String(v.relname));
        if (v.alias?.aliasname) own.add(String(v.alias.aliasname));
        const tableKey = resolveIn(fn, tenancy, (v.schemaname as string | undefined) ?? null, String(v.relname));
        for (const c of (tableKey ? tenancy.catalog.tables.get(tableKey)?.columns.keys() : undefined) ?? []) columns.add(c);
      }
    });
    if (stmt.alias?.aliasname) own.add(String(stmt.alias.aliasname));
    const keyed = keysRows(stmt.whereClause, fn, tenancy, own, columns) || keysRows(stmt.fromClause, fn, tenancy, own, columns);
    if (keyed) return;
    for (const ref of direct) {
      const tableKey = resolveIn(fn, tenancy, ref.schema, ref.name);
      const table = tableKey ? tenancy.catalog.tables.get(tableKey) : undefined;
      if (table && tenancy.isTenantData(table)) atLarge.add(tableKey!);
    }
  });
  return [...atLarge];
}
