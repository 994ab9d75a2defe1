/**
 * The migration history's final state for `probe --migrations`: the history applied to a fresh
 * database the way `verify` applies it (PGlite, or a scratch database on a server, as a
 * non-superuser owner), and its catalog read before and after the migrations.
 */
import { runCheck } from '../check.js';
import type { ResolvedConfig } from '../config.js';
import type { Catalog } from '../model/catalog.js';
import { migrateFreshDatabase } from '../verify/verify.js';
import type { VerifyDatabase } from '../verify/database.js';
import { readSnapshot, rolesNamedBy, type SchemaSnapshot } from './drift.js';
import type { DriftInput } from './probe.js';

async function snapshotOf(db: VerifyDatabase, roles: readonly string[]): Promise<SchemaSnapshot> {
  await db.session.query('BEGIN');
  try {
    return await readSnapshot(db.session, roles);
  } finally {
    await db.session.query('ROLLBACK');
  }
}

export interface HistoryOptions {
  paths: string[];
  config: ResolvedConfig;
  /** A server to create a scratch database on (superuser URL); PGlite when absent. */
  scratchUrl?: string;
}

/**
 * The history's final state as the drift check needs it, and the analyzer's model of it: with it,
 * the policy audit follows helper functions' bodies and membership tables as `check` does.
 */
export async function historyState(options: HistoryOptions): Promise<DriftInput & { catalog: Catalog; keyColumns: (table: string) => string[] | null; tenantTable: (table: string) => boolean }> {
  const { analysis } = await runCheck({ paths: options.paths, config: options.config });
  let base: SchemaSnapshot | null = null;
  let roles: string[] = [];
  const migrated = await migrateFreshDatabase({
    paths: options.paths,
    config: options.config,
    url: options.scratchUrl,
    createDatabase: !!options.scratchUrl,
    beforeMigrations: async (db) => {
      base = await snapshotOf(db, []);
    },
  });
  const { db, scripts, applied } = migrated;
  try {
    roles = rolesNamedBy(scripts.values());
    const final = await snapshotOf(db, roles);
    return {
      catalog: analysis.catalog,
      // The columns a policy may pin, as check decides them (tenant roots, identity references).
      keyColumns: (table: string) => {
        const state = analysis.catalog.tables.get(table);
        return state ? analysis.tenancy.keyColumns(state) : null;
      },
      tenantTable: (table: string) => {
        const state = analysis.catalog.tables.get(table);
        return !!state && analysis.tenancy.isTenantTable(state);
      },
      expected: { base: base!, final, roles },
      paths: options.paths,
      engine: db.engine,
      files: applied.files.length,
      statements: applied.statements,
      failures: applied.failures.map((f) => `${f.file}:${f.line}: ${f.message}`),
    };
  } finally {
    await db.close({ cleanup: !!options.scratchUrl });
  }
}
