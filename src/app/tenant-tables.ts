/**
 * Which tables hold tenant data, as the app-code rules see them: from the replayed migrations
 * when the project has any (`loadTenantModel`), and from `globalTables` always.
 */
import type { ResolvedConfig } from '../config.js';
import { loadTenantModel, type TenantModel } from '../project.js';
import { loadSqlParser } from '../sql/parse.js';

await loadSqlParser();

export interface TenantTables {
  /** Does a query over these tables read or write tenant data? (No tables at all: no.) */
  touchTenantData(tables: readonly string[]): boolean;
}

export function tenantTablesFor(config: ResolvedConfig, globalTables: readonly string[]): TenantTables {
  const globals = new Set(globalTables.map(foldName));
  // Replaying the migrations is the expensive part: only when a query names a non-global table.
  let model: TenantModel | null | undefined;
  const isGlobal = (table: string): boolean => {
    const name = foldName(table);
    const unqualified = name.slice(name.lastIndexOf('.') + 1);
    return globals.has(name) || globals.has(unqualified) || (!name.includes('.') && globals.has(`public.${name}`));
  };
  return {
    touchTenantData(tables) {
      return tables.some((table) => {
        if (isGlobal(table)) return false;
        if (model === undefined) model = modelOrNull(config);
        // A table the migrations never create may still hold tenant rows: count it as tenant data.
        if (model) return model.isTenantTable(table) || !model.isKnownTable(table);
        return true;
      });
    },
  };
}

/** PostgreSQL folds unquoted names to lower case; config entries are written unquoted. */
function foldName(name: string): string {
  return name.toLowerCase();
}

/**
 * Migrations that cannot be replayed are the SQL rules' finding (and `rls-guard check`'s), not a
 * reason to crash the editor: the app rules then fall back to `globalTables` alone, which
 * counts more tables as tenant tables, never fewer.
 */
function modelOrNull(config: ResolvedConfig): TenantModel | null {
  try {
    return loadTenantModel(config);
  } catch {
    return null;
  }
}
