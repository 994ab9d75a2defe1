import { describeCheck, evaluatePolicies, type CommandVerdict } from '../../src/analysis/policies.js';
import { identityExpression, quoteIdent, suggestedPin } from '../../src/analysis/suggest.js';
import type { Trust } from '../../src/analysis/identity.js';
import { OBJECTS_TABLE, onlyPublicBuckets, publicBuckets } from '../../src/analysis/storage.js';
import type { PolicyState, TablePrivilege, TableState } from '../../src/model/catalog.js';
import type { SqlRule, SqlRuleReport } from '../../src/rule.js';

/**
 * For each command, the effective predicate of the policies that apply to the app (permissive
 * OR-ed, restrictive AND-ed) must pin a key column of the table to the session's identity (see
 * src/analysis/identity.ts). A permissive policy that admits rows of any tenant opens the table
 * unless a restrictive policy pins it.
 *
 * A pin that goes through a membership table (`team_id IN (SELECT private.user_team_ids())`) holds
 * only while the app cannot write a membership row that binds itself to a tenant it does not
 * belong to: a write policy on the membership table that allows it opens every table whose
 * policies trust it, and is reported once, at that policy.
 */
const rule: SqlRule = {
  id: 'no-fail-open-policy',
  severity: 2,
  description: 'The effective policy predicate pins a key column to the session identity for every command, and membership tables cannot be joined at will.',
  check({ catalog, config, tenancy }) {
    const opened = new Map<PolicyState, { table: string; commands: string[]; reason: string; rowFlag?: string; example: Example }>();
    /** membership table -> column it hands out -> the tables whose pins rest on it, and how. */
    const trusted = new Map<string, Map<string, { tables: Set<string>; via: Set<string> }>>();
    const held = (schema: string, name: string, command: string) => tenancy.appHolds(schema, name, command as TablePrivilege);

    /** Does one of `policies` pin `column` for reads or writes? */
    const pinner = (policies: PolicyState[], table: TableState, column: string): PolicyState | undefined =>
      policies.find((p) => [p.using, p.withCheck].some((e) => e && tenancy.identity.pinsRow(e, table, [column]).pinned));
    /**
     * How to pin `column` in this project's terms: as a policy of the same table already does, else
     * as a policy of another table pins a column of that name (a team table pins team_id through the
     * project's membership helper, not with `= auth.uid()`), else directly with the identity source,
     * unless that is a user id and the column names something else (a team).
     */
    /**
     * The first two tables (in order) with a policy pinning a column of this name, found once per
     * name: one opener per table asked this of every table, quadratic on a history full of
     * findings (8.7 s for 2,000 open tables in the finding-heavy bench shape).
     */
    const pinners = new Map<string, { table: TableState; policy: PolicyState }[]>();
    const pinnersOf = (columnName: string) => {
      let found = pinners.get(columnName);
      if (!found) {
        found = [];
        for (const other of tenancy.reachableTenantTables()) {
          if (!other.columns.has(columnName)) continue;
          const policy = pinner(catalog.policiesOf(tenancy.tableKey(other)).filter((p) => tenancy.policyApplies(p)), other, columnName);
          if (policy) found.push({ table: other, policy });
          if (found.length === 2) break;
        }
        pinners.set(columnName, found);
      }
      return found;
    };
    const examplePin = (table: TableState, columnName: string, opener: PolicyState): Example => {
      const column = table.columns.get(columnName) ?? null;
      const key = tenancy.tableKey(table);
      const own = pinner(catalog.policiesOf(key).filter((p) => p !== opener && tenancy.policyApplies(p)), table, columnName);
      if (own) return { column: columnName, like: `policy ${quoteIdent(own.name)} does` };
      const found = pinnersOf(columnName).find((f) => f.table !== table);
      if (found) return { column: columnName, like: `policy ${quoteIdent(found.policy.name)} on ${tenancy.tableKey(found.table)} does` };
      // auth.uid() is a user's id: a column naming something else (a team) is pinned through membership.
      const userIdentity = identityExpression(config, null) === '(SELECT auth.uid())';
      const references = table.foreignKeys.find((fk) => fk.columns.length === 1 && fk.columns[0] === columnName)?.references;
      if (userIdentity && references && references !== 'auth.users') {
        return { column: columnName, example: `${quoteIdent(columnName)} IN (SELECT <the ${references} column> FROM <the membership table> WHERE <its user column> = (SELECT auth.uid()))` };
      }
      return { column: columnName, example: suggestedPin(config, column, columnName) };
    };

    const publicIds = publicBuckets(catalog);
    for (const table of [...tenancy.reachableTenantTables(), ...tenancy.reachablePlatformKeyedTables()]) {
      const keyColumns = tenancy.keyColumns(table);
      if (!table.rlsEnabled || keyColumns.length === 0) continue;
      const key = tenancy.tableKey(table);
      const policies = catalog.policiesOf(key).filter((p) => tenancy.policyApplies(p));
      const column = tenancy.tenantColumn(table) ?? table.columns.get(keyColumns[0]!) ?? null;
      let verdicts = evaluatePolicies(policies, tenancy.identity, { table, keyColumns });
      if (key === OBJECTS_TABLE && publicIds.size > 0) {
        // Objects of a public bucket are anyone's to fetch: reads of them, and new objects in them,
        // open no private file (storage-public-listing reports listing). Changing or deleting
        // them is still judged: every user's avatar is theirs to keep.
        const narrowed = (clause: 'using' | 'check') => evaluatePolicies(policies.filter((p) => !onlyPublicBuckets(p, clause, publicIds)), tenancy.identity, { table, keyColumns });
        const reads = narrowed('using');
        const inserts = narrowed('check');
        verdicts = verdicts.map((v, i) => (v.command === 'select' ? reads[i]! : v.command === 'insert' ? inserts[i]! : v));
      }
      for (const verdict of verdicts) {
        // A command the app holds no privilege for cannot be run, whatever its policies admit.
        if (!held(table.schema, table.name, verdict.command)) continue;
        // A new row of a tenant root is a new tenant: its key is unique, so no INSERT reaches
        // another tenant's row (creating a team is not joining one).
        if (verdict.command === 'insert' && tenancy.isTenantRoot(table)) continue;
        for (const opener of verdict.openers) {
          const entry = opened.get(opener.policy) ?? { table: key, commands: [], reason: opener.reason, rowFlag: opener.rowFlag, example: examplePin(table, column?.name ?? keyColumns[0]!, opener.policy) };
          entry.commands.push(describeCheck(verdict));
          opened.set(opener.policy, entry);
        }
        for (const trust of verdict.trusts) recordTrust(trusted, trust, key);
      }
    }

    // The owner: FORCE ROW LEVEL SECURITY applies to it the policies TO PUBLIC and to its roles,
    // and the app runs as the owner whenever it uses the migration role's connection. A policy
    // that opens the table to the owner alone is a leak too (not when the owner bypasses RLS:
    // require-force-rls and the preset say so).
    const ownerOpened = new Map<PolicyState, { table: string; owner: string | null; commands: string[]; reason: string; example: Example }>();
    if (tenancy.hasAppRoles()) {
      for (const table of tenancy.tenantTables()) {
        if (!table.rlsEnabled || !table.rlsForced || tenancy.ownerBypassesRls(table)) continue;
        const keyColumns = tenancy.keyColumns(table);
        if (keyColumns.length === 0) continue;
        const owner = tenancy.ownerOf(table);
        const ownerRoles = owner ? catalog.memberships(owner, { inheritedOnly: true }) : new Set<string>();
        const key = tenancy.tableKey(table);
        const policies = catalog.policiesOf(key).filter((p) => p.roles.some((r) => r === 'public' || ownerRoles.has(r)));
        const column = tenancy.tenantColumn(table) ?? table.columns.get(keyColumns[0]!) ?? null;
        for (const verdict of evaluatePolicies(policies, tenancy.identity, { table, keyColumns })) {
          for (const opener of verdict.openers) {
            if (opened.has(opener.policy)) continue;
            const entry = ownerOpened.get(opener.policy) ?? { table: key, owner, commands: [], reason: opener.reason, example: examplePin(table, column?.name ?? keyColumns[0]!, opener.policy) };
            entry.commands.push(describeCheck(verdict));
            ownerOpened.set(opener.policy, entry);
          }
        }
      }
    }

    const reports: SqlRuleReport[] = [];
    for (const [policy, { table, owner, commands, reason, example }] of ownerOpened) {
      const pin = 'like' in example ? `Pin ${quoteIdent(example.column)} to the session as ${example.like}` : `Pin it to the session, e.g. ${example.example}`;
      reports.push({
        message: `Policy ${policy.name} on ${table} lets the table's owner ${owner ?? '(the role that ran the migrations)'} reach other tenants' rows for ${commands.join(', ')}: ${reason}. FORCE ROW LEVEL SECURITY applies it to the owner, and the app runs as the owner whenever it connects with the migration role. ${pin}, or limit the policy TO the app roles.`,
        object: `${table} policy ${policy.name}`,
        location: policy.changedAt,
      });
    }
    for (const [policy, { table, commands, reason, rowFlag, example }] of opened) {
      const pin = 'like' in example ? `pin ${quoteIdent(example.column)} to the session as ${example.like}` : `pin it to the session, e.g. ${example.example}`;
      const why = rowFlag
        ? `${reason}. If those rows are meant to be public, keep the policy FOR SELECT and say so (-- rls-guard-ignore no-fail-open-policy: <why>); otherwise ${pin}`
        : `${reason}. ${pin[0]!.toUpperCase()}${pin.slice(1)}, or pair it with a RESTRICTIVE policy that does`;
      reports.push({
        message: `Policy ${policy.name} on ${table} lets the app reach other tenants' rows for ${commands.join(', ')}: ${why}.`,
        object: `${table} policy ${policy.name}`,
        location: policy.changedAt,
      });
    }

    // The membership tables the pins rest on: can the app bind itself to any tenant through them?
    const reported = new Set<PolicyState>(opened.keys());
    for (const [membershipKey, byColumn] of trusted) {
      const membership = catalog.tables.get(membershipKey);
      if (!membership || !membership.rlsEnabled) continue;
      const policies = catalog.policiesOf(membershipKey).filter((p) => tenancy.policyApplies(p));
      for (const [grants, { tables, via }] of byColumn) {
        const writes = evaluatePolicies(policies, tenancy.identity, { table: membership, keyColumns: [grants] }).filter(
          (v): v is CommandVerdict<PolicyState> => v.clause === 'check' && held(membership.schema, membership.name, v.command),
        );
        for (const verdict of writes) {
          for (const opener of verdict.openers) {
            if (reported.has(opener.policy)) continue;
            reported.add(opener.policy);
            const others = [...tables].sort();
            reports.push({
              message: `Policy ${opener.policy.name} on ${membershipKey} lets a user ${verdict.command === 'insert' ? 'insert' : 'update'} a membership row with any ${grants}: ${opener.reason}. The policies of ${others.join(', ')} trust ${membershipKey} (through ${[...via].sort().join(', ')}) to say which ${grants} the user belongs to, so a user who binds themselves to another ${grants} reaches its rows in every one of them. Pin ${grants} in the WITH CHECK (e.g. to one the user already owns), or let a SECURITY DEFINER function write memberships.`,
              object: `${membershipKey} policy ${opener.policy.name} (membership)`,
              location: opener.policy.changedAt,
            });
          }
        }
      }
    }
    return reports;
  },
};

/** A fix in the project's terms: like an existing policy, or an expression to write. */
type Example = { column: string; like: string } | { column: string; example: string };

function recordTrust(trusted: Map<string, Map<string, { tables: Set<string>; via: Set<string> }>>, trust: Trust, table: string): void {
  let byColumn = trusted.get(trust.table);
  if (!byColumn) trusted.set(trust.table, (byColumn = new Map()));
  let entry = byColumn.get(trust.grants);
  if (!entry) byColumn.set(trust.grants, (entry = { tables: new Set(), via: new Set() }));
  entry.tables.add(table);
  entry.via.add(trust.via);
}

export default rule;
