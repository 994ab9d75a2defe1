/** The shape of a SQL rule: a function over the replayed catalog, never over files or text. */
import type { ResolvedConfig } from './config.js';
import type { Finding, Severity, Suggestion } from './findings.js';
import type { Catalog, SourceLocation } from './model/catalog.js';
import type { Tenancy } from './analysis/tenancy.js';
import type { SqlSyntaxError } from './sql/parse.js';

export interface SqlRuleContext {
  catalog: Catalog;
  config: ResolvedConfig;
  tenancy: Tenancy;
  /** Syntax errors per file (only `parse-error` reads them). */
  syntaxErrors: { file: string; error: SqlSyntaxError; location: SourceLocation }[];
}

export interface SqlRuleReport {
  message: string;
  location: SourceLocation;
  /** The object the finding is about (`public.invoices`, `public.f(text)`): part of its stable fingerprint. */
  object: string;
  /** Rewrites that fix it, offered as ESLint suggestions. */
  suggestions?: Suggestion[];
  /**
   * This report's severity when it differs from the rule's default by consequence (a SECURITY
   * DEFINER function open to SQL injection is an error, a merely wide one a warning). A severity
   * the config sets for the rule applies to every report.
   */
  severity?: Severity;
}

export interface SqlRule {
  id: string;
  /** Default severity: 2 when PostgreSQL lets another tenant's rows through or rejects the statement. */
  severity: Severity;
  /**
   * Off unless turned on: by the config's `rules` (or a preset's), or by an ESLint config
   * (`configs.strict`). For doctrine that is not about access, such as policy performance.
   */
  optIn?: boolean;
  /** Its reports may carry suggestions (ESLint's `meta.hasSuggestions`). */
  hasSuggestions?: boolean;
  description: string;
  check(context: SqlRuleContext): SqlRuleReport[];
}

export function toFinding(rule: SqlRule, report: SqlRuleReport, severity: Severity = report.severity ?? rule.severity): Finding {
  const finding: Finding = { ruleId: rule.id, severity, message: report.message, location: report.location, object: report.object };
  if (report.suggestions?.length) finding.suggestions = report.suggestions;
  return finding;
}
