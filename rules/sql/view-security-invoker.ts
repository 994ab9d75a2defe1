import type { SqlRule } from '../../src/rule.js';

/**
 * A view runs with its owner's rights unless security_invoker = true (PostgreSQL 15+): over a
 * table its owner may read unfiltered, it shows the app every tenant's rows (SPEC behaviour 2).
 * A materialized view stores the rows its creator could see and has no RLS at all (behaviour 10).
 */
const rule: SqlRule = {
  id: 'view-security-invoker',
  severity: 2,
  description: 'Views over tenant tables set security_invoker = true; no materialized views over tenant tables.',
  check({ catalog, tenancy }) {
    return [...catalog.views.values()].flatMap((view) => {
      const tenantReads = view.reads.filter((key) => {
        const table = catalog.tables.get(key);
        return table !== undefined && tenancy.isTenantData(table);
      });
      if (tenantReads.length === 0) return [];
      // A view no app role can select from shows nobody anything.
      if (!tenancy.appHolds(view.schema, view.name, 'select')) return [];
      const name = `${view.schema}.${view.name}`;
      if (view.kind === 'materialized view') {
        return [{ message: `Materialized view ${name} copies tenant table ${tenantReads.join(', ')}: it stores the rows its creator could see, and RLS never filters a materialized view. Use a view WITH (security_invoker = true), or a per-tenant table with its own policy.`, location: view.createdAt, object: name }];
      }
      if (view.securityInvoker) return [];
      const owner = tenancy.ownerOf(view);
      const platformReads = tenantReads.filter((key) => catalog.tables.get(key)?.platform);
      if (platformReads.length > 0) {
        // auth.users and the like: the app roles hold no privilege on them, the view's owner does.
        const why = `it reads ${platformReads.join(', ')}, the platform's table of every user, with the rights of its owner${owner ? ` ${owner}` : ''}, so every client that can select from the view reads every user's rows`;
        return [{ message: `View ${name} exposes ${platformReads.join(', ')} to the app roles: ${why}. Create it WITH (security_invoker = true) and read only the signed-in user's row, or move it out of the API's schema.`, location: view.changedAt, object: name }];
      }
      const why = tenancy.ownerBypassesRls(view)
        ? `its owner ${owner} bypasses row-level security, so the app sees every tenant's rows through it`
        : "unless the owner is subject to RLS, the app sees every tenant's rows through it";
      return [{ message: `View ${name} reads tenant table ${tenantReads.join(', ')} with its owner's rights: ${why}. Create it WITH (security_invoker = true).`, location: view.changedAt, object: name }];
    });
  },
};
export default rule;
