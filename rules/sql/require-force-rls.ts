import type { SqlRule } from '../../src/rule.js';

/**
 * The table owner bypasses RLS unless the table has FORCE ROW LEVEL SECURITY (SPEC behaviour 1;
 * https://www.postgresql.org/docs/current/ddl-rowsecurity.html). Apps that connect as the
 * migration role, and views owned by it, see every tenant's rows.
 */
const rule: SqlRule = {
  id: 'require-force-rls',
  severity: 2,
  description: 'Every tenant table with RLS also has FORCE ROW LEVEL SECURITY.',
  check({ tenancy }) {
    return tenancy.reachableTenantTables().flatMap((table) => {
      if (!table.rlsEnabled || table.rlsForced) return [];
      // FORCE binds no owner that is SUPERUSER or BYPASSRLS (Supabase's postgres): nothing to add.
      if (tenancy.ownerBypassesRls(table)) return [];
      const name = `${table.schema}.${table.name}`;
      const ownerName = tenancy.ownerOf(table);
      const owner = ownerName ? `its owner ${ownerName}` : 'its owner (the role that ran the migrations)';
      const dropped = table.forceDisabledAt ? ' (a later migration turned FORCE off)' : '';
      return [
        {
          message: `Tenant table ${name} enables RLS without FORCE ROW LEVEL SECURITY${dropped}: ${owner} bypasses every policy, and so does an app or a view that runs as the owner. Add ALTER TABLE ${name} FORCE ROW LEVEL SECURITY.`,
          object: name,
          location: table.forceDisabledAt ?? table.rlsEnabledAt ?? table.createdAt,
        },
      ];
    });
  },
};
export default rule;
