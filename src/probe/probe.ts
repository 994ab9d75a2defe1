/**
 * `rls-guard probe`: does the application's database role obey the policies?
 *
 * Reads the role's facts and the catalog as that role, then runs a cross-tenant probe on every
 * tenant table it can reach. Every step runs in its own transaction that is always rolled back,
 * under `statement_timeout` and `lock_timeout`, so the probe changes nothing and waits on no lock.
 */
import type { ResolvedConfig } from '../config.js';
import { IdentityModel } from '../analysis/identity.js';
import { calledFunctionNames, identityModels, inferConfig, policyAsts, roleKeyColumns, type InferredConfig } from './infer.js';
import type { Catalog } from '../model/catalog.js';
import { loadSqlParser, parseScript } from '../sql/parse.js';
import { Replayer, REPLAYED_STATEMENT_KINDS } from '../model/replay.js';
import {
  builtinFunctionNames,
  readAllPolicies,
  readFunctionDefinitions,
  readDefinerFunctions,
  readPartitions,
  readPolicies,
  readRole,
  readTables,
  readViews,
  type ColumnRow,
  type DefinerFunctionRow,
  type PolicyRow,
  type RoleRow,
  type TableRow,
} from './catalog.js';
import { auditPolicies } from './policy-audit.js';
import { redactSecrets } from './redact.js';
import { connectRedacted, guardedSession, ProbeAbortedError, ProbeConnectionError, toSqlError, type ProbeSession, type SqlError } from './session.js';
import type { CheckBasis, CheckStatus, DriftReport, FunctionReport, ProbeCheck, ProbeResult, RoleReport, TableReport } from './types.js';
import { compareWithLive, readSnapshot, type ExpectedState } from './drift.js';

/** A check before its basis is attached (by its id: see OBSERVED_STEPS). */
type Check = Omit<ProbeCheck, 'basis'>;
import { buildRow, freshTenantValue, insertSql, quoteIdent } from './values.js';

export type ProbeConfig = Pick<ResolvedConfig, 'tenantColumns' | 'tenantSettings' | 'tenantFunctions' | 'globalTables'>;

/** Known tenants of a seeded table (from `verify`): steps use them instead of guessing. */
export interface SeededTable {
  /** A tenant that owns rows in the table: the probe acts as this tenant to move its rows. */
  own: string;
  /** Another tenant with rows (and with parent rows its foreign keys need). */
  other: string;
  /** Column values (foreign keys) that make a row for `other` valid apart from RLS. */
  otherRow: Record<string, string>;
}

export interface ProbeOptions {
  /** Connect with this URL as the role to probe (ignored when `session` is given). */
  url?: string;
  /** An open session; the probe neither opens nor closes it. */
  session?: ProbeSession;
  /** Run every transaction as this role (`SET LOCAL ROLE`), for a superuser session. */
  asRole?: string;
  config: ProbeConfig;
  /** Only these tables (`name` or `schema.name`). */
  tables?: readonly string[];
  seeded?: ReadonlyMap<string, SeededTable>;
  /**
   * The schema the migrations describe (verify has it from replaying them): lets the policy audit
   * follow helper functions' bodies and membership tables, as check does.
   */
  catalog?: Catalog;
  /** The columns a policy may pin on a table (`schema.name`), as check decides them; else the configured tenant columns. */
  keyColumns?: (table: string) => string[] | null;
  /** Tables (`schema.name`) the migrations make tenant tables, as check decides it: probed even with RLS off. */
  tenantTable?: (table: string) => boolean;
  /** An inconclusive table fails the run (`ok` false). */
  strict?: boolean;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /** Server side: a transaction left idle this long (the probe died mid-step) is ended by the server. */
  idleInTransactionTimeoutMs?: number;
  /** Client side, per query: default statement_timeout + 5 s. */
  queryTimeoutMs?: number;
  /** The whole run (`--timeout`): when it is over, the probe rolls back, closes and throws ProbeAbortedError. */
  overallTimeoutMs?: number;
  /** Aborting it (SIGINT/SIGTERM) does the same; its reason should be a ProbeAbortedError. */
  signal?: AbortSignal;
  connectTimeoutMs?: number;
  /**
   * Compare sequences before and after each write and set back those it advanced (default true).
   * verify turns it off: its scratch database, sequences included, is thrown away.
   */
  trackSequences?: boolean;
  /**
   * No config file: infer the tenant columns, settings and functions from the catalog's policies
   * (src/probe/infer.ts) instead of using the defaults. A config, when there is one, wins.
   */
  infer?: boolean;
  /**
   * `--migrations`: the history's final state (applied to a fresh database beforehand); the live
   * catalog is read in the probe's session and every difference reported as drift.
   */
  drift?: DriftInput;
}

export interface DriftInput {
  expected: ExpectedState;
  paths: string[];
  engine: 'pglite' | 'postgres';
  files: number;
  statements: number;
  /** Statements that did not apply (`file:line: message`): the final state is not the history's. */
  failures: string[];
}

/** The database could not be reached: a usage error (exit 2), message already redacted. */
export { ProbeAbortedError, ProbeConnectionError };

/** Bad input found once connected (a --table that names nothing): exit 2. */
export class ProbeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeUsageError';
  }
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_LOCK_TIMEOUT_MS = 500;
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

const SELECT_SAMPLE_LIMIT = 1000;

export async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  if (options.session) return probeSession(options.session, options);
  if (!options.url) throw new ProbeConnectionError('no database URL to probe');
  const url = options.url;
  const controller = new AbortController();
  const abort = (reason: ProbeAbortedError) => controller.abort(reason);
  const onOuter = () => abort(options.signal!.reason instanceof ProbeAbortedError ? options.signal!.reason : new ProbeAbortedError('the probe was aborted'));
  if (options.signal?.aborted) onOuter();
  options.signal?.addEventListener('abort', onOuter, { once: true });
  const overall = options.overallTimeoutMs
    ? setTimeout(() => abort(new ProbeAbortedError(`the probe did not finish within --timeout ${options.overallTimeoutMs! / 1000} s: it stopped, rolled back and closed its connection`)), options.overallTimeoutMs)
    : undefined;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  let session: Awaited<ReturnType<typeof guardedSession>> | null = null;
  try {
    const client = await connectRedacted(url, 'rls-guard probe', options.connectTimeoutMs);
    try {
      session = await guardedSession(client, url, {
        statementTimeoutMs,
        lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        queryTimeoutMs: options.queryTimeoutMs ?? statementTimeoutMs + 5000,
        signal: controller.signal,
      });
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (controller.signal.aborted) throw controller.signal.reason;
    return await probeSession(session, options);
  } catch (error) {
    if (error instanceof Error) error.message = redactSecrets(error.message, url);
    throw error;
  } finally {
    clearTimeout(overall);
    options.signal?.removeEventListener('abort', onOuter);
    await session?.close().catch(() => {});
  }
}

interface SequenceState {
  /** `pg_sequence_last_value`: null until the first nextval. */
  last: string | null;
  start: string;
  canUpdate: boolean;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: SqlError };

class Prober {
  constructor(
    private readonly session: ProbeSession,
    private readonly options: ProbeOptions,
  ) {}

  /** One step: its own transaction, as the probed role, under timeouts, always rolled back. */
  async step<T>(settings: readonly [string, string][], body: () => Promise<T>): Promise<Outcome<T>> {
    const s = this.session;
    await s.query('BEGIN');
    try {
      // The role, the timeouts and the step's settings in one round trip: set_config(..., true) is
      // SET LOCAL (for `role` too, membership checked as SET ROLE checks it), in this order.
      const local: [string, string][] = [
        ...(this.options.asRole ? [['role', this.options.asRole] as [string, string]] : []),
        ['statement_timeout', String(Math.trunc(this.options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS))],
        ['lock_timeout', String(Math.trunc(this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS))],
        ...settings,
      ];
      await s.query(`SELECT ${local.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, local.flat());
      return { ok: true, value: await body() };
    } catch (error) {
      if (error instanceof ProbeAbortedError) throw error;
      return { ok: false, error: toSqlError(error) };
    } finally {
      await s.query('ROLLBACK');
    }
  }

  /** Sequences the probe's writes advanced (a trigger's nextval, say), and what became of them. */
  readonly sequenceNotes: { sequence: string; from: string | null; to: string; restored: boolean; why?: string }[] = [];
  private sequenceState: Map<string, SequenceState> | null = null;

  /**
   * A step that writes. nextval is not undone by ROLLBACK, so every sequence the role can read is
   * compared before and after; one that moved is set back with setval, in one statement that does
   * so only while the sequence still holds the value the step left (another session's nextval in
   * between is never undone by a later restore).
   */
  async write<T>(settings: readonly [string, string][], body: () => Promise<T>): Promise<Outcome<T>> {
    if (this.options.trackSequences === false) return this.step(settings, body);
    this.sequenceState ??= await this.readSequences();
    const before = this.sequenceState;
    const outcome = await this.step(settings, body);
    const after = await this.readSequences();
    for (const [name, state] of after) {
      const old = before.get(name);
      if (!old || old.last === state.last || state.last === null) continue;
      if (!state.canUpdate) {
        this.sequenceNotes.push({ sequence: name, from: old.last, to: state.last, restored: false, why: 'the role lacks UPDATE on it (setval)' });
        continue;
      }
      const restore = await this.step([], () =>
        this.query<{ v: string | null }>(
          `SELECT setval($1::regclass, coalesce($2::bigint, $3::bigint), $2::bigint IS NOT NULL)::text AS v
            WHERE pg_sequence_last_value($1::regclass) = $4::bigint`,
          [name, old.last, old.start, state.last],
        ),
      );
      const restored = restore.ok && restore.value.rows.length === 1;
      this.sequenceNotes.push({
        sequence: name,
        from: old.last,
        to: state.last,
        restored,
        ...(restored ? {} : { why: restore.ok ? 'another session advanced it meanwhile' : restore.error.message }),
      });
      if (restored) after.set(name, { ...state, last: old.last });
    }
    this.sequenceState = after;
    return outcome;
  }

  private async readSequences(): Promise<Map<string, SequenceState>> {
    const outcome = await this.step([], () =>
      this.query<{ name: string; last: string | null; start: string; can_update: boolean }>(
        `SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text AS last, start_value::text AS start,
                has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'UPDATE') AS can_update
           FROM pg_sequences
          WHERE has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT,USAGE')`,
      ),
    );
    if (!outcome.ok) return new Map();
    return new Map(outcome.value.rows.map((r) => [r.name, { last: r.last, start: r.start, canUpdate: r.can_update }]));
  }

  async catalog<T>(body: () => Promise<T>): Promise<T> {
    const outcome = await this.step([], body);
    if (!outcome.ok) throw new Error(`reading the catalog failed: ${outcome.error.message}`);
    return outcome.value;
  }

  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]) {
    return this.session.query<R>(sql, params);
  }
}

function matchesName(entry: string, table: TableRow): boolean {
  const e = entry.replace(/"/g, '').toLowerCase();
  return e === table.name.toLowerCase() || e === `${table.schema}.${table.name}`.toLowerCase();
}

function displayName(table: TableRow): string {
  return `${table.schema}.${table.name}`;
}

async function probeSession(session: ProbeSession, options: ProbeOptions): Promise<ProbeResult> {
  await loadSqlParser();
  const prober = new Prober(session, options);
  const { role, tables, functions } = await prober.catalog(async () => {
    const role = await readRole(prober);
    const all = await readTables(prober);
    const functions = await readDefinerFunctions(prober);
    return { role, tables: all, functions };
  });

  // Every table's policies, read once: for the inference, the identity models, and the audit. In
  // one query; when that fails (a table locked elsewhere), table by table, and a table whose
  // policies cannot be read is inconclusive.
  const policies = new Map<number, PolicyRow[] | Error>();
  try {
    const all = await prober.catalog(() => readAllPolicies(prober));
    for (const t of tables) policies.set(t.oid, all.get(t.oid) ?? []);
  } catch (error) {
    if (error instanceof ProbeAbortedError) throw error;
    for (const t of tables) {
      try {
        policies.set(t.oid, await prober.catalog(() => readPolicies(prober, t.oid)));
      } catch (inner) {
        if (inner instanceof ProbeAbortedError) throw inner;
        policies.set(t.oid, inner as Error);
      }
    }
  }
  const readable = new Map([...policies].filter((e): e is [number, PolicyRow[]] => Array.isArray(e[1])));
  const asts = policyAsts(tables, readable);

  let inferred: InferredConfig | null = null;
  let config = options.config;
  // The functions the policies call that are PostgreSQL's own (by name): for the inference, and to
  // know whether any helper's definition must be read.
  const called = calledFunctionNames(asts);
  const builtins = called.length > 0 && (options.infer || !options.catalog) ? await prober.catalog(() => builtinFunctionNames(prober, called)) : new Set<string>();
  if (options.infer) {
    inferred = inferConfig(tables, asts, (name) => (name.length === 1 || name[0] === 'pg_catalog') && builtins.has(name[name.length - 1]!));
    if (inferred.keyColumns.size > 0) {
      config = { ...config, tenantColumns: inferred.tenantColumns, tenantSettings: inferred.tenantSettings, tenantFunctions: inferred.tenantFunctions };
    }
  }
  // The model the audit follows helper functions through: the history's (verify, --migrations), else
  // one replayed from the live functions' definitions.
  const helpers = called.some((name) => !builtins.has(name));
  const model = options.catalog ?? (helpers ? liveFunctionModel(await prober.catalog(() => readFunctionDefinitions(prober))) : null);
  const context = new IdentityModel(config, model);
  if (inferred) {
    // A column a policy passes to a helper is a key where the helper, followed, pins it to the
    // identity (a membership check on account_id beside user_id = auth.uid()); never by its name alone.
    for (const [oid, columns] of inferred.argumentColumns) {
      const own = readable.get(oid) ?? [];
      const table = tables.find((t) => t.oid === oid);
      const keys = inferred.keyColumns.get(oid);
      if (!keys) continue;
      const pinned = (with_: string[]) => auditPolicies(own, context, config.tenantSettings, with_).findings.filter((f) => !f.open && !f.admitsNothing).length;
      for (const column of columns) {
        // Kept when it pins a command the keys so far do not.
        if (pinned([...keys, column]) <= pinned(keys)) continue;
        keys.push(column);
        // inferred.tenantColumns is config.tenantColumns (the same array): the probe selects by it below.
        const row = table?.columns.find((c) => c.name === column);
        if (row && !row.primaryKey && !inferred.tenantColumns.includes(column)) inferred.tenantColumns.push(column);
      }
    }
  }
  const tenantColumns = config.tenantColumns.map((c) => c.toLowerCase());
  const models = identityModels(asts, config.tenantSettings);
  const identity: ProbeIdentity = { settings: [...config.tenantSettings], jwtClaims: models.jwtClaims, jwtRole: options.asRole ?? 'authenticated' };
  const astsByTable = new Map(asts.map((a) => [a.table.oid, a.expressions]));
  const keyColumnOf = (t: TableRow): ColumnRow | null => {
    const name = inferred?.keyColumns.get(t.oid)?.[0];
    return (name ? t.columns.find((c) => c.name === name) : undefined) ?? t.columns.find((c) => tenantColumns.includes(c.name.toLowerCase())) ?? null;
  };

  const tenantTables = tables.filter((t) => {
    if (config.globalTables.some((g) => matchesName(g, t))) return false;
    const hasTenantColumn = keyColumnOf(t) !== null;
    // A table the history makes a tenant table is probed whatever the live flags say (RLS turned off by hand).
    if (!hasTenantColumn && !t.rlsEnabled && !options.tenantTable?.(displayName(t))) return false;
    const p = t.privileges;
    return t.owned || p.select || p.insert || p.update || p.delete || p.truncate;
  });
  // A --table that names no table at all is a typo, not a pass (exit 2).
  const unknown = (options.tables ?? []).filter((e) => !tables.some((t) => matchesName(e, t)));
  if (unknown.length > 0) {
    throw new ProbeUsageError(
      unknown.map((e) => `--table ${JSON.stringify(e)} matches no table role "${role.name}" can see (a table or partitioned table, by name or schema.name, in a schema it has USAGE on)`).join('; '),
    );
  }
  const selected = options.tables && options.tables.length > 0 ? tenantTables.filter((t) => options.tables!.some((e) => matchesName(e, t))) : tenantTables;
  const notFound = (options.tables ?? []).filter((e) => !tenantTables.some((t) => matchesName(e, t)));

  const roleReport = describeRole(role, tenantTables);

  // Phase 1, before any step sets a tenant setting in this session: reads with no tenant context.
  const noContext = new Map<number, Check>();
  // Role per tenant (`owner = current_user`): the session's role is its tenant, which no setting
  // changes; its own rows are not another tenant's.
  const roleKeyed = new Map(selected.map((t) => [t.oid, roleKeyColumns(t, astsByTable.get(t.oid) ?? []).includes(keyColumnOf(t)?.name ?? '')]));
  for (const table of selected) noContext.set(table.oid, await selectNoContext(prober, table, identity, roleKeyed.get(table.oid) ? keyColumnOf(table) : null));

  const tableReports: TableReport[] = [];
  for (const table of selected) {
    const checks: Check[] = [];
    const tenantColumn = keyColumnOf(table);
    let audit: TableAudit;
    try {
      const keys = options.keyColumns?.(displayName(table)) ?? [...(inferred?.keyColumns.get(table.oid) ?? []), ...context.options.tenantColumns];
      const preloaded = policies.get(table.oid);
      if (preloaded instanceof Error) throw preloaded;
      audit = await auditTable(prober, table, role, context, identitySettings(identity), keys, preloaded);
    } catch (error) {
      if (error instanceof ProbeAbortedError) throw error;
      // pg_get_expr on a policy locks the table; a table locked elsewhere cannot be audited now.
      audit = { checks: [{ id: 'catalog', status: 'inconclusive', message: (error as Error).message }], bypassSettings: new Map(), magicTenantValues: new Set(), views: [] };
    }
    checks.push(...audit.checks);
    checks.push(noContext.get(table.oid)!);
    const seeded = options.seeded?.get(displayName(table));
    const notesBefore = prober.sequenceNotes.length;
    checks.push(...(await crossTenantSteps(prober, table, tenantColumn, audit, identity, seeded, roleKeyed.get(table.oid) ? role.name : null)));
    const moved = prober.sequenceNotes.slice(notesBefore);
    if (moved.length > 0) {
      const text = (n: (typeof moved)[number]) => `${n.sequence} ${n.from ?? '(never used)'} → ${n.to}`;
      const lost = moved.filter((n) => !n.restored);
      checks.push(
        lost.length === 0
          ? { id: 'sequences', status: 'pass', message: `the probe's writes advanced ${moved.map(text).join(', ')} (a trigger's nextval): set back with setval` }
          : { id: 'sequences', status: 'warn', message: `the probe's writes advanced ${lost.map((n) => `${text(n)} (not restored: ${n.why})`).join(', ')}: a gap in the sequence, like any rolled-back insert leaves` },
      );
    }
    tableReports.push(tableReport(table, tenantColumn?.name ?? null, checks));
  }

  const functionReports = functions.map((f) => auditFunction(f, role));
  const drift = options.drift ? await driftReport(prober, options.drift) : null;
  const leaking = roleReport.leaks.length > 0 || tableReports.some((t) => t.leaks.length > 0) || functionReports.some((f) => f.leaks.length > 0);
  const inconclusive = tableReports.reduce((n, t) => n + t.checks.filter((c) => c.status === 'inconclusive').length, 0);
  const inconclusiveTables = tableReports.filter((t) => t.verdict === 'inconclusive').map((t) => t.table);
  const strict = options.strict ?? false;
  const driftInconclusive = drift?.status === 'inconclusive';
  const ok = !leaking && (drift?.findings.length ?? 0) === 0 && !(strict && (inconclusiveTables.length > 0 || driftInconclusive));
  const modelNames = [
    ...(identity.settings.length > 0 ? [`settings ${identity.settings.join(', ')}`] : []),
    ...(identity.jwtClaims ? [`JWT claims (request.jwt.claims sub, as role ${identity.jwtRole}${options.asRole ? '' : ' in the claims'})`] : []),
    ...(models.rolePerTenant ? ['role per tenant (current_user)'] : []),
  ];
  const identityReport: ProbeResult['identity'] = {
    models: modelNames,
    settings: identity.settings,
    jwtClaims: identity.jwtClaims,
    rolePerTenant: models.rolePerTenant,
    asRole: options.asRole ?? null,
  };
  const inferredReport: ProbeResult['inferred'] = inferred
    ? {
        used: inferred.keyColumns.size > 0,
        tenantColumns: inferred.tenantColumns,
        tenantSettings: inferred.tenantSettings,
        tenantFunctions: inferred.tenantFunctions,
        tenantRoots: inferred.tenantRoots,
        keyColumns: Object.fromEntries(tables.filter((t) => inferred!.keyColumns.has(t.oid)).map((t) => [displayName(t), inferred!.keyColumns.get(t.oid)!])),
      }
    : null;
  return { role: roleReport, identity: identityReport, inferred: inferredReport, tables: tableReports, functions: functionReports, notFound, inconclusive, inconclusiveTables, strict, drift, leaking, ok };
}

/** The live catalog, read in the probe's session, against the history's final state. */
async function driftReport(prober: Prober, input: DriftInput): Promise<DriftReport> {
  const { expected, paths, engine, files, statements, failures } = input;
  const report: DriftReport = { paths, engine, files, statements, status: failures.length > 0 ? 'inconclusive' : 'compared', inconclusive: [...failures], compared: { relations: 0, policies: 0, functions: 0, roles: 0 }, findings: [] };
  try {
    const live = await prober.catalog(() => readSnapshot(prober, expected.roles));
    const { findings, compared } = compareWithLive(expected, live);
    report.findings = findings;
    report.compared = compared;
  } catch (error) {
    if (error instanceof ProbeAbortedError) throw error;
    report.status = 'inconclusive';
    report.inconclusive.push(`the live catalog could not be read for the drift check: ${(error as Error).message}`);
  }
  return report;
}

/** The live functions' definitions replayed into a schema model; one that does not parse is left out (the audit then cannot follow it). */
function liveFunctionModel(definitions: readonly string[]): Catalog {
  const replayer = new Replayer();
  for (const def of definitions) {
    try {
      replayer.replayFile({ file: '<live catalog>', script: parseScript(def, REPLAYED_STATEMENT_KINDS) });
    } catch {
      // Not followed: its policies are inconclusive, never pinned by guess.
    }
  }
  return replayer.catalog;
}

/** How the probe acts as a tenant: the tenant settings, and (Supabase, PostgREST) the JWT claims. */
interface ProbeIdentity {
  settings: string[];
  jwtClaims: boolean;
  /** The `role` claim (the role `--as-role` names, else `authenticated`). */
  jwtRole: string;
}

/** The settings a tenant context sets (the audit treats them as identity, never as bypass switches). */
function identitySettings(identity: ProbeIdentity): string[] {
  return [...identity.settings, ...(identity.jwtClaims ? ['request.jwt.claims', 'request.jwt.claim.sub'] : [])];
}

/** The cross-tenant steps: the probe ran them and saw the result. Every other check is read from the catalog. */
export const OBSERVED_STEPS = new Set([
  'sequences',
  'select-no-context',
  'select-empty-context',
  'select-other-tenant',
  'select-bypass-setting',
  'select-magic-tenant',
  'view-other-tenant',
  'insert-other-tenant',
  'update-other-tenant',
  'delete-other-tenant',
  'move-own-row',
]);

/** The policy audit's check that decides an observed step the probe could not run to the end. */
const DECIDED_BY: Record<string, string> = {
  'select-no-context': 'policy-select',
  'select-empty-context': 'policy-select',
  'select-other-tenant': 'policy-select',
  'select-bypass-setting': 'policy-select',
  'select-magic-tenant': 'policy-select',
  'insert-other-tenant': 'policy-insert',
  'update-other-tenant': 'policy-update',
  'delete-other-tenant': 'policy-delete',
  'move-own-row': 'policy-update',
};

/**
 * Observed and inferred, kept apart: a table leaks when a step saw it or the audit proves it. It is
 * inconclusive when, without a leak, the audit could not complete (`catalog`, `policies` ??), or an
 * observed step could not conclude and the audit does not decide that command (its policy checks
 * all pass, on a table with RLS on that the role does not bypass).
 */
export function tableReport(table: TableRow, tenantColumn: string | null, raw: readonly Check[]): TableReport {
  const checks: ProbeCheck[] = raw.map((c) => ({ ...c, basis: (OBSERVED_STEPS.has(c.id) ? 'observed' : 'inferred') as CheckBasis }));
  const observedLeaks = checks.filter((c) => c.status === 'leak' && c.basis === 'observed').map((c) => c.message);
  const inferredLeaks = checks.filter((c) => c.status === 'leak' && c.basis === 'inferred').map((c) => c.message);
  const leaks = checks.filter((c) => c.status === 'leak').map((c) => c.message);
  const decided = (step: string): boolean => {
    const id = DECIDED_BY[step];
    if (!id) return false;
    const audit = checks.filter((c) => c.id === id);
    return audit.length > 0 && audit.every((c) => c.status === 'pass');
  };
  const inconclusive = checks
    .filter((c) => c.status === 'inconclusive' && (c.basis === 'inferred' || !decided(c.id)))
    .map((c) => `${c.id}: ${c.message}`);
  const verdict = leaks.length > 0 ? 'leaking' : inconclusive.length > 0 ? 'inconclusive' : 'clean';
  const leakBasis = observedLeaks.length > 0 && inferredLeaks.length > 0 ? 'both' : observedLeaks.length > 0 ? 'observed' : inferredLeaks.length > 0 ? 'inferred' : null;
  return {
    table: displayName(table),
    tenantColumn,
    rlsEnabled: table.rlsEnabled,
    forceRls: table.rlsForced,
    owned: table.owned,
    verdict,
    leakBasis,
    leaks,
    observedLeaks,
    inferredLeaks,
    inconclusive: verdict === 'inconclusive' ? inconclusive : [],
    checks,
  };
}

function describeRole(role: RoleRow, tenantTables: readonly TableRow[]): RoleReport {
  const leaks: string[] = [];
  if (role.superuser) {
    leaks.push(`role "${role.name}" is a superuser: every RLS policy is inert for it (superusers bypass row-level security, FORCE ROW LEVEL SECURITY included) and it reads and writes every tenant's rows`);
  } else if (role.bypassRls) {
    leaks.push(`role "${role.name}" has BYPASSRLS: every RLS policy is inert for it (FORCE ROW LEVEL SECURITY included) and it reads and writes every tenant's rows`);
  }
  for (const m of role.bypassMemberships) {
    const what = m.superuser ? 'a superuser' : 'a BYPASSRLS role';
    leaks.push(`role "${role.name}" is a member of "${m.role}", ${what}: one SET ROLE "${m.role}" makes every policy inert`);
  }
  return {
    name: role.name,
    superuser: role.superuser,
    bypassRls: role.bypassRls,
    bypassMemberships: role.bypassMemberships.map((m) => m.role),
    ownsTables: tenantTables.filter((t) => t.owned).map(displayName),
    canCreateTemp: role.canCreateTemp,
    inert: role.superuser || role.bypassRls,
    leaks,
  };
}

interface TableAudit {
  checks: Check[];
  /** Settings (other than the tenant settings) the policies test, with the values they compare with. */
  bypassSettings: Map<string, Set<string>>;
  magicTenantValues: Set<string>;
  /** Views over the table the role may read. */
  views: string[];
}

async function auditTable(
  prober: Prober,
  table: TableRow,
  role: RoleRow,
  context: IdentityModel,
  tenantSettings: readonly string[],
  keyColumns: readonly string[],
  preloaded?: PolicyRow[],
): Promise<TableAudit> {
  let bypassSettings = new Map<string, Set<string>>();
  let magicTenantValues = new Set<string>();
  const checks: Check[] = [];
  const { policies, views, partitions } = await prober.catalog(async () => ({
    policies: preloaded ?? (await readPolicies(prober, table.oid)),
    views: await readViews(prober, table.oid),
    partitions: table.kind === 'p' ? await readPartitions(prober, table.oid) : [],
  }));
  const inert = role.superuser || role.bypassRls;

  if (!table.rlsEnabled) {
    checks.push({ id: 'rls-enabled', status: 'leak', message: 'row-level security is not enabled (relrowsecurity = false): no policy filters any row' });
  } else {
    checks.push({ id: 'rls-enabled', status: 'pass', message: 'row-level security is enabled' });
  }
  if (table.owned && !inert) {
    checks.push(
      table.rlsForced
        ? { id: 'force-rls', status: 'pass', message: `the role has the owner's privileges (owner "${table.owner}"), and FORCE ROW LEVEL SECURITY applies the policies to the owner too` }
        : { id: 'force-rls', status: 'leak', message: `the role has the owner's privileges (owner "${table.owner}") and the table lacks FORCE ROW LEVEL SECURITY: owners bypass RLS` },
    );
  } else if (!table.rlsForced) {
    checks.push({ id: 'force-rls', status: 'warn', message: `FORCE ROW LEVEL SECURITY is off: the owner "${table.owner}" bypasses RLS (not this role, which does not own the table)` });
  } else {
    checks.push({ id: 'force-rls', status: 'pass', message: 'FORCE ROW LEVEL SECURITY is on' });
  }

  const bypasses = inert || (table.owned && !table.rlsForced);
  if (table.rlsEnabled && bypasses) {
    checks.push({ id: 'policies', status: 'skipped', message: `the policies do not apply to role "${role.name}": it bypasses RLS on this table` });
  } else if (table.rlsEnabled) {
    const audit = auditPolicies(policies, context, tenantSettings, keyColumns);
    if (audit.applicable.length === 0) {
      checks.push({
        id: 'policies',
        status: 'warn',
        message: policies.length === 0 ? 'no policy: RLS denies every row (a forgotten policy?)' : `no policy applies to role "${role.name}" (${policies.map((p) => p.name).join(', ')} name other roles): RLS denies it every row`,
      });
    }
    for (const u of audit.unparsed) {
      checks.push({ id: 'policies', status: 'inconclusive', message: `policy "${u.policy}": expression could not be parsed for analysis: ${u.expression}` });
    }
    if (audit.applicable.length > 0) {
      const privilegeFor = { select: table.privileges.select, insert: table.privileges.insert, update: table.privileges.update, delete: table.privileges.delete };
      for (const f of audit.findings) {
        const reachable = privilegeFor[f.command] || table.owned;
        // What the audit could not follow is not a leak it proves, nor a pass: inconclusive.
        const status: CheckStatus = !f.open ? 'pass' : !reachable ? 'warn' : f.unresolved ? 'inconclusive' : 'leak';
        const suffix = f.open && status === 'warn' ? ` (the role has no ${f.command.toUpperCase()} privilege here)` : '';
        checks.push({ id: `policy-${f.command}`, status, message: `${f.message}${suffix}` });
      }
    }
    bypassSettings = audit.bypassSettings;
    magicTenantValues = audit.magicTenantValues;
  }

  if (table.privileges.truncate) {
    const how = table.owned ? ' (as the owner)' : '';
    checks.push({ id: 'truncate', status: 'leak', message: `role "${role.name}" holds TRUNCATE${how}: TRUNCATE ignores RLS and removes every tenant's rows` });
  }

  for (const v of views) {
    if (!v.selectable) continue;
    if (v.kind === 'm') {
      checks.push({ id: 'view-security-invoker', status: 'leak', message: `materialized view ${v.sqlName} reads this table: materialized views have no RLS and hold rows of every tenant its owner could see` });
    } else if (!v.securityInvoker) {
      checks.push(
        v.ownerBypasses
          ? { id: 'view-security-invoker', status: 'leak', message: `view ${v.sqlName} lacks security_invoker and its owner "${v.owner}" bypasses RLS on this table: the view shows every tenant's rows` }
          : { id: 'view-security-invoker', status: 'warn', message: `view ${v.sqlName} lacks security_invoker: it applies the policies of its owner "${v.owner}", not of the caller` },
      );
    }
  }
  for (const p of partitions) {
    if (p.rlsEnabled) continue;
    checks.push(
      p.reachable
        ? { id: 'partition-rls', status: 'leak', message: `partition ${p.sqlName} has no row-level security: queried directly it shows every tenant's rows, whatever the parent's policies` }
        : { id: 'partition-rls', status: 'warn', message: `partition ${p.sqlName} has no row-level security (this role has no privilege on it)` },
    );
  }
  // Views are probed too: a view runs with its owner's rights, so only a read through it shows the truth.
  return { checks, bypassSettings, magicTenantValues, views: views.filter((v) => v.selectable && v.kind === 'v').map((v) => v.sqlName) };
}

/** `SELECT` of at most SELECT_SAMPLE_LIMIT rows: how many rows, of how many tenants, are visible. */
async function countVisible(prober: Prober, relation: string, tenantColumn: ColumnRow | null, where = ''): Promise<{ rows: number; tenants: number | null }> {
  const tenantExpr = tenantColumn ? `count(DISTINCT ${quoteIdent(tenantColumn.name)})::int` : 'NULL::int';
  const column = tenantColumn ? quoteIdent(tenantColumn.name) : '1 AS one';
  const { rows } = await prober.query<{ n: number; tenants: number | null }>(
    `SELECT count(*)::int AS n, ${tenantExpr} AS tenants FROM (SELECT ${column} FROM ${relation}${where} LIMIT ${SELECT_SAMPLE_LIMIT}) s`,
  );
  return { rows: rows[0]?.n ?? 0, tenants: rows[0]?.tenants ?? null };
}

function rowsText(n: number): string {
  return n >= SELECT_SAMPLE_LIMIT ? `at least ${n} rows` : `${n} row${n === 1 ? '' : 's'}`;
}

/** Errors a step cannot interpret: it timed out or waited on a lock. */
const STOPPED = new Set(['57014', '55P03']);

/** Rows of another tenant under role per tenant: those whose key is not the session's role. */
function notOwnRole(roleKey: ColumnRow | null): string {
  return roleKey ? ` WHERE ${quoteIdent(roleKey.name)}::text IS DISTINCT FROM current_user::text` : '';
}

async function selectNoContext(prober: Prober, table: TableRow, identity: ProbeIdentity, roleKey: ColumnRow | null): Promise<Check> {
  const tenantSettings = identitySettings(identity);
  const id = 'select-no-context';
  if (!table.privileges.select) return { id, status: 'skipped', message: 'no SELECT privilege' };
  const outcome = await prober.step([], async () => {
    const state = await prober.query<{ unset: boolean }>(`SELECT bool_and(current_setting(s, true) IS NULL) AS unset FROM unnest($1::text[]) s`, [tenantSettings]);
    return { unset: state.rows[0]?.unset ?? true, ...(await countVisible(prober, table.sqlName, null, notOwnRole(roleKey))) };
  });
  if (!outcome.ok) {
    if (outcome.error.sqlState && STOPPED.has(outcome.error.sqlState)) return inconclusive(id, outcome.error);
    return { id, status: 'pass', message: `with no tenant context the read fails closed: ${outcome.error.message}`, sqlState: outcome.error.sqlState ?? undefined };
  }
  const how = outcome.value.unset ? 'with no tenant setting' : "with the tenant setting empty ('' — how a pooled connection looks after another tenant's transaction)";
  if (outcome.value.rows > 0) return { id, status: 'leak', message: `SELECT ${how} returned ${rowsText(outcome.value.rows)}`, rows: outcome.value.rows };
  return { id, status: 'pass', message: `SELECT ${how} returned no rows`, rows: 0 };
}

function inconclusive(id: string, error: SqlError, what = 'the step'): Check {
  return { id, status: 'inconclusive', message: `${what} could not conclude: ${error.message}`, sqlState: error.sqlState ?? undefined };
}

/**
 * The settings that make the session tenant `value`: each tenant setting, and with JWT claims
 * (Supabase's auth.uid(), PostgREST) `request.jwt.claims` = {"sub": value, "role": ...} and the
 * older `request.jwt.claim.sub`. `''` empties them all, as a pooled connection holds them after a
 * transaction that set them locally.
 */
function contextSettings(identity: ProbeIdentity, value: string): [string, string][] {
  const out: [string, string][] = identity.settings.map((s) => [s, value]);
  if (identity.jwtClaims) {
    out.push(['request.jwt.claims', value === '' ? '' : JSON.stringify({ sub: value, role: identity.jwtRole })], ['request.jwt.claim.sub', value]);
  }
  return out;
}

const BYPASS_GUESSES = ['on', 'true', '1'];
const MAX_BYPASS_ATTEMPTS = 12;

async function crossTenantSteps(
  prober: Prober,
  table: TableRow,
  tenantColumn: ColumnRow | null,
  audit: TableAudit,
  identity: ProbeIdentity,
  seeded: SeededTable | undefined,
  /** Role per tenant: the probed role's name, its own tenant value (its rows are not other tenants'). */
  roleTenant: string | null = null,
): Promise<Check[]> {
  const checks: Check[] = [];
  const fresh = freshTenantValue(tenantColumn);
  const freshContext = contextSettings(identity, fresh);
  const canSelect = table.privileges.select;
  // Role per tenant: only rows whose key is not the role's own are another tenant's.
  const others = roleTenant !== null ? notOwnRole(tenantColumn) : '';

  // A tenant value nobody uses: every visible row belongs to another tenant.
  const readUnder = async (id: string, settings: [string, string][], what: string, relation = table.sqlName, column = tenantColumn): Promise<Check> => {
    const outcome = await prober.step(settings, () => countVisible(prober, relation, column, relation === table.sqlName ? others : ''));
    if (!outcome.ok) return inconclusive(id, outcome.error, `SELECT ${what}`);
    const { rows, tenants } = outcome.value;
    if (rows === 0) return { id, status: 'pass', message: `SELECT ${what} returned no rows`, rows };
    const ofTenants = tenants ? ` of ${tenants} other tenant${tenants === 1 ? '' : 's'}` : ' of other tenants';
    return { id, status: 'leak', message: `SELECT ${what} returned ${rowsText(rows)}${ofTenants}`, rows };
  };

  if (!canSelect) {
    checks.push({ id: 'select-empty-context', status: 'skipped', message: 'no SELECT privilege' });
    checks.push({ id: 'select-other-tenant', status: 'skipped', message: 'no SELECT privilege' });
  } else {
    const empty = await readUnder('select-empty-context', contextSettings(identity, ''), "with the tenant setting empty ('')");
    if (empty.status === 'inconclusive' && !(empty.sqlState && STOPPED.has(empty.sqlState))) {
      // '' that does not cast to the tenant type fails the read: closed, not unknown (SPEC behaviour 5).
      checks.push({ ...empty, status: 'pass', message: `with the tenant setting empty ('') the read fails closed: ${empty.message.replace(/^.*could not conclude: /, '')}` });
    } else {
      checks.push(empty);
    }
    checks.push(await readUnder('select-other-tenant', freshContext, `as a fresh tenant (${fresh}) that owns no rows`));

    let attempts = 0;
    for (const [setting, values] of audit.bypassSettings) {
      for (const value of values.size > 0 ? values : BYPASS_GUESSES) {
        if (attempts++ >= MAX_BYPASS_ATTEMPTS) break;
        checks.push(await readUnder('select-bypass-setting', [...freshContext, [setting, value]], `as a fresh tenant with ${setting} = '${value}'`));
      }
    }
    for (const value of audit.magicTenantValues) {
      if (attempts++ >= MAX_BYPASS_ATTEMPTS) break;
      checks.push(await readUnder('select-magic-tenant', contextSettings(identity, value), `with the tenant context set to the literal '${value}' a policy tests`));
    }
  }
  for (const view of audit.views) {
    const check = await readUnder('view-other-tenant', freshContext, `through view ${view} as a fresh tenant`, view, null);
    checks.push(check.status === 'leak' ? { ...check, message: `${check.message}: the view bypasses the table's policies` } : check);
  }

  if (!tenantColumn) {
    for (const id of ['insert-other-tenant', 'update-other-tenant', 'delete-other-tenant', 'move-own-row']) {
      checks.push({ id, status: 'skipped', message: 'the table has no tenant column' });
    }
    return checks;
  }
  const tc = quoteIdent(tenantColumn.name);
  let counter = 1_000_000 + Math.floor(Math.random() * 1000);
  const next = () => counter++;
  const own = roleTenant ?? seeded?.own ?? fresh;
  const other = seeded?.other ?? freshTenantValue(tenantColumn);
  const ownContext = contextSettings(identity, own);
  const triggerNote = table.hasUserTriggers ? ' (the table has triggers, which may rewrite the row)' : '';

  // INSERT for another tenant: RLS's WITH CHECK must refuse it with 42501.
  if (!table.privileges.insert) {
    checks.push({ id: 'insert-other-tenant', status: 'skipped', message: 'no INSERT privilege' });
  } else {
    const row = buildRow(table.columns, { [tenantColumn.name]: other, ...(seeded?.otherRow ?? {}) }, next, { avoidSequences: true });
    if (row.missing.length > 0) {
      checks.push({ id: 'insert-other-tenant', status: 'inconclusive', message: `no value could be made for NOT NULL ${row.missing.join(', ')}` });
    } else {
      const outcome = await prober.write(ownContext, () => prober.query(insertSql(table.sqlName, row), row.values));
      checks.push(writeVerdict('insert-other-tenant', outcome, `INSERT of a row for tenant ${other} while acting as tenant ${own}`, triggerNote));
    }
  }

  // UPDATE and DELETE without WHERE: no SELECT right is involved, only the command's own policies.
  if (!table.privileges.update) {
    checks.push({ id: 'update-other-tenant', status: 'skipped', message: 'no UPDATE privilege' });
  } else if (!canSelect) {
    checks.push({ id: 'update-other-tenant', status: 'skipped', message: 'no SELECT privilege to write SET col = col' });
  } else {
    const outcome = await prober.write(freshContext, () => prober.query(`UPDATE ${table.sqlName} SET ${tc} = ${tc}${others}`));
    checks.push(touchVerdict('update-other-tenant', outcome, 'UPDATE as a fresh tenant'));
  }
  if (!table.privileges.delete) {
    checks.push({ id: 'delete-other-tenant', status: 'skipped', message: 'no DELETE privilege' });
  } else {
    const outcome = await prober.write(freshContext, () => prober.query(`DELETE FROM ${table.sqlName}${others}`));
    if (!outcome.ok && outcome.error.sqlState === '23503') {
      checks.push({ id: 'delete-other-tenant', status: 'leak', message: `DELETE as a fresh tenant reached rows of other tenants (a foreign key then refused: ${outcome.error.message})`, sqlState: '23503' });
    } else {
      checks.push(touchVerdict('delete-other-tenant', outcome, 'DELETE as a fresh tenant'));
    }
  }

  // Moving an own row to another tenant: the UPDATE's check (WITH CHECK, or USING reused) must refuse.
  if (!table.privileges.update) {
    checks.push({ id: 'move-own-row', status: 'skipped', message: 'no UPDATE privilege' });
  } else {
    const setOther = `UPDATE ${table.sqlName} SET ${tc} = $1::${tenantColumn.type}`;
    const outcome = await prober.write(ownContext, async () => {
      if (!seeded) {
        if (!table.privileges.insert) throw Object.assign(new Error('no own row to move: the role may not INSERT one'), { code: 'RLSG1' });
        const row = buildRow(table.columns, { [tenantColumn.name]: own }, next, { avoidSequences: true });
        if (row.missing.length > 0) throw Object.assign(new Error(`no own row to move: no value for NOT NULL ${row.missing.join(', ')}`), { code: 'RLSG1' });
        try {
          await prober.query(insertSql(table.sqlName, row), row.values);
        } catch (error) {
          const e = toSqlError(error);
          throw Object.assign(new Error(`no own row to move: inserting one failed: ${e.message}`), { code: e.sqlState ?? 'RLSG1' });
        }
      }
      return prober.query(setOther, [other]);
    });
    if (outcome.ok && outcome.value.rowCount === 0) {
      checks.push({ id: 'move-own-row', status: 'inconclusive', message: `no own row of tenant ${own} was visible to move`, rows: 0 });
    } else {
      checks.push(writeVerdict('move-own-row', outcome, `UPDATE moving tenant ${own}'s row to tenant ${other}`, triggerNote));
    }
  }
  return checks;
}

/** A write that RLS must refuse with 42501 ("new row violates row-level security policy"). */
function writeVerdict(id: string, outcome: Outcome<{ rowCount: number }>, what: string, note: string): Check {
  if (outcome.ok) return { id, status: 'leak', message: `${what} succeeded${note}`, rows: outcome.value.rowCount };
  const { sqlState, message } = outcome.error;
  if (sqlState === '42501' && /row-level security|row level security/i.test(message)) {
    return { id, status: 'pass', message: `${what} was refused: ${message}`, sqlState };
  }
  return inconclusive(id, outcome.error, what);
}

/** UPDATE/DELETE as a tenant that owns no rows: every row touched belongs to another tenant. */
function touchVerdict(id: string, outcome: Outcome<{ rowCount: number }>, what: string): Check {
  if (!outcome.ok) return inconclusive(id, outcome.error, what);
  const n = outcome.value.rowCount;
  if (n === 0) return { id, status: 'pass', message: `${what} touched no rows`, rows: 0 };
  return { id, status: 'leak', message: `${what} touched ${n} row${n === 1 ? '' : 's'} of other tenants`, rows: n };
}

/** SECURITY DEFINER functions: the search_path must be pinned with pg_temp last (SPEC 4, behaviour 8). */
function auditFunction(f: DefinerFunctionRow, role: RoleRow): FunctionReport {
  const checks: Check[] = [];
  const path = f.searchPath === null ? null : f.searchPath.split(',').map((p) => p.trim().replace(/^"(.*)"$/, '$1').toLowerCase()).filter((p) => p !== '' && p !== "''");
  const temp = role.canCreateTemp
    ? `role "${role.name}" can create temporary tables that shadow its unqualified names`
    : `role "${role.name}" cannot create temporary tables, but roles that can may shadow its names`;
  const status: CheckStatus = role.canCreateTemp ? 'leak' : 'warn';
  if (path === null) {
    checks.push({ id: 'definer-search-path', status, message: `SECURITY DEFINER without SET search_path: it runs with the caller's search_path (pg_temp first); ${temp}` });
  } else if (path.length === 0) {
    checks.push({ id: 'definer-search-path', status: 'warn', message: `search_path is empty: pg_temp is searched first, so every name in the body must be schema-qualified` });
  } else if (path[path.length - 1] !== 'pg_temp') {
    checks.push({ id: 'definer-search-path', status, message: `search_path = ${f.searchPath} does not put pg_temp last, so pg_temp is searched first; ${temp}` });
  } else {
    checks.push({ id: 'definer-search-path', status: 'pass', message: `search_path = ${f.searchPath} puts pg_temp last` });
  }
  if (f.publicExecute) checks.push({ id: 'definer-public-execute', status: 'warn', message: 'EXECUTE is granted to PUBLIC: every role can call this cross-tenant hole' });
  return { function: f.signature, owner: f.owner, searchPath: f.searchPath, leaks: checks.filter((c) => c.status === 'leak').map((c) => c.message), checks: checks.map((c) => ({ ...c, basis: 'inferred' as const })) };
}
