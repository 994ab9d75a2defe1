/** The readable default: findings grouped by file, each with a code frame of the statement. */
import { relative } from 'node:path';
import type { LintResult } from './results.js';

export interface StylishOptions {
  cwd: string;
  color: boolean;
  sourceOf(file: string): string | undefined;
}

function paint(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1'), underline: wrap('4') };
}

function codeFrame(source: string, line: number, column: number, c: ReturnType<typeof paint>): string {
  const lines = source.split('\n');
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? '').replace(/\r$/, '');
    const gutter = `${String(n).padStart(width)} |`;
    out.push(n === line ? `  > ${gutter} ${text}` : c.dim(`    ${gutter} ${text}`));
    if (n === line) out.push(`    ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}${c.red('^')}`);
  }
  return out.join('\n');
}

export function formatStylish(results: LintResult[], options: StylishOptions): string {
  const c = paint(options.color);
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    if (result.messages.length === 0) continue;
    out.push('', c.underline(relative(options.cwd, result.filePath) || result.filePath));
    const source = options.sourceOf(result.filePath);
    for (const m of result.messages) {
      const kind = m.severity === 2 ? c.red('error') : c.yellow('warning');
      out.push(`  ${`${m.line}:${m.column}`.padEnd(7)} ${kind}  ${m.message}${m.ruleId === null ? '' : `  ${c.dim(m.ruleId)}`}`);
      if (source !== undefined) out.push(codeFrame(source, m.line, m.column, c), '');
    }
    errors += result.errorCount;
    warnings += result.warningCount;
  }
  const total = errors + warnings;
  if (total === 0) return '';
  const summary = `✖ ${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`;
  out.push('', errors > 0 ? c.bold(c.red(summary)) : c.bold(c.yellow(summary)), '');
  return out.join('\n');
}
