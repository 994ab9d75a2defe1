import type { SqlRule } from '../../src/rule.js';

/** RLS with no policy for the app denies everything: safe, but almost always a forgotten policy. */
const rule: SqlRule = {
  id: 'require-tenant-policy',
  severity: 1,
  description: 'Every RLS tenant table has a policy that applies to the app roles.',
  check({ catalog, tenancy }) {
    return tenancy.reachableTenantTables().flatMap((table) => {
      if (!table.rlsEnabled) return [];
      const policies = catalog.policiesOf(tenancy.tableKey(table)).filter((p) => tenancy.policyApplies(p));
      if (policies.some((p) => p.permissive)) return [];
      const name = `${table.schema}.${table.name}`;
      const who = tenancy.hasAppRoles() ? `the app roles (${tenancy.config.appRoles.join(', ')})` : 'any role';
      const restrictiveOnly = policies.length > 0 ? ' (restrictive policies alone admit no rows)' : '';
      return [
        {
          message: `Tenant table ${name} has RLS enabled but no permissive policy that applies to ${who}${restrictiveOnly}: every query returns no rows and every write fails. Add a tenant policy.`,
          object: name,
          location: table.rlsEnabledAt ?? table.createdAt,
        },
      ];
    });
  },
};
export default rule;
