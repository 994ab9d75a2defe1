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
  return [...new Set(relationsIn(bodyOf(fn).statements).filter((r) => r.schema === null && !r.name.startsWith('pg_')).map((r) => r.name))];
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

function referencesArgument(node: AstNode | undefined, fn: FunctionState): boolean {
  if (!node) return false;
  const args = new Set(fn.argNames.filter(Boolean));
  let found = false;
  visitAst(node, (key, value) => {
    if (found) return;
    if (key === 'ParamRef') found = true;
    if (key === 'ColumnRef') {
      const fields = ((value.fields ?? []) as AstNode[]).map((f) => f.String?.sval as string | undefined);
      const last = fields[fields.length - 1];
      if (last && args.has(last) && (fields.length === 1 || fields[0] === fn.name)) found = true;
    }
  });
  return found;
}

function resolveIn(fn: FunctionState, tenancy: Tenancy, schema: string | null, name: string): string | null {
  const path = schema ? [schema] : [...(fn.searchPath ?? []).filter((s) => s !== 'pg_temp' && s !== ''), 'public'];
  for (const s of path) {
    const key = qualifiedKey(s, name);
    if (tenancy.catalog.tables.has(key)) return key;
  }
  return null;
}

/** Tenant tables the body reads or changes without a WHERE that depends on an argument. */
export function tenantTablesAtLarge(fn: FunctionState, tenancy: Tenancy): string[] {
  const atLarge = new Set<string>();
  visitAst(bodyOf(fn).statements, (key, stmt) => {
    if (key !== 'SelectStmt' && key !== 'UpdateStmt' && key !== 'DeleteStmt') return;
    const sources: AstNode[] = key === 'SelectStmt' ? ((stmt.fromClause ?? []) as AstNode[]) : [{ RangeVar: stmt.relation }];
    const direct = relationsIn(sources.filter((s) => s.RangeVar || s.JoinExpr));
    for (const ref of direct) {
      const tableKey = resolveIn(fn, tenancy, ref.schema, ref.name);
      const table = tableKey ? tenancy.catalog.tables.get(tableKey) : undefined;
      if (!table || !tenancy.isTenantTable(table)) continue;
      if (!referencesArgument(stmt.whereClause, fn) && !referencesArgument(stmt.fromClause, fn)) atLarge.add(tableKey!);
    }
  });
  return [...atLarge];
}
