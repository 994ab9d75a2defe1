import { catalogRoleName } from '../../src/analysis/tenancy.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * Superusers and BYPASSRLS roles skip every policy, FORCE included (SPEC behaviour 1); a table's
 * owner skips its policies unless FORCE is set, and may switch RLS off at will.
 */
const rule: SqlRule = {
  id: 'no-bypass-role',
  severity: 2,
  description: 'No SUPERUSER or BYPASSRLS roles beyond allowBypassRoles; app roles neither inherit such rights nor own tenant tables.',
  check({ catalog, config, tenancy }) {
    const allowed = new Set(config.allowBypassRoles.map(catalogRoleName));
    const reports: SqlRuleReport[] = [];
    const privileged = new Set<string>();
    for (const role of catalog.roles.values()) {
      if (!(role.superuser || role.bypassRls)) continue;
      privileged.add(role.name);
      // The platform's own roles (a preset's service_role, postgres) are not the project's to change.
      if (allowed.has(role.name) || role.platform) continue;
      const what = role.superuser ? 'SUPERUSER' : 'BYPASSRLS';
      const app = tenancy.isAppRole(role.name) ? ' It is an app role: for the application every policy is inert.' : '';
      reports.push({
        message: `Role ${role.name} is ${what}: it bypasses row-level security on every table, FORCE included.${app} Remove the attribute, or list the role in allowBypassRoles if it is a migration or admin role.`,
        object: `role ${role.name}`,
        location: role.privilegedAt ?? role.createdAt,
      });
    }
    for (const appRole of tenancy.appRoleNames()) {
      const direct = catalog.roles.get(appRole);
      if (!direct) continue;
      for (const [parent, at] of direct.memberOf) {
        for (const reached of catalog.memberships(parent)) {
          if (!privileged.has(reached)) continue;
          reports.push({
            message: `App role ${appRole} is a member of ${parent}${reached !== parent ? ` (and so of ${reached})` : ''}, which bypasses row-level security: SET ROLE ${reached} turns every policy off for the application.`,
            object: `${appRole} member of ${parent}`,
            location: at,
          });
          break;
        }
      }
    }
    for (const table of tenancy.tenantTables()) {
      if (!table.owner || !tenancy.isAppRole(table.owner)) continue;
      reports.push({
        message: `App role ${table.owner} owns tenant table ${table.schema}.${table.name}: an owner bypasses its policies unless FORCE ROW LEVEL SECURITY is set, and can disable RLS itself. Let a migration role own the table.`,
        object: `${table.schema}.${table.name} owned by ${table.owner}`,
        location: table.ownerSetAt ?? table.createdAt,
      });
    }
    return reports;
  },
};
export default rule;
