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
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ResolvedConfig } from '../config.js';

export interface MigrationFile {
  /** Absolute path. */
  path: string;
}

export class MigrationPathError extends Error {
  constructor(readonly path: string) {
    super(`${path}: no such file or directory`);
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
function graphileMigrateFiles(dir: string): string[] | null {
  const committed = join(dir, 'committed');
  const current = join(dir, 'current.sql');
  const currentDir = join(dir, 'current');
  if (!existsSync(committed) || !statSync(committed).isDirectory()) return null;
  if (!existsSync(current) && !existsSync(currentDir)) return null;
  const files = filesInDirectory(committed);
  if (existsSync(current)) files.push(current);
  else if (statSync(currentDir).isDirectory()) files.push(...filesInDirectory(currentDir));
  return files;
}

/** The migration files of one directory, in application order. */
function filesInDirectory(dir: string): string[] {
  const graphile = graphileMigrateFiles(dir);
  if (graphile) return graphile;
  // A Supabase project directory: only migrations/ is the history; seed.sql runs on `db reset` only.
  if (basename(dir) === 'supabase' && existsSync(join(dir, 'migrations'))) return filesInDirectory(join(dir, 'migrations'));
  const entries: { key: (string | bigint)[]; files: string[] }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory())) {
      if (entry.name === 'node_modules' || entry.name === 'meta') continue;
      // Prisma: <ts>_<name>/migration.sql; one directory per migration: <name>/up.sql.
      const single = ['migration.sql', 'up.sql'].map((f) => join(full, f)).find((f) => existsSync(f));
      entries.push({ key: sortKey(entry.name), files: single ? [single] : filesInDirectory(full) });
    } else if (!isSkippedFile(entry.name) && !(entry.name === 'seed.sql' && basename(dir) === 'supabase')) {
      entries.push({ key: sortKey(entry.name), files: [full] });
    }
  }
  entries.sort((a, b) => compareKeys(a.key, b.key));
  return entries.flatMap((e) => e.files);
}

/** Orders explicit files the way a directory listing of them would be ordered. */
export function orderMigrationFiles(paths: string[]): string[] {
  return [...paths].sort((a, b) => {
    const ka = sortKey(basename(a) === 'migration.sql' || basename(a) === 'up.sql' ? basename(join(a, '..')) : basename(a));
    const kb = sortKey(basename(b) === 'migration.sql' || basename(b) === 'up.sql' ? basename(join(b, '..')) : basename(b));
    return compareKeys(ka, kb);
  });
}

/**
 * The migration files to replay. With no paths, the config's `migrations` (relative to the config
 * file). A directory that holds the config file stands for the project: its configured migrations.
 * Any other directory is a migrations directory. A single file is analyzed alone.
 */
export function discoverMigrations(paths: string[], config: ResolvedConfig): MigrationFile[] {
  const roots = paths.length > 0 ? paths.map((p) => resolve(p)) : config.migrations.map((m) => resolve(config.rootDir, m));
  const files: string[] = [];
  const explicitFiles: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) {
      if (paths.length === 0) continue; // a configured directory that does not exist yet: nothing to check
      throw new MigrationPathError(root);
    }
    if (statSync(root).isDirectory()) {
      if (paths.length > 0 && config.configPath && resolve(config.rootDir) === root) {
        for (const m of config.migrations) {
          const dir = resolve(config.rootDir, m);
          if (existsSync(dir)) files.push(...(statSync(dir).isDirectory() ? filesInDirectory(dir) : [dir]));
        }
      } else {
        files.push(...filesInDirectory(root));
      }
    } else {
      explicitFiles.push(root);
    }
  }
  files.push(...orderMigrationFiles(explicitFiles));
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f) ? false : (seen.add(f), true))).map((path) => ({ path }));
}
