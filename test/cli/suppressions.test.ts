/** `-- rls-guard-ignore <rule>: <reason>` comments, and the problems reported about them (ruleId null). */
import { describe, expect, it } from 'vitest';
import { analyzeMigrations } from '../../src/check.js';
import { applySuppressions } from '../../src/gate/suppressions.js';
import { loadSqlParser } from '../../src/sql/parse.js';
import { sqlRules } from '../../rules/sql/index.js';
import { testConfig } from '../support/check-sql.js';
import { CONFIG, makeProject, runCli, summarize, type JsonResult } from './support.js';

const KNOWN = new Set(sqlRules.map((r) => r.id));

/** `line ruleId severity` of what is reported for one migration after suppressions. */
async function reported(sql: string): Promise<string[]> {
  await loadSqlParser();
  const analysis = analyzeMigrations([{ file: '001.sql', text: sql }], testConfig({ tenantSettings: ['app.tenant_id'] }));
  return applySuppressions(analysis.findings, analysis.scripts, KNOWN).problems.map((p) => `${p.location.line} ${p.ruleId} ${p.severity}`);
}

async function messages(sql: string): Promise<string[]> {
  await loadSqlParser();
  const analysis = analyzeMigrations([{ file: '001.sql', text: sql }], testConfig({ tenantSettings: ['app.tenant_id'] }));
  return applySuppressions(analysis.findings, analysis.scripts, KNOWN)
    .problems.filter((p) => p.ruleId === null)
    .map((p) => p.message);
}

const AUDIT = 'CREATE TABLE audit (id bigint, tenant_id uuid NOT NULL);';

describe('rls-guard-ignore', () => {
  it('without suppressions: the finding is reported', async () => {
    expect(await reported(AUDIT)).toEqual(['1 require-rls 2']);
  });

  it('on the line before a statement suppresses that rule there', async () => {
    expect(await reported(`-- rls-guard-ignore require-rls: append-only, read by the owner only\n${AUDIT}`)).toEqual([]);
  });

  it('at the end of the statement first line', async () => {
    expect(await reported(`${AUDIT} -- rls-guard-ignore require-rls: owner-only table`)).toEqual([]);
    expect(await reported(`CREATE TABLE audit ( -- rls-guard-ignore require-rls: owner-only table\n  id bigint,\n  tenant_id uuid NOT NULL\n);`)).toEqual([]);
  });

  it('accepts the rls-guard/ prefix and stacked comments for several rules', async () => {
    const sql = `CREATE TABLE t (id bigint, tenant_id uuid);
-- rls-guard-ignore rls-guard/require-rls: legacy table, dropped in Q3
-- rls-guard-ignore require-tenant-column: backfilled by a job before NOT NULL
ALTER TABLE t ADD COLUMN note text;`;
    // Findings land on the CREATE statement (line 1), so the comments above line 4 suppress nothing.
    expect(await reported(sql)).toEqual(['1 require-rls 2', '1 require-tenant-column 2', '2 null 1', '3 null 1']);
    const above = `-- rls-guard-ignore rls-guard/require-rls: legacy table, dropped in Q3
-- rls-guard-ignore require-tenant-column: backfilled by a job before NOT NULL
CREATE TABLE t (id bigint, tenant_id uuid);`;
    expect(await reported(above)).toEqual([]);
  });

  it('suppresses only the named rule', async () => {
    // The nullable tenant_id (require-tenant-column) is suppressed; the missing RLS is not.
    expect(await reported('CREATE TABLE t (id bigint, tenant_id uuid);')).toEqual(['1 require-rls 2', '1 require-tenant-column 2']);
    expect(await reported(`-- rls-guard-ignore require-tenant-column: backfilled before NOT NULL\nCREATE TABLE t (id bigint, tenant_id uuid);`)).toEqual(['2 require-rls 2']);
  });

  it('needs a reason: without one it suppresses nothing and is an error', async () => {
    const sql = `-- rls-guard-ignore require-rls\n${AUDIT}`;
    expect(await reported(sql)).toEqual(['1 null 2', '2 require-rls 2']);
    expect(await messages(sql)).toEqual([`rls-guard-ignore for 'require-rls' suppresses nothing without a reason: "-- rls-guard-ignore require-rls: <why this is safe>".`]);
    expect(await reported(`-- rls-guard-ignore require-rls:   \n${AUDIT}`)).toEqual(['1 null 2', '2 require-rls 2']);
  });

  it('reports unused suppressions and unknown rules', async () => {
    expect(await messages(`-- rls-guard-ignore require-force-rls: nothing to hide\nCREATE TABLE plans (id text PRIMARY KEY);`)).toEqual([
      "Unused rls-guard-ignore directive for 'require-force-rls' (no 'require-force-rls' problem is reported at this statement).",
    ]);
    expect(await messages(`${AUDIT}\n-- rls-guard-ignore require-rls: trailing, nothing follows`)).toEqual([
      "Unused rls-guard-ignore directive for 'require-rls' (no statement follows it).",
    ]);
    expect(await reported(`-- rls-guard-ignore require-everything: why not\n${AUDIT}`)).toEqual(['1 null 2', '2 require-rls 2']);
    expect(await messages(`-- rls-guard-ignore require-everything: why not\n${AUDIT}`)).toEqual(['rls-guard-ignore names an unknown rule "require-everything".']);
  });

  it('applies only to the statement directly below (no blank line between)', async () => {
    expect(await reported(`-- rls-guard-ignore require-rls: detached by a blank line\n\n${AUDIT}`)).toEqual(['1 null 1', '3 require-rls 2']);
  });

  it('is read from comments only, never from string literals', async () => {
    const sql = `${AUDIT}\nCOMMENT ON TABLE audit IS '-- rls-guard-ignore require-rls: not a comment';`;
    expect(await reported(sql)).toEqual(['1 require-rls 2']);
    expect(await reported(`/* rls-guard-ignore require-rls: block comments work too */\n${AUDIT}`)).toEqual([]);
  });
});

describe('rls-guard-ignore problems in check output', () => {
  const project = () =>
    makeProject({
      'rls-guard.config.json': JSON.stringify({ ...JSON.parse(CONFIG), globalTables: ['plans'] }),
      'migrations/001.sql': `-- rls-guard-ignore require-rls\n${AUDIT}\n-- rls-guard-ignore require-force-rls: stale\nCREATE TABLE plans (id text PRIMARY KEY);\n`,
    });

  it('json: ruleId null, severity 2 for a missing reason and 1 for an unused suppression', () => {
    const dir = project();
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as JsonResult[];
    expect(summarize(results, dir)).toEqual(['migrations/001.sql:1 null 2', 'migrations/001.sql:2 rls-guard/require-rls 2', 'migrations/001.sql:3 null 1']);
    expect(results[0]).toMatchObject({ errorCount: 2, warningCount: 1 });
  });

  it('every format reports them', () => {
    const dir = project();
    const github = runCli(['check', '--format', 'github'], dir).stdout.trimEnd().split('\n');
    expect(github.map((l) => `${/^::(\w+) /.exec(l)![1]} ${/,title=([^:,]+)::/.exec(l)![1]}`)).toEqual(['error rls-guard-ignore', 'error rls-guard/require-rls', 'warning rls-guard-ignore']);
    const sarif = JSON.parse(runCli(['check', '--format', 'sarif'], dir).stdout) as { runs: { results: { ruleId: string; level: string }[] }[] };
    expect(sarif.runs[0]!.results.map((r) => `${r.ruleId} ${r.level}`)).toEqual(['rls-guard-ignore error', 'rls-guard/require-rls error', 'rls-guard-ignore warning']);
    const gitlab = JSON.parse(runCli(['check', '--format', 'gitlab'], dir).stdout) as { check_name: string }[];
    expect(gitlab.map((i) => i.check_name)).toEqual(['rls-guard-ignore', 'rls-guard/require-rls', 'rls-guard-ignore']);
    const stylish = runCli(['check', '--no-color'], dir).stdout;
    expect(stylish).toContain(`  1:1     error  rls-guard-ignore for 'require-rls' suppresses nothing without a reason`);
    expect(stylish).toContain(`  3:1     warning  Unused rls-guard-ignore directive for 'require-force-rls'`);
    expect(stylish).toContain(`(no 'require-force-rls' problem is reported at this statement).\n`);
    expect(stylish).toContain('✖ 3 problems (2 errors, 1 warning)');
  });
});
