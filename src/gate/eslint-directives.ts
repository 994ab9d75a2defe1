/**
 * ESLint's disable comments in migrations, read by `rls-guard check` as ESLint reads them, so a
 * team that suppresses with ESLint's syntax gets the same result from the CI gate:
 *
 *     -- eslint-disable-next-line rls-guard/require-rls -- rebuilt nightly from a per-tenant export
 *     CREATE TABLE report_cache (tenant_id uuid NOT NULL, payload jsonb);
 *
 * `eslint-disable-next-line` covers findings on the line after the comment, `eslint-disable-line`
 * those on its line, and `eslint-disable` ... `eslint-enable` those between (to the end of the
 * file without an `eslint-enable`). A directive without a rule list covers every rule. The comment
 * is parsed by ESLint's own `ConfigCommentParser`; rules of other plugins are ESLint's business.
 */
import { ConfigCommentParser } from '@eslint/plugin-kit';
import { RULE_PREFIX, type DirectiveProblem, type Finding } from '../findings.js';
import type { SourceLocation } from '../model/catalog.js';
import { lexScript } from '../sql/lexer.js';
import type { SourceText } from '../sql/source.js';

export interface EslintDirective {
  type: 'disable' | 'enable' | 'disable-line' | 'disable-next-line';
  /** rls-guard rule ids without the prefix; null for a directive without a rule list (every rule). */
  ruleIds: string[] | null;
  /** Whether the directive names rules of other plugins too (ESLint may use it for those). */
  namesOtherRules: boolean;
  justification: string;
  /** Where the comment is. */
  location: SourceLocation;
}

const parser = new ConfigCommentParser();
const LABELS = new Set(['eslint-disable', 'eslint-enable', 'eslint-disable-line', 'eslint-disable-next-line']);

/** Reads the `eslint-disable*` and `eslint-enable` comments of one migration. */
export function readEslintDirectives(file: string, source: SourceText): EslintDirective[] {
  const text = source.text;
  // Most files have none: skip lexing them (a plain substring test, not SQL analysis).
  if (!text.includes('eslint-')) return [];
  const directives: EslintDirective[] = [];
  for (const comment of lexScript(text).comments) {
    const value = comment.type === 'LineComment' ? text.slice(comment.start + 2, comment.end) : text.slice(comment.start + 2, comment.end - 2);
    const parsed = parser.parseDirective(value);
    if (!parsed || !LABELS.has(parsed.label)) continue;
    const start = source.position(comment.start);
    const end = source.position(comment.end);
    // ESLint ignores (and reports) an eslint-disable-line comment that spans lines.
    if (parsed.label === 'eslint-disable-line' && start.line !== end.line) continue;
    const listed = Object.keys(parser.parseListConfig(parsed.value));
    const ours = listed.filter((id) => id.startsWith(RULE_PREFIX)).map((id) => id.slice(RULE_PREFIX.length));
    if (listed.length > 0 && ours.length === 0) continue;
    directives.push({
      type: parsed.label.slice('eslint-'.length) as EslintDirective['type'],
      ruleIds: listed.length === 0 ? null : ours,
      namesOtherRules: listed.length > ours.length,
      justification: parsed.justification,
      location: { file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column },
    });
  }
  return directives;
}

const covers = (directive: EslintDirective, ruleId: string) => directive.ruleIds === null || directive.ruleIds.includes(ruleId);
const before = (a: SourceLocation, line: number, column: number) => a.line < line || (a.line === line && a.column <= column);

/** The directive that suppresses `finding`, as ESLint decides it; undefined when none does. */
export function suppressingDirective(finding: Finding, directives: readonly EslintDirective[]): EslintDirective | undefined {
  const { line, column } = finding.location;
  let inRange: EslintDirective | undefined;
  for (const d of directives) {
    if (!covers(d, finding.ruleId)) continue;
    if (d.type === 'disable-line' && d.location.line === line) return d;
    if (d.type === 'disable-next-line' && d.location.endLine + 1 === line) return d;
    // disable/enable: the last one before the finding decides.
    if ((d.type === 'disable' || d.type === 'enable') && before(d.location, line, column)) inRange = d.type === 'disable' ? d : undefined;
  }
  return inRange;
}

/**
 * ESLint's report of a disable directive that suppressed nothing, for the rls-guard rules it
 * names (as a warning, ESLint's default `reportUnusedDisableDirectives`). A directive without a
 * rule list, or one that also names other plugins' rules, may be in use for those: not reported.
 */
export function unusedDirectiveProblems(directives: readonly EslintDirective[], used: ReadonlyMap<EslintDirective, ReadonlySet<string>>): DirectiveProblem[] {
  const problems: DirectiveProblem[] = [];
  for (const d of directives) {
    if (d.type === 'enable' || d.ruleIds === null) continue;
    const usedRules = used.get(d) ?? new Set<string>();
    const unused = d.ruleIds.filter((id) => !usedRules.has(id)).map((id) => `'${RULE_PREFIX}${id}'`);
    if (unused.length === 0) continue;
    if (d.namesOtherRules || unused.length < d.ruleIds.length) {
      for (const id of unused) problems.push(unusedProblem(id, d.location));
    } else {
      problems.push(unusedProblem(unused.length <= 2 ? unused.join(' or ') : `${unused.slice(0, -1).join(', ')}, or ${unused.at(-1)}`, d.location));
    }
  }
  return problems;
}

function unusedProblem(description: string, location: SourceLocation): DirectiveProblem {
  return { ruleId: null, severity: 1, message: `Unused eslint-disable directive (no problems were reported from ${description}).`, location };
}
