/**
 * The migration history a linted `.sql` file belongs to, replayed once and reused: ESLint runs
 * every SQL rule on a file, and an editor lints the same file on every keystroke, so parses are
 * cached per file (src/sql/file-cache.ts) and analyses per history (by every file's identity).
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { MigrationAnalyzer, type MigrationAnalysis } from '../check.js';
import { ConfigError, resolveConfig, type ResolvedConfig } from '../config.js';
import { discoverGatedMigrations, discoverMigrations, isRollbackMigration, MigrationPathError, type DiscoveryProblem } from '../migrations/discover.js';
import { configuredMaxFileBytes, FileSizeSettingError } from '../migrations/read.js';
import { parsedFile } from '../sql/file-cache.js';

const analyses = new Map<string, MigrationAnalysis>();
const MAX_ANALYSES = 8;

/**
 * A configuration that leaves nothing to check (a configured migrations path that does not exist
 * or holds no migration), or that cannot be read: ESLint stops with exit 2 and prints this
 * message, as `rls-guard check` does; never a stack trace, and never a lint that passes because
 * nothing was replayed.
 */
export class LintConfigurationError extends Error {
  constructor(message: string) {
    super(`rls-guard: ${message}`);
    this.name = 'LintConfigurationError';
    // ESLint prints a crashed rule's `stack`: the message alone (with what ESLint appends to it).
    Object.defineProperty(this, 'stack', { get: () => this.message, configurable: true });
  }
}

/** The migration files of `paths` in order; null when they cannot be discovered. */
function tryDiscover(paths: string[], config: ResolvedConfig): string[] | null {
  try {
    return discoverMigrations(paths, config).map((f) => f.path);
  } catch {
    return null;
  }
}

/** A history file, or a directory of the history, that could not be read (ESLint cannot lint it to show why). */
export interface HistoryProblem {
  path: string;
  reason: string;
}

export interface FileHistory {
  files: string[];
  /** Directories of the configured history that could not be read. */
  problems: DiscoveryProblem[];
}

/**
 * The files replayed with `file`, in order. With an rls-guard.config.json, the configured
 * history, and none for a `.sql` file outside it: a query file (pgtyped, sqlc), a seed or a
 * fixture is not a migration, and the migration rules have nothing to say about it. Without a
 * config file (or with one whose migrations cannot be found), and for a file not on disk yet, the
 * file's directory, else the file alone. A down or undo migration belongs to no forward history: none (as `rls-guard check` never
 * replays it, it reports nothing on it either).
 */
export function historyFor(file: string, config: ResolvedConfig): FileHistory {
  if (isRollbackMigration(basename(file))) return { files: [], problems: [] };
  if (config.configPath) {
    // As `rls-guard check`: a configured path that does not exist or holds no migration throws
    // MigrationPathError naming it; unreadable directories are problems beside the files.
    const configured = discoverGatedMigrations([], config, { emptyHint: 'keep a .gitkeep in it if the history is empty on purpose' });
    const files = configured.files.map((f) => f.path);
    if (files.includes(file)) return { files, problems: configured.problems };
    // Not yet on disk (an editor's unsaved buffer) is not "outside the history": it is analyzed as before.
    if (existsSync(file)) return { files: [], problems: [] };
  }
  const sameDirectory = tryDiscover([dirname(file)], { ...config, configPath: null }) ?? [];
  if (sameDirectory.includes(file)) return { files: sameDirectory, problems: [] };
  return { files: [file], problems: [] };
}

export interface FileAnalysis {
  analysis: MigrationAnalysis;
  file: string;
  config: ResolvedConfig;
  /**
   * Other history files that could not be read at all (a FIFO, a dangling link, permission
   * denied) and history directories that could not be listed: ESLint cannot lint them to show
   * their finding, so the files replayed without them report it.
   */
  historyProblems: HistoryProblem[];
}

/** Analyzes the history of `filePath`, with `text` as that file's current (possibly unsaved) contents. */
export function analysisForFile(filePath: string, text: string): FileAnalysis {
  const file = resolve(filePath);
  let config: ResolvedConfig;
  let history: FileHistory;
  let maxBytes: number;
  try {
    config = resolveConfig({ start: file });
    history = historyFor(file, config);
    maxBytes = configuredMaxFileBytes();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof MigrationPathError || error instanceof FileSizeSettingError) throw new LintConfigurationError(error.message);
    throw error;
  }
  // Every history file is read as `rls-guard check` reads it (src/sql/file-cache.ts).
  const parsed = history.files.map((f) => ({ file: f, ...parsedFile(f, f === file ? text : null, maxBytes) }));
  // Every config key can change findings (appRoles, globalTables...), not only `rules`.
  const key = `${JSON.stringify(config)}|${parsed.map((p) => `${p.file}@${p.stamp}`).join('|')}`;
  let analysis = analyses.get(key);
  if (!analysis) {
    // ESLint's config decides whether an opt-in rule (policy-initplan...) is reported: compute them all.
    const analyzer = new MigrationAnalyzer(config, { everyRule: true });
    for (const p of parsed) {
      if (p.unread) analyzer.addUnread(p.file, p.unread.reason);
      else analyzer.add(p.file, p.script);
    }
    analysis = analyzer.finish();
    if (analyses.size >= MAX_ANALYSES) analyses.delete(analyses.keys().next().value!);
    analyses.set(key, analysis);
  }
  const historyProblems: HistoryProblem[] = [
    ...history.problems,
    ...parsed.filter((p) => p.file !== file && p.unread?.unreadable).map((p) => ({ path: p.file, reason: p.unread!.reason })),
  ];
  return { analysis, file, config, historyProblems };
}
