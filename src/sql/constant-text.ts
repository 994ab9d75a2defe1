/**
 * Folding the text of a PL/pgSQL `EXECUTE` when every piece of it is known: string constants,
 * `||`, `format()`, `quote_ident()` / `quote_literal()` and the loop variables of a loop over a
 * constant array. A migration that enables RLS on a list of tables in a `DO` loop is then replayed
 * statement by statement instead of being reported as unverifiable. Works on the SQL parser's
 * AST of the expression (never on its text); null whenever some piece is not a known constant.
 */
import type { AstNode } from './parse.js';

/** Loop variables (`t`, or `r.n` for a record's field) and the values they take, in order. */
export type Bindings = ReadonlyMap<string, string>;

/** PostgreSQL's quote_ident: bare when a lower-case plain identifier, else double-quoted. */
export function quoteIdent(value: string): string {
  // Quoting a plain name is always correct (it names the same identifier); a keyword used as a
  // name must be quoted, so quote unless the name is plainly lower case and not a keyword risk.
  if (/^[a-z_][a-z0-9_]*$/.test(value) && !RESERVED.has(value)) return value;
  return `"${value.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  const escaped = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`;
}

// Reserved key words (PostgreSQL's "reserved" and "reserved (can be function or type)" columns),
// the names quote_ident always quotes.
const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references returning right select session_user similar some symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when where window with'.split(' '),
);

function funcName(node: AstNode): string {
  const parts = ((node.funcname ?? []) as AstNode[]).map((n) => String(n.String?.sval ?? '').toLowerCase());
  return parts[0] === 'pg_catalog' ? parts.slice(1).join('.') : parts.join('.');
}

function columnRefName(node: AstNode): string | null {
  const fields = (node.fields ?? []) as AstNode[];
  if (fields.length === 0 || fields.some((f) => f.String?.sval === undefined)) return null;
  return fields.map((f) => String(f.String.sval)).join('.');
}

const TEXT_CASTS = new Set(['text', 'varchar', 'name', 'regclass', 'character varying', 'bpchar']);

/** format() as PostgreSQL runs it, for the specifiers %s, %I, %L and %% (with n$ positions). */
function format(template: string, args: (string | null)[]): string | null {
  let out = '';
  let next = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const spec = /^(?:(\d+)\$)?([sIL%])/.exec(template.slice(i + 1));
    if (!spec) return null; // widths and flags: not folded
    i += spec[0].length;
    if (spec[2] === '%') {
      out += '%';
      continue;
    }
    const index = spec[1] ? Number(spec[1]) - 1 : next;
    next = index + 1;
    if (index >= args.length) return null;
    const arg = args[index]!;
    if (spec[2] === 's') out += arg ?? '';
    else if (spec[2] === 'I') {
      if (arg === null) return null; // PostgreSQL raises
      out += quoteIdent(arg);
    } else out += arg === null ? 'NULL' : quoteLiteral(arg);
  }
  return out;
}

/** The text an expression evaluates to, or null when some piece is not a known constant. */
export function constantText(node: AstNode | undefined, bindings: Bindings): string | null {
  if (!node) return null;
  if (node.A_Const) {
    const c = node.A_Const as AstNode;
    if (c.sval) return String(c.sval.sval ?? '');
    if (c.ival) return String(c.ival.ival ?? 0);
    return null;
  }
  if (node.ColumnRef) {
    const name = columnRefName(node.ColumnRef as AstNode);
    return name !== null ? (bindings.get(name) ?? null) : null;
  }
  if (node.TypeCast) {
    const type = ((node.TypeCast.typeName?.names ?? []) as AstNode[]).map((n) => String(n.String?.sval ?? '')).filter((n) => n !== 'pg_catalog').join(' ');
    return TEXT_CASTS.has(type) ? constantText(node.TypeCast.arg as AstNode, bindings) : null;
  }
  if (node.A_Expr && node.A_Expr.kind === 'AEXPR_OP' && node.A_Expr.name?.[0]?.String?.sval === '||') {
    const left = constantText(node.A_Expr.lexpr as AstNode, bindings);
    const right = left === null ? null : constantText(node.A_Expr.rexpr as AstNode, bindings);
    return left === null || right === null ? null : left + right;
  }
  if (node.FuncCall) {
    const call = node.FuncCall as AstNode;
    const name = funcName(call);
    const args = ((call.args ?? []) as AstNode[]).map((a) => constantText(a, bindings));
    if (args.some((a) => a === null)) return null;
    if (name === 'quote_ident' && args.length === 1) return quoteIdent(args[0]!);
    if ((name === 'quote_literal' || name === 'quote_nullable') && args.length === 1) return quoteLiteral(args[0]!);
    if (name === 'format' && args.length >= 1) return format(args[0]!, args.slice(1));
    if (name === 'concat') return args.join('');
    return null;
  }
  return null;
}

/** The elements of a constant text array: `ARRAY['a', 'b']`, `'{a,b}'::text[]`; null otherwise. */
export function constantArray(node: AstNode | undefined): string[] | null {
  if (!node) return null;
  if (node.A_ArrayExpr) {
    const values = ((node.A_ArrayExpr.elements ?? []) as AstNode[]).map((e) => constantText(e, new Map()));
    return values.some((v) => v === null) ? null : (values as string[]);
  }
  if (node.TypeCast) {
    const arg = node.TypeCast.arg as AstNode | undefined;
    if (arg?.A_ArrayExpr) return constantArray(arg);
    const literal = arg?.A_Const?.sval?.sval;
    if (typeof literal === 'string' && node.TypeCast.typeName?.arrayBounds) return arrayLiteral(literal);
  }
  return null;
}

/** A one-dimensional array value's text form (`{a,"b c",d}`); null for anything else. */
function arrayLiteral(text: string): string[] | null {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return null;
  const inner = s.slice(1, -1);
  if (inner.trim() === '') return [];
  const out: string[] = [];
  let i = 0;
  while (i <= inner.length) {
    while (inner[i] === ' ') i++;
    let value = '';
    if (inner[i] === '"') {
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === '\\') i++;
        value += inner[i] ?? '';
        i++;
      }
      if (inner[i] !== '"') return null;
      i++;
      while (inner[i] === ' ') i++;
    } else {
      const start = i;
      while (i < inner.length && inner[i] !== ',') i++;
      value = inner.slice(start, i).trim();
      if (value.includes('{') || value.includes('"') || value.toUpperCase() === 'NULL') return null;
    }
    out.push(value);
    if (i >= inner.length) break;
    if (inner[i] !== ',') return null;
    i++;
  }
  return out;
}

/**
 * The rows of `SELECT unnest(<constant array>) [AS n]` or `SELECT n FROM unnest(<array>) [AS] n`,
 * as the column name and its values: what `FOR r IN SELECT ...` iterates over. Null otherwise.
 */
export function constantUnnest(select: AstNode | undefined): { column: string; values: string[] } | null {
  const s = select?.SelectStmt as AstNode | undefined;
  if (!s || s.whereClause || s.groupClause || s.limitCount || s.op !== 'SETOP_NONE') return null;
  const targets = (s.targetList ?? []) as AstNode[];
  if (targets.length !== 1) return null;
  const target = targets[0]!.ResTarget as AstNode;
  const unnestOf = (n: AstNode | undefined): string[] | null => {
    const call = n?.FuncCall as AstNode | undefined;
    if (!call || funcName(call) !== 'unnest' || (call.args ?? []).length !== 1) return null;
    return constantArray((call.args as AstNode[])[0]);
  };
  const from = (s.fromClause ?? []) as AstNode[];
  if (from.length === 0) {
    const values = unnestOf(target.val as AstNode);
    return values ? { column: String(target.name ?? 'unnest'), values } : null;
  }
  if (from.length !== 1 || !from[0]!.RangeFunction) return null;
  const range = from[0]!.RangeFunction as AstNode;
  const fn = ((range.functions ?? []) as AstNode[])[0]?.List?.items?.[0] as AstNode | undefined;
  const values = unnestOf(fn);
  if (!values || (range.functions as AstNode[]).length !== 1) return null;
  const alias = range.alias as AstNode | undefined;
  const column = String((alias?.colnames as AstNode[] | undefined)?.[0]?.String?.sval ?? alias?.aliasname ?? 'unnest');
  const ref = target.val?.ColumnRef as AstNode | undefined;
  const refName = ref ? columnRefName(ref) : null;
  if (!ref?.fields?.[0]?.A_Star && refName !== column && refName !== `${String(alias?.aliasname)}.${column}`) return null;
  return { column: String(target.name ?? column), values };
}
