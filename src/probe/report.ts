/**
 * The probe's report: readable text per table, or JSON (`{ role, tables, functions, ok, ... }`).
 * Each table's checks are shown in two groups: inferred from the catalog and observed.
 */
import type { CheckStatus, ProbeCheck, ProbeResult, TableReport } from './types.js';

export type ProbeFormat = 'text' | 'json';

const MARK: Record<CheckStatus, string> = { pass: 'ok  ', leak: 'LEAK', warn: 'warn', inconclusive: '??  ', skipped: 'skip' };

function formatCheck(check: ProbeCheck): string {
  return `    ${MARK[check.status]}  ${check.id}: ${check.message}`;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function formatProbeReport(result: ProbeResult, format: ProbeFormat): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  const lines: string[] = [];
  const r = result.role;
  lines.push(`role ${r.name}: superuser ${yesNo(r.superuser)}, BYPASSRLS ${yesNo(r.bypassRls)}, owns ${r.ownsTables.length} tenant table(s)${r.ownsTables.length ? ` (${r.ownsTables.join(', ')})` : ''}`);
  for (const leak of r.leaks) lines.push(`    LEAK  ${leak}`);
  if (r.inert) lines.push('    Every policy below is inert for this role: connect the application as a role without SUPERUSER and BYPASSRLS.');
  const id = result.identity;
  lines.push(`identity model probed: ${id.models.length > 0 ? id.models.join('; ') : 'none found in the policies'}${id.asRole ? ` (every step as role ${id.asRole}, SET LOCAL ROLE)` : ''}`);
  if (id.rolePerTenant) lines.push('    role per tenant: rows keyed by current_user are read as this role\'s own; another tenant\'s role is probed with its own --url');
  if (result.inferred) lines.push(...inferredText(result.inferred));
  lines.push('');
  for (const t of result.tables) {
    const flags = `tenant column ${t.tenantColumn ?? '(none)'}, RLS ${t.rlsEnabled ? 'on' : 'OFF'}, FORCE ${t.forceRls ? 'on' : 'off'}${t.owned ? ', owned by this role' : ''}`;
    lines.push(`${t.table} (${flags}): ${verdictText(t)}`);
    const inferred = t.checks.filter((c) => c.basis === 'inferred');
    const observed = t.checks.filter((c) => c.basis === 'observed');
    if (inferred.length > 0) lines.push('  inferred from the catalog (policy audit):', ...inferred.map(formatCheck));
    if (observed.length > 0) lines.push('  observed (statements run as this role, rolled back):', ...observed.map(formatCheck));
    lines.push('');
  }
  if (result.functions.length > 0) {
    lines.push('SECURITY DEFINER functions this role can execute:');
    for (const f of result.functions) {
      lines.push(`  ${f.function} (owner ${f.owner})`);
      for (const check of f.checks) lines.push(formatCheck(check));
    }
    lines.push('');
  }
  if (result.drift) lines.push(...driftText(result.drift, result.strict));
  for (const missing of result.notFound) lines.push(`table ${missing}: not a tenant table this role can reach`);
  if (result.tables.length === 0) lines.push('no tenant table is reachable by this role');
  const leakCount = r.leaks.length + result.tables.reduce((n, t) => n + t.leaks.length, 0) + result.functions.reduce((n, f) => n + f.leaks.length, 0);
  const leakingTables = result.tables.filter((t) => t.verdict === 'leaking');
  const inconclusive = result.tables.filter((t) => t.verdict === 'inconclusive');
  // Inconclusive tables come last, each with its reasons: never summarised as OK.
  if (inconclusive.length > 0) {
    lines.push(`INCONCLUSIVE: ${inconclusive.length} table(s) could not be checked; they are NOT proven safe${result.strict ? ' (--strict: this fails the run)' : ' (exit 1 with --strict, the default when CI=true)'}:`);
    for (const t of inconclusive) {
      lines.push(`  ${t.table}`);
      for (const reason of t.inconclusive) lines.push(`    ${reason}`);
    }
  }
  const drifted = result.drift?.findings.length ?? 0;
  if (drifted > 0) lines.push(`FAIL: ${drifted} difference(s) between the live database and the migrations (drift)`);
  if (result.leaking) {
    lines.push(`FAIL: ${leakCount} leak(s)${leakingTables.length ? ` in ${leakingTables.length} leaking table(s): ${leakingTables.map((t) => `${t.table} (${t.leakBasis})`).join(', ')}` : ''}`);
  } else if (inconclusive.length > 0) {
    lines.push(`${result.ok ? 'NOT PROVEN' : 'FAIL'}: no leak found, but ${inconclusive.length} of ${result.tables.length} table(s) inconclusive`);
  } else if (drifted === 0 && result.drift?.status === 'inconclusive') {
    lines.push(`${result.ok ? 'NOT PROVEN' : 'FAIL'}: no leak found in ${result.tables.length} table(s), but the drift check is inconclusive`);
  } else if (drifted === 0) {
    lines.push(`OK: no leak found in ${result.tables.length} table(s)${result.drift ? ', and the live catalog matches the migrations' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What was inferred without a config, as the JSON to copy into rls-guard.config.json. */
function inferredText(inferred: NonNullable<ProbeResult['inferred']>): string[] {
  if (!inferred.used) return ['no rls-guard.config.json, and no policy compares a column with an identity: the defaults were used (tenant_id, app.current_tenant)'];
  const config: Record<string, string[]> = { tenantColumns: inferred.tenantColumns };
  if (inferred.tenantSettings.length > 0) config.tenantSettings = inferred.tenantSettings;
  if (inferred.tenantFunctions.length > 0) config.tenantFunctions = inferred.tenantFunctions;
  const keyed = Object.entries(inferred.keyColumns).map(([table, columns]) => `${table}.${columns.join('/')}`);
  return [
    'no rls-guard.config.json: inferred from the catalog (copy into rls-guard.config.json; a config, when present, wins):',
    ...JSON.stringify(config, null, 2).split('\n').map((l) => `    ${l}`),
    `    tenant roots: ${inferred.tenantRoots.length > 0 ? inferred.tenantRoots.join(', ') : '(none)'}`,
    `    key columns: ${keyed.length > 0 ? keyed.join(', ') : '(none)'}`,
  ];
}

function verdictText(t: TableReport): string {
  if (t.verdict === 'leaking') {
    const basis = t.leakBasis === 'both' ? 'observed and inferred' : t.leakBasis === 'observed' ? 'observed' : 'inferred from the catalog, not observed';
    return `LEAKING (${basis}): ${t.leaks.length} leak(s)`;
  }
  if (t.verdict === 'inconclusive') return 'INCONCLUSIVE (not proven safe)';
  return 'no leak';
}

function driftText(drift: NonNullable<ProbeResult['drift']>, strict: boolean): string[] {
  const c = drift.compared;
  const lines = [
    `drift: the live catalog against ${drift.paths.join(', ')} (${drift.files} file(s), ${drift.statements} statement(s) applied to ${drift.engine === 'pglite' ? 'PGlite' : 'a scratch database'}; compared ${c.relations} table(s)/view(s), ${c.policies} policy(ies), ${c.functions} function(s), ${c.roles} role(s))`,
  ];
  for (const f of drift.findings) {
    lines.push(`    DRIFT  ${f.object}: ${f.aspect}`, `             migrations: ${f.migrations}`, `             live:       ${f.live}`);
  }
  if (drift.findings.length === 0 && drift.status === 'compared') lines.push('    ok    no difference');
  if (drift.status === 'inconclusive') {
    lines.push(`    ??    INCONCLUSIVE: the comparison is not complete${strict ? ' (--strict: this fails the run)' : ' (exit 1 with --strict, the default when CI=true)'}:`);
    for (const reason of drift.inconclusive) lines.push(`          ${reason}`);
  }
  lines.push('');
  return lines;
}
