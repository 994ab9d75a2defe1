/**
 * SQL suppression comments, for teams that run `rls-guard check` rather than ESLint (ESLint reads
 * them too, src/eslint/sql-source-code.ts; and `check` reads ESLint's, eslint-directives.ts):
 *
 *     -- rls-guard-ignore require-force-rls: the owner never queries this table
 *     ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
 *
 * or at the end of the statement's first line. The comment suppresses that rule's findings located
 * at that statement. A reason is required (an ignore nobody can justify is a defect waiting to be
 * found), and, as ESLint does with unused disable directives, a suppression that suppresses nothing
 * is reported so suppressions do not outlive the problem they hid.
 */
import type { DirectiveProblem, Finding, Problem } from '../findings.js';
import { RULE_PREFIX } from '../findings.js';
import type { SourceLocation } from '../model/catalog.js';
import { lexScript, type CommentRange, type StatementRange } from '../sql/lexer.js';
import { readEslintDirectives, suppressingDirective, unusedDirectiveProblems, type EslintDirective } from './eslint-directives.js';
import type { SourceText } from '../sql/source.js';

export const SUPPRESSION_KEYWORD = 'rls-guard-ignore';

/** `rls-guard-ignore <rule>[: <reason>]` inside one comment's text (delimiters removed). */
const DIRECTIVE = /^rls-guard-ignore(?:\s+([^\s:]+))?\s*(?::(.*))?$/s;

export interface Suppression {
  file: string;
  /** Rule id without the prefix. */
  ruleId: string;
  reason: string;
  /** Where the comment is. */
  location: SourceLocation;
  /** The statement it applies to, as character offsets; null when no statement follows it. */
  statement: StatementRange | null;
}

export interface SuppressionResult {
  /** The findings no suppression covers, plus the problems with the suppression comments themselves. */
  problems: Problem[];
  /** The findings that were suppressed, each with the reason given. */
  suppressed: { finding: Finding; reason: string }[];
}

interface ScriptLike {
  source: SourceText;
}

function commentBody(text: string, comment: CommentRange): string {
  const raw = text.slice(comment.start, comment.end);
  const inner = comment.type === 'LineComment' ? raw.slice(2) : raw.slice(2, -2);
  return inner.trim();
}

function locationOf(file: string, source: SourceText, start: number, end: number): SourceLocation {
  const a = source.position(start);
  const b = source.position(end);
  return { file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

/**
 * The statement a suppression comment applies to: the statement whose first line the comment ends
 * (`CREATE ... ; -- rls-guard-ignore ...`), or the statement that starts on the line after the
 * comment (other comment lines may stand between, e.g. several suppressions for one statement).
 * A comment after other code, or inside a statement below its first line, applies to nothing.
 */
function targetStatement(source: SourceText, comment: CommentRange, statements: StatementRange[], commentLines: ReadonlySet<number>): StatementRange | null {
  const line = source.position(comment.start).line;
  const sameLine = statements.filter((s) => s.start < comment.start && source.position(s.start).line === line);
  if (sameLine.length > 0) return sameLine[sameLine.length - 1]!;
  if (!commentLines.has(line)) return null;
  if (statements.some((s) => s.start < comment.start && comment.start < s.end)) return null;
  const next = statements.find((s) => s.start >= comment.end);
  if (!next) return null;
  const nextLine = source.position(next.start).line;
  for (let l = source.position(comment.end).line + 1; l < nextLine; l++) if (!commentLines.has(l)) return null;
  return next;
}

/** Reads every `rls-guard-ignore` comment of one file. */
export function readSuppressions(file: string, script: ScriptLike, knownRules: ReadonlySet<string>): { suppressions: Suppression[]; problems: DirectiveProblem[] } {
  const text = script.source.text;
  // Most files have no suppression comment: skip lexing them (a plain substring test, not SQL analysis).
  if (!text.includes(SUPPRESSION_KEYWORD)) return { suppressions: [], problems: [] };
  const lexed = lexScript(text);
  const suppressions: Suppression[] = [];
  const problems: DirectiveProblem[] = [];
  // Lines that hold only comments (no code before the comment starts).
  const commentLines = new Set<number>();
  for (const c of lexed.comments) {
    const first = script.source.position(c.start).line;
    const last = script.source.position(Math.max(c.start, c.end - 1)).line;
    const codeBefore = text.slice(script.source.lineStarts[first - 1]!, c.start).trim() !== '';
    if (!codeBefore) for (let l = first; l <= last; l++) commentLines.add(l);
  }
  for (const comment of lexed.comments) {
    const body = commentBody(text, comment);
    if (!body.startsWith(SUPPRESSION_KEYWORD)) continue;
    const match = DIRECTIVE.exec(body);
    if (!match) continue; // e.g. `rls-guard-ignored`: not a directive
    const location = locationOf(file, script.source, comment.start, comment.end);
    const rawRule = match[1];
    const reason = (match[2] ?? '').trim();
    if (!rawRule) {
      problems.push({ ruleId: null, severity: 2, message: `${SUPPRESSION_KEYWORD} needs a rule and a reason: "-- ${SUPPRESSION_KEYWORD} <rule>: <reason>".`, location });
      continue;
    }
    const ruleId = rawRule.startsWith(RULE_PREFIX) ? rawRule.slice(RULE_PREFIX.length) : rawRule;
    if (!knownRules.has(ruleId)) {
      problems.push({ ruleId: null, severity: 2, message: `${SUPPRESSION_KEYWORD} names an unknown rule "${rawRule}".`, location });
      continue;
    }
    if (!reason) {
      problems.push({
        ruleId: null,
        severity: 2,
        message: `${SUPPRESSION_KEYWORD} for '${ruleId}' suppresses nothing without a reason: "-- ${SUPPRESSION_KEYWORD} ${ruleId}: <why this is safe>".`,
        location,
      });
      continue;
    }
    suppressions.push({ file, ruleId, reason, location, statement: targetStatement(script.source, comment, lexed.statements, commentLines) });
  }
  return { suppressions, problems };
}

function offsetOf(source: SourceText, line: number, column: number): number {
  return (source.lineStarts[line - 1] ?? source.text.length) + column - 1;
}

/**
 * Applies the suppression comments of every analyzed file to the findings: `rls-guard-ignore`
 * first, then ESLint's `eslint-disable` comments for rls-guard rules.
 */
export function applySuppressions(findings: readonly Finding[], scripts: ReadonlyMap<string, ScriptLike>, knownRules: ReadonlySet<string>): SuppressionResult {
  const problems: Problem[] = [];
  const suppressed: SuppressionResult['suppressed'] = [];
  const byFile = new Map<string, Suppression[]>();
  const eslintByFile = new Map<string, EslintDirective[]>();
  for (const [file, script] of scripts) {
    const read = readSuppressions(file, script, knownRules);
    byFile.set(file, read.suppressions);
    problems.push(...read.problems);
    eslintByFile.set(file, readEslintDirectives(file, script.source));
  }
  const used = new Set<Suppression>();
  const usedEslint = new Map<EslintDirective, Set<string>>();
  for (const finding of findings) {
    const script = scripts.get(finding.location.file);
    const candidates = byFile.get(finding.location.file) ?? [];
    const at = script ? offsetOf(script.source, finding.location.line, finding.location.column) : -1;
    const match = candidates.find((s) => s.ruleId === finding.ruleId && s.statement !== null && at >= s.statement.start && at <= s.statement.end);
    const directive = match ? undefined : suppressingDirective(finding, eslintByFile.get(finding.location.file) ?? []);
    if (match) {
      used.add(match);
      suppressed.push({ finding, reason: match.reason });
    } else if (directive) {
      if (!usedEslint.has(directive)) usedEslint.set(directive, new Set());
      usedEslint.get(directive)!.add(finding.ruleId);
      suppressed.push({ finding, reason: directive.justification });
    } else {
      problems.push(finding);
    }
  }
  for (const directives of eslintByFile.values()) problems.push(...unusedDirectiveProblems(directives, usedEslint));
  for (const list of byFile.values()) {
    for (const s of list) {
      if (used.has(s)) continue;
      const why = s.statement === null ? 'no statement follows it' : `no '${s.ruleId}' problem is reported at this statement`;
      problems.push({ ruleId: null, severity: 1, message: `Unused ${SUPPRESSION_KEYWORD} directive for '${s.ruleId}' (${why}).`, location: s.location });
    }
  }
  problems.sort(compareProblems);
  return { problems, suppressed };
}

export function compareProblems(a: Problem, b: Problem): number {
  return (
    a.location.file.localeCompare(b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    (a.ruleId ?? '').localeCompare(b.ruleId ?? '')
  );
}
