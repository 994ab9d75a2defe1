/** Replaying views and materialized views (and CREATE TABLE AS): what each reads, and whether it runs as its invoker. */
import { relationsIn } from '../sql/function-body.js';
import type { AstNode } from '../sql/parse.js';
import { defBool, nameList } from './ast-names.js';
import { qualifiedKey } from './catalog.js';
import type { Replayer } from './replay.js';
import { applyDefaultGrants } from './replay-roles.js';

export function createTableAs(r: Replayer, node: AstNode): void {
  const into = node.into as AstNode;
  const rv = into.rel as AstNode;
  const schema = r.creationSchema(rv);
  const key = qualifiedKey(schema, String(rv.relname));
  if (node.objtype === 'OBJECT_MATVIEW') {
    if (r.catalog.views.has(key) && node.if_not_exists) return;
    r.catalog.views.set(key, {
      kind: 'materialized view',
      schema,
      name: String(rv.relname),
      securityInvoker: false,
      owner: r.currentRole,
      reads: relationsRead(r, node.query),
      createdAt: r.here(),
      changedAt: r.here(),
    });
    return;
  }
  if (r.catalog.tables.has(key) && node.if_not_exists) return;
  const table = r.newTable(schema, String(rv.relname), rv.relpersistence === 't');
  const colNames = nameList(into.colNames);
  const targets = (node.query?.SelectStmt?.targetList ?? []) as AstNode[];
  const names = colNames.length > 0 ? colNames : targets.map((t) => (t.ResTarget?.name as string | undefined) ?? nameList(t.ResTarget?.val?.ColumnRef?.fields).pop() ?? '');
  for (const name of names) if (name) table.columns.set(name, { name, notNull: false, type: null, location: r.here() });
  r.catalog.tables.set(key, table);
  applyDefaultGrants(r, key, schema);
}

/** The tables (views expanded) a query reads, as `schema.name` keys. */
export function relationsRead(r: Replayer, query: AstNode | undefined): string[] {
  const keys = new Set<string>();
  for (const ref of relationsIn(query ? [query] : [])) {
    const key = r.resolveRelation(ref.schema, ref.name);
    if (!key) continue;
    const view = r.catalog.views.get(key);
    if (view && view.kind === 'view') {
      keys.add(key);
      for (const inner of view.reads) keys.add(inner);
    } else {
      keys.add(key);
    }
  }
  return [...keys];
}

export function createView(r: Replayer, node: AstNode): void {
  const rv = node.view as AstNode;
  const schema = r.creationSchema(rv);
  const key = qualifiedKey(schema, String(rv.relname));
  const existing = r.catalog.views.get(key);
  let securityInvoker = false;
  for (const opt of (node.options ?? []) as AstNode[]) {
    if (opt.DefElem?.defname === 'security_invoker') securityInvoker = defBool(opt.DefElem);
  }
  r.catalog.views.set(key, {
    kind: 'view',
    schema,
    name: String(rv.relname),
    securityInvoker,
    owner: existing && node.replace ? existing.owner : r.currentRole,
    reads: relationsRead(r, node.query),
    createdAt: node.replace && existing ? existing.createdAt : r.here(),
    changedAt: r.here(),
  });
  // Views get the schema's default privileges like tables (pg_default_acl objtype 'r' covers both).
  if (!existing) applyDefaultGrants(r, key, schema);
}
