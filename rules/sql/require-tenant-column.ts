import { evaluatePolicies } from '../../src/analysis/policies.js';
import type { TableState } from '../../src/model/catalog.js';
import type { SqlRule } from '../../src/rule.js';

/**
 * Every table that is not global carries the tenant column, NOT NULL (a NULL tenant matches no
 * tenant and every filter written as `IS NULL`). A tenant root (the table tenant columns
 * reference: `teams`, `tenants`) is keyed by its own key instead, and a table the app roles
 * cannot reach is not the app's to isolate.
 */
const rule: SqlRule = {
  id: 'require-tenant-column',
  severity: 2,
  description: 'Every non-global table has a NOT NULL tenant column.',
  check({ catalog, config, tenancy }) {
    /** Do the policies that apply to the app pin `column` for some command? */
    const pinnedBy = (table: TableState, column: string): boolean => {
      const policies = catalog.policiesOf(tenancy.tableKey(table)).filter((p) => tenancy.policyApplies(p));
      return evaluatePolicies(policies, tenancy.identity, { table, keyColumns: [column] }).some((v) => v.pinned && !v.admitsNothing);
    };
    const keyedByPrimaryKey = (table: TableState): boolean => {
      const pk = table.primaryKey.length === 1 ? table.primaryKey[0]! : null;
      return !!pk && table.columns.get(pk)?.type === 'uuid' && pinnedBy(table, pk);
    };
    const columns = config.tenantColumns.map((c) => `\`${c}\``).join(' or ');
    return [...catalog.tables.values()].flatMap((table) => {
      if (table.temporary || table.external || table.platform || tenancy.isGlobal(table) || !tenancy.isReachable(table)) return [];
      if (tenancy.isTenantRoot(table)) return [];
      const name = `${table.schema}.${table.name}`;
      // Keyed by a configured tenant column; else by a column referencing a tenant root or the
      // platform's users (`owner_id references auth.users`); else by a uuid primary key its
      // policies pin to the identity (a profiles row whose id is the user's).
      const configured = tenancy.tenantColumn(table);
      if (!configured && keyedByPrimaryKey(table)) return [];
      const references = tenancy.identityReferences(table).flatMap((c) => table.columns.get(c) ?? []);
      const column = configured ?? references.find((c) => pinnedBy(table, c.name)) ?? references[0];
      if (!column) {
        const dropped = tenancy.config.tenantColumns.map((c) => table.columnsDroppedAt.get(c)).find((at) => at !== undefined);
        if (dropped) {
          return [{ message: `Dropping the tenant column leaves table ${name} with none (${columns}): its rows belong to no tenant, so no policy can isolate them.`, object: name, location: dropped }];
        }
        return [
          {
            message: `Table ${name} has no tenant column (${columns}) and is not listed in globalTables: its rows belong to no tenant, so no policy can isolate them. Add the column, or list the table in globalTables if every tenant may share it.`,
            object: name,
            location: table.createdAt,
          },
        ];
      }
      if (!column.notNull) {
        return [{ message: `Tenant column ${name}.${column.name} is nullable: rows with a NULL tenant belong to no tenant. Declare it NOT NULL.`, location: column.location, object: `${name}.${column.name}` }];
      }
      return [];
    });
  },
};
export default rule;
