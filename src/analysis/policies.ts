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
import type { AstNode } from '../sql/parse.js';
import type { TenantContext } from './tenant-context.js';

import type { PolicyCommand } from '../model/catalog.js';

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

export interface CommandVerdict {
  command: RowCommand;
  /** `using`: which existing rows the command sees; `check`: which new rows it may write. */
  clause: 'using' | 'check';
  pinned: boolean;
  /** No permissive policy admits anything (deny-all for this command). */
  admitsNothing: boolean;
  /** The permissive policies whose expressions admit rows of other tenants (when not pinned). */
  openers: { policy: PolicyFacts; reason: string }[];
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
export function evaluatePolicies(policies: readonly PolicyFacts[], context: TenantContext): CommandVerdict[] {
  return CHECKS.map(({ command, clause }) => {
    const relevant = policies.filter((p) => p.command === 'all' || p.command === command);
    const permissive = relevant.filter((p) => p.permissive).map((p) => ({ policy: p, expr: policyExpression(p, clause) }));
    const restrictive = relevant.filter((p) => !p.permissive).map((p) => ({ policy: p, expr: policyExpression(p, clause) }));
    const admitting = permissive.filter((p) => p.expr !== undefined);
    if (admitting.length === 0) return { command, clause, pinned: true, admitsNothing: true, openers: [] };
    if (restrictive.some((r) => r.expr !== undefined && context.pins(r.expr).pinned)) {
      return { command, clause, pinned: true, admitsNothing: false, openers: [] };
    }
    const openers = admitting.flatMap((p) => {
      const verdict = context.pins(p.expr);
      return verdict.pinned ? [] : [{ policy: p.policy, reason: verdict.reason ?? 'does not pin the tenant column' }];
    });
    return { command, clause, pinned: openers.length === 0, admitsNothing: false, openers };
  });
}

/** How a command and clause read in a finding's message. */
export function describeCheck(verdict: CommandVerdict): string {
  if (verdict.command === 'insert') return 'INSERT (WITH CHECK)';
  if (verdict.command === 'update') return verdict.clause === 'check' ? 'UPDATE (new rows)' : 'UPDATE (rows it can reach)';
  return verdict.command.toUpperCase();
}
