/**
 * Policy expressions evaluated per session state, against a row of another tenant.
 *
 * `IdentityModel.pinsRow` asks a structural question: does every row the expression admits have a
 * key column equal to the identity? An expression can fail that test and still admit no other
 * tenant's row in any state a session can be in, because PostgreSQL raises instead of admitting:
 * `tenant_id = current_setting('app.t')::uuid OR current_setting('app.t') = 'all'` raises on
 * `'all'::uuid` before it reaches the `'all'` branch; `current_setting('app.t') IS NULL` raises
 * when the setting was never set and is `''` (not NULL) on a pooled connection. This module finds
 * those, so they are not reported as leaks.
 *
 * The states (SPEC section 4, issue "Exact policy semantics"):
 * - **own**: the identity settings hold the session's own tenant; other settings are unset;
 * - **bypass**: as own, plus every other custom setting the expression reads holds a value the
 *   session chose (any value);
 * - **literal L**: the identity settings hold a string literal the expression contains;
 * - **empty**: the identity settings hold `''` (what a pooled connection holds after a
 *   transaction-local `set_config`);
 * - **unset**: never set: `current_setting(s)` raises 42704, `current_setting(s, true)` is NULL.
 *
 * The row is one of another tenant: its key columns hold a tenant value that is neither the own
 * tenant nor a literal of the expression's type that cannot hold it; every other column may hold
 * anything. Evaluation follows the executor: OR, CASE and COALESCE left to right with short
 * circuit; a function's arguments before the call; AND in an order PostgreSQL may choose (so a
 * conjunct that raises is only relied on when every other conjunct is true). Where the outcome
 * depends on something this does not model the answer is "maybe", which counts as admitting.
 */
import { unwrap } from '../model/ast-names.js';
import type { TableState } from '../model/catalog.js';
import type { AstNode } from '../sql/parse.js';
import type { IdentityModel } from './identity.js';

/** T: true for the row; F: false; N: NULL; E: raises (for every row); M: may be true. */
type Truth = 'T' | 'F' | 'N' | 'E' | 'M';

type Val =
  /** `id`: the value is the identity a state holds (never another tenant's key). */
  | { k: 'const'; v: string | number | boolean | null; id?: boolean }
  | { k: 'raise' }
  /** The own tenant's identity value (own and bypass states). */
  | { k: 'own' }
  /** The foreign row's key column. */
  | { k: 'key'; column: string }
  /** A value this does not know (another column, a value the session chose, an unread function). */
  | { k: 'any'; nonNull?: boolean };

/**
 * `pooled`: the custom settings other than the identity hold '' instead of being unset (a pooled
 * connection on which some transaction once set them locally).
 */
type State = ({ kind: 'own' } | { kind: 'bypass' } | { kind: 'literal'; value: string } | { kind: 'empty' } | { kind: 'unset' }) & { pooled?: boolean };

const ANY: Val = { k: 'any' };
/** A value the session chose for a setting with SET / set_config: some string, never NULL. */
const CHOSEN: Val = { k: 'any', nonNull: true };
const RAISE: Val = { k: 'raise' };
const NULL: Val = { k: 'const', v: null };

const UUID_TEXT = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;
const BOOL_WORDS: Record<string, boolean> = { t: true, true: true, y: true, yes: true, on: true, '1': true, f: false, false: false, n: false, no: false, off: false, '0': false };

function names(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => (n.String?.sval as string | undefined) ?? '').filter(Boolean);
}

function constOf(n: AstNode): Val {
  if (n.isnull) return NULL;
  if (n.boolval !== undefined) return { k: 'const', v: !!n.boolval.boolval };
  if (n.sval !== undefined) return { k: 'const', v: String(n.sval.sval ?? '') };
  if (n.ival !== undefined) return { k: 'const', v: Number(n.ival.ival ?? 0) };
  if (n.fval !== undefined) return { k: 'const', v: String(n.fval.fval) };
  return ANY;
}

/** PostgreSQL's boolean input: the words above, and unique prefixes of true/false/yes/no. */
function parseBool(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (s in BOOL_WORDS) return BOOL_WORDS[s];
  if (s.length === 0) return undefined;
  for (const [word, value] of [['true', true], ['false', false], ['yes', true], ['no', false]] as const) if (word.startsWith(s)) return value;
  return undefined;
}

/** Equal as PostgreSQL would compare the two literals once coerced (uuids in any spelling). */
function sameText(a: string | number | boolean | null, b: string | number | boolean | null): boolean {
  const norm = (x: string | number | boolean | null) => {
    const t = String(x).trim();
    return UUID_TEXT.test(t) ? t.replace(/[{}-]/g, '').toLowerCase() : String(x);
  };
  return norm(a) === norm(b);
}

function truthOf(v: Val): Truth {
  if (v.k === 'raise') return 'E';
  if (v.k === 'const') return v.v === null ? 'N' : v.v === false ? 'F' : v.v === true ? 'T' : 'M';
  return 'M';
}

function valOf(t: Truth): Val {
  switch (t) {
    case 'T':
      return { k: 'const', v: true };
    case 'F':
      return { k: 'const', v: false };
    case 'N':
      return NULL;
    case 'E':
      return RAISE;
    default:
      return ANY;
  }
}

function not(t: Truth): Truth {
  return t === 'T' ? 'F' : t === 'F' ? 'T' : t;
}

/** One of two outcomes, not knowing which. */
function either(a: Truth, b: Truth): Truth {
  if (a === b) return a;
  if (a === 'T' || a === 'M' || b === 'T' || b === 'M') return 'M';
  // Neither admits; for an enclosing OR, not raising is the outcome that evaluates further.
  return a === 'E' ? b : b === 'E' ? a : 'F';
}

export class SessionStates {
  private readonly keys: Set<string>;

  constructor(
    private readonly identity: IdentityModel,
    private readonly table: TableState | null,
    keyColumns: readonly string[],
  ) {
    this.keys = new Set(keyColumns);
  }

  /**
   * Can `expr` admit (USING) or accept (WITH CHECK) a row of another tenant in some session
   * state? `false` only when every state gives false, NULL or an error for every such row.
   */
  admitsForeignRow(expr: AstNode): boolean {
    return this.admittingStates(expr, 'foreign').size > 0;
  }

  /**
   * The states (by label: `own`, `bypass`, `empty`, `unset`, `literal:L`) in which `expr` may
   * admit a row of another tenant (`foreign`) or any row at all (`any`: the key is unknown, so
   * the own tenant's rows count). The literal states are those of `expr` and of `alongside`, so
   * two expressions judged together (an UPDATE's USING and its check) share one set of states.
   */
  admittingStates(expr: AstNode, row: 'foreign' | 'any', alongside: readonly AstNode[] = []): Set<string> {
    const out = new Set<string>();
    this.anyRow = row === 'any';
    this.oneOtherSetting = this.otherSettings([expr, ...alongside]).size <= 1;
    try {
      for (const s of this.states([expr, ...alongside])) {
        const t = this.truth(expr, s);
        if (t === 'T' || t === 'M') out.add((s.kind === 'literal' ? `literal:${s.value}` : s.kind) + (s.pooled ? '+pooled' : ''));
      }
    } finally {
      this.anyRow = false;
    }
    return out;
  }

  /** While set, the row is any row (its key unknown), not one of another tenant. */
  private anyRow = false;
  /** The expressions judged read at most one custom setting besides the identity ones. */
  private oneOtherSetting = false;

  /** The custom settings other than the identity ones that `exprs` read by name. */
  private otherSettings(exprs: readonly AstNode[]): Set<string> {
    const out = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        const o = n as AstNode;
        const fn = o.FuncCall ? names(o.FuncCall.funcname).pop()?.toLowerCase() : undefined;
        if (fn === 'current_setting') {
          const arg = unwrap(o.FuncCall.args?.[0]);
          const name = arg?.[0] === 'A_Const' ? constOf(arg[1]) : ANY;
          // A name this cannot read counts as another setting.
          out.add(name.k === 'const' && typeof name.v === 'string' ? name.v : '?');
          if (name.k === 'const' && typeof name.v === 'string' && this.identity.isIdentitySetting(name.v)) out.delete(name.v);
        }
        for (const k in o) walk(o[k]);
      }
    };
    walk(exprs);
    return out;
  }

  private states(exprs: readonly AstNode[]): State[] {
    const literals = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        const o = n as AstNode;
        // Every literal the expression holds (strings, numbers): the identity may be set to it.
        const c = o.A_Const ? constOf(o.A_Const as AstNode) : null;
        if (c?.k === 'const' && c.v !== null && typeof c.v !== 'boolean') literals.add(String(c.v));
        for (const k in o) walk(o[k]);
      }
    };
    walk(exprs);
    const base: State[] = [{ kind: 'own' }, { kind: 'empty' }, { kind: 'unset' }, ...[...literals].map((value) => ({ kind: 'literal' as const, value }))];
    return [...base, ...base.map((s) => ({ ...s, pooled: true })), { kind: 'bypass' }];
  }

  private truth(expr: AstNode | null | undefined, s: State): Truth {
    const u = unwrap(expr);
    if (!u) return 'M';
    const [kind, n] = u;
    switch (kind) {
      case 'BoolExpr': {
        const args = (n.args ?? []) as AstNode[];
        if (n.boolop === 'NOT_EXPR') return not(this.truth(args[0], s));
        if (n.boolop === 'OR_EXPR') {
          let sawMaybe = false;
          let sawNull = false;
          for (const a of args) {
            const t = this.truth(a, s);
            if (t === 'T') return sawMaybe ? 'M' : 'T';
            if (t === 'M') sawMaybe = true;
            else if (t === 'E') return sawMaybe ? 'M' : 'E';
            else if (t === 'N') sawNull = true;
          }
          return sawMaybe ? 'M' : sawNull ? 'N' : 'F';
        }
        // AND: PostgreSQL may evaluate the conjuncts in any order (the planner sorts them by cost).
        const ts = args.map((a) => this.truth(a, s));
        if (ts.includes('F')) return 'F';
        if (ts.every((t) => t === 'T')) return 'T';
        if (ts.every((t) => t === 'T' || t === 'E')) return 'E';
        if (ts.includes('M')) return ts.some((t) => t === 'N' || t === 'E') ? 'F' : 'M';
        return 'N';
      }
      case 'NullTest': {
        const v = this.value(n.arg, s);
        const isNull = n.nulltesttype === 'IS_NULL';
        if (v.k === 'raise') return 'E';
        if (v.k === 'const') return (v.v === null) === isNull ? 'T' : 'F';
        if (v.k === 'own') return isNull ? 'F' : 'T';
        if ((v.k === 'key' && this.table?.columns.get(v.column)?.notNull) || (v.k === 'any' && v.nonNull)) return isNull ? 'F' : 'T';
        return 'M';
      }
      case 'BooleanTest': {
        const t = this.truth(n.arg, s);
        if (t === 'E' || t === 'M') return t;
        const is = { IS_TRUE: t === 'T', IS_NOT_TRUE: t !== 'T', IS_FALSE: t === 'F', IS_NOT_FALSE: t !== 'F', IS_UNKNOWN: t === 'N', IS_NOT_UNKNOWN: t !== 'N' }[String(n.booltesttype)];
        return is === undefined ? 'M' : is ? 'T' : 'F';
      }
      case 'A_Expr':
        return this.comparison(n, s);
      case 'SubLink': {
        if (n.subLinkType === 'EXPR_SUBLINK') return truthOf(this.value(expr, s));
        // EXISTS / IN subqueries: keyed to the identity, they hold no row of another tenant.
        if (!this.anyRow && this.identity.pinsRow(expr, this.table, [...this.keys]).pinned) return 'F';
        if (n.subLinkType === 'ANY_SUBLINK' && this.value(n.testexpr, s).k === 'raise') return 'E';
        return 'M';
      }
      case 'FuncCall': {
        const v = this.value(expr, s);
        if (v.k !== 'any') return truthOf(v);
        // A boolean function the identity model reads as a membership test of the row's key.
        return !this.anyRow && this.identity.pinsRow(expr, this.table, [...this.keys]).pinned ? 'F' : 'M';
      }
      default:
        return truthOf(this.value(expr, s));
    }
  }

  private comparison(n: AstNode, s: State): Truth {
    const op = names(n.name)[0];
    if (n.kind === 'AEXPR_OP' && (op === '=' || op === '<>' || op === '!=')) {
      const t = this.equal(this.value(n.lexpr, s), this.value(n.rexpr, s));
      return op === '=' ? t : not(t);
    }
    if (n.kind === 'AEXPR_DISTINCT' || n.kind === 'AEXPR_NOT_DISTINCT') {
      const a = this.value(n.lexpr, s);
      const b = this.value(n.rexpr, s);
      let same: Truth;
      if (a.k === 'raise' || b.k === 'raise') return 'E';
      const aNull = a.k === 'const' && a.v === null;
      const bNull = b.k === 'const' && b.v === null;
      if (aNull && bNull) same = 'T';
      else if (aNull || bNull) same = this.nonNull(aNull ? b : a) ? 'F' : 'M';
      else same = this.equal(a, b);
      return n.kind === 'AEXPR_NOT_DISTINCT' ? same : not(same);
    }
    if (n.kind === 'AEXPR_IN') {
      const left = this.value(n.lexpr, s);
      if (left.k === 'raise') return 'E';
      const items = ((n.rexpr?.List?.items ?? []) as AstNode[]).map((i) => this.value(i, s));
      if (items.some((i) => i.k === 'raise')) return 'E';
      let result: Truth = 'F';
      for (const item of items) {
        const t = this.equal(left, item);
        if (t === 'T') {
          result = 'T';
          break;
        }
        if (t === 'M') result = 'M';
        else if (t === 'N' && result === 'F') result = 'N';
      }
      return op === '<>' ? not(result) : result;
    }
    // Other operators: an operand that raises raises, a NULL operand gives NULL (strict operators).
    const operands = [n.lexpr, n.rexpr].filter((x) => x !== undefined && x !== null).map((x) => this.value(x as AstNode, s));
    if (operands.some((v) => v.k === 'raise')) return 'E';
    if (n.kind === 'AEXPR_OP' && operands.some((v) => v.k === 'const' && v.v === null)) return 'N';
    return 'M';
  }

  private nonNull(v: Val): boolean {
    if (v.k === 'own') return true;
    if (v.k === 'const') return v.v !== null;
    if (v.k === 'key') return !!this.table?.columns.get(v.column)?.notNull;
    return v.k === 'any' && !!v.nonNull;
  }

  private equal(a: Val, b: Val): Truth {
    if (a.k === 'raise' || b.k === 'raise') return 'E';
    if ((a.k === 'const' && a.v === null) || (b.k === 'const' && b.v === null)) return 'N';
    if (a.k === 'const' && b.k === 'const') return sameText(a.v, b.v) ? 'T' : 'F';
    if (a.k === 'own' && b.k === 'own') return 'T';
    if (a.k === 'key' && b.k === 'key') return a.column === b.column ? 'T' : 'M';
    // The row belongs to another tenant: its key is not the own tenant's.
    if ((a.k === 'key' && b.k === 'own') || (a.k === 'own' && b.k === 'key')) return 'F';
    // A key of a typed column never equals text its type cannot hold (`tenant_id::text = 'all'`
    // for a uuid column).
    if ((a.k === 'key' && b.k === 'const' && !this.keyCanHold(a.column, b.v)) || (b.k === 'key' && a.k === 'const' && !this.keyCanHold(b.column, a.v))) return 'F';
    // The own tenant is a tenant, not one of the policy's literals.
    if ((a.k === 'own' && b.k === 'const') || (a.k === 'const' && b.k === 'own')) return 'F';
    // A key compared with the identity a state holds ('' or a claimed literal): that is the
    // session's own tenant, not this row's.
    if ((a.k === 'key' && b.k === 'const' && b.id) || (b.k === 'key' && a.k === 'const' && a.id)) return 'F';
    // A key compared with a policy's literal: the other tenant may be that one (a hard-coded tenant).
    return 'M';
  }

  private value(expr: AstNode | null | undefined, s: State): Val {
    const u = unwrap(expr);
    if (!u) return ANY;
    const [kind, n] = u;
    switch (kind) {
      case 'A_Const':
        return constOf(n);
      case 'TypeCast':
        return this.cast(this.value(n.arg, s), names(n.typeName?.names).pop()?.toLowerCase() ?? '', !!n.typeName?.arrayBounds);
      case 'ColumnRef': {
        const fields = names(n.fields);
        const column = fields[fields.length - 1];
        if (column && this.keys.has(column) && !this.anyRow) return { k: 'key', column };
        return ANY;
      }
      case 'CoalesceExpr': {
        for (const a of (n.args ?? []) as AstNode[]) {
          const v = this.value(a, s);
          if (v.k === 'const' && v.v === null) continue;
          // A value that may be NULL: the fallbacks after it may be used too; say "any".
          if (this.nonNull(v)) return v;
          if (v.k === 'any' || v.k === 'key') return v.k === 'key' ? ANY : this.fallbacksRaise((n.args ?? []) as AstNode[], a, s);
          return v;
        }
        return NULL;
      }
      case 'CaseExpr':
        return valOf(this.caseTruth(n, s));
      case 'A_Expr':
        // NULLIF(a, b) parses as an A_Expr: a value, not a truth.
        if (n.kind === 'AEXPR_NULLIF') return this.nullif(this.value(n.lexpr, s), this.value(n.rexpr, s));
        return valOf(this.truth(expr, s));
      case 'BoolExpr':
      case 'NullTest':
      case 'BooleanTest':
        return valOf(this.truth(expr, s));
      case 'SubLink': {
        if (n.subLinkType === 'EXPR_SUBLINK') {
          const select = n.subselect?.SelectStmt as AstNode | undefined;
          if (select && !select.fromClause && !select.whereClause && select.targetList?.length === 1) return this.value(select.targetList[0].ResTarget?.val, s);
        }
        return ANY;
      }
      case 'SQLValueFunction':
        // current_user and friends: the session's own identity in every state.
        return this.identity.isIdentityValue(expr) ? { k: 'own' } : ANY;
      case 'FuncCall':
        return this.call(expr!, n, s);
      default:
        return ANY;
    }
  }

  /** COALESCE(a, b, ...) where `a` may or may not be NULL: raises only if every candidate does. */
  private fallbacksRaise(args: AstNode[], from: AstNode, s: State): Val {
    return args.slice(args.indexOf(from)).every((a) => this.value(a, s).k === 'raise') ? RAISE : ANY;
  }

  private caseTruth(n: AstNode, s: State): Truth {
    const subject = n.arg ? this.value(n.arg, s) : null;
    let acc: Truth | null = null;
    for (const w of (n.args ?? []) as AstNode[]) {
      const when = w.CaseWhen as AstNode;
      const cond = subject ? this.equal(subject, this.value(when.expr, s)) : this.truth(when.expr, s);
      if (cond === 'F' || cond === 'N') continue;
      if (cond === 'E') return acc === null ? 'E' : either(acc, 'F');
      const result = this.truth(when.result, s);
      if (cond === 'T') return acc === null ? result : either(acc, result);
      acc = acc === null ? result : either(acc, result);
    }
    const otherwise = n.defresult ? this.truth(n.defresult, s) : 'N';
    return acc === null ? otherwise : either(acc, otherwise);
  }

  private call(expr: AstNode, n: AstNode, s: State): Val {
    const fn = names(n.funcname).map((p) => p.toLowerCase());
    const last = fn[fn.length - 1] ?? '';
    const catalogFn = fn.length === 1 || fn[0] === 'pg_catalog';
    const args = (n.args ?? []) as AstNode[];
    if (last === 'current_setting' && catalogFn) {
      const name = this.value(args[0], s);
      const missingOk = args[1] ? this.value(args[1], s) : { k: 'const' as const, v: false };
      if (name.k === 'raise' || missingOk.k === 'raise') return RAISE;
      if (name.k !== 'const' || typeof name.v !== 'string') return ANY;
      const unset = (): Val => {
        if (missingOk.k !== 'const') return ANY;
        const ok = typeof missingOk.v === 'string' ? parseBool(missingOk.v) : missingOk.v;
        return ok === true ? NULL : ok === false || ok === null ? RAISE : ANY;
      };
      if (this.identity.isIdentitySetting(name.v)) {
        if (s.kind === 'own' || s.kind === 'bypass') return { k: 'own' };
        if (s.kind === 'literal') return { k: 'const', v: s.value, id: true };
        if (s.kind === 'empty') return { k: 'const', v: '', id: true };
        return unset();
      }
      // Another custom setting: unset ('' on a pooled connection), except in the bypass state,
      // where the session chose it.
      // With one such setting the chosen value is a string; with several, the session may set
      // some and leave others unset, so each may also be NULL.
      return s.kind === 'bypass' ? (this.oneOtherSetting ? CHOSEN : ANY) : s.pooled ? { k: 'const', v: '' } : unset();
    }
    if (last === 'nullif' && catalogFn && args.length === 2) return this.nullif(this.value(args[0], s), this.value(args[1], s));
    if (['lower', 'upper', 'btrim', 'trim', 'text'].includes(last) && catalogFn && args.length === 1) {
      const a = this.value(args[0], s);
      if (a.k === 'const' && typeof a.v === 'string') return { ...a, v: last === 'lower' ? a.v.toLowerCase() : last === 'upper' ? a.v.toUpperCase() : last === 'text' ? a.v : a.v.trim() };
      return a.k === 'raise' || (a.k === 'const' && a.v === null) || a.k === 'own' ? a : ANY;
    }
    // Any other function: its arguments are evaluated before it runs.
    const argVals = args.map((a) => this.value(a, s));
    if (argVals.some((v) => v.k === 'raise')) return RAISE;
    if (this.identity.isIdentityValue(expr)) {
      // An identity function (auth.uid(), a configured one): the own tenant, the literal the
      // session claims, or nothing when no identity is set.
      if (s.kind === 'own' || s.kind === 'bypass') return { k: 'own' };
      if (s.kind === 'literal') return { k: 'const', v: s.value, id: true };
      return NULL;
    }
    return ANY;
  }

  /** Can the key column hold a value that reads as `v` (as text)? */
  private keyCanHold(column: string, v: string | number | boolean | null): boolean {
    const type = this.table?.columns.get(column)?.type;
    const text = String(v).trim();
    if (type === 'uuid') return UUID_TEXT.test(text);
    if (type === 'int2' || type === 'int4' || type === 'int8') return /^[+-]?\d+$/.test(text);
    return true;
  }

  private nullif(a: Val, b: Val): Val {
    if (a.k === 'raise' || b.k === 'raise') return RAISE;
    const eq = this.equal(a, b);
    return eq === 'T' ? NULL : eq === 'F' || eq === 'N' ? a : ANY;
  }

  private cast(v: Val, type: string, array: boolean): Val {
    if (v.k !== 'const' || v.v === null || array) return v;
    const text = String(v.v);
    switch (type) {
      case 'uuid':
        return UUID_TEXT.test(text.trim()) ? { ...v, v: text.trim() } : RAISE;
      case 'int2':
      case 'int4':
      case 'int8':
      case 'int':
      case 'integer':
      case 'smallint':
      case 'bigint':
        if (typeof v.v === 'boolean') return RAISE;
        return /^\s*[+-]?\d+\s*$/.test(text) ? { ...v, v: Number(text) } : RAISE;
      case 'bool':
      case 'boolean': {
        if (typeof v.v === 'boolean') return v;
        if (typeof v.v === 'number') return { k: 'const', v: v.v !== 0 };
        const b = parseBool(text);
        return b === undefined ? RAISE : { k: 'const', v: b };
      }
      case 'text':
      case 'varchar':
      case 'name':
        return { ...v, v: typeof v.v === 'boolean' ? String(v.v) : text };
      default:
        // A type whose input rules this does not model: the value is unknown, but it raises nothing we claim.
        return ANY;
    }
  }
}
