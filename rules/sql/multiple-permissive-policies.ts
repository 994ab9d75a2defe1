import type { PolicyState } from '../../src/model/catalog.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * PostgreSQL ORs the permissive policies that apply to a role and command, and evaluates each of
 * them for every row (there is no short-circuit between policies it could plan around). Two
 * permissive SELECT policies for `authenticated` cost two predicates per row where one
 * `USING (a OR b)` would do, and the OR is easier to miss in review. Opt-in, a warning: the rows
 * admitted are the same (Supabase's advisor reports it as `multiple_permissive_policies`).
 *
 * Roles: the configured app roles (a policy applies to one through PUBLIC or a group it inherits
 * from); without app roles, the roles the table's policies name. Roles that bypass RLS are never
 * filtered and never counted. Platform tables (Storage's `storage.objects`, where one policy per
 * bucket is the documented pattern) are left out, as Supabase's advisor leaves the storage schema out.
 */
const COMMANDS = ['select', 'insert', 'update', 'delete'] as const;

const rule: SqlRule = {
  id: 'multiple-permissive-policies',
  severity: 1,
  optIn: true,
  description: 'At most one permissive policy per role and command on a table: each one is evaluated for every row.',
  check({ catalog, tenancy }) {
    const reports: SqlRuleReport[] = [];
    for (const [key, byName] of catalog.policies) {
      const table = catalog.tables.get(key);
      if (!table?.rlsEnabled || table.platform || !tenancy.isReachable(table)) continue;
      const permissive = [...byName.values()].filter((p) => p.permissive);
      if (permissive.length < 2) continue;
      const roles = tenancy.hasAppRoles()
        ? tenancy.appRoleNames()
        : [...new Set(permissive.flatMap((p) => p.roles))].filter((r) => r !== 'public' || permissive.every((p) => p.roles.includes('public')));
      /** The policies that overlap (by name, in creation order) -> the role/command pairs they overlap for. */
      const overlaps = new Map<string, { policies: PolicyState[]; roles: Set<string>; commands: Set<string> }>();
      for (const role of roles) {
        if (tenancy.bypassesRls(role)) continue;
        const reach = tenancy.hasAppRoles() ? tenancy.catalog.memberships(role, { inheritedOnly: true }) : new Set([role]);
        const applies = (p: PolicyState) => p.roles.includes('public') || p.roles.some((r) => reach.has(r));
        for (const command of COMMANDS) {
          const policies = permissive.filter((p) => (p.command === 'all' || p.command === command) && applies(p));
          if (policies.length < 2) continue;
          const id = policies.map((p) => p.name).join('\u0000');
          const entry = overlaps.get(id) ?? { policies, roles: new Set(), commands: new Set() };
          entry.roles.add(role);
          entry.commands.add(command.toUpperCase());
          overlaps.set(id, entry);
        }
      }
      for (const { policies, roles: who, commands } of overlaps.values()) {
        // Reported at the policy that made the overlap: the last one created.
        const last = policies[policies.length - 1]!;
        reports.push({
          message: `Table ${key} has ${policies.length} permissive policies for ${[...who].join(', ')} on ${[...commands].join(', ')} (${policies.map((p) => p.name).join(', ')}): PostgreSQL evaluates every one of them for each row. Merge them into one policy per command whose USING / WITH CHECK ORs their conditions.`,
          object: `${key} policies ${policies.map((p) => p.name).join(', ')}`,
          location: last.changedAt,
        });
      }
    }
    return reports;
  },
};
export default rule;
