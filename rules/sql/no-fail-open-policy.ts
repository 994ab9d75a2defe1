import { describeCheck, evaluatePolicies } from '../../src/analysis/policies.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * For each command, the effective predicate of the policies that apply to the app (permissive
 * OR-ed, restrictive AND-ed) must pin the tenant column to the tenant context. A permissive
 * policy that admits rows of any tenant opens the table unless a restrictive policy pins it.
 */
const rule: SqlRule = {
  id: 'no-fail-open-policy',
  severity: 2,
  description: 'The effective policy predicate pins the tenant column to the tenant context for every command.',
  check({ catalog, tenancy }) {
    const reports: SqlRuleReport[] = [];
    for (const table of tenancy.tenantTables()) {
      const column = tenancy.tenantColumn(table);
      if (!table.rlsEnabled || !column) continue;
      const key = tenancy.tableKey(table);
      const policies = catalog.policiesOf(key).filter((p) => tenancy.policyApplies(p));
      const opened = new Map<string, { policy: (typeof policies)[number]; commands: string[]; reason: string }>();
      for (const verdict of evaluatePolicies(policies, tenancy.context)) {
        for (const opener of verdict.openers) {
          const state = policies.find((p) => p === opener.policy)!;
          const entry = opened.get(state.name) ?? { policy: state, commands: [], reason: opener.reason };
          entry.commands.push(describeCheck(verdict));
          opened.set(state.name, entry);
        }
      }
      for (const { policy, commands, reason } of opened.values()) {
        reports.push({
          message: `Policy ${policy.name} on ${key} lets the app reach other tenants' rows for ${commands.join(', ')}: ${reason}. Pin ${column.name} to the tenant context (e.g. ${column.name} = current_setting('${tenancy.config.tenantSettings[0] ?? 'app.current_tenant'}')::uuid), or pair it with a RESTRICTIVE policy that does.`,
          object: `${key} policy ${policy.name}`,
          location: policy.changedAt,
        });
      }
    }
    return reports;
  },
};
export default rule;
