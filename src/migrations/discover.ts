/**
 * Finding migration files and putting them in the order the migration tool applies them.
 *
 * Layouts: numbered or timestamped `*.sql`; Flyway `V<version>__*.sql` (then repeatable `R__*.sql`,
 * never undo `U*__`); golang-migrate / sqlx `*.up.sql` (never `*.down.sql`); Prisma
 * `<timestamp>_<name>/migration.sql`; Supabase `supabase/migrations/<timestamp>_*.sql`; drizzle-kit
 * `NNNN_name.sql` with `--> statement-breakpoint` separators (comments to the parser); and one
 * directory per migration holding `up.sql` (never `down.sql`); graphile-migrate `committed/` then
 * `current.sql` (or `current/`).
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ResolvedConfig } from '../config.js';
import { describeFsError } from './read.js';

export interface MigrationFile {
  /** Absolute path. */
  path: string;
}

/** A migrations path that does not exist or holds no migration: a configuration error (exit 2). */
export class MigrationPathError extends Error {
  constructor(
    readonly path: string,
    reason = 'no such file or directory',
  ) {
    super(`${path}: ${reason}`);
    this.name = 'MigrationPathError';
  }
}

/** A file or directory name split into comparable parts: numbers compare numerically. */
function sortKey(name: string): (string | bigint)[] {
  const flyway = /^([VR])(\d+(?:[._]\d+)*)__/i.exec(name);
  if (flyway) {
    // Flyway versions: V1 < V1.1 < V2 < V10; repeatable migrations run after all versioned ones.
    const versionParts = flyway[2]!.split(/[._]/).map((p) => BigInt(p));
    // -1 ends the version, so V1 sorts before V1.1 (a longer version with the same prefix is later).
    return [flyway[1]!.toUpperCase() === 'V' ? 0n : 1n, ...versionParts, -1n, name.slice(flyway[0].length)];
  }
  const parts: (string | bigint)[] = [];
  for (const chunk of name.toLowerCase().match(/\d+|\D+/g) ?? []) parts.push(/^\d/.test(chunk) ? BigInt(chunk) : chunk);
  return parts;
}

function compareKeys(a: (string | bigint)[], b: (string | bigint)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === typeof y) {
      if (x < y) return -1;
      if (x > y) return 1;
    } else {
      return typeof x === 'bigint' ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** Down and undo migrations: never part of the forward history. */
export function isRollbackMigration(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.down.sql') || lower === 'down.sql' || /^u\d+(?:[._]\d+)*__/i.test(name); // Flyway undo: U<n>__
}

function isSkippedFile(name: string): boolean {
  return !name.toLowerCase().endsWith('.sql') || isRollbackMigration(name);
}

/**
 * graphile-migrate: `committed/*.sql` in order, then the migration being written, `current.sql`
 * or the files of `current/`. Null when `dir` is not laid out that way.
 */
function graphileMigrateFiles(dir: string, problems: DiscoveryProblem[], ancestors: ReadonlySet<string>): string[] | null {
  const committed = join(dir, 'committed');
  const current = join(dir, 'current.sql');
  const currentDir = join(dir, 'current');
  if (!existsSync(committed) || !statSync(committed).isDirectory()) return null;
  if (!existsSync(current) && !existsSync(currentDir)) return null;
  const files = filesInDirectory(committed, problems, ancestors);
  if (existsSync(current)) files.push(current);
  else if (statSync(currentDir).isDirectory()) files.push(...filesInDirectory(currentDir, problems, ancestors));
  return files;
}

/** A path discovery could not look into (an unreadable directory, a link loop), with the reason. */
export interface DiscoveryProblem {
  path: string;
  reason: string;
}

/**
 * The migration files of one directory, in application order. A directory that cannot be read or
 * that a symbolic link leads back into is a problem, and the rest is still listed; a link whose
 * target cannot be examined (dangling, a loop of links) is listed as a file, for the reader to
 * report with the reason.
 */
function filesInDirectory(dir: string, problems: DiscoveryProblem[], ancestors: ReadonlySet<string> = new Set()): string[] {
  let real: string;
  let listing;
  try {
    real = realpathSync(dir);
    listing = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    problems.push({ path: dir, reason: `cannot read the directory: ${describeFsError(error)}` });
    return [];
  }
  if (ancestors.has(real)) {
    problems.push({ path: dir, reason: `a symbolic link loop: it leads back to ${real}, not read again` });
    return [];
  }
  const inside = new Set(ancestors).add(real);
  const graphile = graphileMigrateFiles(dir, problems, inside);
  if (graphile) return graphile;
  // A Supabase project directory: only migrations/ is the history; seed.sql runs on `db reset` only.
  if (basename(dir) === 'supabase' && existsSync(join(dir, 'migrations'))) return filesInDirectory(join(dir, 'migrations'), problems, inside);
  const entries: { key: (string | bigint)[]; files: string[] }[] = [];
  for (const entry of listing) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && isDirectoryTarget(full))) {
      if (entry.name === 'node_modules' || entry.name === 'meta') continue;
      // Prisma: <ts>_<name>/migration.sql; one directory per migration: <name>/up.sql.
      const single = ['migration.sql', 'up.sql'].map((f) => join(full, f)).find((f) => existsSync(f));
      entries.push({ key: sortKey(entry.name), files: single ? [single] : filesInDirectory(full, problems, inside) });
    } else if (!isSkippedFile(entry.name) && !(entry.name === 'seed.sql' && basename(dir) === 'supabase')) {
      entries.push({ key: sortKey(entry.name), files: [full] });
    }
  }
  entries.sort((a, b) => compareKeys(a.key, b.key));
  return entries.flatMap((e) => e.files);
}

function isDirectoryTarget(link: string): boolean {
  try {
    return statSync(link).isDirectory();
  } catch {
    return false; // dangling or a loop of links: the reader reports it
  }
}

/** Orders explicit files the way a directory listing of them would be ordered. */
export function orderMigrationFiles(paths: string[]): string[] {
  return [...paths].sort((a, b) => {
    const ka = sortKey(basename(a) === 'migration.sql' || basename(a) === 'up.sql' ? basename(join(a, '..')) : basename(a));
    const kb = sortKey(basename(b) === 'migration.sql' || basename(b) === 'up.sql' ? basename(join(b, '..')) : basename(b));
    return compareKeys(ka, kb);
  });
}

/** A path migrations are looked for in, and why: given on the command line, or configured. */
interface MigrationRoot {
  path: string;
  /** Where the path came from, for messages: `"migrations" in <config file>`, or null when given. */
  origin: string | null;
}

/**
 * The roots to look in. With no paths, the config's `migrations` (relative to the config file). A
 * directory that holds the config file stands for the project: its configured migrations.
 */
function migrationRoots(paths: string[], config: ResolvedConfig): MigrationRoot[] {
  const configured = (): MigrationRoot[] => {
    const origin = config.configPath ? `"migrations" in ${config.configPath}` : 'the default "migrations": no rls-guard.config.json found';
    return config.migrations.map((m) => ({ path: resolve(config.rootDir, m), origin }));
  };
  if (paths.length === 0) return configured();
  return paths.flatMap((p) => {
    const path = resolve(p);
    const isProject = config.configPath !== null && resolve(config.rootDir) === path && existsSync(path) && statSync(path).isDirectory();
    return isProject ? configured() : [{ path, origin: null }];
  });
}

function filesOfRoots(
  roots: readonly MigrationRoot[],
  onMissing: (root: MigrationRoot) => void,
  onEmpty: (root: MigrationRoot) => void,
  problems: DiscoveryProblem[] = [],
): MigrationFile[] {
  const files: string[] = [];
  const explicitFiles: string[] = [];
  for (const root of roots) {
    if (!existsSync(root.path)) {
      onMissing(root);
      continue;
    }
    if (statSync(root.path).isDirectory()) {
      const before = problems.length;
      const found = filesInDirectory(root.path, problems);
      // A directory whose contents could not be read is reported as such, not as empty.
      if (found.length === 0 && problems.length === before) onEmpty(root);
      files.push(...found);
    } else {
      explicitFiles.push(root.path);
    }
  }
  files.push(...orderMigrationFiles(explicitFiles));
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f) ? false : (seen.add(f), true))).map((path) => ({ path }));
}

/**
 * The migration files to replay, leniently, for the editor and the app rules' tenant model: a
 * configured directory that does not exist (yet) contributes nothing. A given path that does not
 * exist throws MigrationPathError. A single file is analyzed alone.
 */
export function discoverMigrations(paths: string[], config: ResolvedConfig): MigrationFile[] {
  return filesOfRoots(
    migrationRoots(paths, config),
    (root) => {
      if (root.origin === null) throw new MigrationPathError(root.path);
    },
    () => {},
  );
}

/** Files that mark a directory as empty on purpose (git keeps no empty directory). */
const PLACEHOLDERS = new Set(['.gitkeep', '.keep']);

function isEmptyOnPurpose(dir: string): boolean {
  const names = readdirSync(dir);
  return names.length > 0 && names.every((name) => PLACEHOLDERS.has(name));
}

export interface GateOptions {
  /** An empty history passes: no path may be missing, but none needs to hold a migration. */
  allowEmpty?: boolean;
  /** What to do about an empty history on purpose, for the message (default: the CLI's --allow-empty). */
  emptyHint?: string;
}

/**
 * The migration files a gate (`check`, `verify`) replays. Nothing checked is an error: every path,
 * given or configured, must exist and hold a migration, else MigrationPathError names it (and, for
 * a configured one, the setting). An empty history passes only with `allowEmpty`, or where the
 * directory holds nothing but a `.gitkeep` or `.keep` placeholder. Directories that could not be
 * read are returned as problems, for the gate to report beside the findings of the rest.
 */
export function discoverGatedMigrations(paths: string[], config: ResolvedConfig, options: GateOptions = {}): { files: MigrationFile[]; problems: DiscoveryProblem[] } {
  const problems: MigrationPathError[] = [];
  const unreadable: DiscoveryProblem[] = [];
  const files = filesOfRoots(
    migrationRoots(paths, config),
    (root) => problems.push(new MigrationPathError(root.path, `no such file or directory${root.origin ? ` (${root.origin})` : ''}`)),
    (root) => {
      if (options.allowEmpty || isEmptyOnPurpose(root.path)) return;
      const why = root.origin ? ` (${root.origin})` : '';
      problems.push(new MigrationPathError(root.path, `no migration file (*.sql) in this directory${why}; ${options.emptyHint ?? 'pass --allow-empty if the history is empty on purpose'}`));
    },
    unreadable,
  );
  if (problems.length > 0) {
    // Every bad path at once, one per line: fixing them one run at a time is tedious.
    const error = problems[0]!;
    if (problems.length > 1) error.message = problems.map((p) => p.message).join('\n');
    throw error;
  }
  return { files, problems: unreadable };
}
