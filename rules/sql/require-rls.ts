import type { SqlRule } from '../../src/rule.js';

/**
 * Every tenant table, partitions included, ends with RLS enabled. A partition queried directly
 * applies only its own RLS (SPEC behaviour 7), so a parent's policies do not protect it.
 */
const rule: SqlRule = {
  id: 'require-rls',
  severity: 2,
  description: 'Every tenant table (partitions included) has ROW LEVEL SECURITY enabled.',
  check({ tenancy }) {
    return tenancy.reachableTenantTables().flatMap((table) => {
      if (table.rlsEnabled) return [];
      const name = `${table.schema}.${table.name}`;
      const partition = table.partitionOf
        ? ` It is a partition of ${table.partitionOf}: queried directly, a partition applies only its own RLS, so the parent's policies do not protect it.`
        : '';
      return [
        {
          message: `Tenant table ${name} ${table.rlsDisabledAt ? 'ends with ROW LEVEL SECURITY disabled (a later migration turned it off)' : 'never enables ROW LEVEL SECURITY'}: every role with SELECT sees every tenant's rows.${partition} Add ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.`,
          object: name,
          location: table.rlsDisabledAt ?? table.createdAt,
        },
      ];
    });
  },
};
export default rule;
