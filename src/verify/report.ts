/** `verify`'s report: migrations, seeding, per table every path's steps, and disagreements with `check`. */
import type { ProbeFormat } from '../probe/report.js';
import type { VerifyResult } from './verify.js';

const MARK = { pass: 'ok  ', leak: 'LEAK', warn: 'warn', inconclusive: '??  ', skipped: 'skip' } as const;

export function formatVerifyReport(result: VerifyResult, format: ProbeFormat): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  const lines: string[] = [];
  const m = result.migrations;
  lines.push(`applied ${m.files.length} migration file(s), ${m.statements} statement(s), to ${result.engine === 'pglite' ? 'an embedded PGlite' : 'the scratch database'} as owner ${result.owner}`);
  for (const f of m.failures) lines.push(`  FAILED ${f.file}:${f.line}:${f.column}: ${f.message}${f.sqlState ? ` (${f.sqlState})` : ''}`);
  for (const s of m.appliedAsSuperuser) lines.push(`  note   ${s.file}:${s.line}: applied as superuser (the owner role may not): ${s.statement}`);
  for (const s of result.seed) if (!s.seeded) lines.push(`  seed   ${s.table}: ${s.message}`);
  const db = result.database;
  if (db.created) lines.push(`scratch database ${db.created} created for this run${db.cleanup ? ', dropped' : ' (kept: --no-cleanup)'}`);
  if (db.cleanup && db.cleanup.droppedRoles.length > 0) lines.push(`cleanup: dropped role(s) ${db.cleanup.droppedRoles.join(', ')}`);
  if (db.cleanup?.keptRoles) lines.push(`cleanup: could not drop role(s) ${db.cleanup.keptRoles.join(', ')} (they own objects in another database)`);
  for (const r of result.roles) {
    lines.push(`${r.path}: superuser ${r.superuser ? 'yes' : 'no'}, BYPASSRLS ${r.bypassRls ? 'yes' : 'no'}`);
    for (const leak of r.leaks) lines.push(`    LEAK  ${leak}`);
  }
  if (result.ownerNotProbed) lines.push(`owner ${result.owner}: not probed: ${result.ownerNotProbed}`);
  if (!result.roles.some((r) => r.path.startsWith('app role'))) lines.push('no app role to probe: set appRoles in rls-guard.config.json (only the owner path was probed)');
  lines.push('');
  for (const t of result.tables) {
    lines.push(`${t.table} (tenant column ${t.tenantColumn ?? '(none)'}, RLS ${t.rlsEnabled ? 'on' : 'OFF'}, FORCE ${t.forceRls ? 'on' : 'off'}${t.seeded ? '' : ', not seeded'}): ${t.leaks.length === 0 ? 'no leak' : `${t.leaks.length} leak(s)`}`);
    for (const c of t.checks) if (c.status !== 'pass') lines.push(`    ${MARK[c.status]}  [${c.path}] ${c.id}: ${c.message}`);
    const passed = t.checks.filter((c) => c.status === 'pass').length;
    lines.push(`    ${passed} check(s) passed`);
    lines.push('');
  }
  if (result.disagreements.length > 0) {
    lines.push('verify and check disagree:');
    for (const d of result.disagreements) lines.push(`  ${d.table}: ${d.message}`);
    lines.push('');
  }
  const leaks = result.tables.reduce((n, t) => n + t.leaks.length, 0);
  lines.push(result.ok ? 'OK: no leak observed' : `FAIL: ${leaks} leak(s), ${m.failures.length} failed migration statement(s)`);
  return `${lines.join('\n')}\n`;
}
