/**
 * The configuration's view of a replayed catalog: which tables are tenant tables and how each is
 * keyed to a tenant, which roles are the application and what they can reach, which policies
 * apply to it, and whether a table's owner bypasses its policies.
 */
import type { ResolvedConfig } from '../config.js';
import { PRESETS } from '../presets/index.js';
import { qualifiedKey, type Catalog, type ColumnState, type PolicyState, type TablePrivilege, type TableState } from '../model/catalog.js';
import { IdentityModel } from './identity.js';
import { evaluatePolicies } from './policies.js';

/**
 * A role name as the replayed catalog holds it. A placeholder such as graphile-migrate's
 * `:DATABASE_VISITOR` reaches the parser as the identifier `_database_visitor` (psql variables
 * become same-length placeholders, folded to lower case like any unquoted name).
 */
export function catalogRoleName(name: string): string {
  return name.startsWith(':') ? `_${name.slice(1).toLowerCase()}` : name;
}

export class Tenancy {
  readonly identity: IdentityModel;
  private readonly globals: Set<string>;
  private readonly appRoles: Set<string>;
  /** Roles whose policies and privileges reach an app role: the app roles, what they are members of, PUBLIC. */
  readonly appRoleReach: Set<string>;
  private readonly platformKeys: Record<string, string[]>;
  /** Roles any client of the platform's API can act as (a preset's `clientRoles`). */
  readonly clientRoles: Set<string>;
  private roots: Set<string> | null = null;

  constructor(
    readonly catalog: Catalog,
    readonly config: ResolvedConfig,
  ) {
    this.identity = new IdentityModel(config, catalog);
    this.globals = new Set(config.globalTables.map((t) => t.toLowerCase()));
    this.appRoles = new Set(config.appRoles.map(catalogRoleName));
    this.appRoleReach = new Set(['public']);
    // Policies TO a group apply to members that inherit its privileges (not WITH INHERIT FALSE).
    for (const role of this.appRoles) for (const r of catalog.memberships(role, { inheritedOnly: true })) this.appRoleReach.add(r);
    this.platformKeys = (config.preset && PRESETS[config.preset]?.platformKeys) || {};
    this.clientRoles = new Set(((config.preset && PRESETS[config.preset]?.clientRoles) || []).map((r) => catalogRoleName(r)));
  }

  hasAppRoles(): boolean {
    return this.appRoles.size > 0;
  }

  isAppRole(role: string): boolean {
    return this.appRoles.has(role);
  }

  /** The app roles as the catalog names them. */
  appRoleNames(): string[] {
    return [...this.appRoles];
  }

  isGlobal(table: { schema: string; name: string }): boolean {
    return this.globals.has(table.name.toLowerCase()) || this.globals.has(qualifiedKey(table.schema, table.name).toLowerCase());
  }

  tableKey(table: TableState): string {
    return qualifiedKey(table.schema, table.name);
  }

  // ---- keys ----------------------------------------------------------------------------------

  /**
   * Tenant roots: the tables the tenant columns reference (`teams`, `tenants`, `organizations`,
   * Supabase's `auth.users`). Their rows are tenants, keyed by their own key.
   */
  tenantRoots(): Set<string> {
    if (this.roots) return this.roots;
    const columns = new Set(this.config.tenantColumns);
    this.roots = new Set();
    for (const table of this.catalog.tables.values()) {
      for (const fk of table.foreignKeys) if (fk.columns.length === 1 && columns.has(fk.columns[0]!)) this.roots.add(fk.references);
    }
    return this.roots;
  }

  isTenantRoot(table: TableState): boolean {
    return this.tenantRoots().has(this.tableKey(table));
  }

  /**
   * Columns that reference a tenant root's key or a platform table's key (`owner_id references
   * auth.users`, `id references auth.users` of a profiles table): they name a tenant or a user as
   * surely as a tenant column does.
   */
  identityReferences(table: TableState): string[] {
    const out: string[] = [];
    for (const fk of table.foreignKeys) {
      if (fk.columns.length !== 1) continue;
      const target = this.catalog.tables.get(fk.references);
      if (!target) continue;
      const refColumn = fk.refColumns[0] ?? (target.primaryKey.length === 1 ? target.primaryKey[0] : undefined);
      const platform = this.platformKeys[fk.references] ?? [];
      if ((refColumn && platform.includes(refColumn)) || (this.isTenantRoot(target) && refColumn && (target.primaryKey.includes(refColumn) || target.uniqueKeys.some((u) => u.length === 1 && u[0] === refColumn)))) {
        out.push(fk.columns[0]!);
      }
    }
    return out;
  }

  /** The configured tenant columns the table has, in config order. */
  tenantColumns(table: TableState): ColumnState[] {
    return this.config.tenantColumns.flatMap((name) => table.columns.get(name) ?? []);
  }

  /**
   * The columns a policy may pin to tie a row to the session: the table's tenant columns; on a
   * tenant root, its primary key and unique columns; on a platform table, what the preset says.
   */
  keyColumns(table: TableState): string[] {
    const keys = new Set<string>(this.platformKeys[this.tableKey(table)] ?? []);
    for (const c of this.tenantColumns(table)) keys.add(c.name);
    for (const c of this.identityReferences(table)) keys.add(c);
    // A uuid primary key equal to the identity is the identity's own row (`profiles.id = auth.uid()`):
    // uuids do not collide across tables, so it pins the row to one user or tenant.
    if (table.primaryKey.length === 1 && table.columns.get(table.primaryKey[0]!)?.type === 'uuid') keys.add(table.primaryKey[0]!);
    if (table.external && table.columns.size === 0) for (const c of this.config.tenantColumns) keys.add(c);
    if (this.isTenantRoot(table)) {
      for (const c of table.primaryKey) keys.add(c);
      for (const u of table.uniqueKeys) if (u.length === 1) keys.add(u[0]!);
    }
    return [...keys];
  }

  private columnCache = new WeakMap<TableState, ColumnState | null>();

  /**
   * The tenant column that matters for a table: the one its policies pin (a per-user table pins
   * user_id, a team table team_id), else the first configured one it has.
   */
  tenantColumn(table: TableState): ColumnState | undefined {
    if (this.columnCache.has(table)) return this.columnCache.get(table) ?? undefined;
    const columns = this.tenantColumns(table);
    let chosen: ColumnState | undefined = columns[0];
    if (columns.length > 1) {
      const policies = this.catalog.policiesOf(this.tableKey(table)).filter((p) => this.policyApplies(p));
      chosen =
        columns.find((c) => evaluatePolicies(policies, this.identity, { table, keyColumns: [c.name] }).some((v) => v.pinned && !v.admitsNothing)) ?? columns[0];
    }
    this.columnCache.set(table, chosen ?? null);
    return chosen;
  }

  /** SPEC section 3: a table with a tenant column, or RLS, that is not global; tenant roots too. Temporary and platform tables never are. */
  isTenantTable(table: TableState): boolean {
    if (table.temporary || table.platform || this.isGlobal(table)) return false;
    return this.tenantColumns(table).length > 0 || table.rlsEnabled || table.rlsForced || table.rlsDisabledAt !== null || this.isTenantRoot(table);
  }

  /** Tables whose rows belong to a tenant for views and definer functions: tenant tables, and platform tables keyed by identity (auth.users). */
  isTenantData(table: TableState): boolean {
    if (table.platform) return (this.platformKeys[this.tableKey(table)] ?? []).length > 0;
    return this.isTenantTable(table);
  }

  private tenantTableList: TableState[] | null = null;

  /** The tenant tables of the final state (computed once: rules run after the replay). */
  tenantTables(): TableState[] {
    this.tenantTableList ??= [...this.catalog.tables.values()].filter((t) => this.isTenantTable(t));
    return this.tenantTableList;
  }

  /** The tenant tables the app roles can reach (all of them when no app roles are configured). */
  reachableTenantTables(): TableState[] {
    return this.tenantTables().filter((t) => this.isReachable(t));
  }

  /**
   * The platform's tables keyed by identity (the preset's platformKeys: Storage's `storage.objects`
   * by owner or folder) that the app roles can reach: their policies are the project's, and are
   * judged like a tenant table's.
   */
  reachablePlatformKeyedTables(): TableState[] {
    return Object.keys(this.platformKeys).flatMap((key) => {
      const table = this.catalog.tables.get(key);
      return table?.platform && (this.platformKeys[key] ?? []).length > 0 && this.isReachable(table) ? [table] : [];
    });
  }

  // ---- reachability --------------------------------------------------------------------------

  /** Does some role the app acts as hold `privilege` (any privilege, when omitted) on the relation, with USAGE on its schema? */
  appHolds(schema: string, name: string, privilege?: TablePrivilege): boolean {
    if (!this.hasAppRoles()) return true;
    // Dynamic SQL the analysis could not see may have granted anything: assume it did.
    if (this.catalog.unverifiable.length > 0) return true;
    const usage = this.catalog.schemaUsage.get(schema);
    if (!usage || ![...usage].some((g) => this.appRoleReach.has(g))) return false;
    const grants = this.catalog.tableGrants.get(qualifiedKey(schema, name));
    for (const [grantee, grant] of grants ?? []) {
      if (!this.appRoleReach.has(grantee)) continue;
      if (privilege ? grant.privileges.has(privilege) : grant.privileges.size > 0) return true;
    }
    return false;
  }

  /**
   * The write privileges (INSERT, UPDATE, DELETE, TRUNCATE) the platform's client roles (a
   * preset's `clientRoles`: anon, authenticated) hold on a table, directly or through PUBLIC, with
   * the grantees. Unlike `appHolds`, dynamic SQL is not assumed to have granted anything: this
   * names grants that exist (the platform's default privileges included).
   */
  clientWrites(table: TableState): { privileges: TablePrivilege[]; grantees: string[] } {
    const none = { privileges: [], grantees: [] };
    if (this.clientRoles.size === 0) return none;
    const usage = this.catalog.schemaUsage.get(table.schema);
    if (!usage || ![...usage].some((g) => g === 'public' || this.clientRoles.has(g))) return none;
    const privileges = new Set<TablePrivilege>();
    const grantees: string[] = [];
    for (const [grantee, grant] of this.catalog.tableGrants.get(this.tableKey(table)) ?? []) {
      if (grantee !== 'public' && !this.clientRoles.has(grantee)) continue;
      const writes = (['insert', 'update', 'delete', 'truncate'] as const).filter((p) => grant.privileges.has(p));
      if (writes.length === 0) continue;
      for (const w of writes) privileges.add(w);
      grantees.push(grantee === 'public' ? 'PUBLIC' : grantee);
    }
    return { privileges: [...privileges], grantees };
  }

  /** Can the app roles touch the table at all (SPEC section 3, reachability)? An app role that owns it always can. */
  isReachable(table: TableState): boolean {
    if (!this.hasAppRoles()) return true;
    if (table.owner && this.appRoleReach.has(table.owner)) return true;
    return this.appHolds(table.schema, table.name);
  }

  // ---- owners --------------------------------------------------------------------------------

  /** The table's owner: the role that created it (SET ROLE, ALTER ... OWNER TO), else the migration role. */
  ownerOf(table: { owner: string | null }): string | null {
    return table.owner ?? (this.config.migrationRole ? catalogRoleName(this.config.migrationRole) : null);
  }

  /** Is `role` SUPERUSER or BYPASSRLS? (Role attributes are not inherited through membership.) */
  bypassesRls(role: string | null): boolean {
    const state = role ? this.catalog.roles.get(role) : undefined;
    return !!state && (state.superuser || state.bypassRls);
  }

  /** The owner skips every policy even under FORCE (a superuser or BYPASSRLS migration role, e.g. Supabase's postgres). */
  ownerBypassesRls(table: { owner: string | null }): boolean {
    return this.bypassesRls(this.ownerOf(table));
  }

  /**
   * Does `role` read the table as its owner? PostgreSQL's ownership check counts the owner and
   * every role that inherits it; null is the unnamed migration role, which owns what it created.
   */
  actsAsOwner(role: string | null, table: { owner: string | null }): boolean {
    const owner = this.ownerOf(table);
    if (role === owner) return true;
    return role !== null && owner !== null && this.catalog.memberships(role, { inheritedOnly: true }).has(owner);
  }

  // ---- policies ------------------------------------------------------------------------------

  /** The table's policies that apply to `role`: TO PUBLIC, to it, or to a role it inherits (null: PUBLIC's only). */
  policiesFor(tableKey: string, role: string | null): PolicyState[] {
    const roles = role ? this.catalog.memberships(role, { inheritedOnly: true }) : new Set<string>();
    return this.catalog.policiesOf(tableKey).filter((p) => p.roles.some((r) => r === 'public' || r === role || roles.has(r)));
  }

  /** Does the policy apply to the application? With no app roles configured, every policy might. */
  policyApplies(policy: PolicyState): boolean {
    if (!this.hasAppRoles()) return true;
    return policy.roles.some((r) => this.appRoleReach.has(r));
  }
}
