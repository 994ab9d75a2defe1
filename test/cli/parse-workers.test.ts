/**
 * `RLS_GUARD_PARSE_WORKERS`: parsing a large history in worker threads gives exactly the findings
 * of parsing it in the main thread — the workers send back statements as JSON, including files
 * that need the lexer's statement-by-statement fallback (syntax errors, psql meta-commands,
 * non-ASCII text whose byte offsets must map to the right characters).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../bench/generate-history.mjs';
import { cli } from './support.js';

function check(dir: string, workers: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'check', dir, '--format', 'json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, RLS_GUARD_PARSE_WORKERS: workers },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('RLS_GUARD_PARSE_WORKERS', () => {
  it('gives the same findings with worker threads as without', () => {
    const dir = join(realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-workers-'))), 'migrations');
    generateHistory(dir, { files: 300, seed: 11 });
    // Files the workers must handle statement by statement, spread over several batches.
    writeFileSync(join(dir, '00050_broken.sql'), "CREATE TABLE broken (id int,);\nCREATE TABLE after_error (tenant_id uuid NOT NULL, note text);\n");
    writeFileSync(join(dir, '00150_psql.sql'), "\\set ON_ERROR_STOP on\nCOMMENT ON TABLE t_1 IS 'Ünïcödé — 日本語';\nCREATE TABLE café (tenant_id uuid NOT NULL);\nALTER TABLE café ENABLE ROW LEVEL SECURITY;\n");
    writeFileSync(join(dir, '00250_unicode.sql'), "-- prénom 🎉\nCREATE TABLE naïve (id int);\nSELECT FROM WHERE;\n");

    const inline = check(dir, '0');
    const threaded = check(dir, '2');
    expect(inline.code).toBe(1);
    expect(threaded.stderr).toBe('');
    expect(threaded.code).toBe(inline.code);
    expect(threaded.stdout).toBe(inline.stdout);
    // The fallback files were really analyzed: their findings and syntax errors are there.
    const results = JSON.parse(inline.stdout) as { filePath: string; messages: { ruleId: string | null; line: number }[] }[];
    const rules = (file: string) => results.find((r) => r.filePath.endsWith(file))!.messages.map((m) => `${m.ruleId}:${m.line}`);
    expect(rules('00050_broken.sql')).toEqual(expect.arrayContaining(['rls-guard/parse-error:1', 'rls-guard/require-rls:2']));
    expect(rules('00150_psql.sql')).toEqual(expect.arrayContaining(['rls-guard/require-force-rls:4']));
    expect(rules('00250_unicode.sql')).toEqual(expect.arrayContaining(['rls-guard/parse-error:3', 'rls-guard/require-tenant-column:2']));
  });

  it('rejects a value that is not a whole number, naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rls-guard-workers-'));
    writeFileSync(join(dir, '001.sql'), 'SELECT 1;\n');
    const run = check(dir, 'many');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('rls-guard check: RLS_GUARD_PARSE_WORKERS must be a whole number from 0 to 64 (got "many")\n');
  });
});
