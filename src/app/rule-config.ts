/**
 * The `rls-guard.config.json` that applies to a linted file: found by walking up from the file,
 * so one ESLint run over a monorepo gives each service its own settings. ESLint rule options
 * override it key by key.
 *
 * Every rule asks for every file, so the answer is kept per directory and looked up again (the
 * walk up, the config file's stat) at most once a second: a lint run walks each directory once,
 * and an editor still sees a config file created or edited within a second.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { JSONSchema, TSESLint } from '@typescript-eslint/utils';
import { defaultConfig, findConfigFile, loadConfigFile, resolveConfig, type ResolvedConfig } from '../config.js';

/** How long a directory's answer stands before the file system is asked again. */
const RECHECK_MS = 1000;

interface DirectoryEntry {
  checkedAt: number;
  /** The config file's settings, or null when no config file is above the directory. */
  config: ResolvedConfig | null;
  /** Without a config file: the defaults rooted at this directory, shared by its files. */
  directoryDefaults: ResolvedConfig | null;
  /** Without a config file: the regular files in the directory, once a second path is asked for. */
  files: Set<string> | null;
  /** Without a config file: the defaults for each linted path (see `defaultsFor`). */
  defaults: Map<string, ResolvedConfig>;
}

const byDirectory = new Map<string, DirectoryEntry>();

/** The last answer: every rule asks for the same file in turn. */
let last: { filename: string; cwd: string; entry: DirectoryEntry; config: ResolvedConfig } | null = null;

export function projectConfigFor(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): ResolvedConfig {
  const filename = context.filename;
  const now = Date.now();
  if (last && last.filename === filename && last.cwd === context.cwd && now - last.entry.checkedAt < RECHECK_MS) return last.config;
  const start = isAbsolute(filename) ? filename : resolve(context.cwd, filename);
  // A linted path is a file (or a name that does not exist, as `<input>`): the walk up starts at its directory.
  const dir = dirname(start);
  let entry = byDirectory.get(dir);
  if (!entry || now - entry.checkedAt >= RECHECK_MS) {
    const found = findConfigFile(dir);
    // A ConfigError (invalid file) is thrown here and nothing is kept: the next file reports it too.
    entry = { checkedAt: now, config: found ? loadConfigFile(found) : null, directoryDefaults: null, files: null, defaults: new Map() };
    byDirectory.set(dir, entry);
  }
  let config = entry.config ?? entry.defaults.get(start);
  if (!config) {
    config = defaultsFor(start, dir, entry);
    entry.defaults.set(start, config);
  }
  last = { filename, cwd: context.cwd, entry, config };
  return config;
}

/**
 * What `resolveConfig({ start })` gives when no config file is above `dir`, without walking up
 * again: the defaults rooted at the file's directory for a file that exists (built once per
 * directory), at the path itself for a name that does not (`<input>`).
 *
 * Whether the file exists is read off a listing of the directory (a stat per file costs ~50 ms
 * in a 2,000-file lint run); a name not listed as a regular file (a symlink, another case on a
 * case-insensitive disk, a name that does not exist) gets its own stat, as does the only path of
 * an editor.
 */
function defaultsFor(start: string, dir: string, entry: DirectoryEntry): ResolvedConfig {
  const path = resolve(start);
  // One path (an editor) gets its stat; from the second (a lint run), the directory is listed once.
  // (A path with `..` in it is looked up as resolveConfig does, after resolving.)
  if (!entry.files && entry.defaults.size > 0) entry.files = regularFiles(dir);
  const exists = path === start && entry.files?.has(basename(path)) ? 'file' : existence(path);
  if (exists === 'missing') return defaultConfig(path);
  // A directory linted as a file: its own walk up starts inside it. Never seen from ESLint.
  if (exists === 'directory') return resolveConfig({ start });
  entry.directoryDefaults ??= defaultConfig(dirname(path));
  return entry.directoryDefaults;
}

/** Directory listings, kept while the directory's mtime (changed by any entry added or removed) is. */
const listings = new Map<string, { mtimeMs: number; files: Set<string> }>();

/** The names of the regular files in `dir`; empty when it cannot be listed. */
function regularFiles(dir: string): Set<string> {
  const mtimeMs = statOrNull(dir)?.mtimeMs;
  if (mtimeMs === undefined) return new Set();
  const listed = listings.get(dir);
  if (listed?.mtimeMs === mtimeMs) return listed.files;
  let files: Set<string>;
  try {
    files = new Set(readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isFile() ? [d.name] : [])));
  } catch {
    return new Set();
  }
  if (listings.size > 1000) listings.clear();
  listings.set(dir, { mtimeMs, files });
  return files;
}

/** As `resolveConfig` sees a path: through symlinks, and any error (ENOENT, EACCES) as missing. */
function existence(path: string): 'file' | 'directory' | 'missing' {
  const stats = statOrNull(path);
  return !stats ? 'missing' : stats.isDirectory() ? 'directory' : 'file';
}

/** As `existsSync`: any error (ENOENT, ENOTDIR, EACCES) is a path that does not exist. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** A JSON-schema array of strings, for options that default from the config file. */
export function stringListOption(description: string): JSONSchema.JSONSchema4 {
  return { type: 'array', items: { type: 'string' }, description };
}
