/**
 * Generated hostile input, with a fixed seed and a bounded size (the same inputs on every run):
 * statement soup from SQL keywords and punctuation, random bytes, and real migrations truncated
 * at random byte offsets (through multi-byte characters too). Whatever the input, nothing throws,
 * every bad file has a finding, and a sentinel file's finding is still reported.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeMigrations } from '../../src/check.js';
import { decodeMigration } from '../../src/migrations/read.js';
import { loadSqlParser, parseScript } from '../../src/sql/parse.js';
import { testConfig } from '../support/check-sql.js';
import { CONFIG, makeProject, repoRoot, runCli, type JsonResult } from '../cli/support.js';
import { random } from '../support/random.js';

const WORDS = [
  'CREATE', 'TABLE', 'ALTER', 'DROP', 'POLICY', 'ON', 'USING', 'WITH', 'CHECK', 'ENABLE', 'FORCE', 'DISABLE', 'ROW', 'LEVEL', 'SECURITY',
  'FUNCTION', 'RETURNS', 'LANGUAGE', 'sql', 'plpgsql', 'DEFINER', 'INVOKER', 'SET', 'search_path', 'GRANT', 'REVOKE', 'ALL', 'TO', 'FROM',
  'PUBLIC', 'ROLE', 'BYPASSRLS', 'SUPERUSER', 'VIEW', 'AS', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'WHERE', 'AND', 'OR', 'NOT',
  'NULL', 'true', 'false', 'DO', 'BEGIN', 'END', 'EXECUTE', 'format', 'current_setting', 'tenant_id', 'uuid', 'int', 'text', 'PRIMARY', 'KEY',
  'REFERENCES', 'RESTRICTIVE', 'PERMISSIVE', 'FOR', 'IN', 'EXISTS', 'CASE', 'WHEN', 'THEN', 'ELSE', 'coalesce', 'security_invoker', 'MATERIALIZED',
  'PARTITION', 'OF', 'IF', 'SCHEMA', 'app.current_tenant', 't', 'docs', 'public.docs', 'app_user',
];
const PUNCTUATION = ['(', ')', ',', ';', '=', "'x'", "'’'", '$$', '$f$', '::', '.', '+', '*', '--', '/*', '*/', '"q"', '\\set', ':v', '\n', '😀'];

function soup(next: () => number, statements: number): string {
  const out: string[] = [];
  for (let s = 0; s < statements; s++) {
    const length = 1 + Math.floor(next() * 14);
    const tokens: string[] = [];
    for (let i = 0; i < length; i++) tokens.push(next() < 0.75 ? WORDS[Math.floor(next() * WORDS.length)]! : PUNCTUATION[Math.floor(next() * PUNCTUATION.length)]!);
    out.push(`${tokens.join(' ')};`);
  }
  return out.join('\n');
}

function randomBytes(next: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/** Real migrations, with non-ASCII text so some cuts land inside a character. */
function realMigrations(): Buffer[] {
  const dir = join(repoRoot, 'fixtures', 'saas-demo', 'migrations');
  return readdirSync(dir).map((f) => Buffer.concat([Buffer.from("COMMENT ON SCHEMA public IS 'l’équipe 😀';\n"), readFileSync(join(dir, f))]));
}

const SEED = 20_240_613;
const next = random(SEED);
const soups = Array.from({ length: 60 }, () => soup(next, 1 + Math.floor(next() * 12)));
const binaries = Array.from({ length: 12 }, () => randomBytes(next, 64 + Math.floor(next() * 2048)));
const truncated = realMigrations().flatMap((bytes) => Array.from({ length: 12 }, () => bytes.subarray(0, Math.floor(next() * bytes.length))));

/** A migration whose finding must survive whatever its neighbours are: require-rls at line 1. */
const SENTINEL = 'CREATE TABLE sentinel (id int, tenant_id uuid NOT NULL);\n';

beforeAll(async () => {
  await loadSqlParser();
});

describe(`generated input (seed ${SEED})`, () => {
  it('statement soup: parsing and the whole analysis never throw; the sentinel is still reported', () => {
    for (const text of soups) expect(() => parseScript(text)).not.toThrow();
    const sources = [...soups.map((text, i) => ({ file: `${String(i).padStart(3, '0')}_soup.sql`, text })), { file: '999_sentinel.sql', text: SENTINEL }];
    const { findings } = analyzeMigrations(sources, testConfig());
    expect(findings.filter((f) => f.location.file === '999_sentinel.sql').map((f) => `${f.location.line} ${f.ruleId}`)).toContain('1 require-rls');
  });

  it('statement soup: every syntax error is a parse-error finding at its line', () => {
    let bad = 0;
    for (const text of soups) {
      const script = parseScript(text);
      const errorLines = script.errors.map((e) => script.source.position(e.offset).line);
      const reported = analyzeMigrations([{ file: 'soup.sql', text }], testConfig()).findings.filter((f) => f.ruleId === 'parse-error').map((f) => f.location.line);
      expect(reported, text).toEqual(expect.arrayContaining(errorLines));
      if (errorLines.length > 0) bad++;
    }
    // The soup is hostile: nearly all of it fails to parse, so the check above is not vacuous.
    expect(bad).toBeGreaterThan(soups.length * 0.8);
  });

  it('random bytes and truncated migrations decode and parse without throwing', () => {
    for (const bytes of [...binaries, ...truncated]) {
      const read = decodeMigration(bytes);
      if (read.ok) expect(() => parseScript(read.text)).not.toThrow();
    }
    expect(binaries.every((bytes) => !decodeMigration(bytes).ok)).toBe(true);
  });

  it('through the CLI: every file is reported, each random-bytes file has a finding, the sentinel too', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/999_sentinel.sql': SENTINEL });
    const files: string[] = [];
    const write = (name: string, bytes: Buffer | string) => {
      mkdirSync(join(dir, 'migrations'), { recursive: true });
      writeFileSync(join(dir, 'migrations', name), bytes);
      files.push(join(dir, 'migrations', name));
    };
    soups.forEach((text, i) => write(`1${String(i).padStart(3, '0')}_soup.sql`, text));
    binaries.forEach((bytes, i) => write(`2${String(i).padStart(3, '0')}_bytes.sql`, bytes));
    truncated.forEach((bytes, i) => write(`3${String(i).padStart(3, '0')}_cut.sql`, bytes));
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as JsonResult[];
    const byFile = new Map(results.map((r) => [r.filePath, r.messages]));
    for (const file of files) expect(byFile.has(file), file).toBe(true);
    for (const file of files.filter((f) => f.endsWith('_bytes.sql'))) expect(byFile.get(file)!.map((m) => `${m.line}:${m.column} ${m.ruleId}`), file).toEqual(['1:1 rls-guard/parse-error']);
    expect(byFile.get(join(dir, 'migrations', '999_sentinel.sql'))!.map((m) => `${m.line} ${m.ruleId}`)).toContain('1 rls-guard/require-rls');
  });
});
