/**
 * Which tables hold tenant data, as the app-code rules see them: from the replayed migrations
 * when the project has any (`loadTenantModel`), and from `globalTables` always.
 */
import type { ResolvedConfig } from '../config.js';
import { loadTenantModel } from '../project.js';

export interface TenantTables {
  /** Does a query over these tables read or write tenant data? (No tables at all: no.) */
  touchTenantData(tables: readonly string[]): boolean;
}

export function tenantTablesFor(config: ResolvedConfig, globalTables: readonly string[]): TenantTables {
  const globals = new Set(globalTables.map(foldName));
  const model = loadTenantModel(config);
  const isGlobal = (table: string): boolean => {
    const name = foldName(table);
    const unqualified = name.slice(name.lastIndexOf('.') + 1);
    return globals.has(name) || globals.has(unqualified) || (!name.includes('.') && globals.has(`public.${name}`));
  };
  return {
    touchTenantData(tables) {
      return tables.some((table) => {
        if (isGlobal(table)) return false;
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
