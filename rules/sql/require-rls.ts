import type { SqlRule } from '../../src/rule.js';

/**
 * Every tenant table, partitions included, ends with RLS enabled. A partition queried directly
 * applies only its own RLS (SPEC behaviour 7), so a parent's policies do not protect it.
 */
const rule: SqlRule = {
  id: 'require-rls',
  severity: 2,
  description: 'Every tenant table (partitions included), and every table the app roles can write, has ROW LEVEL SECURITY enabled.',
  check({ catalog, tenancy }) {
    // A shared table (global, or with no tenant column) that the platform's clients can write is
    // protected too: globalTables means shared for reading, not writable by every client. (A
    // server app role's writes go through the project's code; anon's go through a public API key.)
    const shared = [...catalog.tables.values()].flatMap((table) => {
      if (table.rlsEnabled || table.temporary || table.platform || tenancy.isTenantTable(table)) return [];
      const { privileges, grantees } = tenancy.clientWrites(table);
      if (privileges.length === 0) return [];
      const name = `${table.schema}.${table.name}`;
      const what = privileges.map((p) => p.toUpperCase()).join(', ');
      const who = grantees.join(', ');
      return [
        {
          message: `Table ${name} has no ROW LEVEL SECURITY and ${who} can ${what} it: any client of the platform's API can change or wipe rows every user shares. Enable RLS with a read-only policy (ENABLE ROW LEVEL SECURITY; CREATE POLICY ... FOR SELECT USING (true)), or REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${name} FROM ${who}.`,
          object: name,
          location: table.rlsDisabledAt ?? table.createdAt,
        },
      ];
    });
    return shared.concat(tenancy.reachableTenantTables().flatMap((table) => {
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
    }));
  },
};
export default rule;
