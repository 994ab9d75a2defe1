import type { SourceLocation } from './model/catalog.js';

export type Severity = 1 | 2;

/** One defect, located at the statement (or expression) that caused it. */
export interface Finding {
  /** Rule id without the `rls-guard/` prefix. */
  ruleId: string;
  severity: Severity;
  message: string;
  location: SourceLocation;
  /** What the finding is about (`public.invoices`, `public.f(text)`), for stable fingerprints. */
  object?: string;
  /** Rewrites of the file's text that fix the finding (ESLint suggestions; never applied by `check`). */
  suggestions?: Suggestion[];
}

/** A rewrite: replace the text of the file between `start` and `end` (1-based line and column) with `text`. */
export interface Suggestion {
  description: string;
  edits: { start: { line: number; column: number }; end: { line: number; column: number }; text: string }[];
}

/**
 * A problem with a suppression comment itself (no reason given, unknown rule, nothing to suppress).
 * Like ESLint's reports about its own disable directives, it belongs to no rule: `ruleId` is null.
 */
export interface DirectiveProblem {
  ruleId: null;
  severity: Severity;
  message: string;
  location: SourceLocation;
}

/** Everything `rls-guard check` reports: rule findings and directive problems. */
export type Problem = Finding | DirectiveProblem;

export const RULE_PREFIX = 'rls-guard/';
