import type { DriftFinding } from './drift.js';

/** The probe's result: role facts, then per table the catalog audit and each probe step's outcome. */

/**
 * `leak`: another tenant's rows are (or, by PostgreSQL's rules, can be) read or written.
 * `warn`: hardening that is missing without an observed leak. `inconclusive`: the step could not
 * decide (never counted as safe). `skipped`: not applicable to this role or table.
 */
export type CheckStatus = 'pass' | 'leak' | 'warn' | 'inconclusive' | 'skipped';

/**
 * `observed`: the probe ran the statement and saw the rows (read or written across tenants).
 * `inferred`: what the catalog implies (flags, privileges, the policies as the analyzer reads them).
 */
export type CheckBasis = 'observed' | 'inferred';

export interface ProbeCheck {
  /** Stable id: `rls-enabled`, `select-other-tenant`, `insert-other-tenant`, ... */
  id: string;
  status: CheckStatus;
  basis: CheckBasis;
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
  /**
   * `leaking`: a leak was observed or the audit proves one; `inconclusive`: no leak, but the audit
   * could not complete or an observed step could not conclude where the audit does not decide it;
   * `clean`: every step concluded (observed, or decided by the audit).
   */
  verdict: 'leaking' | 'inconclusive' | 'clean';
  /** What the verdict rests on when leaking: the probe saw it, the audit proves it, or both. */
  leakBasis: 'observed' | 'inferred' | 'both' | null;
  /** Every leak's message (observed and inferred). */
  leaks: string[];
  observedLeaks: string[];
  inferredLeaks: string[];
  /** Why the table is inconclusive (`<check id>: <message>`), when it is. */
  inconclusive: string[];
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
  /** How the probe acted as a tenant: the identity models the policies use. */
  identity: {
    /** In words: `settings app.tenant`, `JWT claims (...)`, `role per tenant (current_user)`. */
    models: string[];
    settings: string[];
    jwtClaims: boolean;
    rolePerTenant: boolean;
    /** `--as-role`: every step ran `SET LOCAL ROLE` to it. */
    asRole: string | null;
  };
  /**
   * Without a config file: what the catalog's policies say the config would be (copy it into
   * rls-guard.config.json). `used` false: nothing could be inferred, the defaults were used.
   */
  inferred: {
    used: boolean;
    tenantColumns: string[];
    tenantSettings: string[];
    tenantFunctions: string[];
    tenantRoots: string[];
    /** Per table (`schema.name`), the columns its policies pin. */
    keyColumns: Record<string, string[]>;
  } | null;
  tables: TableReport[];
  functions: FunctionReport[];
  /** Tables selected with `--table` that are not tenant tables the role can reach. */
  notFound: string[];
  /** Steps that could not conclude: not leaks, and not proven safe either. */
  inconclusive: number;
  /** Tables whose verdict is `inconclusive`. */
  inconclusiveTables: string[];
  /** `--strict` (the default when CI=true): an inconclusive table fails the run. */
  strict: boolean;
  /** With `--migrations`: the live catalog against the history's final state, or null. */
  drift: DriftReport | null;
  /** A leak anywhere: the role, a table or a definer function. */
  leaking: boolean;
  /** The run passes: no leak, no drift, and under `strict` no inconclusive table or drift check. */
  ok: boolean;
}

export interface DriftReport {
  /** The migrations paths compared. */
  paths: string[];
  /** Where the history was applied to read its final state. */
  engine: 'pglite' | 'postgres';
  files: number;
  statements: number;
  /**
   * `compared`: every statement applied and both catalogs were read. `inconclusive`: a statement
   * failed to apply (the final state is not the history's) or the live catalog could not be read.
   */
  status: 'compared' | 'inconclusive';
  /** Why it is inconclusive: `file:line: message` per failed statement, or the read error. */
  inconclusive: string[];
  compared: { relations: number; policies: number; functions: number; roles: number };
  findings: DriftFinding[];
}
