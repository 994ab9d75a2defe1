/** `--baseline`: accept today's findings by fingerprint (rule, object, file), fail only on new ones. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD, CLEAN_INIT, CONFIG, makeProject, NOTES, runCli, summarize, writeFiles } from './support.js';

const legacy = () => makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/002_notes.sql': NOTES });

describe('--baseline', () => {
  it('--update-baseline records findings by rule, object and file relative to the baseline, without lines', () => {
    const dir = legacy();
    const run = runCli(['check', '--baseline', 'ci/rls-guard-baseline.json', '--update-baseline'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`rls-guard: wrote ${join(dir, 'ci/rls-guard-baseline.json')} (3 findings)\n`);
    expect(JSON.parse(readFileSync(join(dir, 'ci/rls-guard-baseline.json'), 'utf8'))).toEqual({
      version: 1,
      findings: [
        { rule: 'no-fail-open-policy', object: 'public.notes policy notes_open', file: '../migrations/002_notes.sql', count: 1 },
        { rule: 'require-force-rls', object: 'public.notes', file: '../migrations/002_notes.sql', count: 1 },
        { rule: 'require-with-check', object: 'public.notes policy notes_open', file: '../migrations/002_notes.sql', count: 1 },
      ],
    });
    expect(runCli(['check', '--baseline', 'ci/rls-guard-baseline.json'], dir)).toMatchObject({ code: 0, stderr: '' });
  });

  it('accepts recorded findings, fails on new ones, and survives edits elsewhere', () => {
    const dir = legacy();
    const update = runCli(['check', '--baseline', 'rls-guard-baseline.json', '--update-baseline'], dir);
    expect(update.code).toBe(0);
    expect(runCli(['check', '--baseline', 'rls-guard-baseline.json'], dir)).toMatchObject({ code: 0, stderr: '' });

    // Lines move: still accepted.
    writeFiles(dir, { 'migrations/002_notes.sql': `-- notes\n\n${NOTES}` });
    expect(runCli(['check', '--baseline', 'rls-guard-baseline.json'], dir)).toMatchObject({ code: 0, stderr: '' });

    // A new defect fails, and only it is reported.
    writeFiles(dir, { 'migrations/003_bad.sql': BAD });
    const run = runCli(['check', '--baseline', 'rls-guard-baseline.json', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    expect(summarize(JSON.parse(run.stdout), dir)).toEqual([
      'migrations/003_bad.sql:1 rls-guard/no-rls-disable 2',
      'migrations/003_bad.sql:1 rls-guard/require-force-rls 2',
      'migrations/003_bad.sql:2 rls-guard/require-rls 2',
      'migrations/003_bad.sql:2 rls-guard/require-tenant-column 2',
    ]);
  });

  it('reports entries that no longer occur, as a note on stderr', () => {
    const dir = legacy();
    runCli(['check', '--baseline', 'b.json', '--update-baseline'], dir);
    // Fix the policy: pinned for reads and writes, and force RLS.
    const fixed = `${NOTES.replace('USING (true)', "USING (tenant_id = current_setting('app.tenant_id')::uuid) WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid)")}ALTER TABLE notes FORCE ROW LEVEL SECURITY;\n`;
    writeFiles(dir, { 'migrations/002_notes.sql': fixed });
    const run = runCli(['check', '--baseline', 'b.json'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `rls-guard: note: 3 baseline entries no longer occur; run with --update-baseline to remove them from ${join(dir, 'b.json')}:\n` +
        '  no-fail-open-policy public.notes policy notes_open in migrations/002_notes.sql\n' +
        '  require-force-rls public.notes in migrations/002_notes.sql\n' +
        '  require-with-check public.notes policy notes_open in migrations/002_notes.sql\n',
    );
    // Updating shrinks the file.
    runCli(['check', '--baseline', 'b.json', '--update-baseline'], dir);
    expect((JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as { findings: unknown[] }).findings).toEqual([]);
    expect(runCli(['check', '--baseline', 'b.json'], dir)).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits 2 naming a missing or malformed baseline file', () => {
    const dir = legacy();
    const missing = runCli(['check', '--baseline', 'nope.json'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`rls-guard check: ${join(dir, 'nope.json')}: baseline file not found (create it with --update-baseline)\n`);
    writeFileSync(join(dir, 'bad.json'), '{"version": 1, "findings": [{"rule": "require-rls"}]}');
    const bad = runCli(['check', '--baseline', 'bad.json'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(dir, 'bad.json')}: findings[0] needs`);
  });
});
