/**
 * Migration discovery: which files are migrations, and the order each tool applies them in.
 * Each case builds its layout in a fresh temporary directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfigFile, type ResolvedConfig, type RlsGuardConfig } from '../../src/config.js';
import { discoverMigrations, MigrationPathError } from '../../src/migrations/discover.js';
import { loadSqlParser, parseScript } from '../../src/sql/parse.js';

const created: string[] = [];

/** Creates the files (contents default to `SELECT 1;`) under a new temporary directory. */
function layout(files: string[] | Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rls-guard-discover-'));
  created.push(root);
  const entries = Array.isArray(files) ? files.map((f) => [f, 'SELECT 1;'] as const) : Object.entries(files);
  for (const [file, text] of entries) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

function defaults(rootDir: string): ResolvedConfig {
  return { ...structuredClone(DEFAULT_CONFIG as RlsGuardConfig), configPath: null, rootDir };
}

/** The discovered files, relative to `root`, in replay order. */
function discovered(root: string, paths: string[], config: ResolvedConfig = defaults(root)): string[] {
  return discoverMigrations(paths, config).map((f) => relative(root, f.path));
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('discoverMigrations', () => {
  describe('ordering', () => {
    it('numbered files compare numerically: 2_ before 10_', () => {
      const root = layout(['10_c.sql', '2_b.sql', '1_a.sql']);
      expect(discovered(root, [root])).toEqual(['1_a.sql', '2_b.sql', '10_c.sql']);
    });

    it('zero-padded and timestamped files', () => {
      const root = layout(['20240301093000_add_notes.sql', '20231231235959_init.sql', '20240301093000_add_docs.sql']);
      expect(discovered(root, [root])).toEqual(['20231231235959_init.sql', '20240301093000_add_docs.sql', '20240301093000_add_notes.sql']);
    });

    it('Flyway: V1__ < V2__ < V10__ < R__ (repeatable last), undo U1__ skipped', () => {
      const root = layout(['V10__ten.sql', 'R__views.sql', 'V2__two.sql', 'U1__undo.sql', 'V1__init.sql']);
      expect(discovered(root, [root])).toEqual(['V1__init.sql', 'V2__two.sql', 'V10__ten.sql', 'R__views.sql']);
    });

    it('Flyway: V1__ < V1.1__ < V2__ < V10__ < R__', () => {
      const root = layout(['V10__ten.sql', 'R__views.sql', 'V2__two.sql', 'V1.1__patch.sql', 'U1__undo.sql', 'V1__init.sql']);
      expect(discovered(root, [root])).toEqual(['V1__init.sql', 'V1.1__patch.sql', 'V2__two.sql', 'V10__ten.sql', 'R__views.sql']);
    });

    it('Flyway versions with underscores: V1__ < V1_1__ < V2__', () => {
      const root = layout(['V2__two.sql', 'V1_1__patch.sql', 'V1__init.sql']);
      expect(discovered(root, [root])).toEqual(['V1__init.sql', 'V1_1__patch.sql', 'V2__two.sql']);
    });

    it('golang-migrate / sqlx: *.up.sql in order, *.down.sql skipped', () => {
      const root = layout(['000002_docs.down.sql', '000010_notes.up.sql', '000001_init.up.sql', '000001_init.down.sql', '000002_docs.up.sql']);
      expect(discovered(root, [root])).toEqual(['000001_init.up.sql', '000002_docs.up.sql', '000010_notes.up.sql']);
    });

    it('Prisma: <timestamp>_<name>/migration.sql, migration_lock.toml skipped', () => {
      const root = layout(['migrations/20240201000000_add_docs/migration.sql', 'migrations/20240101000000_init/migration.sql', 'migrations/migration_lock.toml']);
      expect(discovered(root, [join(root, 'migrations')])).toEqual([
        'migrations/20240101000000_init/migration.sql',
        'migrations/20240201000000_add_docs/migration.sql',
      ]);
    });

    it('one directory per migration: up.sql, down.sql skipped', () => {
      const root = layout(['10_notes/up.sql', '10_notes/down.sql', '2_docs/up.sql', '2_docs/down.sql', '1_init/up.sql']);
      expect(discovered(root, [root])).toEqual(['1_init/up.sql', '2_docs/up.sql', '10_notes/up.sql']);
    });

    it('Supabase: supabase/migrations/<timestamp>_*.sql, seed.sql outside it not a migration', () => {
      const root = layout(['supabase/migrations/20240102000000_policies.sql', 'supabase/migrations/20240101000000_init.sql', 'supabase/seed.sql']);
      expect(discovered(root, [join(root, 'supabase/migrations')])).toEqual([
        'supabase/migrations/20240101000000_init.sql',
        'supabase/migrations/20240102000000_policies.sql',
      ]);
    });

    it('drizzle-kit: NNNN_name.sql in order, meta/ skipped', () => {
      const root = layout(['drizzle/0001_docs.sql', 'drizzle/0000_init.sql', 'drizzle/meta/_journal.json', 'drizzle/meta/0000_snapshot.sql']);
      expect(discovered(root, [join(root, 'drizzle')])).toEqual(['drizzle/0000_init.sql', 'drizzle/0001_docs.sql']);
    });

    it('non-SQL files and hidden files are skipped', () => {
      const root = layout(['README.md', '.draft.sql', '001_init.sql', 'notes.txt']);
      expect(discovered(root, [root])).toEqual(['001_init.sql']);
    });

    it('several explicit files are put in migration order', () => {
      const root = layout(['10_c.sql', '2_b.sql', '1_a.sql']);
      expect(discovered(root, [join(root, '10_c.sql'), join(root, '2_b.sql')])).toEqual(['2_b.sql', '10_c.sql']);
    });
  });

  describe('what is analyzed', () => {
    it('a single file argument is analyzed alone', () => {
      const root = layout(['001_init.sql', '002_docs.sql', '003_notes.sql']);
      expect(discovered(root, [join(root, '002_docs.sql')])).toEqual(['002_docs.sql']);
    });

    it('a directory holding rls-guard.config.json stands for its configured migrations', () => {
      const root = layout({
        'rls-guard.config.json': JSON.stringify({ migrations: ['db/migrations'] }),
        'db/migrations/2_docs.sql': 'SELECT 1;',
        'db/migrations/1_init.sql': 'SELECT 1;',
        'scratch.sql': 'SELECT 1;',
        'src/queries.sql': 'SELECT 1;',
      });
      expect(discovered(root, [root], loadConfigFile(join(root, 'rls-guard.config.json')))).toEqual(['db/migrations/1_init.sql', 'db/migrations/2_docs.sql']);
    });

    it('with no paths, the configured migrations relative to the config file', () => {
      const root = layout({ 'rls-guard.config.json': JSON.stringify({ migrations: ['sql'] }), 'sql/1_init.sql': 'SELECT 1;', 'other/1_x.sql': 'SELECT 1;' });
      expect(discovered(root, [], loadConfigFile(join(root, 'rls-guard.config.json')))).toEqual(['sql/1_init.sql']);
    });

    it('with no paths and the default migrations/ missing: nothing to check', () => {
      const root = layout(['README.md']);
      expect(discovered(root, [])).toEqual([]);
    });

    it('a path that does not exist is an error naming it', () => {
      const root = layout(['001_init.sql']);
      expect(() => discoverMigrations([join(root, 'nope')], defaults(root))).toThrow(MigrationPathError);
      expect(() => discoverMigrations([join(root, 'nope')], defaults(root))).toThrow(`${join(root, 'nope')}: no such file or directory`);
    });

    it('a file named twice is analyzed once', () => {
      const root = layout(['001_init.sql', '002_docs.sql']);
      expect(discovered(root, [root, join(root, '002_docs.sql')])).toEqual(['001_init.sql', '002_docs.sql']);
    });
  });

  describe('drizzle --> statement-breakpoint', () => {
    beforeAll(async () => {
      await loadSqlParser();
    });

    it('separates statements as a comment the parser skips', () => {
      const script = parseScript('CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);--> statement-breakpoint\nSELECT 1;');
      expect(script.errors).toEqual([]);
      expect(script.statements.map((s) => `${s.kind}@${script.source.position(s.start).line}`)).toEqual(['CreateStmt@1', 'CreateStmt@3', 'SelectStmt@4']);
    });
  });
});
