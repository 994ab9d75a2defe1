/**
 * Output at any size: every format is linear in the findings (a file's lines are split once, not
 * once per finding), code frames cut long lines around the column, a reader that goes away
 * (`| head`) ends the run quietly with the findings' exit code, and a full disk is one message and
 * exit 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatGithub } from '../../src/format/github.js';
import { toLintResults } from '../../src/format/results.js';
import { formatSarif } from '../../src/format/sarif.js';
import { FRAME_WIDTH, formatStylish } from '../../src/format/stylish.js';
import { toCodeQuality } from '../../src/format/gitlab.js';
import type { Finding } from '../../src/findings.js';
import { cli, CONFIG, makeProject } from './support.js';

const FILE = '/project/migrations/001_tables.sql';
const COUNT = 66_667;

function manyFindings(): { source: string; findings: Finding[] } {
  const lines: string[] = [];
  const findings: Finding[] = [];
  for (let i = 0; i < COUNT; i++) {
    lines.push(`CREATE TABLE t${i} (id int);`);
    findings.push({ ruleId: 'require-tenant-column', severity: 2, message: `Table public.t${i} has no tenant column.`, object: `public.t${i}`, location: { file: FILE, line: i + 1, column: 1, endLine: i + 1, endColumn: 10 } });
  }
  return { source: `${lines.join('\n')}\n`, findings };
}

describe('formats at 66,667 findings in one file', () => {
  const { source, findings } = manyFindings();

  it('stylish: one header, a message and a three-line frame per finding, and the summary', () => {
    const text = formatStylish(toLintResults([FILE], findings), { cwd: '/project', color: false, sourceOf: () => source });
    const lines = text.split('\n');
    // '', the file name; per finding its message, three lines of frame (two for line 1) with a
    // caret line, and ''; then '', the summary, ''.
    expect(lines.length).toBe(2 + COUNT * 6 - 1 + 3);
    expect(lines.slice(0, 7)).toEqual([
      '',
      'migrations/001_tables.sql',
      '  1:1     error  Table public.t0 has no tenant column.  rls-guard/require-tenant-column',
      '  > 1 | CREATE TABLE t0 (id int);',
      '      | ^',
      '    2 | CREATE TABLE t1 (id int);',
      '',
    ]);
    expect(lines.at(-2)).toBe('✖ 66667 problems (66667 errors, 0 warnings)');
  });

  it('sarif, github and gitlab: one result per finding', () => {
    const rules = [{ id: 'require-tenant-column', severity: 2 as const, description: 'd' }];
    expect((JSON.parse(formatSarif(findings, { cwd: '/project', rules })) as { runs: { results: unknown[] }[] }).runs[0]!.results).toHaveLength(COUNT);
    expect(formatGithub(findings, { cwd: '/project' }).split('\n')).toHaveLength(COUNT);
    expect(new Set(toCodeQuality(findings, { cwd: '/project' }).map((i) => i.fingerprint)).size).toBe(COUNT);
  });
});

describe('66,667 findings on one minified line', () => {
  it('stylish cuts every frame around its own column', () => {
    const statements = Array.from({ length: COUNT }, (_, i) => `CREATE TABLE t${i} (id int);`);
    const line = statements.join(' ');
    const findings: Finding[] = [];
    let column = 1;
    for (let i = 0; i < COUNT; i++) {
      findings.push({ ruleId: 'require-tenant-column', severity: 2, message: `t${i}`, object: `public.t${i}`, location: { file: FILE, line: 1, column, endLine: 1, endColumn: column + 12 } });
      column += statements[i]!.length + 1;
    }
    const lines = formatStylish(toLintResults([FILE], findings), { cwd: '/project', color: false, sourceOf: () => line }).split('\n');
    const frames = lines.filter((l) => l.startsWith('  > 1 | '));
    expect(frames).toHaveLength(COUNT);
    expect(Math.max(...frames.map((f) => f.length))).toBeLessThanOrEqual('  > 1 | '.length + FRAME_WIDTH + 2);
    // The caret under each frame points at that finding's statement.
    const last = lines.lastIndexOf(frames.at(-1)!);
    const caretAt = lines[last + 1]!.indexOf('^');
    expect(frames.at(-1)!.slice(caretAt, caretAt + `CREATE TABLE t${COUNT - 1} `.length)).toBe(`CREATE TABLE t${COUNT - 1} `);
  });
});

describe('code frames', () => {
  it('cut a long line around the column, with the caret under it', () => {
    const line = `SELECT ${'x, '.repeat(1000)}broken ${'y, '.repeat(1000)}1;`;
    const column = line.indexOf('broken') + 1;
    const finding: Finding = { ruleId: 'parse-error', severity: 2, message: 'm', object: 'o', location: { file: FILE, line: 1, column, endLine: 1, endColumn: column } };
    const [, , , framed, caret] = formatStylish(toLintResults([FILE], [finding]), { cwd: '/project', color: false, sourceOf: () => line }).split('\n');
    const shown = framed!.slice('  > 1 | '.length);
    expect(shown.length).toBe(FRAME_WIDTH + 2); // the window and an ellipsis at each end
    expect(shown.startsWith('…') && shown.endsWith('…')).toBe(true);
    const caretAt = caret!.indexOf('^') - '      | '.length;
    expect(shown.slice(caretAt, caretAt + 'broken'.length)).toBe('broken');
  });
});

/** 300 findings with frames: far more than a pipe holds, so the reader's early exit hits the writer. */
function projectWithManyFindings(): string {
  return makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_tables.sql': Array.from({ length: 300 }, (_, i) => `CREATE TABLE t${i} (id int);`).join('\n') });
}

describe('the report\'s reader', () => {
  it('going away (| head) ends the run quietly, with the findings\' exit code', async () => {
    const dir = projectWithManyFindings();
    const child = spawn(process.execPath, [cli, 'check'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
  });

  it('| head -1 in a shell: the first line, nothing on stderr, and the findings\' exit code', () => {
    const dir = projectWithManyFindings();
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} check --format json | head -1; exit "\${PIPESTATUS[0]}"`;
    const run = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8' });
    expect({ code: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 1, stdout: '[\n', stderr: '' });
  });

  it.each(['stylish', 'json', 'sarif', 'github', 'gitlab'])('a full disk is one message and exit 2 (--format %s)', async (format) => {
    const dir = projectWithManyFindings();
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [cli, 'check', '--format', format], { cwd: dir, stdio: ['ignore', full, 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({ code, stderr }).toEqual({ code: 2, stderr: 'rls-guard: cannot write the report to stdout: no space left on device (ENOSPC)\n' });
    } finally {
      closeSync(full);
    }
  });
});
