/**
 * One suppression syntax, whichever a team uses: `rls-guard check` honours ESLint's
 * `-- eslint-disable-next-line rls-guard/<rule> -- reason` (and `eslint-disable-line`,
 * `eslint-disable` ... `eslint-enable`), ESLint honours `-- rls-guard-ignore <rule>: <reason>`,
 * and both report what is left, and each unused suppression, on the same lines.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { CONFIG, makeProject, runCli, summarize, type JsonResult } from '../cli/support.js';
import { rmSync } from 'node:fs';

const TABLE = (name: string) => `CREATE TABLE ${name} (id bigint PRIMARY KEY, tenant_id uuid NOT NULL);`;
const projects: string[] = [];
afterAll(() => projects.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** What `rls-guard check --format json` and `eslint` (configs.sql, unused directives reported) report, as `file:line ruleId severity`. */
async function bothReports(migration: string): Promise<{ check: string[]; eslint: string[]; suppressedByEslint: string[] }> {
  const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': migration });
  projects.push(dir);
  const run = runCli(['check', '--format', 'json'], dir);
  expect([0, 1], run.stderr).toContain(run.code);
  const check = summarize(JSON.parse(run.stdout) as JsonResult[], dir);
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: [...plugin.configs.sql, { linterOptions: { reportUnusedDisableDirectives: 'warn' } }] as never });
  const results = await eslint.lintFiles([join(dir, 'migrations')]);
  const eslintReport = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line} ${m.ruleId} ${m.severity}`));
  const suppressedByEslint = results.flatMap((r) => r.suppressedMessages.map((m) => `${m.line} ${m.ruleId} ${m.suppressions[0]?.justification}`));
  return { check, eslint: eslintReport, suppressedByEslint };
}

describe('eslint-disable comments in rls-guard check', () => {
  it('without a comment both report both tables', async () => {
    const { check, eslint } = await bothReports(`${TABLE('a')}\n${TABLE('b')}\n`);
    expect(check).toEqual(['migrations/001_init.sql:1 rls-guard/require-rls 2', 'migrations/001_init.sql:2 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
  });

  it('eslint-disable-next-line with a reason suppresses the next line in both', async () => {
    const { check, eslint, suppressedByEslint } = await bothReports(`${TABLE('a')}\n-- eslint-disable-next-line rls-guard/require-rls -- rebuilt nightly\n${TABLE('b')}\n`);
    expect(check).toEqual(['migrations/001_init.sql:1 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
    expect(suppressedByEslint).toEqual(['3 rls-guard/require-rls rebuilt nightly']);
  });

  it('eslint-disable-line, and eslint-disable ... eslint-enable, as ESLint reads them', async () => {
    const migration = `${TABLE('a')} -- eslint-disable-line rls-guard/require-rls
/* eslint-disable rls-guard/require-rls -- legacy tables, dropped in Q3 */
${TABLE('b')}
${TABLE('c')}
/* eslint-enable rls-guard/require-rls */
${TABLE('d')}
`;
    const { check, eslint } = await bothReports(migration);
    expect(check).toEqual(['migrations/001_init.sql:6 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
  });

  it('a directive for another rule suppresses nothing, and is reported unused in both', async () => {
    const { check, eslint } = await bothReports(`-- eslint-disable-next-line rls-guard/require-with-check -- wrong rule\n${TABLE('a')}\n`);
    expect(check).toEqual(['migrations/001_init.sql:1 null 1', 'migrations/001_init.sql:2 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
  });

  it('a directive naming only other plugins’ rules is left to ESLint', async () => {
    const { check } = await bothReports(`-- eslint-disable-next-line no-console -- not ours\n${TABLE('a')}\n`);
    expect(check).toEqual(['migrations/001_init.sql:2 rls-guard/require-rls 2']);
  });
});

describe('rls-guard-ignore comments in ESLint', () => {
  it('on the line before the statement, across another comment line, it suppresses that rule in both', async () => {
    const migration = `-- rls-guard-ignore require-rls: append-only, read by the owner only\n-- (see the audit runbook)\n${TABLE('a')}\n${TABLE('b')}\n`;
    const { check, eslint, suppressedByEslint } = await bothReports(migration);
    expect(check).toEqual(['migrations/001_init.sql:4 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
    expect(suppressedByEslint).toEqual(['3 rls-guard/require-rls append-only, read by the owner only']);
  });

  it('at the end of the statement’s first line', async () => {
    const { check, eslint } = await bothReports(`${TABLE('a')} -- rls-guard-ignore rls-guard/require-rls: owner-only table\n${TABLE('b')}\n`);
    expect(check).toEqual(['migrations/001_init.sql:2 rls-guard/require-rls 2']);
    expect(eslint).toEqual(check);
  });

  it('an unused one is reported in both; one without a reason is an error in both and suppresses nothing', async () => {
    const unused = await bothReports(`-- rls-guard-ignore require-with-check: no policy here\n${TABLE('a')}\n`);
    expect(unused.check).toEqual(['migrations/001_init.sql:1 null 1', 'migrations/001_init.sql:2 rls-guard/require-rls 2']);
    expect(unused.eslint).toEqual(unused.check);
    const noReason = await bothReports(`-- rls-guard-ignore require-rls\n${TABLE('a')}\n`);
    expect(noReason.check).toEqual(['migrations/001_init.sql:1 null 2', 'migrations/001_init.sql:2 rls-guard/require-rls 2']);
    expect(noReason.eslint).toEqual(noReason.check);
  });
});
