/**
 * Replaying the rows of Supabase Storage's `storage.buckets` that migrations write: which buckets
 * exist and which are public (https://supabase.com/docs/guides/storage/buckets/fundamentals).
 * A public bucket serves every object by URL to anyone; its policies on `storage.objects` still
 * decide who may list, upload, change and delete objects.
 *
 * Read from the libpg-query AST of `INSERT INTO storage.buckets ... VALUES` (with `ON CONFLICT DO
 * NOTHING` / `DO UPDATE`), `UPDATE storage.buckets SET public = ...` and `DELETE FROM
 * storage.buckets`. Values rls-guard cannot read (an expression, a parameter) leave `public` unknown.
 */
import type { AstNode } from '../sql/parse.js';
import { nameList } from './ast-names.js';
import type { Replayer } from './replay.js';

export const BUCKETS_TABLE = 'storage.buckets';

/** Supabase's column order of storage.buckets, for an INSERT without a column list when the table is not in the model. */
const SUPABASE_BUCKET_COLUMNS = ['id', 'name', 'owner', 'created_at', 'updated_at', 'public'];

/** Is the statement's relation `storage.buckets` (by search_path, or by name when no preset created it)? */
function isBuckets(r: Replayer, rv: AstNode | undefined): boolean {
  if (!rv) return false;
  const schema = (rv.schemaname as string | undefined) ?? null;
  const key = r.resolveRelation(schema, String(rv.relname));
  return key === BUCKETS_TABLE || (key === null && schema === 'storage' && rv.relname === 'buckets');
}

/** A literal as PostgreSQL reads it for a text or boolean column; `undefined` when it is not a literal. */
function literal(node: AstNode | undefined): string | boolean | null | undefined {
  if (!node) return undefined;
  if (node.TypeCast) return literal(node.TypeCast.arg as AstNode);
  const c = node.A_Const as AstNode | undefined;
  if (!c) return undefined;
  if (c.isnull) return null;
  if (c.boolval !== undefined) return !!c.boolval.boolval;
  if (c.sval !== undefined) return String(c.sval.sval ?? '');
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  return undefined;
}

/** `public` as a boolean column reads it (`true`, `'t'`, `'yes'`...); null when unknown. */
function publicValue(node: AstNode | undefined): boolean | null {
  // An omitted column or DEFAULT takes the column default: private.
  if (!node || node.SetToDefault) return false;
  const v = literal(node);
  if (typeof v === 'boolean') return v;
  if (v === null) return false; // NULL is not true: the bucket is not public
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (['t', 'true', 'y', 'yes', 'on', '1'].includes(t)) return true;
    if (['f', 'false', 'n', 'no', 'off', '0'].includes(t)) return false;
  }
  return null;
}

export function insertBuckets(r: Replayer, node: AstNode): void {
  if (!isBuckets(r, node.relation as AstNode)) return;
  const select = node.selectStmt?.SelectStmt as AstNode | undefined;
  if (!select) return;
  const known = r.catalog.tables.get(BUCKETS_TABLE);
  const columns = node.cols
    ? ((node.cols as AstNode[]).map((c) => String(c.ResTarget?.name ?? '')))
    : known && known.columns.size > 0
      ? [...known.columns.keys()]
      : SUPABASE_BUCKET_COLUMNS;
  const rows: AstNode[][] = select.valuesLists
    ? (select.valuesLists as AstNode[]).map((l) => (l.List?.items ?? []) as AstNode[])
    : !select.fromClause && select.targetList
      ? [(select.targetList as AstNode[]).map((t) => t.ResTarget?.val as AstNode)]
      : [];
  const conflict = node.onConflictClause as AstNode | undefined;
  for (const row of rows) {
    const cell = (column: string) => {
      const i = columns.indexOf(column);
      return i >= 0 ? row[i] : undefined;
    };
    const id = literal(cell('id'));
    if (typeof id !== 'string') continue;
    const name = literal(cell('name'));
    const isPublic = publicValue(cell('public'));
    const existing = r.catalog.buckets.get(id);
    if (existing) {
      // Without ON CONFLICT the duplicate key fails the statement; DO NOTHING keeps the row as it was.
      if (conflict?.action !== 'ONCONFLICT_UPDATE') continue;
      for (const target of (conflict.targetList ?? []) as AstNode[]) {
        if (target.ResTarget?.name !== 'public') continue;
        const val = target.ResTarget.val as AstNode | undefined;
        const fields = nameList(val?.ColumnRef?.fields);
        existing.public = fields.length === 2 && fields[0] === 'excluded' && fields[1] === 'public' ? isPublic : publicValue(val);
        existing.changedAt = r.here();
      }
      continue;
    }
    const at = r.here();
    r.catalog.buckets.set(id, { id, name: typeof name === 'string' ? name : id, public: isPublic, createdAt: at, changedAt: at });
  }
}

/** The bucket ids a WHERE clause selects (`id = 'x'`, `id IN (...)`, `name = 'x'`); null when it selects something else. */
function selectedBuckets(r: Replayer, where: AstNode | undefined): string[] | null {
  if (!where) return [...r.catalog.buckets.keys()];
  const e = where.A_Expr as AstNode | undefined;
  if (!e || nameList(e.name)[0] !== '=') return null;
  const column = nameList(e.lexpr?.ColumnRef?.fields).at(-1);
  if (column !== 'id' && column !== 'name') return null;
  const values = e.kind === 'AEXPR_IN' ? ((e.rexpr?.List?.items ?? []) as AstNode[]) : e.kind === 'AEXPR_OP' ? [e.rexpr as AstNode] : [];
  const wanted = values.map(literal);
  if (wanted.length === 0 || !wanted.every((v): v is string => typeof v === 'string')) return null;
  return [...r.catalog.buckets.values()].filter((b) => wanted.includes(column === 'id' ? b.id : b.name)).map((b) => b.id);
}

export function updateBuckets(r: Replayer, node: AstNode): void {
  if (!isBuckets(r, node.relation as AstNode)) return;
  const target = ((node.targetList ?? []) as AstNode[]).find((t) => t.ResTarget?.name === 'public');
  if (!target) return;
  const value = publicValue(target.ResTarget.val as AstNode);
  // A WHERE rls-guard cannot read may have changed any bucket: each one's publicity becomes unknown.
  const selected = selectedBuckets(r, node.whereClause as AstNode | undefined);
  for (const id of selected ?? r.catalog.buckets.keys()) {
    const bucket = r.catalog.buckets.get(id)!;
    bucket.public = selected ? value : bucket.public === value ? value : null;
    bucket.changedAt = r.here();
  }
}

export function deleteBuckets(r: Replayer, node: AstNode): void {
  if (!isBuckets(r, node.relation as AstNode)) return;
  for (const id of selectedBuckets(r, node.whereClause as AstNode | undefined) ?? []) r.catalog.buckets.delete(id);
}
