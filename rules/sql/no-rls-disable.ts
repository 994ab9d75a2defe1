import { evaluatePolicies } from '../../src/analysis/policies.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * Forward migrations must not take a tenant table's protection away: DISABLE ROW LEVEL SECURITY,
 * NO FORCE ROW LEVEL SECURITY, or a DROP POLICY that leaves the table fail-open. And
 * `SET (row_security = off)` is not a table option at all: PostgreSQL rejects it.
 */
const rule: SqlRule = {
  id: 'no-rls-disable',
  severity: 2,
  description: 'Forward migrations do not disable RLS, drop FORCE, or drop the policy that pinned a tenant table.',
  check({ catalog, tenancy }) {
    const reports: SqlRuleReport[] = catalog.rejected.filter((r) => r.ruleId === 'no-rls-disable').map((r) => ({ message: r.message, location: r.location, object: 'row_security table option' }));
    for (const table of tenancy.tenantTables()) {
      const name = `${table.schema}.${table.name}`;
      if (!table.rlsEnabled && table.rlsDisabledAt) {
        reports.push({ message: `DISABLE ROW LEVEL SECURITY leaves tenant table ${name} without RLS: every role with SELECT sees every tenant's rows. Keep RLS on; fix the policy instead.`, location: table.rlsDisabledAt, object: `${name} DISABLE` });
      }
      if (table.rlsEnabled && !table.rlsForced && table.forceDisabledAt) {
        reports.push({ message: `NO FORCE ROW LEVEL SECURITY lets the owner of tenant table ${name} bypass its policies again. Keep FORCE on.`, location: table.forceDisabledAt, object: `${name} NO FORCE` });
      }
    }
    for (const dropped of catalog.droppedPolicies) {
      const table = catalog.tables.get(dropped.table);
      if (!table || !table.rlsEnabled || !tenancy.isTenantTable(table) || !tenancy.isReachable(table)) continue;
      const guarded = { table, keyColumns: tenancy.keyColumns(table) };
      if (guarded.keyColumns.length === 0) continue;
      const remaining = catalog.policiesOf(dropped.table).filter((p) => tenancy.policyApplies(p));
      if (remaining.some((p) => p.name === dropped.policy.name)) continue; // recreated later
      const before = evaluatePolicies([...remaining, dropped.policy], tenancy.identity, guarded);
      const after = evaluatePolicies(remaining, tenancy.identity, guarded);
      const opened = after.some((v, i) => !v.pinned && before[i]!.pinned);
      if (!opened) continue;
      reports.push({
        message: `DROP POLICY ${dropped.policy.name} leaves tenant table ${dropped.table} fail-open: the policies that remain admit other tenants' rows. Recreate a policy that pins the tenant column.`,
        object: `${dropped.table} policy ${dropped.policy.name}`,
        location: dropped.droppedAt,
      });
    }
    return reports;
  },
};
export default rule;
