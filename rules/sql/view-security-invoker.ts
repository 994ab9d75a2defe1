import { evaluatePolicies } from '../../src/analysis/policies.js';
import type { SqlRule } from '../../src/rule.js';

/**
 * A view runs with its owner's rights unless security_invoker = true (PostgreSQL 15+): over a
 * table its owner may read unfiltered, it shows the app every tenant's rows (SPEC behaviour 2).
 * A materialized view stores the rows its creator could see and has no RLS at all (behaviour 10).
 *
 * An error where the owner's read leaks: it bypasses RLS, owns a table without FORCE, or the
 * policies that apply to it (TO PUBLIC or its roles) do not pin the rows. Over tables whose owner
 * policies do pin them, a warning: the view is filtered by the owner's policies, not the app's,
 * and leaks as soon as migrations run as a superuser.
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
      // Each tenant table as the view's owner reads it (SPEC behaviour 2): past RLS when the owner
      // bypasses it, or owns a table without FORCE; else through the policies that apply to it.
      const readers = tenantReads.map((key) => ({ key, ...ownerRead(key) }));
      const open = readers.filter((r) => r.leak !== null);
      if (open.length > 0) {
        const why = open.map((r) => r.leak).join('; ');
        return [{ message: `View ${name} reads tenant table ${open.map((r) => r.key).join(', ')} with its owner's rights: ${why}, so the app sees every tenant's rows through it. Create it WITH (security_invoker = true).`, location: view.changedAt, object: name }];
      }
      const who = owner ? `its owner ${owner}` : 'its owner (the role that ran the migrations)';
      return [
        {
          message: `View ${name} reads tenant table ${tenantReads.join(', ')} with the rights and policies of ${who}, not the app's: it is filtered only while the owner stays subject to RLS (FORCE kept, migrations never run as a superuser or BYPASSRLS role). Create it WITH (security_invoker = true).`,
          location: view.changedAt,
          object: name,
          severity: 1 as const,
        },
      ];

      /** Why the view's owner reads other tenants' rows of `key`, or null when its policies pin them. */
      function ownerRead(key: string): { leak: string | null } {
        const table = catalog.tables.get(key)!;
        if (tenancy.bypassesRls(owner)) return { leak: `its owner ${owner} bypasses row-level security` };
        if (!table.rlsEnabled) return { leak: `${key} has no row-level security` };
        const asOwner = tenancy.actsAsOwner(owner, table);
        if (asOwner && !table.rlsForced) return { leak: `${owner ? `its owner ${owner}` : 'its owner'} owns ${key}, which has no FORCE ROW LEVEL SECURITY, so no policy applies to it` };
        const keyColumns = tenancy.keyColumns(table);
        if (keyColumns.length === 0) return { leak: null };
        const verdict = evaluatePolicies(tenancy.policiesFor(key, owner), tenancy.identity, { table, keyColumns }).find((v) => v.command === 'select')!;
        if (verdict.openers.length === 0) return { leak: null };
        const opener = verdict.openers[0]!;
        return { leak: `policy ${opener.policy.name} on ${key}, which applies to ${owner ?? 'its owner'}${asOwner ? ' under FORCE' : ''}, admits other tenants' rows (${opener.reason})` };
      }
    });
  },
};
export default rule;
