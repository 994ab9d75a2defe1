/** Replaying functions and procedures: CREATE [OR REPLACE] FUNCTION, ALTER FUNCTION, and finding one by signature. */
import type { AstNode } from '../sql/parse.js';
import { defBool, functionArgTypes, nameList, normalizeTypeName, searchPathFromSet, str } from './ast-names.js';
import type { FunctionState } from './catalog.js';
import type { Replayer } from './replay.js';

export function functionKey(r: Replayer, schema: string, name: string, argTypes: string[]): string {
  return `${schema}.${name}(${argTypes.join(',')})`;
}

/** Adds (or replaces) a function in the catalog and the by-name index. */
export function putFunction(r: Replayer, fn: FunctionState): void {
  const key = functionKey(r, fn.schema, fn.name, fn.argTypes);
  r.catalog.functions.set(key, fn);
  let keys = r.functionKeysByName.get(fn.name);
  if (!keys) r.functionKeysByName.set(fn.name, (keys = new Set()));
  keys.add(key);
}

export function deleteFunction(r: Replayer, fn: FunctionState): void {
  const key = functionKey(r, fn.schema, fn.name, fn.argTypes);
  r.catalog.functions.delete(key);
  r.functionKeysByName.get(fn.name)?.delete(key);
}

export function findFunction(r: Replayer, owa: AstNode | undefined): FunctionState | undefined {
  if (!owa) return undefined;
  const parts = nameList(owa.objname);
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
  // The index keeps each name's keys in catalog order, so `candidates[0]` is the oldest overload.
  const candidates = [...(r.functionKeysByName.get(name) ?? [])]
    .map((key) => r.catalog.functions.get(key)!)
    .filter((f) => (schema ? f.schema === schema : r.searchPath.includes(f.schema) || f.schema === 'public'));
  if (owa.args_unspecified || !owa.objargs) return candidates[0];
  const types = ((owa.objfuncargs ?? owa.objargs) as AstNode[])
    .filter((a) => {
      const mode = a.FunctionParameter?.mode as string | undefined;
      return mode !== 'FUNC_PARAM_OUT' && mode !== 'FUNC_PARAM_TABLE';
    })
    .map((a) => normalizeTypeName(a.FunctionParameter?.argType ?? a.TypeName));
  return candidates.find((f) => f.argTypes.join(',') === types.join(',')) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

export function createFunction(r: Replayer, node: AstNode): void {
  const parts = nameList(node.funcname);
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts[parts.length - 2]! : (r.searchPath.find((s) => s !== 'pg_temp' && s !== 'pg_catalog') ?? 'public');
  const { types, names } = functionArgTypes(node.parameters);
  const key = functionKey(r, schema, name, types);
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
  const existing = r.catalog.functions.get(key);
  const fn: FunctionState = {
    kind: node.is_procedure ? 'procedure' : 'function',
    schema,
    name,
    argTypes: types,
    argNames: names,
    language,
    securityDefiner,
    searchPath: searchPath?.includes('$current') ? [...r.searchPath] : searchPath,
    body,
    sqlBody: (node.sql_body as AstNode | undefined) ?? null,
    // CREATE OR REPLACE keeps the function's privileges; a new function is executable by PUBLIC.
    executeGrantees: existing && node.replace ? existing.executeGrantees : defaultExecuteGrantees(r, schema),
    createdAt: r.here(),
    searchPathSetAt: searchPath ? r.here() : null,
    statementText: r.statementText(),
    returnType: node.returnType ? normalizeTypeName(node.returnType) : 'void',
    returnsSet: !!node.returnType?.setof,
    transitionTables: existing?.transitionTables ?? new Set(),
    platform: r.platform,
  };
  if (existing && !node.replace) return; // PostgreSQL rejects the duplicate.
  putFunction(r, fn);
}

export function alterFunction(r: Replayer, node: AstNode): void {
  const fn = findFunction(r, node.func as AstNode);
  if (!fn) return;
  for (const a of (node.actions ?? []) as AstNode[]) {
    const def = a.DefElem as AstNode;
    if (def?.defname === 'security') fn.securityDefiner = defBool(def);
    if (def?.defname === 'set' && def.arg?.VariableSetStmt) {
      const set = def.arg.VariableSetStmt as AstNode;
      if (String(set.name ?? '').toLowerCase() === 'search_path' || set.kind === 'VAR_RESET_ALL') {
        const path = searchPathFromSet(set);
        fn.searchPath = path?.includes('$current') ? [...r.searchPath] : path;
        fn.searchPathSetAt = r.here();
      }
    }
  }
}

/** Who may execute a new function: PUBLIC unless a global default revoked it, plus the schema's default grants. */
function defaultExecuteGrantees(r: Replayer, schema: string): Set<string> {
  const grantees = new Set<string>(r.functionDefaultPublicExecute ? ['public'] : []);
  for (const s of ['*', schema]) for (const g of r.catalog.defaultFunctionGrants.get(s) ?? []) grantees.add(g);
  return grantees;
}

/**
 * CREATE TRIGGER: the transition tables it names (`REFERENCING NEW TABLE AS inserted`) are what
 * its function's body reads under those names, not relations found through search_path.
 */
export function createTrigger(r: Replayer, node: AstNode): void {
  const names = ((node.transitionRels ?? []) as AstNode[]).map((t) => String(t.TriggerTransition?.name ?? '')).filter(Boolean);
  if (names.length === 0) return;
  const fn = findFunction(r, { objname: node.funcname, args_unspecified: true });
  if (fn) for (const n of names) fn.transitionTables.add(n);
}
