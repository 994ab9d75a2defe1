import type { SourceLocation, TablePrivilege } from '../../src/model/catalog.js';
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
    for (const table of tenancy.tenantTables()) {
      const key = tenancy.tableKey(table);
      // One finding per statement that granted the risky privileges, naming every role it reached.
      const byStatement = new Map<string, { at: SourceLocation; who: string[]; risky: Set<TablePrivilege>; platform: boolean }>();
      for (const [grantee, grant] of catalog.tableGrants.get(key) ?? []) {
        if (grantee !== 'public' && !tenancy.isAppRole(grantee) && !(tenancy.hasAppRoles() && tenancy.appRoleReach.has(grantee))) continue;
        // Without USAGE on the schema the role cannot name the table, let alone TRUNCATE it.
        if (tenancy.hasAppRoles() && !catalog.schemaUsage.get(table.schema)?.has(grantee) && !catalog.schemaUsage.get(table.schema)?.has('public')) continue;
        const risky = RISKY.filter((r) => grant.privileges.has(r.privilege));
        if (risky.length === 0) continue;
        const at = grant.grantedAt.get(risky[0]!.privilege)!;
        const dedupe = `${at.file}:${at.line}:${at.column}`;
        let entry = byStatement.get(dedupe);
        if (!entry) byStatement.set(dedupe, (entry = { at, who: [], risky: new Set(), platform: false }));
        entry.who.push(grantee === 'public' ? 'PUBLIC' : grantee);
        for (const r of risky) entry.risky.add(r.privilege);
        if (grant.platformDefaults?.has(risky[0]!.privilege)) entry.platform = true;
      }
      for (const { at, who, risky: privileges, platform } of byStatement.values()) {
        const risky = RISKY.filter((r) => privileges.has(r.privilege));
        const names = risky.map((r) => r.privilege.toUpperCase()).join(', ');
        const roles = who.map((w) => (w === 'PUBLIC' ? w : `app role ${w}`));
        const whom = `${roles.length === 1 ? roles[0] : `${roles.slice(0, -1).join(', ')} and ${roles.at(-1)}`} ${roles.length === 1 ? 'is' : 'are'}`;
        const why = risky.map((r) => r.why).join('; ');
        const message = platform
          ? `${whom} granted ${names} on tenant table ${key} by the platform's default privileges (every new table in its schema gets ALL): ${why}. Revoke them after CREATE TABLE (REVOKE ${names} ON ${key} FROM ${who.join(', ')}), or for every new table with ALTER DEFAULT PRIVILEGES ... REVOKE ${names} ON TABLES FROM ${who.join(', ')}.`
          : `${whom} granted ${names} on tenant table ${key}${risky.length === RISKY.length ? ' (GRANT ALL includes them)' : ''}: ${why}. Grant only SELECT, INSERT, UPDATE, DELETE.`;
        reports.push({ message, object: `${key} to ${who.join(', ')}`, location: at });
      }
    }
    return reports;
  },
};
export default rule;
