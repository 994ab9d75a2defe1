/**
 * The effective row-level-security predicate of a table, per command, as PostgreSQL computes it
 * (https://www.postgresql.org/docs/current/sql-createpolicy.html, "Policies Applied by Command Type"):
 *
 * - permissive policies that apply are OR-ed, restrictive ones AND-ed; with no permissive policy
 *   nothing is admitted;
 * - SELECT, UPDATE and DELETE filter existing rows with USING;
 * - INSERT checks new rows with WITH CHECK; an INSERT policy without one admits no insert;
 * - UPDATE checks new rows with WITH CHECK, reusing USING when the policy has none (ALL too).
 *   An UPDATE without WHERE/RETURNING needs no SELECT right, so only the UPDATE check guards
 *   `UPDATE t SET tenant_id = <other>` (SPEC behaviour 9).
 */
import type { PolicyCommand, TableState } from '../model/catalog.js';
import type { AstNode } from '../sql/parse.js';
import type { IdentityModel, PinVerdict, Trust } from './identity.js';
import { SessionStates } from './session-states.js';

export type { PolicyCommand };
export type RowCommand = Exclude<PolicyCommand, 'all'>;

export interface PolicyFacts {
  name: string;
  command: PolicyCommand;
  permissive: boolean;
  /** Lower-case role names; `public` for PUBLIC. */
  roles: readonly string[];
  using: AstNode | null;
  withCheck: AstNode | null;
}

export interface CommandVerdict<P extends PolicyFacts = PolicyFacts> {
  command: RowCommand;
  /** `using`: which existing rows the command sees; `check`: which new rows it may write. */
  clause: 'using' | 'check';
  pinned: boolean;
  /** No permissive policy admits anything (deny-all for this command). */
  admitsNothing: boolean;
  /** The permissive policies whose expressions admit rows of other tenants (when not pinned). */
  openers: { policy: P; reason: string; rowFlag?: string }[];
  /** The memberships the pinning rests on (when pinned). */
  trusts: Trust[];
}

/** The table whose rows the policies guard, and the columns that tie a row to its tenant. */
export interface GuardedTable {
  table: TableState | null;
  keyColumns: readonly string[];
}

const CHECKS: { command: RowCommand; clause: 'using' | 'check' }[] = [
  { command: 'select', clause: 'using' },
  { command: 'insert', clause: 'check' },
  { command: 'update', clause: 'using' },
  { command: 'update', clause: 'check' },
  { command: 'delete', clause: 'using' },
];

/** The expression a policy contributes for a command and clause; `undefined` when it contributes none. */
export function policyExpression(policy: PolicyFacts, clause: 'using' | 'check'): AstNode | undefined {
  if (clause === 'using') return policy.using ?? undefined;
  if (policy.withCheck) return policy.withCheck;
  // ALL and UPDATE policies reuse USING as the check; an INSERT policy without WITH CHECK admits nothing.
  if (policy.command === 'all' || policy.command === 'update') return policy.using ?? undefined;
  return undefined;
}

/** Evaluates the policies (already filtered to those that apply to the roles of interest). */
export function evaluatePolicies<P extends PolicyFacts>(policies: readonly P[], identity: IdentityModel, guarded: GuardedTable): CommandVerdict<P>[] {
  let states: SessionStates | null = null;
  // Structurally unpinned, but no session state lets it admit another tenant's row (PostgreSQL
  // raises first, or the opening branch needs a state in which it is NULL): as good as pinned.
  const pins = (expr: AstNode): PinVerdict => {
    const verdict = identity.pinsRow(expr, guarded.table, guarded.keyColumns);
    if (verdict.pinned) return verdict;
    states ??= new SessionStates(identity, guarded.table, guarded.keyColumns);
    return states.admitsForeignRow(expr) ? verdict : { pinned: true, trusts: [] };
  };
  const nothing = (expr: AstNode | undefined) => expr !== undefined && identity.admitsNothing(expr, guarded.table);
  // An UPDATE writes only rows its USING lets it reach: when no state reaches any (every
  // permissive USING admits nothing, or a restrictive one does), its check admits no write.
  const updates = policies.filter((p) => p.command === 'all' || p.command === 'update');
  const updateReachesNothing =
    updates.filter((p) => p.permissive).every((p) => p.using === null || nothing(p.using)) || updates.some((p) => !p.permissive && nothing(p.using ?? undefined));
  const verdicts = CHECKS.map(({ command, clause }): CommandVerdict<P> => {
    if (command === 'update' && clause === 'check' && updateReachesNothing) return { command, clause, pinned: true, admitsNothing: true, openers: [], trusts: [] };
    const relevant = policies.filter((p) => p.command === 'all' || p.command === command);
    const permissive = relevant.filter((p) => p.permissive).map((p) => ({ policy: p, expr: policyExpression(p, clause) }));
    const restrictive = relevant.filter((p) => !p.permissive).map((p) => ({ policy: p, expr: policyExpression(p, clause) }));
    const admitting = permissive.filter((p) => p.expr !== undefined);
    if (admitting.length === 0) return { command, clause, pinned: true, admitsNothing: true, openers: [], trusts: [] };
    // Restrictive policies are AND-ed with the permissive ones: one that pins pins the command.
    const closing = restrictive.map((r) => (r.expr !== undefined ? pins(r.expr) : null)).find((v) => v?.pinned);
    if (closing) return { command, clause, pinned: true, admitsNothing: false, openers: [], trusts: closing.trusts };
    const trusts: Trust[] = [];
    const openers = admitting.flatMap((p) => {
      const verdict = pins(p.expr!);
      if (verdict.pinned) {
        trusts.push(...verdict.trusts);
        return [];
      }
      return [{ policy: p.policy, reason: verdict.reason ?? 'does not pin a key column', ...(verdict.rowFlag ? { rowFlag: verdict.rowFlag } : {}) }];
    });
    return { command, clause, pinned: openers.length === 0, admitsNothing: false, openers, trusts: openers.length === 0 ? trusts : [] };
  });
  states ??= new SessionStates(identity, guarded.table, guarded.keyColumns);
  return judgeUpdateTogether(verdicts, updates, states);
}

/**
 * An UPDATE writes a row only when, in one session state, USING lets it reach the row and the
 * check accepts the new row. So a USING that reaches other tenants' rows only in states where no
 * check accepts anything, and a check that accepts other tenants' rows only in states where USING
 * reaches nothing, open nothing (issue "Exact policy semantics", item 2): PostgreSQL raises
 * "new row violates row-level security policy", or finds no row to update.
 */
function judgeUpdateTogether<P extends PolicyFacts>(verdicts: CommandVerdict<P>[], updates: readonly P[], states: SessionStates): CommandVerdict<P>[] {
  const using = verdicts.find((v) => v.command === 'update' && v.clause === 'using')!;
  const check = verdicts.find((v) => v.command === 'update' && v.clause === 'check')!;
  if (using.openers.length === 0 && check.openers.length === 0) return verdicts;
  const exprs = (clause: 'using' | 'check') => updates.filter((p) => p.permissive).flatMap((p) => policyExpression(p, clause) ?? []);
  const all = [...exprs('using'), ...exprs('check')];
  const union = (list: readonly AstNode[], row: 'foreign' | 'any') => {
    const out = new Set<string>();
    for (const e of list) for (const s of states.admittingStates(e, row, all)) out.add(s);
    return out;
  };
  const meets = (a: Set<string>, b: Set<string>) => [...a].some((s) => b.has(s));
  const closed = (v: CommandVerdict<P>): CommandVerdict<P> => ({ ...v, pinned: true, openers: [], trusts: [] });
  const clauseOf = (v: CommandVerdict<P>) => v.openers.flatMap((o) => policyExpression(o.policy, v.clause) ?? []);
  let usingOut = using;
  let checkOut = check;
  // USING reaches another tenant's row: a leak only where some check accepts some new row.
  if (using.openers.length > 0 && !meets(union(clauseOf(using), 'foreign'), union(exprs('check'), 'any'))) usingOut = closed(using);
  // The check accepts another tenant's row: a leak only where USING reaches some row.
  if (check.openers.length > 0 && !meets(union(clauseOf(check), 'foreign'), union(exprs('using'), 'any'))) checkOut = closed(check);
  return verdicts.map((v) => (v === using ? usingOut : v === check ? checkOut : v));
}

/** How a command and clause read in a finding's message. */
export function describeCheck(verdict: { command: RowCommand; clause: 'using' | 'check' }): string {
  if (verdict.command === 'insert') return 'INSERT (WITH CHECK)';
  if (verdict.command === 'update') return verdict.clause === 'check' ? 'UPDATE (new rows)' : 'UPDATE (rows it can reach)';
  return verdict.command.toUpperCase();
}
