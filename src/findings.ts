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
}

export const RULE_PREFIX = 'rls-guard/';
