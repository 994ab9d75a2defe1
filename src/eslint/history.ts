/**
 * The migration history a linted `.sql` file belongs to, replayed once and reused: ESLint runs
 * every SQL rule on a file, and an editor lints the same file on every keystroke, so parses are
 * cached per file (by modification time) and analyses per history (by every file's identity).
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { analyzeMigrations, type MigrationAnalysis } from '../check.js';
import { resolveConfig, type ResolvedConfig } from '../config.js';
import { discoverMigrations, isRollbackMigration } from '../migrations/discover.js';
import { parseScript, type ParsedScript } from '../sql/parse.js';

const parsedFiles = new Map<string, { stamp: string; text: string; script: ParsedScript }>();
const analyses = new Map<string, MigrationAnalysis>();
const MAX_ANALYSES = 8;

function tryDiscover(paths: string[], config: ResolvedConfig): string[] {
  try {
    return discoverMigrations(paths, config).map((f) => f.path);
  } catch {
    return [];
  }
}

/**
 * The files replayed with `file`, in order: the configured history, else its directory, else
 * itself. A down or undo migration belongs to no forward history: none (as `rls-guard check`
 * never replays it, it reports nothing on it either).
 */
export function historyFor(file: string, config: ResolvedConfig): string[] {
  if (isRollbackMigration(basename(file))) return [];
  if (config.configPath) {
    const configured = tryDiscover([], config);
    if (configured.includes(file)) return configured;
  }
  const sameDirectory = tryDiscover([dirname(file)], { ...config, configPath: null });
  if (sameDirectory.includes(file)) return sameDirectory;
  return [file];
}

function quickHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(16)}`;
}

function parsed(file: string, text: string | null): { stamp: string; script: ParsedScript } {
  let stamp: string;
  if (text === null) {
    const stat = statSync(file);
    stamp = `${stat.mtimeMs}:${stat.size}`;
  } else {
    stamp = quickHash(text);
  }
  const cached = parsedFiles.get(file);
  if (cached && cached.stamp === stamp) return cached;
  const body = text ?? readFileSync(file, 'utf8');
  const entry = { stamp, text: body, script: parseScript(body) };
  parsedFiles.set(file, entry);
  return entry;
}

/** Analyzes the history of `filePath`, with `text` as that file's current (possibly unsaved) contents. */
export function analysisForFile(filePath: string, text: string): { analysis: MigrationAnalysis; file: string; config: ResolvedConfig } {
  const file = resolve(filePath);
  const config = resolveConfig({ start: file });
  const files = historyFor(file, config);
  const scripts = new Map<string, ParsedScript>();
  const stamps: string[] = [];
  for (const f of files) {
    const entry = parsed(f, f === file ? text : null);
    scripts.set(f, entry.script);
    stamps.push(`${f}@${entry.stamp}`);
  }
  const key = `${config.configPath ?? ''}|${JSON.stringify(config.rules)}|${stamps.join('|')}`;
  let analysis = analyses.get(key);
  if (!analysis) {
    analysis = analyzeMigrations(
      files.map((f) => ({ file: f, text: '' })),
      config,
      scripts,
    );
    if (analyses.size >= MAX_ANALYSES) analyses.delete(analyses.keys().next().value!);
    analyses.set(key, analysis);
  }
  return { analysis, file, config };
}
