import type { SqlRule } from '../../src/rule.js';

/**
 * PostgreSQL reuses USING as the check for ALL and UPDATE policies without WITH CHECK, and an
 * INSERT policy without one admits no insert (SPEC behaviour 4). Saying it explicitly keeps the
 * write rule visible and stops a later USING change from silently changing what may be written.
 */
const rule: SqlRule = {
  id: 'require-with-check',
  severity: 1,
  description: 'Policies for ALL, INSERT and UPDATE state an explicit WITH CHECK.',
  check({ catalog, config, tenancy }) {
    const example = `${config.tenantColumns[0]} = current_setting('${config.tenantSettings[0] ?? 'app.current_tenant'}')::uuid`;
    const reports = [];
    for (const [key, policies] of catalog.policies) {
      const table = catalog.tables.get(key);
      if (table && (tenancy.isGlobal(table) || table.platform)) continue;
      for (const policy of policies.values()) {
        if (policy.withCheck || !['all', 'insert', 'update'].includes(policy.command)) continue;
        const consequence =
          policy.command === 'insert'
            ? 'an INSERT policy without WITH CHECK admits no insert at all'
            : `PostgreSQL silently reuses USING as the write check for ${policy.command.toUpperCase()}`;
        reports.push({
          message: `Policy ${policy.name} on ${key} has no WITH CHECK: ${consequence}. State the write rule explicitly, e.g. WITH CHECK (${example}).`,
          object: `${key} policy ${policy.name}`,
          location: policy.changedAt,
        });
      }
    }
    return reports;
  },
};
export default rule;
