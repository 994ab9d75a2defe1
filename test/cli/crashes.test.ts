/**
 * No crash loses the report: a statement the parser fails on is a finding at it, and every other
 * statement and file is still reported; an internal error anywhere else is one line and exit 2,
 * with the stack only under --debug, never an unhandled rejection's dump.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG, makeProject, runCli, type JsonResult } from './support.js';

const OPEN_TABLE = (name: string) => `CREATE TABLE ${name} (id int, tenant_id uuid NOT NULL);\n`;

describe('a statement the parser fails on', () => {
  it('SELECT 1+1+...+1 with 100,000 terms (PostgreSQL accepts it) is one finding; the rest is reported', () => {
    const chain = `SELECT ${Array(100_000).fill('1').join('+')};\n`;
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_chain.sql': `${OPEN_TABLE('a')}${chain}${OPEN_TABLE('b')}`, 'migrations/002_more.sql': OPEN_TABLE('c') });
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const messages = (JSON.parse(run.stdout) as JsonResult[]).flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line}:${m.column} ${m.ruleId}${m.ruleId === 'rls-guard/parse-error' ? ` ${m.message}` : ''}`));
    expect(messages).toEqual([
      'migrations/001_chain.sql:1:1 rls-guard/require-rls',
      'migrations/001_chain.sql:2:1 rls-guard/parse-error rls-guard could not analyze this statement: it is nested too deeply for rls-guard to parse (stack overflow). It was not checked (PostgreSQL may well accept it); the rest of the file was. Check it with rls-guard verify.',
      'migrations/001_chain.sql:3:1 rls-guard/require-rls',
      'migrations/002_more.sql:1:1 rls-guard/require-rls',
    ]);
  });

  it('is reported even with parse-error turned off: an unchecked statement never passes', () => {
    const dir = makeProject({
      'rls-guard.config.json': JSON.stringify({ rules: { 'parse-error': 'off' } }),
      'migrations/001_chain.sql': `SELECT ${Array(100_000).fill('1').join('+')};\n`,
    });
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as JsonResult[])[0]!.messages.map((m) => `${m.line} ${m.ruleId} ${m.severity}`)).toEqual(['1 rls-guard/parse-error 2']);
  });
});

describe('an internal error', () => {
  const throwing = "module.exports = () => { throw new TypeError('the formatter broke\\nsecond line'); };\n";
  const rejecting = "module.exports = () => { Promise.reject(new Error('nobody awaited this')); return 'partial report'; };\n";

  it('is one line and exit 2; the stack only with --debug', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_a.sql': OPEN_TABLE('a'), 'boom.cjs': throwing });
    expect(runCli(['check', '--format', './boom.cjs'], dir)).toEqual({ code: 2, stdout: '', stderr: 'rls-guard: internal error: TypeError: the formatter broke (run with --debug for the stack)\n' });
    const debug = runCli(['check', '--format', './boom.cjs', '--debug'], dir);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^rls-guard: internal error: TypeError: the formatter broke\nTypeError: the formatter broke\nsecond line\n {4}at .*boom\.cjs/);
  });

  it('an unhandled rejection is reported the same way, not as a dump', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_a.sql': OPEN_TABLE('a'), 'late.cjs': rejecting });
    const run = runCli(['check', '--format', './late.cjs'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('rls-guard: internal error: nobody awaited this (run with --debug for the stack)\n');
  });
});
