/**
 * Values for probe and seed rows: a fresh tenant value no tenant uses, and a valid value for every
 * NOT NULL column without a default. Values are text cast to the column's own type in SQL.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { ColumnRow } from './catalog.js';

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'oid', 'money']);
const STRING_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'citext']);

/**
 * A tenant value that no real tenant uses, of the tenant column's type: a random UUID, a random
 * negative number, or a random `rls-guard-probe-…` string. Any row visible under it belongs to
 * another tenant.
 */
export function freshTenantValue(column: ColumnRow | null): string {
  const base = column?.baseType ?? 'text';
  if (base === 'int2') return String(-randomInt(20_000, 32_000));
  if (INTEGER_TYPES.has(base)) return String(-randomInt(1_000_000_000, 2_000_000_000));
  if (STRING_TYPES.has(base)) return `rls-guard-probe-${randomUUID().slice(0, 8)}`;
  return randomUUID();
}

/** A valid value for `column` (as text), distinct per `n` where the type allows; null when unknown. */
export function sampleValue(column: ColumnRow, n: number): string | null {
  const base = column.baseType;
  if (column.firstEnumLabel !== null) return column.firstEnumLabel;
  if (base === 'uuid') return randomUUID();
  if (base === 'bool') return 'false';
  if (INTEGER_TYPES.has(base)) return String(n);
  if (STRING_TYPES.has(base)) return base === 'bpchar' ? String(n % 10) : `s${n}`;
  switch (base) {
    case 'date':
      return '2000-01-01';
    case 'timestamp':
    case 'timestamptz':
      return '2000-01-01 00:00:00+00';
    case 'time':
    case 'timetz':
      return '00:00:00';
    case 'interval':
      return '1 day';
    case 'json':
    case 'jsonb':
      return '{}';
    case 'bytea':
      return '\\x00';
    case 'inet':
    case 'cidr':
      return '127.0.0.1';
    case 'macaddr':
      return '08:00:2b:01:02:03';
    default:
      if (column.category === 'A') return '{}';
      if (column.category === 'N') return String(n);
      if (column.category === 'S') return `s${n}`;
      return null;
  }
}

export interface RowSpec {
  columns: string[];
  /** Text values, one per column, cast in SQL to `types`. */
  values: string[];
  types: string[];
  /** NOT NULL columns without a default that no value could be made for. */
  missing: string[];
  /** A value is given for a GENERATED ALWAYS identity column. */
  overridingSystemValue: boolean;
}

export interface BuildRowOptions {
  /** Give sequence-filled columns a value (a random negative number) so no sequence advances: a probe's rollback does not undo nextval. */
  avoidSequences: boolean;
}

/**
 * A row for `columns`: `fixed` values first (the tenant column, foreign keys), then a sample value
 * for every other NOT NULL column without a default. Nullable and defaulted columns are left out.
 */
export function buildRow(columns: readonly ColumnRow[], fixed: Record<string, string>, counter: () => number, options: BuildRowOptions): RowSpec {
  const spec: RowSpec = { columns: [], values: [], types: [], missing: [], overridingSystemValue: false };
  for (const column of columns) {
    if (column.generated) continue;
    let value: string | null | undefined;
    if (Object.hasOwn(fixed, column.name)) value = fixed[column.name]!;
    else if (column.sequence && options.avoidSequences) value = String(column.baseType === 'int2' ? -randomInt(1_000, 32_000) : -randomInt(1_000_000, 2_000_000_000));
    else if (column.notNull && !column.hasDefault) value = sampleValue(column, counter());
    if (value === undefined) continue;
    if (value === null) {
      spec.missing.push(`${column.name} (${column.type})`);
      continue;
    }
    if (column.identityAlways) spec.overridingSystemValue = true;
    spec.columns.push(column.name);
    spec.values.push(value);
    spec.types.push(column.type);
  }
  return spec;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `INSERT INTO t (a, b) VALUES ($1::type, $2::type)`; `DEFAULT VALUES` when there is nothing to set. */
export function insertSql(sqlName: string, row: RowSpec): string {
  if (row.columns.length === 0) return `INSERT INTO ${sqlName} DEFAULT VALUES`;
  const cols = row.columns.map(quoteIdent).join(', ');
  const vals = row.types.map((t, i) => `$${i + 1}::${t}`).join(', ');
  return `INSERT INTO ${sqlName} (${cols})${row.overridingSystemValue ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES (${vals})`;
}
