/**
 * `--format github`: GitHub Actions workflow commands, one annotation per problem:
 * `::error file=...,line=...,col=...,title=...::message` (`::warning` for warnings).
 * Escaping follows the runner (actions/toolkit `command.ts`): `%`, `\r`, `\n` everywhere, and
 * `:` and `,` in property values as well.
 */
import type { Problem } from '../findings.js';
import { RULE_PREFIX } from '../findings.js';
import { reportPath } from './paths.js';
import { DIRECTIVE_RULE_ID } from './sarif.js';
import { visible } from './visible.js';

export function escapeData(s: string): string {
  // %0D and %0A first, then what else would reach the log raw (an ESC, a NUL) made visible.
  return visible(s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(problems: readonly Problem[], options: { cwd: string }): string {
  return problems
    .map((p) => {
      const { line, column, endLine, endColumn } = p.location;
      const title = p.ruleId === null ? DIRECTIVE_RULE_ID : `${RULE_PREFIX}${p.ruleId}`;
      const properties: [string, string | number][] = [
        ['file', reportPath(p.location.file, options.cwd)],
        ['line', line],
        ['endLine', endLine],
        ['col', column],
        ...(endLine === line ? [['endColumn', endColumn] as [string, number]] : []),
        ['title', title],
      ];
      const props = properties.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
      return `::${p.severity === 2 ? 'error' : 'warning'} ${props}::${escapeData(p.message)}`;
    })
    .join('\n');
}
