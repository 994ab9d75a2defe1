/**
 * The `rls-guard.config.json` that applies to a linted file: found by walking up from the file,
 * so one ESLint run over a monorepo gives each service its own settings. ESLint rule options
 * override it key by key.
 *
 * Every rule asks for every file, so the answer is kept per directory and looked up again (the
 * walk up, the config file's stat) at most once a second: a lint run walks each directory once,
 * and an editor still sees a config file created or edited within a second.
 */
import { statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
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
  /** Without a config file: the defaults for each linted path (see `defaultsFor`). */
  defaults: Map<string, ResolvedConfig>;
}

const byDirectory = new Map<string, DirectoryEntry>();

export function projectConfigFor(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): ResolvedConfig {
  const filename = context.filename;
  const start = isAbsolute(filename) ? filename : resolve(context.cwd, filename);
  // A linted path is a file (or a name that does not exist, as `<input>`): the walk up starts at its directory.
  const dir = dirname(start);
  const now = Date.now();
  let entry = byDirectory.get(dir);
  if (!entry || now - entry.checkedAt >= RECHECK_MS) {
    const found = findConfigFile(dir);
    // A ConfigError (invalid file) is thrown here and nothing is kept: the next file reports it too.
    entry = { checkedAt: now, config: found ? loadConfigFile(found) : null, directoryDefaults: null, defaults: new Map() };
    byDirectory.set(dir, entry);
  }
  if (entry.config) return entry.config;
  let defaults = entry.defaults.get(start);
  if (!defaults) {
    defaults = defaultsFor(start, entry);
    entry.defaults.set(start, defaults);
  }
  return defaults;
}

/**
 * What `resolveConfig({ start })` gives when no config file is above `dir`, without walking up
 * again: the defaults rooted at the file's directory for a file that exists (built once per
 * directory and shared by its files), at the path itself for a name that does not (`<input>`).
 */
function defaultsFor(start: string, entry: DirectoryEntry): ResolvedConfig {
  const path = resolve(start);
  const stats = statOrNull(path);
  if (!stats) return defaultConfig(path);
  // A directory linted as a file: its own walk up starts inside it. Never seen from ESLint.
  if (stats.isDirectory()) return resolveConfig({ start });
  entry.directoryDefaults ??= defaultConfig(dirname(path));
  return entry.directoryDefaults;
}

/** As `existsSync` sees a path: through symlinks, and any error (ENOENT, ENOTDIR, EACCES) as missing. */
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
