/**
 * The readable default: findings grouped by file, each with a code frame of the statement.
 * Linear in the number of findings: a file's lines are split once, however many findings it has,
 * and a frame shows at most `FRAME_WIDTH` characters of each line, around the column.
 */
import { relative } from 'node:path';
import type { LintResult } from './results.js';
import { visible } from './visible.js';

export interface StylishOptions {
  cwd: string;
  color: boolean;
  sourceOf(file: string): string | undefined;
}

/** Characters of a line a code frame shows: a minified line is cut around the column. */
export const FRAME_WIDTH = 160;

function paint(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), yellow: wrap('33'), dim: wrap('2'), bold: wrap('1'), underline: wrap('4') };
}

/** The window of a line shown for a finding at `column` (1-based): [start, end) and its markers. */
function frameWindow(column: number, longest: number): { start: number; end: number } {
  if (longest <= FRAME_WIDTH) return { start: 0, end: longest };
  const start = Math.max(0, Math.min(column - 1 - FRAME_WIDTH / 2, longest - FRAME_WIDTH));
  return { start, end: start + FRAME_WIDTH };
}

function cut(text: string, window: { start: number; end: number }): string {
  const head = window.start > 0 ? '…' : '';
  const tail = text.length > window.end ? '…' : '';
  return `${head}${visible(text.slice(window.start, window.end))}${tail}`;
}

function codeFrame(lines: readonly string[], line: number, column: number, c: ReturnType<typeof paint>): string {
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const shown: string[] = [];
  for (let n = first; n <= last; n++) shown.push((lines[n - 1] ?? '').replace(/\r$/, ''));
  const window = frameWindow(column, Math.max(...shown.map((t) => t.length)));
  const caret = Math.max(0, column - 1 - window.start) + (window.start > 0 ? 1 : 0);
  const out: string[] = [];
  shown.forEach((text, i) => {
    const n = first + i;
    const gutter = `${String(n).padStart(width)} |`;
    const body = cut(text, window);
    out.push(n === line ? `  > ${gutter} ${body}` : c.dim(`    ${gutter} ${body}`));
    if (n === line) out.push(`    ${' '.repeat(width)} | ${' '.repeat(caret)}${c.red('^')}`);
  });
  return out.join('\n');
}

export function formatStylish(results: LintResult[], options: StylishOptions): string {
  const c = paint(options.color);
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    if (result.messages.length === 0) continue;
    out.push('', c.underline(visible(relative(options.cwd, result.filePath) || result.filePath)));
    const source = options.sourceOf(result.filePath);
    // No frame for a file that was not read (its finding says why): there is nothing to show.
    const lines = source ? source.split('\n') : null;
    for (const m of result.messages) {
      const kind = m.severity === 2 ? c.red('error') : c.yellow('warning');
      out.push(`  ${`${m.line}:${m.column}`.padEnd(7)} ${kind}  ${visible(m.message)}${m.ruleId === null ? '' : `  ${c.dim(m.ruleId)}`}`);
      if (lines) out.push(codeFrame(lines, m.line, m.column, c), '');
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
