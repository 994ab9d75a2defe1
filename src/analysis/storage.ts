/**
 * Supabase Storage's policies on `storage.objects`, read against the buckets the migrations
 * created (src/model/replay-storage.ts): which buckets a policy confines rows to, and whether it
 * admits every object of a bucket (which lets every client it applies to list the bucket).
 *
 * Decided on the libpg-query AST: `bucket_id = 'x'`, `bucket_id IN ('x', 'y')`,
 * `bucket_id = ANY (ARRAY['x'])`, combined with AND / OR.
 */
import { readsColumns, unwrap } from '../model/ast-names.js';
import type { Catalog, PolicyState } from '../model/catalog.js';
import type { AstNode } from '../sql/parse.js';
import { policyExpression } from './policies.js';

export const OBJECTS_TABLE = 'storage.objects';


function strip(node: AstNode | null | undefined): AstNode | null | undefined {
  let current = node;
  while (current?.TypeCast) current = current.TypeCast.arg as AstNode;
  return current;
}

function isBucketColumn(node: AstNode | null | undefined): boolean {
  const fields = ((strip(node)?.ColumnRef?.fields ?? []) as AstNode[]).map((f) => f.String?.sval as string | undefined);
  return fields.length > 0 && fields.length <= 3 && fields[fields.length - 1] === 'bucket_id' && (fields.length === 1 || fields[fields.length - 2] === 'objects');
}

function stringConst(node: AstNode | null | undefined): string | null {
  const c = strip(node)?.A_Const as AstNode | undefined;
  return c?.sval !== undefined ? String(c.sval.sval ?? '') : null;
}

/** `bucket_id = 'x'` (either side), `bucket_id IN (...)`, `bucket_id = ANY (ARRAY[...])`: the ids; null when `e` is no such test. */
function bucketTest(n: AstNode): string[] | null {
  const op = (n.name as AstNode[] | undefined)?.[0]?.String?.sval;
  if (op !== '=') return null;
  if (n.kind === 'AEXPR_OP') {
    for (const [a, b] of [[n.lexpr, n.rexpr], [n.rexpr, n.lexpr]] as AstNode[][]) {
      const value = stringConst(b);
      if (isBucketColumn(a) && value !== null) return [value];
    }
    return null;
  }
  if (!isBucketColumn(n.lexpr)) return null;
  const items: AstNode[] =
    n.kind === 'AEXPR_IN' ? (n.rexpr?.List?.items ?? []) : n.kind === 'AEXPR_OP_ANY' ? (strip(n.rexpr)?.A_ArrayExpr?.elements ?? []) : [];
  const ids = items.map(stringConst);
  return ids.length > 0 && ids.every((v): v is string => v !== null) ? ids : null;
}

/**
 * The buckets whose objects `expr` can admit at all: null when it may admit objects of any
 * bucket. `a AND b` is confined by either side, `a OR b` by both.
 */
export function bucketScope(expr: AstNode | null | undefined): Set<string> | null {
  const u = unwrap(expr);
  if (!u) return null;
  const [kind, n] = u;
  if (kind === 'A_Expr') {
    const ids = bucketTest(n);
    return ids ? new Set(ids) : null;
  }
  if (kind === 'BoolExpr' && n.boolop === 'AND_EXPR') {
    let scope: Set<string> | null = null;
    for (const a of (n.args ?? []) as AstNode[]) {
      const s = bucketScope(a);
      if (s) scope = scope ? new Set([...scope].filter((id: string) => s.has(id))) : s;
    }
    return scope;
  }
  if (kind === 'BoolExpr' && n.boolop === 'OR_EXPR') {
    const scope = new Set<string>();
    for (const a of (n.args ?? []) as AstNode[]) {
      const s = bucketScope(a);
      if (!s) return null;
      for (const id of s) scope.add(id);
    }
    return scope;
  }
  return null;
}

/** Does the expression read a column anywhere (of the row or of a subquery's tables)? */

/**
 * Is `expr` true for every object of `bucket`, whoever owns it and whatever its path? `true`,
 * `bucket_id = '<bucket>'`, and conditions on the session alone (`auth.role() = 'authenticated'`,
 * which reads no column) are; anything that reads a column of the row or of another table (an
 * owner or folder test, a membership subquery) is taken to select some objects only.
 */
export function admitsEveryObject(expr: AstNode | null | undefined, bucket: string): boolean {
  const u = unwrap(expr);
  if (!u) return false;
  const [kind, n] = u;
  if (kind === 'A_Const') return n.boolval?.boolval === true;
  if (kind === 'BoolExpr' && n.boolop === 'AND_EXPR') return ((n.args ?? []) as AstNode[]).every((a) => admitsEveryObject(a, bucket));
  if (kind === 'BoolExpr' && n.boolop === 'OR_EXPR') return ((n.args ?? []) as AstNode[]).some((a) => admitsEveryObject(a, bucket));
  if (kind === 'A_Expr') {
    const ids = bucketTest(n);
    if (ids) return ids.includes(bucket);
  }
  if (kind === 'TypeCast') return admitsEveryObject(n.arg as AstNode, bucket);
  return !readsColumns(expr);
}

/** The public buckets (known to be `public = true`) of the final state, by id. */
export function publicBuckets(catalog: Catalog): Set<string> {
  return new Set([...catalog.buckets.values()].filter((b) => b.public === true).map((b) => b.id));
}

/** Does `policy`'s `clause` admit objects of public buckets only (whose contents anyone may fetch by URL anyway)? */
export function onlyPublicBuckets(policy: PolicyState, clause: 'using' | 'check', publicIds: Set<string>): boolean {
  const scope = bucketScope(policyExpression(policy, clause));
  return !!scope && scope.size > 0 && [...scope].every((id) => publicIds.has(id));
}
