/**
 * Fixes written in the project's own terms: the table's key column, the identity source the
 * project uses (its tenant setting or function, or Supabase's `auth.uid()`), identifiers quoted
 * where PostgreSQL needs it.
 */
import type { ResolvedConfig } from '../config.js';
import type { ColumnState } from '../model/catalog.js';

const KEYWORDS = new Set(['user', 'order', 'group', 'table', 'select', 'where', 'from', 'check', 'default', 'primary', 'references', 'grant', 'role', 'limit', 'offset', 'all', 'any', 'case', 'end', 'to', 'on', 'as', 'in', 'is', 'or', 'and', 'not', 'null', 'true', 'false', 'user']);

/** An identifier as it must be written in SQL: quoted unless lower-case letters, digits and underscores. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !KEYWORDS.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The identity expression a pin in this project would compare with, cast to the column's type. */
export function identityExpression(config: ResolvedConfig, column: ColumnState | null): string {
  const cast = column?.type && column.type !== 'text' ? `::${column.type}` : '';
  if (config.tenantFunctions.length > 0) return `(SELECT ${config.tenantFunctions[0]!.replace(/\(\s*\)\s*$/, '')}())`;
  if (config.preset === 'supabase') return '(SELECT auth.uid())';
  const setting = config.tenantSettings[0];
  if (setting) return `current_setting('${setting}')${cast}`;
  return 'current_user';
}

/** `team_id = (SELECT auth.uid())`, `"companyId" = current_setting('app.tenant', true)::uuid`. */
export function suggestedPin(config: ResolvedConfig, column: ColumnState | null, fallbackName: string): string {
  return `${quoteIdent(column?.name ?? fallbackName)} = ${identityExpression(config, column)}`;
}
