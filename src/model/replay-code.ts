/** Code that migrations run: DO blocks (their static statements replayed) and calls of functions that run dynamic SQL. */
import { analyzePlpgsql, bodyLiteralStart, locateBodyStatements, placeBody, type BodyAnalysis, type BodyStatement } from '../sql/function-body.js';
import type { AstNode } from '../sql/parse.js';
import type { SourceLocation } from './catalog.js';
import { nameList, str } from './ast-names.js';
import type { Replayer } from './replay.js';

/**
 * Where each statement of a DO block is in the file: a finding about what an inner statement did
 * points at that statement, not at `DO $$`. Null where the body cannot be placed (an escape
 * string, a DO block inside another one): its statements are then located at the DO statement.
 */
function innerLocations(r: Replayer, asLocation: unknown, body: string, analysis: BodyAnalysis): ((s: BodyStatement | undefined) => SourceLocation) | null {
  if (r.replayingInner || typeof asLocation !== 'number') return null;
  const text = r.script.source.text;
  const literal = bodyLiteralStart(text, r.script.source.charOffset(r.stmt.byteBase + asLocation));
  const toFile = placeBody(text, literal, body);
  if (!toFile) return null;
  const located = locateBodyStatements(body, analysis.bodyStatements);
  return (s) => {
    const at = s && located.get(s);
    return at ? r.locationOf(toFile(at.start), toFile(at.end)) : r.here();
  };
}

export function doBlock(r: Replayer, node: AstNode): void {
  let body: string | null = null;
  let asLocation: unknown;
  let language = 'plpgsql';
  for (const a of (node.args ?? []) as AstNode[]) {
    if (a.DefElem?.defname === 'as') {
      body = str(a.DefElem.arg) ?? null;
      asLocation = a.DefElem.location;
    }
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
  const locate = innerLocations(r, asLocation, body, analysis);
  // Static statements in a DO block are replayed as if run (conditions are assumed to hold), each
  // at its own location.
  for (const command of analysis.commands) {
    const kind = Object.keys(command)[0]!;
    const statement = analysis.statementOf.get(command);
    if (!statement) {
      r.apply(kind, command[kind] as AstNode);
      continue;
    }
    const text = statement.execute ? (analysis.executedText?.get(command) ?? statement.text) : statement.text;
    r.replayInner(kind, command[kind] as AstNode, { location: locate ? locate(statement) : r.here(), text });
  }
  const dynamic = analysis.dynamic.filter((d) => d.constantSql === null);
  if (dynamic.length > 0) {
    const location = locate ? locate(dynamic[0]!.statement) : r.here();
    r.catalog.unverifiable.push({ location, what: `a DO block that runs dynamic SQL (EXECUTE ${dynamic[0]!.query.trim()})` });
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
