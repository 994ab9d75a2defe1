/**
 * verify sends runs of ordinary statements as one query (issue "probe and verify", item 7): what is
 * applied and what is reported must stay exactly what statement-by-statement application gives. A
 * failing statement inside a run undoes the run, which is replayed one statement at a time; inside
 * a file's own transaction the run is wrapped in a savepoint. And PGlite starts from a data
 * directory initialized once per PGlite version.
 */
import { existsSync, mkdtempSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { runVerify, type VerifyResult } from '../../src/verify/verify.js';
import { withScratchDatabase } from '../support/pg.js';
import { migrationProject } from '../support/migration-project.js';

const project = (files: Record<string, string>) => migrationProject('rls-guard-verify-batch-', files);

const table = (name: string) =>
  `CREATE TABLE ${name} (id int PRIMARY KEY, tenant_id uuid NOT NULL);\nALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON ${name} USING (tenant_id = current_setting('app.current_tenant', true)::uuid);\nGRANT SELECT ON ${name} TO app_user;\n`;

const FILES = {
  '000_roles.sql': 'CREATE ROLE app_user NOLOGIN;\n',
  // Line 10 fails; the statements before and after it in the same run are applied.
  '001_plain.sql': `${table('a')}${table('b')}INSERT INTO no_such_table VALUES (1);\n${table('c')}`,
  // Inside the file's transaction: line 6 fails, the transaction is aborted (e is refused with
  // 25P02, not reported), COMMIT rolls it back, and f after it is applied.
  '002_transaction.sql': `BEGIN;\n${table('d')}INSERT INTO no_such_either VALUES (1);\n${table('e')}COMMIT;\n${table('f')}`,
};

function summary(result: VerifyResult) {
  return {
    failures: result.migrations.failures.map((f) => `${f.file.split('/').pop()}:${f.line}:${f.column} ${f.sqlState}`),
    tables: result.tables.map((t) => t.table),
    statements: result.migrations.statements,
  };
}

const EXPECTED = {
  failures: ['001_plain.sql:9:1 42P01', '002_transaction.sql:6:1 42P01'],
  tables: ['public.a', 'public.b', 'public.c', 'public.f'],
  statements: 1 + 4 * 3 + 1 + (1 + 4 + 1 + 4 + 1) + 4,
};

describe('verify applies runs of statements together, exactly as one by one', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('on PGlite and by URL: a failing statement in a run is reported at its line, everything around it applied as alone', async () => {
    const dir = project(FILES);
    const pglite = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(summary(pglite)).toEqual(EXPECTED);
    await withScratchDatabase(async (db) => {
      const byUrl = await runVerify({ paths: [], config: resolveConfig({ start: dir }), url: db.url });
      expect(summary(byUrl)).toEqual(EXPECTED);
    });
  });

  it('initializes a PGlite data directory once per version in the cache location, and works with the cache off', async () => {
    const cache = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-pglite-cache-')));
    process.env.RLS_GUARD_CACHE_LOCATION = cache;
    const dir = project({ '000_roles.sql': 'CREATE ROLE app_user NOLOGIN;\n', '001.sql': table('a') });
    const first = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    const templates = readdirSync(cache).filter((n) => n.startsWith('pglite-'));
    expect(templates).toHaveLength(1);
    expect(existsSync(join(cache, templates[0]!, '.rls-guard-complete'))).toBe(true);
    expect(existsSync(join(cache, templates[0]!, 'PG_VERSION'))).toBe(true);
    // The template is copied, never used in place: a run leaves every file of it as it was.
    const template = join(cache, templates[0]!);
    const files = () =>
      (readdirSync(template, { recursive: true }) as string[])
        .sort()
        .map((f) => `${f}:${statSync(join(template, f)).isFile() ? statSync(join(template, f)).size : 'dir'}`);
    const before = files();
    const second = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(files()).toEqual(before);
    expect(summary(second)).toEqual(summary(first));
    expect(existsSync(join(cache, templates[0]!, 'postmaster.pid'))).toBe(false);

    process.env.RLS_GUARD_CACHE = '0';
    const uncached = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
    expect(summary(uncached)).toEqual(summary(first));
    expect(summary(first)).toMatchObject({ failures: [], tables: ['public.a'] });
  });
});
