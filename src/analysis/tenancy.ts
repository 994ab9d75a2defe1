/**
 * The configuration's view of a replayed catalog: which tables are tenant tables, which roles are
 * the application, which policies apply to it.
 */
import type { ResolvedConfig } from '../config.js';
import { qualifiedKey, type Catalog, type ColumnState, type PolicyState, type TableState } from '../model/catalog.js';
import { TenantContext } from './tenant-context.js';

export class Tenancy {
  readonly context: TenantContext;
  private readonly globals: Set<string>;
  private readonly appRoles: Set<string>;
  /** Roles whose policies and privileges reach an app role: the app roles, what they are members of, PUBLIC. */
  readonly appRoleReach: Set<string>;

  constructor(
    readonly catalog: Catalog,
    readonly config: ResolvedConfig,
  ) {
    this.context = new TenantContext(config);
    this.globals = new Set(config.globalTables.map((t) => t.toLowerCase()));
    this.appRoles = new Set(config.appRoles);
    this.appRoleReach = new Set(['public']);
    // Policies TO a group apply to members that inherit its privileges (not WITH INHERIT FALSE).
    for (const role of config.appRoles) for (const r of catalog.memberships(role, { inheritedOnly: true })) this.appRoleReach.add(r);
  }

  hasAppRoles(): boolean {
    return this.appRoles.size > 0;
  }

  isAppRole(role: string): boolean {
    return this.appRoles.has(role);
  }

  isGlobal(table: { schema: string; name: string }): boolean {
    return this.globals.has(table.name.toLowerCase()) || this.globals.has(qualifiedKey(table.schema, table.name).toLowerCase());
  }

  tenantColumn(table: TableState): ColumnState | undefined {
    for (const name of this.config.tenantColumns) {
      const col = table.columns.get(name);
      if (col) return col;
    }
    return undefined;
  }

  /** SPEC section 3: a table with a tenant column, or RLS, that is not global. Temporary tables never are. */
  isTenantTable(table: TableState): boolean {
    if (table.temporary || this.isGlobal(table)) return false;
    return this.tenantColumn(table) !== undefined || table.rlsEnabled || table.rlsForced || table.rlsDisabledAt !== null;
  }

  private tenantTableList: TableState[] | null = null;

  /** The tenant tables of the final state (computed once: rules run after the replay). */
  tenantTables(): TableState[] {
    this.tenantTableList ??= [...this.catalog.tables.values()].filter((t) => this.isTenantTable(t));
    return this.tenantTableList;
  }

  /** Does the policy apply to the application? With no app roles configured, every policy might. */
  policyApplies(policy: PolicyState): boolean {
    if (!this.hasAppRoles()) return true;
    return policy.roles.some((r) => this.appRoleReach.has(r));
  }

  tableKey(table: TableState): string {
    return qualifiedKey(table.schema, table.name);
  }
}
