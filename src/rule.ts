/** The shape of a SQL rule: a function over the replayed catalog, never over files or text. */
import type { ResolvedConfig } from './config.js';
import type { Finding, Severity } from './findings.js';
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
}

export interface SqlRule {
  id: string;
  /** Default severity: 2 when PostgreSQL lets another tenant's rows through or rejects the statement. */
  severity: Severity;
  description: string;
  check(context: SqlRuleContext): SqlRuleReport[];
}

export function toFinding(rule: SqlRule, report: SqlRuleReport, severity: Severity = rule.severity): Finding {
  return { ruleId: rule.id, severity, message: report.message, location: report.location, object: report.object };
}
