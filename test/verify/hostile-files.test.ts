/**
 * `verify` reads migrations as `check` does (src/migrations/read.ts): a file it cannot read is not
 * applied and is a failure naming it, a NUL byte or invalid UTF-8 is a failure at its line (the
 * statements around it still applied), a BOM is skipped, and the size limit holds. A run with an
 * unapplied migration never ends "OK". Applied to the test PostgreSQL server by URL.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import type { CommandIo } from '../../src/probe/command.js';
import { verifyCommand } from '../../src/verify/command.js';
import { runVerify } from '../../src/verify/verify.js';
import { withScratchDatabase } from '../support/pg.js';

/** A tenant table done right: no leak, so only what was not applied can fail the run. */
const CLEAN = (name: string) => `CREATE TABLE ${name} (id int, tenant_id uuid NOT NULL);
ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY ${name}_tenant ON ${name} USING (tenant_id = current_setting('app.current_tenant')::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${name} TO app_user;
`;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-verify-hostile-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string): { dir: string; migrations: string } {
  const dir = join(root, name);
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(join(dir, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'], appRoles: ['app_user'] }));
  return { dir, migrations };
}

describe('rls-guard verify on hostile migration files', () => {
  it('a FIFO, a dangling link and binary content are not applied, each a failure naming the file; a NUL byte is a failure at its line', async () => {
    const { dir, migrations } = project('paths');
    writeFileSync(join(migrations, '001_nul.sql'), `${CLEAN('a')}-- x\0y\n${CLEAN('b')}`);
    execFileSync('mkfifo', [join(migrations, '002_fifo.sql')]);
    symlinkSync('nowhere.sql', join(migrations, '003_dangling.sql'));
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    writeFileSync(join(migrations, '004_image.sql'), bytes);
    writeFileSync(join(migrations, '005_bom.sql'), `\uFEFF${CLEAN('c')}`);
    await withScratchDatabase(async (db) => {
      const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }), url: db.url });
      expect(result.migrations.failures.map((f) => `${f.file.slice(dir.length + 1)}:${f.line}:${f.column} ${f.message} (${f.sqlState})`)).toEqual([
        'migrations/001_nul.sql:5:5 a NUL byte (0x00), which SQL text cannot hold: PostgreSQL rejects the file; the statements around it were applied (22021)',
        'migrations/002_fifo.sql:1:1 not applied: it is a FIFO (named pipe), not a regular file: not read (null)',
        'migrations/003_dangling.sql:1:1 not applied: cannot read it: the file does not exist (deleted during the run, or a dangling symbolic link) (ENOENT) (null)',
        'migrations/004_image.sql:1:1 not applied: it is binary, not SQL text (16 NUL bytes): not parsed (null)',
      ]);
      // The statements around the NUL byte, and the file after its BOM, were applied and probed.
      expect(result.tables.map((t) => `${t.table} ${t.leaks.length}`)).toEqual(['public.a 0', 'public.b 0', 'public.c 0']);
      expect(result.ok).toBe(false);
    });
  });

  it('invalid UTF-8 is a failure at the first bad byte, counted in characters', async () => {
    const { dir, migrations } = project('latin1');
    writeFileSync(join(migrations, '001_latin1.sql'), Buffer.concat([Buffer.from(`${CLEAN('d')}SELECT 1; -- caf`), Buffer.from([0xe9, 0x0a])]));
    await withScratchDatabase(async (db) => {
      const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }), url: db.url });
      expect(result.migrations.failures).toEqual([
        { file: join(migrations, '001_latin1.sql'), line: 5, column: 17, message: 'invalid byte sequence for encoding "UTF8": 0xe9: PostgreSQL rejects the file; the statements around it were applied', sqlState: '22021' },
      ]);
      expect(result.ok).toBe(false);
    });
  });

  it('a file over --max-file-size is not applied and fails the run; a bad size is a usage error', async () => {
    const { dir, migrations } = project('size');
    writeFileSync(join(migrations, '001_big.sql'), `${'-- padding\n'.repeat(200)}${CLEAN('e')}`);
    writeFileSync(join(migrations, '002_small.sql'), CLEAN('f'));
    await withScratchDatabase(async (db) => {
      const out: string[] = [];
      const io: CommandIo = { stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), env: {}, cwd: dir };
      expect(await verifyCommand([dir, '--url', db.url, '--max-file-size', '2k', '--format', 'json'], io)).toBe(1);
      const json = JSON.parse(out.join('')) as { ok: boolean; migrations: { failures: { file: string; message: string }[] }; tables: { table: string }[] };
      expect(json.migrations.failures).toEqual([
        expect.objectContaining({ file: join(migrations, '001_big.sql'), message: expect.stringMatching(/^not applied: it is \d+ bytes, over the size limit of 2048 bytes \(--max-file-size or RLS_GUARD_MAX_FILE_SIZE\): not read$/) }),
      ]);
      expect(json.tables.map((t) => t.table)).toEqual(['public.f']);
    });
    const err: string[] = [];
    const io: CommandIo = { stdout: () => {}, stderr: (t) => void err.push(t), env: {}, cwd: dir };
    expect(await verifyCommand([dir, '--max-file-size', 'huge'], io)).toBe(2);
    expect(err.join('')).toBe('rls-guard verify: --max-file-size expects a size in bytes, e.g. 33554432 or 32m (got "huge")\n');
  });
});
