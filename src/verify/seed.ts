/**
 * Seeds rows for two tenants into every tenant table, as the superuser, with valid values: NOT
 * NULL columns get a sample of their type, defaults and sequences fill themselves, and single-
 * column foreign keys point at a row of the same tenant (parent rows of global tables, such as
 * `tenants(id)`, are created first). Tables it cannot seed are reported, never skipped silently.
 */
import type { ColumnRow, TableRow } from '../probe/catalog.js';
import type { SeededTable } from '../probe/probe.js';
import { toSqlError, type ProbeSession } from '../probe/session.js';
import { buildRow, insertSql, quoteIdent } from '../probe/values.js';

export interface SeedOutcome {
  table: string;
  seeded: boolean;
  message: string;
}

/** Two tenant values of the tenant column's type. */
export function tenantPair(column: ColumnRow): [string, string] {
  const base = column.baseType;
  if (['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'].includes(base)) return ['1', '2'];
  if (['text', 'varchar', 'bpchar', 'name', 'citext'].includes(base)) return ['tenant-1', 'tenant-2'];
  return ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
}

interface Target {
  table: TableRow;
  tenantColumn: ColumnRow;
  tenants: [string, string];
}

async function insert(session: ProbeSession, sqlName: string, sql: string, values: string[], settings: [string, string][]): Promise<string | null> {
  await session.query('BEGIN');
  try {
    for (const [name, value] of settings) await session.query('SELECT set_config($1, $2, true)', [name, value]);
    await session.query(sql, values);
    await session.query('COMMIT');
    return null;
  } catch (error) {
    await session.query('ROLLBACK');
    return `${sqlName}: ${toSqlError(error).message}`;
  }
}

export async function seedTenantTables(
  session: ProbeSession,
  tables: readonly TableRow[],
  allTables: readonly TableRow[],
  tenantColumns: readonly string[],
  tenantSettings: readonly string[],
): Promise<{ outcomes: SeedOutcome[]; seeded: Map<string, SeededTable> }> {
  const names = tenantColumns.map((c) => c.toLowerCase());
  const bySqlName = new Map(allTables.map((t) => [t.sqlName, t]));
  const outcomes: SeedOutcome[] = [];
  const seeded = new Map<string, SeededTable>();
  const targets: Target[] = [];
  for (const table of tables) {
    const tenantColumn = table.columns.find((c) => names.includes(c.name.toLowerCase()));
    if (!tenantColumn) {
      outcomes.push({ table: `${table.schema}.${table.name}`, seeded: false, message: 'no tenant column: nothing to seed per tenant' });
      continue;
    }
    // Partitions get their rows through the parent.
    if (table.isPartition) continue;
    targets.push({ table, tenantColumn, tenants: tenantPair(tenantColumn) });
  }
  let counter = 1;
  const next = () => counter++;

  // Parent rows in tables that are not seeded per tenant (tenants, plans): one per tenant value for
  // a tenant-column reference, one any-value row otherwise.
  const seededParents = new Set<string>();
  const targetNames = new Set(targets.map((t) => t.table.sqlName));
  for (const target of targets) {
    for (const column of target.table.columns) {
      const ref = column.references;
      if (!ref || targetNames.has(ref.table)) continue;
      const parent = bySqlName.get(ref.table);
      if (!parent) continue;
      const refColumn = parent.columns.find((c) => c.name === ref.column);
      const keyValues = column === target.tenantColumn ? target.tenants : [null];
      for (const key of keyValues) {
        const marker = `${ref.table}|${ref.column}|${key}`;
        if (seededParents.has(marker)) continue;
        seededParents.add(marker);
        if (key === null) {
          const existing = await session.query(`SELECT 1 FROM ${ref.table} LIMIT 1`);
          if (existing.rows.length > 0) continue;
        }
        const row = buildRow(parent.columns, key === null || !refColumn ? {} : { [refColumn.name]: key }, next, { avoidSequences: false });
        if (row.missing.length > 0) {
          outcomes.push({ table: ref.table, seeded: false, message: `cannot seed parent rows: no value for NOT NULL ${row.missing.join(', ')}` });
          continue;
        }
        const error = await insert(session, ref.table, `${insertSql(ref.table, row)} ON CONFLICT DO NOTHING`, row.values, []);
        if (error) outcomes.push({ table: ref.table, seeded: false, message: `cannot seed parent rows: ${error}` });
      }
    }
  }

  // Tenant tables, parents before children: a few passes, each seeding tables whose tenant-table parents are done.
  const pending = [...targets];
  const done = new Set<string>();
  for (let pass = 0; pass < targets.length + 1 && pending.length > 0; pass++) {
    const ready = pending.filter((t) => t.table.columns.every((c) => !c.references || !targetNames.has(c.references.table) || c.references.table === t.table.sqlName || done.has(c.references.table)));
    const batch = ready.length > 0 ? ready : [pending[0]!]; // a cycle: try anyway, the error is reported
    for (const target of batch) {
      pending.splice(pending.indexOf(target), 1);
      done.add(target.table.sqlName);
      const name = `${target.table.schema}.${target.table.name}`;
      const fkValues: Record<string, string>[] = [];
      const errors: string[] = [];
      for (const tenant of target.tenants) {
        const fixed: Record<string, string> = { [target.tenantColumn.name]: tenant };
        const fks: Record<string, string> = {};
        for (const column of target.table.columns) {
          const ref = column.references;
          if (!ref || column === target.tenantColumn || ref.table === target.table.sqlName) continue;
          const parent = bySqlName.get(ref.table);
          const parentTenant = parent?.columns.find((c) => names.includes(c.name.toLowerCase()));
          const where = parentTenant ? ` WHERE ${quoteIdent(parentTenant.name)}::text = $1` : '';
          const found = await session.query<{ v: string }>(`SELECT ${quoteIdent(ref.column)}::text AS v FROM ${ref.table}${where} LIMIT 1`, parentTenant ? [tenant] : []);
          if (found.rows[0]) fks[column.name] = found.rows[0].v;
        }
        Object.assign(fixed, fks);
        fkValues.push(fks);
        const row = buildRow(target.table.columns, fixed, next, { avoidSequences: false });
        if (row.missing.length > 0) {
          errors.push(`no value for NOT NULL ${row.missing.join(', ')}`);
          continue;
        }
        const error = await insert(session, name, insertSql(target.table.sqlName, row), row.values, tenantSettings.map((s) => [s, tenant]));
        if (error) errors.push(error);
      }
      if (errors.length > 0) {
        outcomes.push({ table: name, seeded: false, message: `cannot seed: ${[...new Set(errors)].join('; ')}` });
      } else {
        outcomes.push({ table: name, seeded: true, message: `seeded one row for tenant ${target.tenants[0]} and one for tenant ${target.tenants[1]}` });
        seeded.set(name, { own: target.tenants[0], other: target.tenants[1], otherRow: fkValues[1] ?? {} });
      }
    }
  }
  // Partitions hold the parent's rows: probe them with the parent's tenants.
  for (const table of tables) {
    if (!table.isPartition) continue;
    const parent = await session.query<{ parent: string }>(`SELECT format('%I.%I', n.nspname, c.relname) AS parent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhrelid = $1`, [table.oid]);
    const parentName = parent.rows[0]?.parent.replace(/"/g, '');
    const info = parentName ? seeded.get(parentName) : undefined;
    if (info) seeded.set(`${table.schema}.${table.name}`, info);
  }
  return { outcomes, seeded };
}
