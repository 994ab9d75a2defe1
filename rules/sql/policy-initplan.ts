import { normalizeFunctionName } from '../../src/analysis/identity.js';
import { readsColumns, unwrap } from '../../src/model/ast-names.js';
import type { ExpressionOrigin, PolicyState } from '../../src/model/catalog.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';
import type { Suggestion } from '../../src/findings.js';
import { parseFragment, type AstNode } from '../../src/sql/parse.js';

/**
 * A policy expression is evaluated for every row the query reads. A call of `auth.uid()`,
 * `auth.jwt()`, `current_setting()` or a tenant function in it is evaluated for every row too
 * (PostgreSQL inlines Supabase's SQL functions into `current_setting()` calls, which are STABLE,
 * not constant), unless it stands in an uncorrelated scalar subquery, `(SELECT auth.uid())`, which
 * PostgreSQL runs once per query as an InitPlan and then compares like a parameter. Same rows,
 * same rights: only the cost changes, so this is an opt-in warning (Supabase's advisor reports
 * it as `auth_rls_initplan`).
 */

/** Supabase's request functions: what splinter's auth_rls_initplan looks for, besides current_setting(). */
const AUTH_FUNCTIONS = new Set(['uid', 'jwt', 'role', 'email']);

interface PerRowCall {
  node: AstNode;
  name: string;
}


function names(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => String(n.String?.sval ?? '').toLowerCase());
}


/** `(SELECT <expression of no column>)`: an uncorrelated scalar subquery, run once as an InitPlan. */
function isInitPlan(sublink: AstNode): boolean {
  const select = sublink.subselect?.SelectStmt as AstNode | undefined;
  return sublink.subLinkType === 'EXPR_SUBLINK' && !!select && !select.fromClause && !select.whereClause && (select.targetList?.length ?? 0) === 1 && !readsColumns(select.targetList);
}

/** The calls in `expr` that run per row: identity calls of no column that no InitPlan wraps. */
function perRowCalls(expr: AstNode | null, isIdentityCall: (fn: string[]) => boolean): PerRowCall[] {
  const found: PerRowCall[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    const u = unwrap(n);
    if (!u) {
      if (n && typeof n === 'object') Object.values(n as AstNode).forEach(walk);
      return;
    }
    const [kind, node] = u;
    if (kind === 'SubLink' && isInitPlan(node)) return;
    if (kind === 'FuncCall') {
      const fn = names(node.funcname);
      // A call of a column (`private.is_member(team_id)`) cannot be hoisted out of the row.
      if (isIdentityCall(fn) && !readsColumns(node.args)) {
        found.push({ node, name: `${fn.join('.')}()` });
        return;
      }
    }
    Object.values(node).forEach(walk);
  };
  walk(expr);
  return found;
}

/** The same call, locations aside (`location` fields differ between the policy and a re-parse). */
function sameTree(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameTree(x, b[i]));
  if (a && typeof a === 'object') {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a).filter((k) => k !== 'location');
    const kb = Object.keys(b).filter((k) => k !== 'location');
    return ka.length === kb.length && ka.every((k) => sameTree((a as AstNode)[k], (b as AstNode)[k]));
  }
  return a === b;
}

/**
 * The rewrite `f(...)` -> `(SELECT f(...))`. The AST gives where a call starts; where it ends is
 * the first `)` after it whose text, parsed by PostgreSQL's parser, is the same call (a `)` in a
 * string literal or a nested call leaves text that does not parse, or parses as another tree).
 * Null when the text at the location is not the call (a policy created by dynamic SQL or a DO block).
 */
function wrapEdit(call: PerRowCall, from: ExpressionOrigin): Suggestion['edits'][number] | null {
  const location = call.node.location as number | undefined;
  if (location === undefined || location < 0) return null;
  const text = from.source.text;
  const start = from.source.charOffset(from.byteBase + location);
  for (let close = text.indexOf(')', start); close >= 0 && close - start < 10_000; close = text.indexOf(')', close + 1)) {
    const candidate = text.slice(start, close + 1);
    const parsed = parseFragment(`SELECT ${candidate}`);
    const value = parsed?.length === 1 ? parsed[0]!.SelectStmt?.targetList?.[0]?.ResTarget?.val : undefined;
    if (parsed?.length === 1 && parsed[0]!.SelectStmt?.targetList?.length === 1 && sameTree(value, { FuncCall: call.node })) {
      const s = from.source.position(start);
      const e = from.source.position(close + 1);
      return { start: { line: s.line, column: s.column }, end: { line: e.line, column: e.column }, text: `(SELECT ${candidate})` };
    }
  }
  return null;
}

const rule: SqlRule = {
  id: 'policy-initplan',
  severity: 1,
  optIn: true,
  hasSuggestions: true,
  description: 'Policies call auth.uid(), auth.jwt(), current_setting() and tenant functions once per query, as (SELECT ...), not once per row.',
  check({ catalog, config }) {
    const tenantFunctions = config.tenantFunctions.map(normalizeFunctionName);
    const isIdentityCall = (fn: string[]): boolean => {
      const last = fn[fn.length - 1]!;
      if (last === 'current_setting' && (fn.length === 1 || fn[0] === 'pg_catalog')) return true;
      if (fn.length === 2 && fn[0] === 'auth' && AUTH_FUNCTIONS.has(last)) return true;
      return tenantFunctions.some((t) => t.length === fn.length ? t.every((p, i) => p === fn[i]) : t[t.length - 1] === last && (t.length === 1 || fn.length === 1));
    };
    const reports: SqlRuleReport[] = [];
    for (const [table, policies] of catalog.policies) {
      if (!catalog.tables.get(table)?.rlsEnabled) continue;
      for (const policy of policies.values()) {
        const report = judge(policy, table, isIdentityCall);
        if (report) reports.push(report);
      }
    }
    return reports;
  },
};

function judge(policy: PolicyState, table: string, isIdentityCall: (fn: string[]) => boolean): SqlRuleReport | null {
  const clauses: [AstNode | null, ExpressionOrigin | null][] = [
    [policy.using, policy.usingFrom],
    [policy.withCheck, policy.withCheckFrom],
  ];
  const calls: PerRowCall[] = [];
  const edits: Suggestion['edits'] = [];
  let fixable = true;
  for (const [expr, from] of clauses) {
    for (const call of perRowCalls(expr, isIdentityCall)) {
      calls.push(call);
      const edit = from && from.file === policy.changedAt.file ? wrapEdit(call, from) : null;
      if (edit) edits.push(edit);
      else fixable = false;
    }
  }
  if (calls.length === 0) return null;
  const called = [...new Set(calls.map((c) => c.name))];
  const wrapped = called.map((c) => `(SELECT ${c})`).join(', ');
  return {
    message: `Policy ${policy.name} on ${table} calls ${called.join(', ')} for every row it filters: PostgreSQL evaluates ${called.length > 1 ? 'them' : 'it'} again for each row a query reads. Write ${wrapped}: an uncorrelated subquery is run once per query (an InitPlan), and the policy admits the same rows.`,
    object: `${table} policy ${policy.name}`,
    location: policy.changedAt,
    ...(fixable ? { suggestions: [{ description: `Wrap ${called.join(', ')} in (SELECT ...)`, edits }] } : {}),
  };
}

export default rule;
