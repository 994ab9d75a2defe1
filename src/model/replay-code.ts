/** Code that migrations run: DO blocks (their static statements replayed) and calls of functions that run dynamic SQL. */
import { analyzePlpgsql } from '../sql/function-body.js';
import type { AstNode } from '../sql/parse.js';
import { nameList, str } from './ast-names.js';
import type { Replayer } from './replay.js';

export function doBlock(r: Replayer, node: AstNode): void {
  let body: string | null = null;
  let language = 'plpgsql';
  for (const a of (node.args ?? []) as AstNode[]) {
    if (a.DefElem?.defname === 'as') body = str(a.DefElem.arg) ?? null;
    if (a.DefElem?.defname === 'language') language = String(str(a.DefElem.arg)).toLowerCase();
  }
  if (body === null || language !== 'plpgsql') {
    r.catalog.unverifiable.push({ location: r.here(), what: `a DO block in ${language}` });
    return;
  }
  const analysis = analyzePlpgsql({ doBody: body });
  if (!analysis.analyzable) {
    r.catalog.unverifiable.push({ location: r.here(), what: 'a DO block whose body rls-guard could not parse' });
    return;
  }
  // Static statements in a DO block are replayed as if run (conditions are assumed to hold).
  for (const command of analysis.commands) {
    const kind = Object.keys(command)[0]!;
    r.apply(kind, command[kind] as AstNode);
  }
  const dynamic = analysis.dynamic.filter((d) => d.constantSql === null);
  if (dynamic.length > 0) {
    r.catalog.unverifiable.push({ location: r.here(), what: `a DO block that runs dynamic SQL (EXECUTE ${dynamic[0]!.query.trim()})` });
  }
}

/** `SELECT f()` / `CALL p()` of a migration-defined function that runs dynamic SQL. */
export function invocation(r: Replayer, node: AstNode): void {
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
    for (const fn of r.catalog.functions.values()) {
      if (fn.name !== name || fn.language !== 'plpgsql') continue;
      const analysis = analyzePlpgsql({ createStatement: fn.statementText });
      if (analysis.dynamic.some((d) => d.constantSql === null)) {
        r.catalog.unverifiable.push({ location: r.here(), what: `a call of ${fn.schema}.${fn.name}(), which runs dynamic SQL` });
        return;
      }
    }
  }
}
