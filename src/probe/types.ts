/** The probe's result: role facts, then per table the catalog audit and each probe step's outcome. */

/**
 * `leak`: another tenant's rows are (or, by PostgreSQL's rules, can be) read or written.
 * `warn`: hardening that is missing without an observed leak. `inconclusive`: the step could not
 * decide (never counted as safe). `skipped`: not applicable to this role or table.
 */
export type CheckStatus = 'pass' | 'leak' | 'warn' | 'inconclusive' | 'skipped';

export interface ProbeCheck {
  /** Stable id: `rls-enabled`, `select-other-tenant`, `insert-other-tenant`, ... */
  id: string;
  status: CheckStatus;
  message: string;
  /** The SQLSTATE a step ended with, when it ended in an error. */
  sqlState?: string;
  /** Rows a step saw or touched. */
  rows?: number;
}

export interface RoleReport {
  name: string;
  superuser: boolean;
  bypassRls: boolean;
  /** Superuser or BYPASSRLS roles this role is a member of (it can `SET ROLE` to them). */
  bypassMemberships: string[];
  /** Tenant tables whose owner privileges this role has. */
  ownsTables: string[];
  canCreateTemp: boolean;
  /** Superuser or BYPASSRLS: every policy is inert for this role. */
  inert: boolean;
  leaks: string[];
}

export interface TableReport {
  table: string;
  tenantColumn: string | null;
  rlsEnabled: boolean;
  forceRls: boolean;
  owned: boolean;
  leaks: string[];
  checks: ProbeCheck[];
}

export interface FunctionReport {
  function: string;
  owner: string;
  searchPath: string | null;
  leaks: string[];
  checks: ProbeCheck[];
}

export interface ProbeResult {
  role: RoleReport;
  tables: TableReport[];
  functions: FunctionReport[];
  /** Tables selected with `--table` that are not tenant tables the role can reach. */
  notFound: string[];
  /** Steps that could not conclude: not leaks, and not proven safe either. */
  inconclusive: number;
  /** No leak and no inert role (inconclusive steps are counted separately, never as safe). */
  ok: boolean;
}
