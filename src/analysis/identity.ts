/**
 * The identity model: what a policy (or a function body) may pin rows to.
 *
 * Decided on the libpg-query AST, never on SQL text (SPEC section 3, "Identity"):
 *
 * - **sources** are the values a session cannot choose for another tenant: the configured tenant
 *   settings (`current_setting('<setting>')`) and tenant functions; `current_user`,
 *   `session_user`, `current_role`; Supabase's `auth.uid()`, `auth.jwt()` (and its claims),
 *   `auth.role()`; PostgREST's `request.jwt.claims` and `request.jwt.claim.<name>` settings;
 * - **derived** values are computed from a source: a scalar, `IN`, `= ANY` or `EXISTS` subquery
 *   keyed by one, and calls of functions from the replayed catalog whose bodies return such values
 *   or test membership of their argument, through chains of them (to `MAX_DEPTH`);
 * - a predicate **pins** a row when every row it admits has one of the table's key columns equal
 *   to (or in) an identity value. `a AND b` pins when either side does, `a OR b` when both do;
 *   `false` and `NULL` pin vacuously.
 *
 * A value derived through a table (`SELECT team_id FROM members WHERE user_id = auth.uid()`) is
 * only as good as that table's contents: each pin records the **trusts** it rests on, so the
 * membership table's own write policies can be judged (see `policies.ts`).
 */
import { unwrap } from '../model/ast-names.js';
import type { Catalog, FunctionState, TableState } from '../model/catalog.js';
import { qualifiedKey } from '../model/catalog.js';
import { bodyOf } from './definer.js';
import type { AstNode } from '../sql/parse.js';

/** `" (<the reasons that could not follow>)"`: what a "not keyed" message passes on from inside. */
function because(reasons: string[]): string {
  const followed = reasons.filter((r) => r.includes('could not follow'));
  return followed.length > 0 ? ` (${followed[0]})` : '';
}

/** The text forms PostgreSQL accepts for a uuid, as `uuid_in` reads them (hyphens optional, braces allowed). */
const UUID_TEXT = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** Chains of functions deeper than this are not followed ("could not follow"). */
export const MAX_DEPTH = 8;

/**
 * A pin that rests on a table's rows: rows of `table` whose `boundBy` columns equal the session's
 * identity hand out their `grants` column's values as the session's identity (a membership).
 */
export interface Trust {
  table: string;
  boundBy: string[];
  grants: string;
  /** How the pin reads the table (`private.user_team_ids()`, `a subquery`), for messages. */
  via: string;
}

export interface PinVerdict {
  pinned: boolean;
  /** Why not, in words a migration author recognizes (only when not pinned). */
  reason?: string;
  /** The memberships the pin rests on (only when pinned). */
  trusts: Trust[];
  /** The predicate admits rows by a flag of the row itself (`is_public`, `visibility = 'public'`). */
  rowFlag?: string;
}

export interface IdentityOptions {
  tenantColumns: readonly string[];
  tenantSettings: readonly string[];
  tenantFunctions: readonly string[];
}

type Value =
  | { kind: 'identity'; trusts: Trust[]; what: string }
  | { kind: 'param'; index: number }
  | { kind: 'column'; relation: Relation; column: string }
  | { kind: 'const'; value: unknown }
  | { kind: 'user-controlled'; what: string }
  | { kind: 'unknown'; reason: string };

/** A FROM item a column reference may name. `columns` null: unknown (an external table). */
interface Relation {
  alias: string;
  key: string | null;
  columns: Set<string> | null;
}

/** Where a column reference is resolved: the innermost query's FROM items first, then outer ones. */
interface Scope {
  relations: Relation[];
  parent: Scope | null;
  /** Inside a function body: its parameters (by position) and its name (`fn.arg`). */
  fn: { name: string; params: string[]; language: string } | null;
}

/** What a function call stands for, summarized from its body. */
interface FunctionSummary {
  /** What it returns: an identity value (scalar or set), or why not. */
  returns: Value;
  /** Per argument: the trusts under which `f(x)` is true only for x among the session's own keys. */
  argTests: (Trust[] | null)[];
}

/** A predicate's targets: the column references (or parameters) whose pinning is asked for. */
type TargetTest = (value: Value) => string | null;

const NOT_PINNED = (reason: string, extra: Partial<PinVerdict> = {}): PinVerdict => ({ pinned: false, reason, trusts: [], ...extra });
const PINNED: PinVerdict = { pinned: true, trusts: [] };


function names(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => (n.String?.sval as string | undefined) ?? (n.A_Star ? '*' : '')).filter(Boolean);
}

/** Strips casts and `(SELECT x)` wrappers, which change neither the value nor who it pins. */
export function stripValueWrappers(node: AstNode | null | undefined): AstNode | null | undefined {
  let current = node;
  for (;;) {
    const u = unwrap(current);
    if (!u) return current;
    const [kind, n] = u;
    if (kind === 'TypeCast') {
      current = n.arg;
    } else if (kind === 'SubLink' && n.subLinkType === 'EXPR_SUBLINK') {
      const select = n.subselect?.SelectStmt as AstNode | undefined;
      if (!select || select.fromClause || select.whereClause || select.targetList?.length !== 1) return current;
      current = select.targetList[0].ResTarget?.val;
    } else {
      return current;
    }
  }
}

/** `auth.uid()`, `"auth"."uid"`, `auth.uid` all name the function auth.uid. */
export function normalizeFunctionName(name: string): string[] {
  return name
    .replace(/\(\s*\)\s*$/, '')
    .split('.')
    .map((p) => p.trim().replace(/^"(.*)"$/, '$1').toLowerCase());
}

/** Supabase's identity functions: always identity sources, with or without the preset. */
const BUILT_IN_FUNCTIONS = [['auth', 'uid'], ['auth', 'jwt'], ['auth', 'role'], ['auth', 'email']];
/** JWT claims a user can write themselves (Supabase's `user_metadata`, `raw_user_meta_data`). */
const USER_CONTROLLED_CLAIMS = new Set(['user_metadata', 'raw_user_meta_data']);

function isPostgrestClaimSetting(setting: string): boolean {
  return setting === 'request.jwt.claims' || setting === 'request.jwt.claim' || setting.startsWith('request.jwt.claim.');
}

function constValue(node: AstNode): unknown {
  if (node.isnull) return null;
  if (node.boolval !== undefined) return !!node.boolval.boolval;
  if (node.sval !== undefined) return String(node.sval.sval ?? '');
  if (node.ival !== undefined) return Number(node.ival.ival ?? 0);
  if (node.fval !== undefined) return String(node.fval.fval);
  return undefined;
}

function describeFunction(fn: FunctionState): string {
  return `${fn.schema}.${fn.name}()`;
}

/**
 * The identity model of a replayed catalog (or of no catalog: the probe judges live policies,
 * whose functions it cannot read, and says so instead of guessing).
 */
export class IdentityModel {
  private readonly settings: Set<string>;
  private readonly functions: string[][];
  private readonly summaries = new Map<FunctionState, FunctionSummary>();
  private readonly inProgress = new Set<FunctionState>();
  /** Functions by lower-case name, built on first use (the catalog is final by then). */
  private functionIndex: Map<string, FunctionState[]> | null = null;
  private indexedFunctions = 0;

  constructor(
    readonly options: IdentityOptions,
    readonly catalog: Catalog | null = null,
  ) {
    this.settings = new Set(options.tenantSettings.map((s) => s.toLowerCase()));
    this.functions = [...options.tenantFunctions.map(normalizeFunctionName), ...BUILT_IN_FUNCTIONS];
  }

  /** Is `setting` an identity setting (configured, or PostgREST's JWT claims)? */
  isIdentitySetting(setting: string): boolean {
    const s = setting.toLowerCase();
    return this.settings.has(s) || isPostgrestClaimSetting(s);
  }

  /** Is `name` (as called in SQL) a configured or built-in identity function? */
  isIdentityFunction(funcname: string[]): boolean {
    const called = funcname.map((p) => p.toLowerCase());
    return this.functions.some((f) => {
      if (f.length === called.length) return f.every((p, i) => p === called[i]);
      // An unqualified call may resolve to a configured schema-qualified function, and vice versa.
      return f[f.length - 1] === called[called.length - 1] && (f.length === 1 || called.length === 1) && f[0] !== 'auth';
    });
  }

  // ---- policies ------------------------------------------------------------------------------

  /**
   * Does `expr`, a policy expression on `table`, pin one of `keyColumns` to the session's identity?
   * `table` is null for a live policy whose table the caller knows only by its key columns.
   */
  pinsRow(expr: AstNode | null | undefined, table: TableState | null, keyColumns: readonly string[]): PinVerdict {
    const relation: Relation = {
      alias: table?.name ?? '',
      key: table ? qualifiedKey(table.schema, table.name) : null,
      columns: table && !table.external ? new Set(table.columns.keys()) : null,
    };
    const keys = new Set(keyColumns);
    const scope: Scope = { relations: [relation], parent: null, fn: null };
    const target: TargetTest = (v) => (v.kind === 'column' && v.relation === relation && keys.has(v.column) ? v.column : null);
    return this.pins(expr, scope, target, 0);
  }

  /**
   * Does `expr` admit no row in any session state: `false`, `NULL`, a conjunct that does, every
   * OR branch doing so, a comparison with a literal the column's type cannot hold?
   */
  admitsNothing(expr: AstNode | null | undefined, table: TableState | null): boolean {
    const u = unwrap(expr);
    if (!u) return false;
    const [kind, n] = u;
    if (kind === 'A_Const') {
      const v = constValue(n);
      return v === null || v === false;
    }
    if (kind === 'TypeCast') return this.admitsNothing(n.arg, table);
    if (kind === 'BoolExpr') {
      const args = (n.args ?? []) as AstNode[];
      if (n.boolop === 'AND_EXPR') return args.some((a) => this.admitsNothing(a, table));
      if (n.boolop === 'OR_EXPR') return args.every((a) => this.admitsNothing(a, table));
      return false;
    }
    if (kind === 'A_Expr' && n.kind === 'AEXPR_OP' && names(n.name)[0] === '=' && table) {
      const relation: Relation = { alias: table.name, key: qualifiedKey(table.schema, table.name), columns: new Set(table.columns.keys()) };
      const scope: Scope = { relations: [relation], parent: null, fn: null };
      const left = this.value(n.lexpr, scope, 0);
      const right = this.value(n.rexpr, scope, 0);
      for (const [a, b] of [[left, right], [right, left]] as [Value, Value][]) {
        if (a.kind === 'column' && b.kind === 'const' && this.impossibleFor(a, b.value)) return true;
      }
    }
    return false;
  }

  /** Is `expr` an identity value (a source, or derived from one)? For the probe and the app rules. */
  isIdentityValue(expr: AstNode | null | undefined): boolean {
    return this.value(expr, { relations: [], parent: null, fn: null }, 0).kind === 'identity';
  }

  /** The identity settings `expr` reads (for the probe, which then sets them). */
  settingsRead(expr: unknown): string[] {
    const found = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        const o = n as AstNode;
        if (o.FuncCall) {
          const fn = names(o.FuncCall.funcname);
          const setting = fn[fn.length - 1]?.toLowerCase() === 'current_setting' ? this.constString(o.FuncCall.args?.[0]) : null;
          if (setting !== null) found.add(setting);
        }
        for (const k in o) walk(o[k]);
      }
    };
    walk(expr);
    return [...found];
  }

  // ---- predicates ----------------------------------------------------------------------------

  private pins(expr: AstNode | null | undefined, scope: Scope, target: TargetTest, depth: number): PinVerdict {
    const u = unwrap(expr);
    if (!u) return NOT_PINNED('no expression');
    const [kind, n] = u;
    switch (kind) {
      case 'A_Const': {
        const v = constValue(n);
        if (v === null || v === false) return PINNED;
        if (v === true) return NOT_PINNED('`true` admits every row');
        return NOT_PINNED('a constant does not compare a key column with the identity');
      }
      case 'BoolExpr': {
        const args = (n.args ?? []) as AstNode[];
        if (n.boolop === 'AND_EXPR') {
          const verdicts = args.map((a) => this.pins(a, scope, target, depth));
          const pinned = verdicts.filter((v) => v.pinned).sort((a, b) => a.trusts.length - b.trusts.length);
          if (pinned.length > 0) return pinned[0]!;
          return verdicts.find((v) => v.rowFlag === undefined) ?? verdicts[0] ?? NOT_PINNED('no conjunct pins a key column');
        }
        if (n.boolop === 'OR_EXPR') {
          const trusts: Trust[] = [];
          for (const a of args) {
            const v = this.pins(a, scope, target, depth);
            if (!v.pinned) return { ...v, reason: `an OR branch opens it: ${v.reason}` };
            trusts.push(...v.trusts);
          }
          return { pinned: true, trusts };
        }
        return NOT_PINNED('a negation does not pin a key column');
      }
      case 'TypeCast':
        return this.pins(n.arg, scope, target, depth);
      case 'BooleanTest':
        return n.booltesttype === 'IS_TRUE' ? this.pins(n.arg, scope, target, depth) : NOT_PINNED('a boolean test does not pin a key column');
      case 'NullTest':
        return NOT_PINNED(`an IS ${n.nulltesttype === 'IS_NULL' ? '' : 'NOT '}NULL test admits rows of any tenant`);
      case 'CoalesceExpr': {
        const trusts: Trust[] = [];
        for (const a of (n.args ?? []) as AstNode[]) {
          const v = this.pins(a, scope, target, depth);
          if (!v.pinned) return NOT_PINNED(`COALESCE falls back to a value that admits rows of any tenant (${v.reason})`);
          trusts.push(...v.trusts);
        }
        return { pinned: true, trusts };
      }
      case 'CaseExpr': {
        const branches = [...((n.args ?? []) as AstNode[]).map((w) => w.CaseWhen?.result as AstNode), n.defresult as AstNode | undefined];
        const trusts: Trust[] = [];
        for (const b of branches) {
          if (!b) continue; // CASE without ELSE yields NULL, which admits nothing
          const v = this.pins(b, scope, target, depth);
          if (!v.pinned) return NOT_PINNED(`a CASE branch opens it: ${v.reason}`);
          trusts.push(...v.trusts);
        }
        return { pinned: true, trusts };
      }
      case 'ColumnRef': {
        const v = this.resolveColumn(n, scope);
        if (v.kind === 'column') return NOT_PINNED(`it admits every row whose ${v.column} is set, of any tenant`, { rowFlag: v.column });
        return NOT_PINNED('a predicate that does not compare a key column with the identity');
      }
      case 'SubLink':
        return this.pinsSubLink(n, scope, target, depth);
      case 'FuncCall':
        return this.pinsCall(n, scope, target, depth);
      case 'A_Expr':
        return this.pinsComparison(n, scope, target, depth);
      default:
        return NOT_PINNED('a predicate that does not compare a key column with the identity');
    }
  }

  private pinsComparison(n: AstNode, scope: Scope, target: TargetTest, depth: number): PinVerdict {
    const op = names(n.name)[0];
    if (n.kind === 'AEXPR_OP' && op === '=') {
      // `f(key) = true`: the membership test itself.
      for (const [a, b] of [[n.lexpr, n.rexpr], [n.rexpr, n.lexpr]] as [AstNode, AstNode][]) {
        const c = unwrap(b);
        if (c?.[0] === 'A_Const' && constValue(c[1]) === true) return this.pins(a, scope, target, depth);
      }
      const left = this.value(n.lexpr, scope, depth);
      const right = this.value(n.rexpr, scope, depth);
      for (const [a, b] of [[left, right], [right, left]] as [Value, Value][]) {
        const column = target(a);
        if (column === null) continue;
        if (b.kind === 'identity') return { pinned: true, trusts: b.trusts };
        if (b.kind === 'const') return a.kind === 'column' && this.impossibleFor(a, b.value) ? PINNED : NOT_PINNED(`${column} is compared with a literal value`);
        if (b.kind === 'user-controlled') return NOT_PINNED(`${column} is compared with ${b.what}, which the user writes themselves, so any user can claim any value`);
        if (b.kind === 'unknown') return NOT_PINNED(`${column} is compared with something rls-guard cannot derive from the identity (${b.reason})`);
        return NOT_PINNED(`${column} is compared with something other than the identity`);
      }
      if (left.kind === 'identity' || right.kind === 'identity') {
        const other = left.kind === 'identity' ? right : left;
        if (other.kind === 'column') return NOT_PINNED(`it compares ${other.column}, which is not a key column of the table, with the identity`);
        return NOT_PINNED('the identity is compared with something other than a key column');
      }
      const claimed = left.kind === 'user-controlled' ? left : right.kind === 'user-controlled' ? right : null;
      if (claimed && claimed.kind === 'user-controlled') {
        const other = claimed === left ? right : left;
        const what = other.kind === 'column' ? `${other.column}, which is not a key column of the table,` : 'a value';
        return NOT_PINNED(`it compares ${what} with ${claimed.what}, which the user writes themselves, so any user can claim any value`);
      }
      const setting = this.otherSetting(n.lexpr) ?? this.otherSetting(n.rexpr);
      if (setting) {
        return NOT_PINNED(`it tests the setting ${setting}, which is not an identity setting: any session that sets it (SET ${setting} = ...) reaches every tenant's rows`);
      }
      for (const [a, b] of [[left, right], [right, left]] as [Value, Value][]) {
        if (a.kind !== 'column' || b.kind !== 'const') continue;
        // A literal no value of the column's type can equal (`tenant_id::text = 'all'` for a uuid
        // column is never true; `tenant_id = 'all'` fails for every row): it admits nothing.
        if (this.impossibleFor(a, b.value)) return PINNED;
        return NOT_PINNED(`it admits every row whose ${a.column} is ${JSON.stringify(b.value)}, of any tenant`, { rowFlag: a.column });
      }
      return NOT_PINNED('a comparison that does not involve a key column and the identity (a bypass switch?)');
    }
    if (n.kind === 'AEXPR_IN' && op === '=') {
      const column = target(this.value(n.lexpr, scope, depth));
      if (column !== null) {
        const items = ((n.rexpr?.List?.items ?? []) as AstNode[]).map((i) => this.value(i, scope, depth));
        if (items.length > 0 && items.every((i) => i.kind === 'identity')) return { pinned: true, trusts: items.flatMap((i) => (i.kind === 'identity' ? i.trusts : [])) };
        return NOT_PINNED(`${column} is matched against values other than the identity`);
      }
    }
    if (n.kind === 'AEXPR_OP_ANY' && op === '=') {
      const column = target(this.value(n.lexpr, scope, depth));
      if (column !== null) {
        const array = this.value(n.rexpr, scope, depth);
        if (array.kind === 'identity') return { pinned: true, trusts: array.trusts };
        return NOT_PINNED(`${column} = ANY(...) of an array not derived from the identity`);
      }
    }
    return NOT_PINNED('a predicate that does not compare a key column with the identity');
  }

  private pinsSubLink(n: AstNode, scope: Scope, target: TargetTest, depth: number): PinVerdict {
    const select = n.subselect?.SelectStmt as AstNode | undefined;
    if (n.subLinkType === 'EXPR_SUBLINK') {
      // `(SELECT <predicate>)`: the predicate, evaluated once.
      if (select && !select.fromClause && select.targetList?.length === 1) return this.pins(select.targetList[0].ResTarget?.val, scope, target, depth);
      return NOT_PINNED('a subquery that does not pin a key column');
    }
    if (!select) return NOT_PINNED('a subquery rls-guard cannot read');
    if (n.subLinkType === 'ANY_SUBLINK') {
      // key IN (SELECT <identity set>)
      const column = target(this.value(n.testexpr, scope, depth));
      if (column === null) return NOT_PINNED('an IN subquery over a column that is not a key column');
      const v = this.selectValue(select, scope, depth);
      if (v.kind === 'identity') return { pinned: true, trusts: v.trusts };
      return NOT_PINNED(v.kind === 'unknown' ? v.reason : `${column} IN a subquery that is not keyed to the identity`);
    }
    if (n.subLinkType === 'EXISTS_SUBLINK') return this.pinsExists(select, scope, target, depth);
    return NOT_PINNED('a subquery that is not keyed to the identity');
  }

  /**
   * EXISTS (SELECT 1 FROM m WHERE m.user_id = <identity> AND m.team_id = outer.team_id): a row
   * of `m` bound to the identity correlates with the outer key column.
   */
  private pinsExists(select: AstNode, outer: Scope, target: TargetTest, depth: number): PinVerdict {
    const inner = this.fromScope(select, outer);
    if (!inner) return NOT_PINNED('an EXISTS subquery over something rls-guard cannot read');
    const conjuncts = this.conjuncts(select.whereClause);
    const bound = this.boundColumns(conjuncts, inner, depth);
    if (!bound.columns.length) return NOT_PINNED(`an EXISTS subquery that is not keyed to the identity${because(bound.reasons)}`);
    for (const c of conjuncts) {
      const u = unwrap(c);
      if (!u || u[0] !== 'A_Expr' || u[1].kind !== 'AEXPR_OP' || names(u[1].name)[0] !== '=') continue;
      const left = this.value(u[1].lexpr, inner, depth);
      const right = this.value(u[1].rexpr, inner, depth);
      for (const [a, b] of [[left, right], [right, left]] as [Value, Value][]) {
        if (target(a) === null || b.kind !== 'column' || !inner.relations.includes(b.relation) || !b.relation.key) continue;
        return { pinned: true, trusts: [...bound.trusts, { table: b.relation.key, boundBy: bound.columns, grants: b.column, via: 'an EXISTS subquery' }] };
      }
    }
    return NOT_PINNED('an EXISTS subquery keyed to the identity but not correlated with a key column of the row');
  }

  /** `f(key)` where f's body tests membership of its argument. */
  private pinsCall(n: AstNode, scope: Scope, target: TargetTest, depth: number): PinVerdict {
    const fnName = names(n.funcname);
    const fn = this.findFunction(fnName, ((n.args ?? []) as AstNode[]).length);
    if (!fn) {
      if (this.isIdentityFunction(fnName)) return NOT_PINNED(`${fnName.join('.')}() is an identity value, not a predicate over the row`);
      return NOT_PINNED(`it calls ${fnName.join('.')}(), which the migrations do not define, so rls-guard could not follow it`);
    }
    if (depth >= MAX_DEPTH) return NOT_PINNED(`rls-guard could not follow ${describeFunction(fn)}: more than ${MAX_DEPTH} nested functions`);
    const summary = this.summarize(fn, depth + 1);
    const args = (n.args ?? []) as AstNode[];
    let sawKey = false;
    for (let i = 0; i < args.length; i++) {
      const column = target(this.value(args[i], scope, depth));
      if (column === null) continue;
      sawKey = true;
      const trusts = summary.argTests[i];
      if (trusts) return { pinned: true, trusts };
    }
    if (!sawKey) return NOT_PINNED(`${describeFunction(fn)} is not given a key column of the row`);
    return NOT_PINNED(`${describeFunction(fn)} does not test its argument against the identity${summary.returns.kind === 'unknown' ? ` (${summary.returns.reason})` : ''}`);
  }

  // ---- values --------------------------------------------------------------------------------

  private value(node: AstNode | null | undefined, scope: Scope, depth: number): Value {
    const u = unwrap(node);
    if (!u) return { kind: 'unknown', reason: 'no expression' };
    const [kind, n] = u;
    switch (kind) {
      case 'A_Const':
        return { kind: 'const', value: constValue(n) };
      case 'TypeCast':
        return this.value(n.arg, scope, depth);
      case 'CollateClause':
        return this.value(n.arg, scope, depth);
      case 'SQLValueFunction':
        if (['SVFOP_CURRENT_USER', 'SVFOP_SESSION_USER', 'SVFOP_CURRENT_ROLE', 'SVFOP_USER'].includes(n.op)) return { kind: 'identity', trusts: [], what: String(n.op).slice(6).toLowerCase() };
        return { kind: 'unknown', reason: 'a built-in value that is not the identity' };
      case 'ColumnRef':
        return this.resolveColumn(n, scope);
      case 'ParamRef':
        return scope.fn ? { kind: 'param', index: Number(n.number) - 1 } : { kind: 'unknown', reason: 'a bind parameter' };
      case 'FuncCall':
        return this.callValue(n, scope, depth);
      case 'A_Expr': {
        const op = names(n.name)[0];
        // NULLIF(identity, '') is the identity, or NULL (which admits nothing).
        if (n.kind === 'AEXPR_NULLIF') return this.value(n.lexpr, scope, depth);
        if (n.kind === 'AEXPR_OP' && (op === '->>' || op === '->' || op === '#>>' || op === '#>')) {
          const base = this.value(n.lexpr, scope, depth);
          const claim = this.constString(n.rexpr);
          if (base.kind === 'user-controlled') return base;
          if (base.kind === 'identity') {
            if (claim !== null && USER_CONTROLLED_CLAIMS.has(claim)) return { kind: 'user-controlled', what: `the JWT's ${claim}` };
            return { kind: 'identity', trusts: base.trusts, what: `${base.what} ${op} '${claim ?? '?'}'` };
          }
          return base;
        }
        return { kind: 'unknown', reason: 'an expression rls-guard does not derive from the identity' };
      }
      case 'A_Indirection':
        return this.folderValue(n, scope, depth) ?? { kind: 'unknown', reason: 'an element of an array rls-guard does not derive from the identity' };
      case 'CoalesceExpr': {
        const args = ((n.args ?? []) as AstNode[]).map((a) => this.value(a, scope, depth));
        if (args.length > 0 && args.every((a) => a.kind === 'identity')) return { kind: 'identity', trusts: args.flatMap((a) => (a.kind === 'identity' ? a.trusts : [])), what: 'COALESCE of identity values' };
        return { kind: 'unknown', reason: 'COALESCE falls back to a value that is not the identity' };
      }
      case 'A_ArrayExpr': {
        const els = ((n.elements ?? []) as AstNode[]).map((e) => this.value(e, scope, depth));
        if (els.length > 0 && els.every((e) => e.kind === 'identity')) return { kind: 'identity', trusts: els.flatMap((e) => (e.kind === 'identity' ? e.trusts : [])), what: 'an array of identity values' };
        return { kind: 'unknown', reason: 'an array of values other than the identity' };
      }
      case 'SubLink': {
        const select = n.subselect?.SelectStmt as AstNode | undefined;
        if (n.subLinkType === 'EXPR_SUBLINK' && select) return this.selectValue(select, scope, depth);
        if (n.subLinkType === 'ARRAY_SUBLINK' && select) return this.selectValue(select, scope, depth);
        return { kind: 'unknown', reason: 'a subquery' };
      }
      default:
        return { kind: 'unknown', reason: 'an expression rls-guard does not derive from the identity' };
    }
  }

  /**
   * `(storage.foldername(name))[k]`: the k-th folder of a Storage object's path, which Supabase
   * projects key per-user files by (`(storage.foldername(name))[1] = auth.uid()::text`). It is
   * named as a derived column, `storage.foldername(name)[k]`, which a preset may list as a key.
   */
  private folderValue(n: AstNode, scope: Scope, depth: number): Value | null {
    const call = unwrap(n.arg);
    const indices = (n.indirection ?? []) as AstNode[];
    if (call?.[0] !== 'FuncCall' || indices.length !== 1 || !indices[0]!.A_Indices || indices[0]!.A_Indices.is_slice) return null;
    const fn = names(call[1].funcname).map((p) => p.toLowerCase());
    if (fn[fn.length - 1] !== 'foldername' || (fn.length === 2 && fn[0] !== 'storage') || (call[1].args ?? []).length !== 1) return null;
    const index = unwrap(indices[0]!.A_Indices.uidx);
    const k = index?.[0] === 'A_Const' ? constValue(index[1]) : undefined;
    const path = this.value(call[1].args[0], scope, depth);
    if (typeof k !== 'number' || path.kind !== 'column') return null;
    return { kind: 'column', relation: path.relation, column: `storage.foldername(${path.column})[${k}]` };
  }

  private callValue(n: AstNode, scope: Scope, depth: number): Value {
    const fn = names(n.funcname);
    const last = fn[fn.length - 1]?.toLowerCase() ?? '';
    const args = (n.args ?? []) as AstNode[];
    if (last === 'current_setting' && (fn.length === 1 || fn[0] === 'pg_catalog')) {
      const setting = this.constString(args[0]);
      if (setting === null) return { kind: 'unknown', reason: 'current_setting() of a setting that is not a constant' };
      if (this.isIdentitySetting(setting)) return { kind: 'identity', trusts: [], what: `current_setting('${setting}')` };
      return { kind: 'unknown', reason: `the setting ${setting} is not an identity setting` };
    }
    if (this.isIdentityFunction(fn)) return { kind: 'identity', trusts: [], what: `${fn.join('.')}()` };
    // Functions that keep an identity value an identity value (casts, trims, array building).
    if (['nullif', 'lower', 'upper', 'btrim', 'trim', 'string_to_array', 'array_agg', 'unnest', 'jsonb_array_elements_text', 'json_array_elements_text', 'text', 'uuid'].includes(last) && (fn.length === 1 || fn[0] === 'pg_catalog')) {
      const first = this.value(args[0], scope, depth);
      return first.kind === 'identity' ? { kind: 'identity', trusts: first.trusts, what: first.what } : first.kind === 'user-controlled' ? first : { kind: 'unknown', reason: `${last}() of a value that is not the identity` };
    }
    const found = this.findFunction(fn, args.length);
    if (!found) return { kind: 'unknown', reason: `${fn.join('.')}() is not defined in the migrations, so rls-guard could not follow it` };
    if (depth >= MAX_DEPTH) return { kind: 'unknown', reason: `rls-guard could not follow ${describeFunction(found)}: more than ${MAX_DEPTH} nested functions` };
    const summary = this.summarize(found, depth + 1);
    if (summary.returns.kind === 'identity') return { kind: 'identity', trusts: summary.returns.trusts, what: describeFunction(found) };
    if (summary.returns.kind === 'user-controlled') return summary.returns;
    return { kind: 'unknown', reason: `${describeFunction(found)} does not return a value derived from the identity${summary.returns.kind === 'unknown' ? ` (${summary.returns.reason})` : ''}` };
  }

  /**
   * The values a SELECT yields: `SELECT <identity>`, or a column of rows bound to the identity
   * (`SELECT team_id FROM members WHERE user_id = auth.uid()`), which rests on those rows.
   */
  private selectValue(select: AstNode, outer: Scope, depth: number): Value {
    if (select.op && select.op !== 'SETOP_NONE') {
      // UNION of identity sets is an identity set.
      const l = select.larg ? this.selectValue(select.larg, outer, depth) : { kind: 'unknown' as const, reason: 'a set operation' };
      const r = select.rarg ? this.selectValue(select.rarg, outer, depth) : { kind: 'unknown' as const, reason: 'a set operation' };
      if (l.kind === 'identity' && r.kind === 'identity' && select.op === 'SETOP_UNION') return { kind: 'identity', trusts: [...l.trusts, ...r.trusts], what: l.what };
      if (select.op === 'SETOP_INTERSECT' && (l.kind === 'identity' || r.kind === 'identity')) return l.kind === 'identity' ? l : r;
      return { kind: 'unknown', reason: 'a set operation rls-guard does not derive from the identity' };
    }
    const targets = (select.targetList ?? []) as AstNode[];
    if (targets.length !== 1) return { kind: 'unknown', reason: 'a subquery that does not return one column' };
    const val = targets[0]!.ResTarget?.val as AstNode | undefined;
    if (!select.fromClause) return this.value(val, outer, depth);
    const inner = this.fromScope(select, outer);
    if (!inner) return { kind: 'unknown', reason: 'a subquery over something rls-guard cannot read' };
    const v = this.value(val, inner, depth);
    if (v.kind === 'identity') return v;
    if (v.kind !== 'column' || !inner.relations.includes(v.relation)) return { kind: 'unknown', reason: 'a subquery whose result rls-guard cannot derive from the identity' };
    const bound = this.boundColumns(this.conjuncts(select.whereClause), inner, depth, v.relation);
    if (!bound.columns.length) return { kind: 'unknown', reason: `a subquery over ${v.relation.key ?? v.relation.alias} that is not keyed to the identity${because(bound.reasons)}` };
    if (!v.relation.key) return { kind: 'identity', trusts: bound.trusts, what: 'a subquery' };
    return { kind: 'identity', trusts: [...bound.trusts, { table: v.relation.key, boundBy: bound.columns, grants: v.column, via: 'a subquery' }], what: `a subquery over ${v.relation.key}` };
  }

  /**
   * Columns of `relation` (or any inner relation) that the WHERE conjuncts bind to the identity,
   * and why the conjuncts that test such a column do not bind it (for the message when none does).
   */
  private boundColumns(conjuncts: AstNode[], inner: Scope, depth: number, relation?: Relation): { columns: string[]; trusts: Trust[]; reasons: string[] } {
    const columns: string[] = [];
    const trusts: Trust[] = [];
    const reasons: string[] = [];
    const rels = relation ? [relation] : inner.relations;
    for (const c of conjuncts) {
      let bound: string | null = null;
      const target: TargetTest = (v) => {
        if (v.kind === 'column' && rels.includes(v.relation)) return (bound = v.column);
        return null;
      };
      const verdict = this.pins(c, inner, target, depth);
      if (verdict.pinned && bound !== null) {
        columns.push(bound);
        trusts.push(...verdict.trusts);
      } else if (bound !== null && !verdict.pinned && verdict.reason) {
        reasons.push(verdict.reason);
      }
    }
    return { columns, trusts, reasons };
  }

  private conjuncts(where: AstNode | null | undefined): AstNode[] {
    const u = unwrap(where);
    if (!u) return [];
    if (u[0] === 'BoolExpr' && u[1].boolop === 'AND_EXPR') return ((u[1].args ?? []) as AstNode[]).flatMap((a) => this.conjuncts(a));
    return [where!];
  }

  /** The scope of a SELECT's FROM items (tables and joins; other FROM items are not read). */
  private fromScope(select: AstNode, outer: Scope): Scope | null {
    const relations: Relation[] = [];
    const add = (item: AstNode | undefined): boolean => {
      const u = unwrap(item);
      if (!u) return false;
      if (u[0] === 'RangeVar') {
        const schema = (u[1].schemaname as string | undefined) ?? null;
        const name = String(u[1].relname);
        const key = this.resolveTable(schema, name);
        const table = key ? this.catalog?.tables.get(key) : undefined;
        relations.push({ alias: String(u[1].alias?.aliasname ?? name), key: key ?? qualifiedKey(schema ?? 'public', name), columns: table && !table.external ? new Set(table.columns.keys()) : null });
        return true;
      }
      if (u[0] === 'JoinExpr') return add(u[1].larg) && add(u[1].rarg);
      if (u[0] === 'RangeFunction') {
        // FROM f() AS x: the function's values, under the alias (one column).
        const alias = String(u[1].alias?.aliasname ?? '');
        relations.push({ alias, key: null, columns: null });
        return true;
      }
      return false;
    };
    for (const item of (select.fromClause ?? []) as AstNode[]) if (!add(item)) return null;
    return { relations, parent: outer, fn: outer.fn };
  }

  private resolveTable(schema: string | null, name: string): string | null {
    if (!this.catalog) return null;
    if (schema) return this.catalog.tables.has(qualifiedKey(schema, name)) ? qualifiedKey(schema, name) : null;
    for (const s of ['public', ...this.catalog.schemas]) if (this.catalog.tables.has(qualifiedKey(s, name))) return qualifiedKey(s, name);
    return null;
  }

  /** A column reference, resolved as PostgreSQL resolves it: innermost FROM first, then outer queries, then parameters. */
  private resolveColumn(n: AstNode, scope: Scope): Value {
    const fields = names(n.fields);
    const column = fields[fields.length - 1];
    if (!column || column === '*') return { kind: 'unknown', reason: 'a column reference rls-guard cannot resolve' };
    const qualifier = fields.length >= 2 ? fields[fields.length - 2]! : null;
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (qualifier !== null) {
        const rel = s.relations.find((r) => r.alias === qualifier);
        if (rel) return { kind: 'column', relation: rel, column };
        if (s.fn && s.fn.name === qualifier) {
          const index = s.fn.params.indexOf(column);
          if (index >= 0) return { kind: 'param', index };
        }
        continue;
      }
      const known = s.relations.filter((r) => r.columns?.has(column));
      if (known.length > 0) return { kind: 'column', relation: known[0]!, column };
      const unknown = s.relations.filter((r) => r.columns === null);
      if (unknown.length === 1 && !(s.fn && s.fn.params.includes(column))) return { kind: 'column', relation: unknown[0]!, column };
      if (s.fn) {
        // A name that is no column of the query is the function's parameter.
        const index = s.fn.params.indexOf(column);
        if (index >= 0) return { kind: 'param', index };
      }
    }
    return { kind: 'unknown', reason: `the column ${column} is not known` };
  }

  /** Can no value of the column's catalog type be written as `literal`? (uuid and integer columns.) */
  private impossibleFor(v: Extract<Value, { kind: 'column' }>, literal: unknown): boolean {
    if (typeof literal !== 'string' || !this.catalog || !v.relation.key) return false;
    const type = this.catalog.tables.get(v.relation.key)?.columns.get(v.column)?.type;
    if (type === 'uuid') return !UUID_TEXT.test(literal);
    if (type === 'int2' || type === 'int4' || type === 'int8') return !/^[+-]?\d+$/.test(literal.trim());
    return false;
  }

  private otherSetting(node: AstNode | null | undefined): string | null {
    let u = unwrap(node);
    while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
    if (!u || u[0] !== 'FuncCall') return null;
    const fn = names(u[1].funcname);
    if (fn[fn.length - 1]?.toLowerCase() !== 'current_setting') return null;
    const setting = this.constString(u[1].args?.[0]);
    return setting !== null && !this.isIdentitySetting(setting) ? setting : null;
  }

  private constString(node: AstNode | undefined): string | null {
    let u = unwrap(node);
    while (u && u[0] === 'TypeCast') u = unwrap(u[1].arg);
    if (u && u[0] === 'A_Const' && u[1].sval) return String(u[1].sval.sval ?? '');
    return null;
  }

  // ---- functions -----------------------------------------------------------------------------

  private findFunction(funcname: string[], argCount: number): FunctionState | undefined {
    if (!this.catalog) return undefined;
    const name = funcname[funcname.length - 1]!.toLowerCase();
    const schema = funcname.length > 1 ? funcname[funcname.length - 2]!.toLowerCase() : null;
    if (!this.functionIndex || this.indexedFunctions !== this.catalog.functions.size) {
      this.functionIndex = new Map();
      this.indexedFunctions = this.catalog.functions.size;
      for (const fn of this.catalog.functions.values()) {
        const key = fn.name.toLowerCase();
        const list = this.functionIndex.get(key);
        if (list) list.push(fn);
        else this.functionIndex.set(key, [fn]);
      }
    }
    let best: FunctionState | undefined;
    for (const fn of this.functionIndex.get(name) ?? []) {
      if (schema !== null && fn.schema.toLowerCase() !== schema) continue;
      if (fn.argTypes.length !== argCount && best) continue;
      if (schema === null && fn.schema !== 'public' && best?.schema === 'public') continue;
      best = fn;
    }
    return best;
  }

  private bodyOf(fn: FunctionState) {
    return bodyOf(fn);
  }

  /** What `fn` returns, and which arguments it tests against the identity; from its body. */
  private summarize(fn: FunctionState, depth: number): FunctionSummary {
    const cached = this.summaries.get(fn);
    if (cached) return cached;
    if (this.inProgress.has(fn)) return { returns: { kind: 'unknown', reason: `${describeFunction(fn)} calls itself` }, argTests: [] };
    this.inProgress.add(fn);
    try {
      const summary = this.summarizeBody(fn, depth);
      this.summaries.set(fn, summary);
      return summary;
    } finally {
      this.inProgress.delete(fn);
    }
  }

  private summarizeBody(fn: FunctionState, depth: number): FunctionSummary {
    const none = (reason: string): FunctionSummary => ({ returns: { kind: 'unknown', reason }, argTests: [] });
    if (fn.language !== 'sql' && fn.language !== 'plpgsql') return none(`${describeFunction(fn)} is written in ${fn.language}, which rls-guard does not read`);
    const body = this.bodyOf(fn);
    if (!body.analyzable || body.returns === null) return none(`rls-guard could not read the body of ${describeFunction(fn)}`);
    const returns = body.returns.map((r) => r.SelectStmt as AstNode | undefined);
    if (returns.length === 0 || returns.some((r) => !r)) return none(`${describeFunction(fn)} does not return a query rls-guard can read`);
    const scope: Scope = { relations: [], parent: null, fn: { name: fn.name, params: fn.argNames, language: fn.language } };
    // Every RETURN must yield the identity for the function to.
    const values = returns.map((s) => this.selectValue(s!, scope, depth));
    let value: Value;
    const bad = values.find((v) => v.kind !== 'identity');
    if (!bad) value = { kind: 'identity', trusts: values.flatMap((v) => (v.kind === 'identity' ? v.trusts : [])), what: describeFunction(fn) };
    else value = bad.kind === 'unknown' || bad.kind === 'user-controlled' ? bad : { kind: 'unknown', reason: `${describeFunction(fn)} returns a value that is not derived from the identity` };
    // A boolean function tests argument i when its returned predicate pins parameter i.
    const argTests: (Trust[] | null)[] = fn.argNames.map(() => null);
    if (fn.returnType === 'bool' && returns.length === 1) {
      const select = returns[0]!;
      const targets = (select.targetList ?? []) as AstNode[];
      if (targets.length === 1) {
        for (let i = 0; i < fn.argTypes.length; i++) {
          const target: TargetTest = (v) => (v.kind === 'param' && v.index === i ? `$${i + 1}` : null);
          let verdict: PinVerdict;
          if (!select.fromClause) {
            verdict = this.pins(targets[0]!.ResTarget?.val, scope, target, depth);
          } else {
            // SELECT true FROM m WHERE m.team_id = $1 AND m.user_id = <identity>
            verdict = this.pinsExists(select, scope, target, depth);
          }
          if (verdict.pinned) argTests[i] = verdict.trusts.map((t) => ({ ...t, via: describeFunction(fn) }));
        }
      }
    }
    if (value.kind === 'identity') value = { ...value, trusts: value.trusts.map((t) => ({ ...t, via: describeFunction(fn) })) };
    return { returns: value, argTests };
  }
}
