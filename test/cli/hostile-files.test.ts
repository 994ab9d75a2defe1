/**
 * Hostile files: whatever is at a migration's path, `rls-guard check` reports it at that file
 * (a `parse-error`, at its line where it has one) and completes the run: every other file's
 * findings are still there, and no raw control byte reaches the terminal.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG, makeProject, runCli, summarize, type JsonResult } from './support.js';

/** No RLS: one require-rls finding at line 1 of whatever file holds it. */
const OPEN_TABLE = (name: string) => `CREATE TABLE ${name} (id int, tenant_id uuid NOT NULL);\n`;

function check(dir: string, ...args: string[]) {
  const run = runCli(['check', '--format', 'json', ...args], dir);
  return { code: run.code, stderr: run.stderr, found: summarize(JSON.parse(run.stdout) as JsonResult[], dir), results: JSON.parse(run.stdout) as JsonResult[] };
}

function messagesAt(results: JsonResult[], file: string): string[] {
  return results.filter((r) => r.filePath.endsWith(file)).flatMap((r) => r.messages.map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.message}`));
}

describe('hostile file contents', () => {
  it('a NUL byte is a parse-error at its line, and the statements after it are still analyzed', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_nul.sql': `${OPEN_TABLE('a')}-- x\0y\n${OPEN_TABLE('b')}` });
    const { code, found, results } = check(dir);
    expect(found).toEqual(['migrations/001_nul.sql:1 rls-guard/require-rls 2', 'migrations/001_nul.sql:2 rls-guard/parse-error 2', 'migrations/001_nul.sql:3 rls-guard/require-rls 2']);
    expect(messagesAt(results, '001_nul.sql')[1]).toBe(
      '2:5 rls-guard/parse-error PostgreSQL cannot parse this statement: a NUL byte (0x00), which SQL text cannot hold. The migration fails when run; the rest of the file is still analyzed.',
    );
    expect(code).toBe(1);
  });

  it('invalid UTF-8 is a parse-error at the first bad byte, counted in characters', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG });
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations', '001_latin1.sql'), Buffer.concat([Buffer.from(`${OPEN_TABLE('c')}SELECT 1; -- caf`), Buffer.from([0xe9, 0x0a, 0xff, 0x0a]), Buffer.from(OPEN_TABLE('d'))]));
    const { found, results } = check(dir);
    expect(found).toEqual(['migrations/001_latin1.sql:1 rls-guard/require-rls 2', 'migrations/001_latin1.sql:2 rls-guard/parse-error 2', 'migrations/001_latin1.sql:4 rls-guard/require-rls 2']);
    expect(messagesAt(results, '001_latin1.sql')[1]).toBe(
      '2:17 rls-guard/parse-error PostgreSQL cannot parse this statement: invalid byte sequence for encoding "UTF8": 0xe9 (and 1 more). The migration fails when run; the rest of the file is still analyzed.',
    );
  });

  it('binary content is one finding at the file, not parsed; the other files are reported', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/002_open.sql': OPEN_TABLE('e') });
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    writeFileSync(join(dir, 'migrations', '001_image.sql'), bytes);
    const { found, results } = check(dir);
    expect(found).toEqual(['migrations/001_image.sql:1 rls-guard/parse-error 2', 'migrations/002_open.sql:1 rls-guard/require-rls 2']);
    expect(messagesAt(results, '001_image.sql')).toEqual(['1:1 rls-guard/parse-error This migration was not checked: it is binary, not SQL text (16 NUL bytes): not parsed.']);
  });

  it('a UTF-8 byte order mark is skipped, as psql and Flyway skip it: columns count from after it', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_bom.sql': `\uFEFF${OPEN_TABLE('f')}SELECT 1 +;\n` });
    const { results } = check(dir);
    expect(messagesAt(results, '001_bom.sql')).toEqual([
      "1:1 rls-guard/require-rls Tenant table public.f never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant's rows. Add ALTER TABLE public.f ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.",
      '2:11 rls-guard/parse-error PostgreSQL cannot parse this statement: syntax error at end of input. The migration fails when run; the rest of the file is still analyzed.',
    ]);
  });

  it('control characters reach neither the terminal nor the code frame raw', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_esc.sql': `SELECT 1; -- \u001b[2J\u0007 cleared\n${OPEN_TABLE('"evil\u001b[31m"')}` });
    const run = runCli(['check'], dir);
    expect(run.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(run.stdout).toContain('    1 | SELECT 1; -- \u241b[2J\u2407 cleared');
    expect(run.stdout).toContain('  2:1     error  Tenant table public.evil\u241b[31m never enables ROW LEVEL SECURITY');
    expect(run.stdout).toContain('  > 2 | CREATE TABLE "evil\u241b[31m" (id int, tenant_id uuid NOT NULL);');
  });
});

describe('hostile paths', () => {
  it('a FIFO, a dangling link and a link loop are one finding each; the run completes', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/009_open.sql': OPEN_TABLE('g') });
    const m = join(dir, 'migrations');
    execFileSync('mkfifo', [join(m, '001_fifo.sql')]);
    symlinkSync('nowhere.sql', join(m, '002_dangling.sql'));
    symlinkSync('003_loop.sql', join(m, '003_loop.sql'));
    mkdirSync(join(m, '004_dir'));
    symlinkSync('..', join(m, '004_dir', 'back'));
    const { code, results } = check(dir);
    expect(results.flatMap((r) => r.messages.map((m2) => `${r.filePath.slice(dir.length + 1)}:${m2.line} ${m2.ruleId} ${m2.message}`)).sort()).toEqual([
      'migrations/001_fifo.sql:1 rls-guard/parse-error This migration was not checked: it is a FIFO (named pipe), not a regular file: not read.',
      'migrations/002_dangling.sql:1 rls-guard/parse-error This migration was not checked: cannot read it: the file does not exist (deleted during the run, or a dangling symbolic link) (ENOENT).',
      'migrations/003_loop.sql:1 rls-guard/parse-error This migration was not checked: cannot read it: a symbolic link loop (ELOOP).',
      `migrations/004_dir/back:1 rls-guard/parse-error This migration was not checked: a symbolic link loop: it leads back to ${m}, not read again.`,
      "migrations/009_open.sql:1 rls-guard/require-rls Tenant table public.g never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant's rows. Add ALTER TABLE public.g ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.",
    ]);
    expect(code).toBe(1);
  });

  it('a file over the size limit is reported and not read: --max-file-size, RLS_GUARD_MAX_FILE_SIZE', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_big.sql': `${'-- padding\n'.repeat(100)}${OPEN_TABLE('h')}`, 'migrations/002_small.sql': OPEN_TABLE('i') });
    const message = '1:1 rls-guard/parse-error This migration was not checked: it is 1150 bytes, over the size limit of 1024 bytes (--max-file-size or RLS_GUARD_MAX_FILE_SIZE): not read.';
    const flag = check(dir, '--max-file-size', '1k');
    expect(messagesAt(flag.results, '001_big.sql')).toEqual([message]);
    expect(flag.found).toContain('migrations/002_small.sql:1 rls-guard/require-rls 2');
    const env = runCli(['check', '--format', 'json'], dir, { RLS_GUARD_MAX_FILE_SIZE: '1024' });
    expect(env.code).toBe(1);
    expect(messagesAt(JSON.parse(env.stdout) as JsonResult[], '001_big.sql')).toEqual([message]);
    expect(runCli(['check', '--max-file-size', 'lots'], dir)).toEqual({ code: 2, stdout: '', stderr: 'rls-guard check: --max-file-size expects a size in bytes, e.g. 33554432 or 32m (got "lots")\n' });
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file and an unreadable directory are one finding each', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_secret.sql': OPEN_TABLE('j'), 'migrations/002_dir/x.sql': OPEN_TABLE('k'), 'migrations/003_open.sql': OPEN_TABLE('l') });
    chmodSync(join(dir, 'migrations', '001_secret.sql'), 0o000);
    chmodSync(join(dir, 'migrations', '002_dir'), 0o000);
    try {
      const { found } = check(dir);
      expect(found).toEqual(['migrations/001_secret.sql:1 rls-guard/parse-error 2', 'migrations/002_dir:1 rls-guard/parse-error 2', 'migrations/003_open.sql:1 rls-guard/require-rls 2']);
    } finally {
      chmodSync(join(dir, 'migrations', '002_dir'), 0o755);
    }
  });
});
