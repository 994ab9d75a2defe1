/**
 * Is a policy expression's tenant column pinned to the tenant context?
 *
 * Decided on the libpg-query AST, never on SQL text. An expression "pins" when every row it
 * admits has its tenant column equal to the tenant context (`current_setting('<tenantSetting>')`
 * or a configured tenant function), so no admitted row can belong to another tenant:
 *
 * - `a AND b` pins when either side pins; `a OR b` only when both do;
 * - `false` and `NULL` pin vacuously (they admit nothing);
 * - `true`, `IS NULL` tests, bypass settings, literal tenant values and unrelated predicates do not.
 */
import type { AstNode } from '../sql/parse.js';

export interface TenantContextOptions {
  tenantColumns: readonly string[];
  tenantSettings: readonly string[];
  tenantFunctions: readonly string[];
}

export interface PinVerdict {
  pinned: boolean;
  /** Why not, in words a migration author recognizes (only when not pinned). */
  reason?: string;
}

const PINNED: PinVerdict = { pinned: true };

function unwrap(node: AstNode | null | undefined): [string, AstNode] | null {
  if (!node) return null;
  const kind = Object.keys(node)[0];
  return kind ? [kind, node[kind] as AstNode] : null;
}

function names(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => (n.String?.sval as string | undefined) ?? '').filter(Boolean);
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

function constString(node: AstNode | undefined): string | null {
  const u = unwrap(stripValueWrappers(node));
  if (u && u[0] === 'A_Const' && u[1].sval) return String(u[1].sval.sval ?? '');
  return null;
}

function normalizeFunctionName(name: string): string[] {
  return name
    .replace(/\(\s*\)\s*$/, '')
    .split('.')
    .map((p) => p.trim().replace(/^"(.*)"$/, '$1').toLowerCase());
}

export class TenantContext {
  private readonly columns: Set<string>;
  private readonly settings: Set<string>;
  private readonly functions: string[][];

  constructor(readonly options: TenantContextOptions) {
    // Column names as PostgreSQL stores them: the parser already folded unquoted names, and a quoted
    // "Tenant_Id" is a different column from tenant_id.
    this.columns = new Set(options.tenantColumns);
    this.settings = new Set(options.tenantSettings.map((s) => s.toLowerCase()));
    this.functions = options.tenantFunctions.map(normalizeFunctionName);
  }

  /** A reference to a tenant column (`tenant_id`, `t.tenant_id`), possibly cast. */
  isTenantColumn(node: AstNode | null | undefined): boolean {
    const u = unwrap(stripValueWrappers(node));
    if (!u || u[0] !== 'ColumnRef') return false;
    const fields = names(u[1].fields);
    return fields.length > 0 && this.columns.has(fields[fields.length - 1]!);
  }

  /** Is `name` (as called in SQL) a configured tenant function? */
  isTenantFunction(funcname: string[]): boolean {
    const called = funcname.map((p) => p.toLowerCase());
    return this.functions.some((f) => {
      if (f.length === called.length) return f.every((p, i) => p === called[i]);
      // An unqualified call may resolve to the configured schema-qualified function, and vice versa.
      return f[f.length - 1] === called[called.length - 1];
    });
  }

  /** The tenant context: `current_setting('<tenantSetting>'[, missing_ok])` or a tenant function, possibly cast, wrapped or NULLIF-ed. */
  isContext(node: AstNode | null | undefined): boolean {
    const u = unwrap(stripValueWrappers(node));
    if (!u) return false;
    const [kind, n] = u;
    if (kind === 'FuncCall') {
      const fn = names(n.funcname);
      const last = fn[fn.length - 1]?.toLowerCase();
      if (last === 'current_setting' && (fn.length === 1 || fn[0] === 'pg_catalog')) {
        const setting = constString(n.args?.[0]);
        return setting !== null && this.settings.has(setting.toLowerCase());
      }
      return this.isTenantFunction(fn);
    }
    // NULLIF(ctx, '') is still the context, or NULL (which admits nothing).
    if (kind === 'A_Expr' && n.kind === 'AEXPR_NULLIF') return this.isContext(n.lexpr);
    return false;
  }

  /** A value computed only from the tenant context and constants (for `= ANY(...)`). */
  private derivesFromContext(node: AstNode | null | undefined): boolean {
    const u = unwrap(stripValueWrappers(node));
    if (!u) return false;
    if (this.isContext(node)) return true;
    const [kind, n] = u;
    if (kind === 'FuncCall') {
      const fn = names(n.funcname).map((p) => p.toLowerCase());
      if (fn[fn.length - 1] === 'coalesce') return false;
      const args = (n.args ?? []) as AstNode[];
      return args.some((a) => this.derivesFromContext(a)) && args.every((a) => this.derivesFromContext(a) || this.isConstant(a));
    }
    if (kind === 'A_ArrayExpr') {
      const els = (n.elements ?? []) as AstNode[];
      return els.length > 0 && els.every((e) => this.isContext(e));
    }
    return false;
  }

  private isConstant(node: AstNode | null | undefined): boolean {
    const u = unwrap(stripValueWrappers(node));
    return !!u && u[0] === 'A_Const';
  }

  /** Does the expression constrain some column to equal the tenant context (used inside subqueries)? */
  private constrainsToContext(node: AstNode | null | undefined, anyColumn: boolean): boolean {
    const u = unwrap(node);
    if (!u) return false;
    const [kind, n] = u;
    if (kind === 'BoolExpr') {
      const args = (n.args ?? []) as AstNode[];
      if (n.boolop === 'AND_EXPR') return args.some((a) => this.constrainsToContext(a, anyColumn));
      if (n.boolop === 'OR_EXPR') return args.every((a) => this.constrainsToContext(a, anyColumn));
      return false;
    }
    if (kind === 'A_Expr' && n.kind === 'AEXPR_OP' && names(n.name)[0] === '=') {
      const isCol = (e: AstNode) => (anyColumn ? unwrap(stripValueWrappers(e))?.[0] === 'ColumnRef' : this.isTenantColumn(e));
      return (isCol(n.lexpr) && this.isContext(n.rexpr)) || (isCol(n.rexpr) && this.isContext(n.lexpr));
    }
    return false;
  }

  private readonly verdicts = new WeakMap<AstNode, PinVerdict>();

  /** Decides whether `expr` pins the tenant column to the tenant context. */
  pins(expr: AstNode | null | undefined): PinVerdict {
    if (!expr) return this.decide(expr);
    let verdict = this.verdicts.get(expr);
    if (!verdict) this.verdicts.set(expr, (verdict = this.decide(expr)));
    return verdict;
  }

  private decide(expr: AstNode | null | undefined): PinVerdict {
    const u = unwrap(expr);
    if (!u) return { pinned: false, reason: 'no expression' };
    const [kind, n] = u;
    switch (kind) {
      case 'A_Const':
        if (n.isnull) return PINNED;
        if (n.boolval !== undefined) return n.boolval.boolval ? { pinned: false, reason: '`true` admits every row' } : PINNED;
        return { pinned: false, reason: 'a constant does not compare the tenant column with the tenant context' };
      case 'BoolExpr': {
        const args = (n.args ?? []) as AstNode[];
        if (n.boolop === 'AND_EXPR') {
          const verdicts = args.map((a) => this.pins(a));
          return verdicts.find((v) => v.pinned) ?? { pinned: false, reason: verdicts[0]?.reason ?? 'no conjunct pins the tenant column' };
        }
        if (n.boolop === 'OR_EXPR') {
          for (const a of args) {
            const v = this.pins(a);
            if (!v.pinned) return { pinned: false, reason: `an OR branch opens it: ${v.reason}` };
          }
          return PINNED;
        }
        return { pinned: false, reason: 'a negation does not pin the tenant column' };
      }
      case 'TypeCast':
        return this.pins(n.arg);
      case 'BooleanTest':
        return n.booltesttype === 'IS_TRUE' ? this.pins(n.arg) : { pinned: false, reason: 'a boolean test does not pin the tenant column' };
      case 'NullTest':
        return { pinned: false, reason: `an IS ${n.nulltesttype === 'IS_NULL' ? '' : 'NOT '}NULL test admits rows of any tenant` };
      case 'CoalesceExpr': {
        for (const a of (n.args ?? []) as AstNode[]) {
          const v = this.pins(a);
          if (!v.pinned) return { pinned: false, reason: `COALESCE falls back to a value that admits rows of any tenant (${v.reason})` };
        }
        return PINNED;
      }
      case 'CaseExpr': {
        const branches = [...((n.args ?? []) as AstNode[]).map((w) => w.CaseWhen?.result as AstNode), n.defresult as AstNode | undefined];
        for (const b of branches) {
          if (!b) continue; // CASE without ELSE yields NULL, which admits nothing
          const v = this.pins(b);
          if (!v.pinned) return { pinned: false, reason: `a CASE branch opens it: ${v.reason}` };
        }
        return PINNED;
      }
      case 'SubLink': {
        if (n.subLinkType === 'EXPR_SUBLINK') {
          const inner = stripValueWrappers(expr);
          if (inner !== expr) return this.pins(inner);
          return { pinned: false, reason: 'a subquery does not pin the tenant column' };
        }
        const select = n.subselect?.SelectStmt as AstNode | undefined;
        if (n.subLinkType === 'ANY_SUBLINK' && this.isTenantColumn(n.testexpr) && select && this.constrainsToContext(select.whereClause, true)) {
          // tenant_id IN (SELECT tenant_id FROM memberships WHERE user_id = <context>)
          return PINNED;
        }
        if (n.subLinkType === 'EXISTS_SUBLINK' && select && this.constrainsToContext(select.whereClause, true) && this.correlatesTenant(select.whereClause)) {
          return PINNED;
        }
        return { pinned: false, reason: 'a subquery that is not keyed to the tenant context' };
      }
      case 'A_Expr': {
        const op = names(n.name)[0];
        if (n.kind === 'AEXPR_OP' && op === '=') {
          if ((this.isTenantColumn(n.lexpr) && this.isContext(n.rexpr)) || (this.isTenantColumn(n.rexpr) && this.isContext(n.lexpr))) return PINNED;
          if (this.isTenantColumn(n.lexpr) || this.isTenantColumn(n.rexpr)) {
            const other = this.isTenantColumn(n.lexpr) ? n.rexpr : n.lexpr;
            return {
              pinned: false,
              reason: this.isConstant(other) ? 'the tenant column is compared with a literal tenant value' : 'the tenant column is compared with something other than the tenant context',
            };
          }
          if (this.isContext(n.lexpr) || this.isContext(n.rexpr)) return { pinned: false, reason: 'the tenant context is compared with something other than the tenant column' };
          const setting = this.otherSetting(n.lexpr) ?? this.otherSetting(n.rexpr);
          if (setting) {
            return { pinned: false, reason: `it tests the setting ${setting}, which is not the tenant context: any session that sets it (SET ${setting} = ...) reaches every tenant's rows` };
          }
          return { pinned: false, reason: 'a comparison that does not involve the tenant column and the tenant context (a bypass switch?)' };
        }
        if (n.kind === 'AEXPR_IN' && op === '=' && this.isTenantColumn(n.lexpr)) {
          const items = (n.rexpr?.List?.items ?? []) as AstNode[];
          if (items.length > 0 && items.every((i) => this.isContext(i))) return PINNED;
          return { pinned: false, reason: 'the tenant column is matched against values other than the tenant context' };
        }
        if (n.kind === 'AEXPR_OP_ANY' && op === '=' && this.isTenantColumn(n.lexpr) && this.derivesFromContext(n.rexpr)) return PINNED;
        return { pinned: false, reason: 'a predicate that does not compare the tenant column with the tenant context' };
      }
      default:
        return { pinned: false, reason: 'a predicate that does not compare the tenant column with the tenant context' };
    }
  }

  /** The name of a setting read with current_setting() that is not a tenant setting (a bypass switch). */
  private otherSetting(node: AstNode | null | undefined): string | null {
    const u = unwrap(stripValueWrappers(node));
    if (!u || u[0] !== 'FuncCall') return null;
    const fn = names(u[1].funcname);
    if (fn[fn.length - 1]?.toLowerCase() !== 'current_setting') return null;
    const setting = constString(u[1].args?.[0]);
    return setting !== null && !this.settings.has(setting.toLowerCase()) ? setting : null;
  }

  /** `... WHERE m.tenant_id = t.tenant_id ...`: the subquery ties its rows to the outer row's tenant. */
  private correlatesTenant(node: AstNode | null | undefined): boolean {
    const u = unwrap(node);
    if (!u) return false;
    const [kind, n] = u;
    if (kind === 'BoolExpr' && n.boolop === 'AND_EXPR') return ((n.args ?? []) as AstNode[]).some((a) => this.correlatesTenant(a));
    return kind === 'A_Expr' && n.kind === 'AEXPR_OP' && names(n.name)[0] === '=' && this.isTenantColumn(n.lexpr) && this.isTenantColumn(n.rexpr);
  }
}
