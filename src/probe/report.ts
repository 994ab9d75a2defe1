/** The probe's report: readable text per table, or JSON (`{ role, tables, functions, ok }`). */
import type { CheckStatus, ProbeCheck, ProbeResult } from './types.js';

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
  lines.push('');
  for (const t of result.tables) {
    const flags = `tenant column ${t.tenantColumn ?? '(none)'}, RLS ${t.rlsEnabled ? 'on' : 'OFF'}, FORCE ${t.forceRls ? 'on' : 'off'}${t.owned ? ', owned by this role' : ''}`;
    lines.push(`${t.table} (${flags}): ${t.leaks.length === 0 ? 'no leak' : `${t.leaks.length} leak(s)`}`);
    for (const check of t.checks) lines.push(formatCheck(check));
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
  for (const missing of result.notFound) lines.push(`table ${missing}: not a tenant table this role can reach`);
  if (result.tables.length === 0) lines.push('no tenant table is reachable by this role');
  const leakCount = r.leaks.length + result.tables.reduce((n, t) => n + t.leaks.length, 0) + result.functions.reduce((n, f) => n + f.leaks.length, 0);
  const tail = result.inconclusive > 0 ? ` (${result.inconclusive} step(s) inconclusive: not proven safe)` : '';
  lines.push(result.ok ? `OK: no leak found in ${result.tables.length} table(s)${tail}` : `FAIL: ${leakCount} leak(s)${tail}`);
  return `${lines.join('\n')}\n`;
}
