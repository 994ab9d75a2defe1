/**
 * The migration history a linted `.sql` file belongs to, replayed once and reused: ESLint runs
 * every SQL rule on a file, and an editor lints the same file on every keystroke, so parses are
 * cached per file (src/sql/file-cache.ts) and analyses per history (by every file's identity).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { MigrationAnalyzer, type MigrationAnalysis } from '../check.js';
import { resolveConfig, type ResolvedConfig } from '../config.js';
import { discoverMigrations, isRollbackMigration } from '../migrations/discover.js';
import { parsedFile } from '../sql/file-cache.js';

const analyses = new Map<string, MigrationAnalysis>();
const MAX_ANALYSES = 8;

/** The migration files of `paths` in order; null when they cannot be discovered (a configuration error, which `rls-guard check` reports). */
function tryDiscover(paths: string[], config: ResolvedConfig): string[] | null {
  try {
    return discoverMigrations(paths, config).map((f) => f.path);
  } catch {
    return null;
  }
}

/**
 * The files replayed with `file`, in order. With an rls-guard.config.json, the configured
 * history, and none for a `.sql` file outside it: a query file (pgtyped, sqlc), a seed or a
 * fixture is not a migration, and the migration rules have nothing to say about it. Without a
 * config file (or with one whose migrations cannot be found), and for a file not on disk yet, the
 * file's directory, else the file alone. A down or undo migration belongs to no forward history: none (as `rls-guard check` never
 * replays it, it reports nothing on it either).
 */
export function historyFor(file: string, config: ResolvedConfig): string[] {
  if (isRollbackMigration(basename(file))) return [];
  if (config.configPath) {
    const configured = tryDiscover([], config);
    if (configured?.includes(file)) return configured;
    // Not yet on disk (an editor's unsaved buffer) is not "outside the history": it is analyzed as before.
    if (configured && existsSync(file)) return [];
  }
  const sameDirectory = tryDiscover([dirname(file)], { ...config, configPath: null }) ?? [];
  if (sameDirectory.includes(file)) return sameDirectory;
  return [file];
}

/** Analyzes the history of `filePath`, with `text` as that file's current (possibly unsaved) contents. */
export function analysisForFile(filePath: string, text: string): { analysis: MigrationAnalysis; file: string; config: ResolvedConfig } {
  const file = resolve(filePath);
  const config = resolveConfig({ start: file });
  const files = historyFor(file, config);
  const parsed = files.map((f) => ({ file: f, ...parsedFile(f, f === file ? text : null) }));
  // Every config key can change findings (appRoles, globalTables...), not only `rules`.
  const key = `${JSON.stringify(config)}|${parsed.map((p) => `${p.file}@${p.stamp}`).join('|')}`;
  let analysis = analyses.get(key);
  if (!analysis) {
    // ESLint's config decides whether an opt-in rule (policy-initplan...) is reported: compute them all.
    const analyzer = new MigrationAnalyzer(config, { everyRule: true });
    for (const p of parsed) analyzer.add(p.file, p.script);
    analysis = analyzer.finish();
    if (analyses.size >= MAX_ANALYSES) analyses.delete(analyses.keys().next().value!);
    analyses.set(key, analysis);
  }
  return { analysis, file, config };
}
