import type { TablePrivilege } from '../../src/model/catalog.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

const RISKY: { privilege: TablePrivilege; why: string }[] = [
  { privilege: 'truncate', why: 'TRUNCATE ignores row-level security and removes every tenant\'s rows' },
  { privilege: 'references', why: 'REFERENCES lets foreign keys probe for other tenants\' keys' },
  { privilege: 'trigger', why: 'TRIGGER lets the role run code on every tenant\'s writes' },
];

/** TRUNCATE is not subject to RLS (SPEC behaviour 3); GRANT ALL includes it. */
const rule: SqlRule = {
  id: 'app-role-least-privilege',
  severity: 2,
  description: 'App roles and PUBLIC get no TRUNCATE, REFERENCES, TRIGGER or ALL on tenant tables.',
  check({ catalog, tenancy }) {
    const reports: SqlRuleReport[] = [];
    const seen = new Set<string>();
    for (const table of tenancy.tenantTables()) {
      const key = tenancy.tableKey(table);
      for (const [grantee, grant] of catalog.tableGrants.get(key) ?? []) {
        if (grantee !== 'public' && !tenancy.isAppRole(grantee) && !(tenancy.hasAppRoles() && tenancy.appRoleReach.has(grantee))) continue;
        const risky = RISKY.filter((r) => grant.privileges.has(r.privilege));
        if (risky.length === 0) continue;
        const at = grant.grantedAt.get(risky[0]!.privilege)!;
        const dedupe = `${key}|${at.file}:${at.line}:${at.column}`;
        if (seen.has(dedupe)) continue;
        seen.add(dedupe);
        const who = grantee === 'public' ? 'PUBLIC' : `app role ${grantee}`;
        const all = risky.length === RISKY.length ? ' (GRANT ALL includes them)' : '';
        reports.push({
          message: `${who} is granted ${risky.map((r) => r.privilege.toUpperCase()).join(', ')} on tenant table ${key}${all}: ${risky.map((r) => r.why).join('; ')}. Grant only SELECT, INSERT, UPDATE, DELETE.`,
          object: `${key} to ${grantee}`,
          location: at,
        });
      }
    }
    return reports;
  },
};
export default rule;
