/**
 * The SQL language reads a file's migration history as `rls-guard check` reads migrations
 * (src/migrations/read.ts, through src/sql/file-cache.ts): a FIFO or device is never opened for
 * reading (it would block the lint forever), a dangling link or an unreadable file is one message
 * naming it, a NUL byte or invalid UTF-8 is a parse-error at its line, a BOM is skipped, the size
 * limit holds, and a configured history that does not exist or holds no migration stops ESLint
 * (exit 2) with one message naming the path, never a stack trace and never a silent pass.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { runCheck } from '../../src/check.js';
import { resolveConfig } from '../../src/config.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-hostile-history-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** No RLS: one require-rls finding at line 1 of whatever file holds it. */
const OPEN_TABLE = (name: string) => `CREATE TABLE ${name} (id int, tenant_id uuid NOT NULL);\n`;

let projects = 0;
function project(files: Record<string, string | Buffer>, config: object | null = { migrations: ['migrations'] }): string {
  const dir = join(root, `p${projects++}`);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  if (config) writeFileSync(join(dir, 'rls-guard.config.json'), JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function lint(dir: string, files: string[]): Promise<string[]> {
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: plugin.configs.sql as never });
  const results = await eslint.lintFiles(files.map((f) => join(dir, f)));
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line}:${m.column} ${m.ruleId} ${m.message}`));
}

async function checked(dir: string): Promise<string[]> {
  const result = await runCheck({ paths: [], config: resolveConfig({ start: dir }) });
  return result.findings.map((f) => `${f.location.file.slice(dir.length + 1)}:${f.location.line}:${f.location.column} rls-guard/${f.ruleId} ${f.message}`);
}

describe('history files ESLint cannot lint: one message naming each, on the files replayed without it', () => {
  it('a FIFO (never opened for reading: the lint would block), a dangling link and a link loop', async () => {
    const dir = project({ 'migrations/009_open.sql': OPEN_TABLE('g') });
    execFileSync('mkfifo', [join(dir, 'migrations', '001_fifo.sql')]);
    symlinkSync('nowhere.sql', join(dir, 'migrations', '002_dangling.sql'));
    symlinkSync('003_loop.sql', join(dir, 'migrations', '003_loop.sql'));
    const incomplete = (file: string, reason: string) =>
      `migrations/009_open.sql:1:1 rls-guard/parse-error The migration history of this file is incomplete: ${join(dir, 'migrations', file)} was not checked: ${reason}. The findings here are computed without it; rls-guard check reports it too.`;
    expect(await lint(dir, ['migrations/009_open.sql'])).toEqual([
      "migrations/009_open.sql:1:1 rls-guard/require-rls Tenant table public.g never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant's rows. Add ALTER TABLE public.g ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.",
      incomplete('001_fifo.sql', 'it is a FIFO (named pipe), not a regular file: not read'),
      incomplete('002_dangling.sql', 'cannot read it: the file does not exist (deleted during the run, or a dangling symbolic link) (ENOENT)'),
      incomplete('003_loop.sql', 'cannot read it: a symbolic link loop (ELOOP)'),
    ]);
  });

  it('a history directory that links back into itself', async () => {
    const dir = project({ 'migrations/009_open.sql': OPEN_TABLE('h') });
    mkdirSync(join(dir, 'migrations', '004_dir'));
    symlinkSync('..', join(dir, 'migrations', '004_dir', 'back'));
    expect((await lint(dir, ['migrations/009_open.sql'])).filter((m) => m.includes('parse-error'))).toEqual([
      `migrations/009_open.sql:1:1 rls-guard/parse-error The migration history of this file is incomplete: ${join(dir, 'migrations', '004_dir', 'back')} was not checked: a symbolic link loop: it leads back to ${join(dir, 'migrations')}, not read again. The findings here are computed without it; rls-guard check reports it too.`,
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable history file', async () => {
    const dir = project({ 'migrations/001_secret.sql': OPEN_TABLE('i'), 'migrations/002_open.sql': OPEN_TABLE('j') });
    chmodSync(join(dir, 'migrations', '001_secret.sql'), 0o000);
    expect((await lint(dir, ['migrations/002_open.sql'])).filter((m) => m.includes('parse-error'))).toEqual([
      `migrations/002_open.sql:1:1 rls-guard/parse-error The migration history of this file is incomplete: ${join(dir, 'migrations', '001_secret.sql')} was not checked: cannot read it: permission denied (EACCES). The findings here are computed without it; rls-guard check reports it too.`,
    ]);
  });
});

describe('history file contents: what check reports, at the same line and column', () => {
  it('a NUL byte, invalid UTF-8, a BOM and binary content, linted and as history of another file', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    const dir = project({
      'migrations/001_nul.sql': `${OPEN_TABLE('a')}-- x\0y\n${OPEN_TABLE('b')}`,
      'migrations/002_latin1.sql': Buffer.concat([Buffer.from(`${OPEN_TABLE('c')}SELECT 1; -- caf`), Buffer.from([0xe9, 0x0a, 0xff, 0x0a]), Buffer.from(OPEN_TABLE('d'))]),
      'migrations/003_bom.sql': `\uFEFF${OPEN_TABLE('e')}SELECT 1 +;\n`,
      'migrations/004_image.sql': bytes,
      'migrations/005_open.sql': OPEN_TABLE('f'),
    });
    const files = ['001_nul.sql', '002_latin1.sql', '003_bom.sql', '004_image.sql', '005_open.sql'].map((f) => `migrations/${f}`);
    const fromEslint = await lint(dir, files);
    expect(fromEslint.filter((m) => m.includes('parse-error'))).toEqual([
      'migrations/001_nul.sql:2:5 rls-guard/parse-error PostgreSQL cannot parse this statement: a NUL byte (0x00), which SQL text cannot hold. The migration fails when run; the rest of the file is still analyzed.',
      'migrations/002_latin1.sql:2:17 rls-guard/parse-error PostgreSQL cannot parse this statement: invalid byte sequence for encoding "UTF8": 0xe9 (and 1 more). The migration fails when run; the rest of the file is still analyzed.',
      'migrations/003_bom.sql:2:11 rls-guard/parse-error PostgreSQL cannot parse this statement: syntax error at end of input. The migration fails when run; the rest of the file is still analyzed.',
      'migrations/004_image.sql:1:1 rls-guard/parse-error This migration was not checked: it is binary, not SQL text (16 NUL bytes): not parsed.',
    ]);
    // Every line, column and message as check has them (the statements after the NUL byte too).
    expect(fromEslint.sort()).toEqual((await checked(dir)).sort());
  });

  it('the size limit (RLS_GUARD_MAX_FILE_SIZE): a file over it is one finding, not read, as check reports it', async () => {
    const dir = project({ 'migrations/001_big.sql': `${'-- padding\n'.repeat(100)}${OPEN_TABLE('k')}`, 'migrations/002_small.sql': OPEN_TABLE('l') });
    const before = process.env.RLS_GUARD_MAX_FILE_SIZE;
    process.env.RLS_GUARD_MAX_FILE_SIZE = '1k';
    try {
      const fromEslint = await lint(dir, ['migrations/001_big.sql', 'migrations/002_small.sql']);
      expect(fromEslint).toEqual([
        'migrations/001_big.sql:1:1 rls-guard/parse-error This migration was not checked: it is 1150 bytes, over the size limit of 1024 bytes (--max-file-size or RLS_GUARD_MAX_FILE_SIZE): not read.',
        "migrations/002_small.sql:1:1 rls-guard/require-rls Tenant table public.l never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant's rows. Add ALTER TABLE public.l ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.",
      ]);
      expect(fromEslint).toEqual(await checked(dir));
      process.env.RLS_GUARD_MAX_FILE_SIZE = 'lots';
      await expect(lint(dir, ['migrations/002_small.sql'])).rejects.toThrow(/^rls-guard: RLS_GUARD_MAX_FILE_SIZE expects a size in bytes, e\.g\. 33554432 or 32m \(got "lots"\)/);
    } finally {
      if (before === undefined) delete process.env.RLS_GUARD_MAX_FILE_SIZE;
      else process.env.RLS_GUARD_MAX_FILE_SIZE = before;
    }
  });
});

describe('a configured history that leaves nothing to check stops ESLint with the path', () => {
  const config = (dir: string) => join(dir, 'rls-guard.config.json');

  it('a configured path that does not exist', async () => {
    const dir = project({ 'db/migrations/001_init.sql': OPEN_TABLE('m') }, { migrations: ['db/migratons'] });
    const error = await lint(dir, ['db/migrations/001_init.sql']).then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^rls-guard: ${join(dir, 'db/migratons')}: no such file or directory \\("migrations" in ${config(dir)}\\)\n`));
    // ESLint prints a crashed rule's stack: here, the message alone.
    expect(error?.stack).toBe(error?.message);
  });

  it('a configured directory that holds no migration, unless it holds only a placeholder', async () => {
    const dir = project({ 'db/migrations/001_init.sql': OPEN_TABLE('n'), 'empty/README.md': 'soon\n' }, { migrations: ['empty'] });
    await expect(lint(dir, ['db/migrations/001_init.sql'])).rejects.toThrow(
      `rls-guard: ${join(dir, 'empty')}: no migration file (*.sql) in this directory ("migrations" in ${config(dir)}); keep a .gitkeep in it if the history is empty on purpose`,
    );
    const placeholder = project({ 'db/migrations/001_init.sql': OPEN_TABLE('o'), 'empty/.gitkeep': '' }, { migrations: ['empty'] });
    // Empty on purpose: the .sql file outside the (empty) history is not a migration.
    expect(await lint(placeholder, ['db/migrations/001_init.sql'])).toEqual([]);
  });

  it('through the eslint command: exit 2 and the message, no stack trace', () => {
    const dir = project({ 'migrations/001_init.sql': OPEN_TABLE('p') }, { migrations: ['migratons'] });
    writeFileSync(join(dir, 'eslint.config.mjs'), `import plugin from ${JSON.stringify(join(process.cwd(), 'dist/src/index.js'))};\nexport default [...plugin.configs.sql];\n`);
    let status = 0;
    let output = '';
    try {
      execFileSync(process.execPath, [join(process.cwd(), 'node_modules/eslint/bin/eslint.js'), '.'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      status = e.status;
      output = e.stdout + e.stderr;
    }
    expect(status).toBe(2);
    expect(output).toContain(`rls-guard: ${join(dir, 'migratons')}: no such file or directory ("migrations" in ${config(dir)})`);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
