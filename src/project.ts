/**
 * The project's migrations as the app-code rules see them: which tables are tenant tables.
 * Replayed once per process and config, and again only when a migration file changes; the files
 * are listed and stat'ed at most once a second per config, so a lint run pays for it once while an
 * editor still sees a migration edit within a second.
 */
import type { ResolvedConfig } from './config.js';
import { MigrationAnalyzer, type MigrationAnalysis } from './check.js';
import { discoverMigrations } from './migrations/discover.js';
import { qualifiedKey } from './model/catalog.js';
import { parsedFile } from './sql/file-cache.js';
import { isSqlParserLoaded } from './sql/parse.js';

export interface TenantModel {
  /** `name` is `schema.table` or unqualified (resolved through `public`), as PostgreSQL folds it. */
  isTenantTable(name: string): boolean;
  isKnownTable(name: string): boolean;
  analysis: MigrationAnalysis;
}

const cache = new Map<string, { stamp: string; model: TenantModel | null }>();

/** How long a checked answer stands before the migration files are listed and stat'ed again. */
const RECHECK_MS = 1000;
/** The last answer per config key, and when its files were last checked. */
const recent = new Map<string, { checkedAt: number; model: TenantModel | null }>();

function lookupKeys(name: string): string[] {
  const parts = name.split('.');
  if (parts.length >= 2) return [qualifiedKey(parts[parts.length - 2]!, parts[parts.length - 1]!)];
  return [qualifiedKey('public', name)];
}

/**
 * The tenant model of the config's migrations, or null when none exist. The SQL parser must be
 * loaded (`await loadSqlParser()`; the plugin's entry module does it at import).
 */
export function loadTenantModel(config: ResolvedConfig): TenantModel | null {
  if (!isSqlParserLoaded()) throw new Error('rls-guard: the SQL parser is not loaded (await loadSqlParser() first)');
  const key = cacheKey(config);
  const now = Date.now();
  const last = recent.get(key);
  if (last && now - last.checkedAt < RECHECK_MS) return last.model;
  const model = currentModel(config, key);
  recent.set(key, { checkedAt: now, model });
  return model;
}

/** Config objects are cached and shared by their loaders: serialize each one once. */
const keys = new WeakMap<ResolvedConfig, string>();

function cacheKey(config: ResolvedConfig): string {
  let key = keys.get(config);
  if (key === undefined) {
    key = `${config.configPath ?? config.rootDir}|${JSON.stringify(config)}`;
    keys.set(config, key);
  }
  return key;
}

/** Lists and stats the migrations, replaying them only when one was added, removed or changed. */
function currentModel(config: ResolvedConfig, key: string): TenantModel | null {
  let files: string[];
  try {
    files = discoverMigrations([], config).map((f) => f.path);
  } catch {
    return null;
  }
  if (files.length === 0) return null;
  // Parses are shared with the SQL language's history (the same migrations, one parse per change).
  const parsed = files.map((file) => ({ file, ...parsedFile(file) }));
  const stamp = parsed.map((p) => `${p.file}:${p.stamp}`).join('|');
  const cached = cache.get(key);
  if (cached && cached.stamp === stamp) return cached.model;
  const analyzer = new MigrationAnalyzer(config);
  for (const p of parsed) {
    if (p.unread) analyzer.addUnread(p.file, p.unread.reason);
    else analyzer.add(p.file, p.script);
  }
  const analysis = analyzer.finish();
  const { catalog, tenancy } = analysis;
  const model: TenantModel = {
    analysis,
    isTenantTable(name) {
      return lookupKeys(name).some((k) => {
        const table = catalog.tables.get(k);
        return table !== undefined && tenancy.isTenantTable(table);
      });
    },
    isKnownTable(name) {
      return lookupKeys(name).some((k) => catalog.tables.has(k) || catalog.views.has(k));
    },
  };
  cache.set(key, { stamp, model });
  return model;
}
