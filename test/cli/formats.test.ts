/** The output formats: SARIF for code scanning, GitHub annotations, GitLab Code Quality, ESLint formatters. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, formatGithub } from '../../src/format/github.js';
import { sqlRules } from '../../rules/sql/index.js';
import { CLEAN_INIT, CONFIG, makeProject, NOTES, BAD, runCli, type JsonResult } from './support.js';

const defective = () =>
  makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/002_notes.sql': NOTES, 'migrations/003_bad.sql': BAD });

/** The seven findings of the defective project, as `path:line:col rule level`. */
const EXPECTED = [
  'migrations/002_notes.sql:6:1 rls-guard/require-force-rls error',
  'migrations/002_notes.sql:7:1 rls-guard/no-fail-open-policy error',
  'migrations/002_notes.sql:7:1 rls-guard/require-with-check warning',
  'migrations/003_bad.sql:1:1 rls-guard/no-rls-disable error',
  'migrations/003_bad.sql:1:1 rls-guard/require-force-rls error',
  'migrations/003_bad.sql:2:1 rls-guard/require-rls error',
  'migrations/003_bad.sql:2:1 rls-guard/require-tenant-column error',
];

interface Sarif {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; shortDescription: { text: string }; helpUri: string; defaultConfiguration: { level: string } }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number; startColumn: number } } }[];
    }[];
  }[];
}

describe('--format sarif', () => {
  it('is SARIF 2.1.0 with one result per finding and every rule described', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'sarif'], dir);
    expect(run.code).toBe(1);
    const sarif = JSON.parse(run.stdout) as Sarif;
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.runs).toHaveLength(1);
    const [sarifRun] = sarif.runs;
    const { driver } = sarifRun!.tool;
    expect(driver.name).toBe('rls-guard');
    expect(driver.rules.map((r) => r.id)).toEqual([...sqlRules.map((r) => `rls-guard/${r.id}`), 'rls-guard-ignore']);
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(10);
      expect(rule.helpUri).toMatch(/^https:\/\/github\.com\/rls-guard\/rls-guard\/blob\/main\/docs\//);
    }
    expect(driver.rules.find((r) => r.id === 'rls-guard/require-rls')!.helpUri).toBe('https://github.com/rls-guard/rls-guard/blob/main/docs/rules/require-rls.md');

    const results = sarifRun!.results;
    expect(
      results.map((r) => {
        const loc = r.locations[0]!.physicalLocation;
        return `${loc.artifactLocation.uri}:${loc.region.startLine}:${loc.region.startColumn} ${r.ruleId} ${r.level}`;
      }),
    ).toEqual(EXPECTED);
    for (const r of results) {
      expect(driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(r.message.text.length).toBeGreaterThan(10);
    }
  });

  it('has an empty results array on a clean project', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    const run = runCli(['check', '--format', 'sarif'], dir);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Sarif).runs[0]!.results).toEqual([]);
  });
});

describe('--format github', () => {
  it('prints one workflow annotation per finding, ::warning for warnings', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'github'], dir);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.map((l) => /^::(error|warning) file=([^,]+),line=(\d+),endLine=\d+,col=(\d+),(?:endColumn=\d+,)?title=([^:]+)::./.exec(l)!.slice(1).join(' '))).toEqual([
      'error migrations/002_notes.sql 6 1 rls-guard/require-force-rls',
      'error migrations/002_notes.sql 7 1 rls-guard/no-fail-open-policy',
      'warning migrations/002_notes.sql 7 1 rls-guard/require-with-check',
      'error migrations/003_bad.sql 1 1 rls-guard/no-rls-disable',
      'error migrations/003_bad.sql 1 1 rls-guard/require-force-rls',
      'error migrations/003_bad.sql 2 1 rls-guard/require-rls',
      'error migrations/003_bad.sql 2 1 rls-guard/require-tenant-column',
    ]);
  });

  it('prints nothing on a clean project', () => {
    const dir = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT });
    expect(runCli(['check', '--format', 'github'], dir)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('escapes %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    const text = formatGithub(
      [{ ruleId: 'require-rls', severity: 2, message: 'line one\nline two 100%', object: 'public.t', location: { file: '/p/db/a,b:c.sql', line: 3, column: 5, endLine: 4, endColumn: 2 } }],
      { cwd: '/p' },
    );
    expect(text).toBe('::error file=db/a%2Cb%3Ac.sql,line=3,endLine=4,col=5,title=rls-guard/require-rls::line one%0Aline two 100%25');
  });
});

describe('--format gitlab', () => {
  it('is a GitLab Code Quality report with stable, unique fingerprints', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'gitlab'], dir);
    expect(run.code).toBe(1);
    const issues = JSON.parse(run.stdout) as { description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues.map((i) => `${i.location.path}:${i.location.lines.begin} ${i.check_name} ${i.severity}`)).toEqual(
      EXPECTED.map((e) => e.replace(/:1 /, ' ').replace(/ error$/, ' critical').replace(/ warning$/, ' minor')),
    );
    for (const i of issues) {
      expect(i.description.length).toBeGreaterThan(10);
      expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    // Fingerprints do not depend on line numbers: a blank line added above keeps them.
    const shifted = makeProject({ 'rls-guard.config.json': CONFIG, 'migrations/001_init.sql': CLEAN_INIT, 'migrations/002_notes.sql': `\n\n${NOTES}`, 'migrations/003_bad.sql': BAD });
    const again = JSON.parse(runCli(['check', '--format', 'gitlab'], shifted).stdout) as typeof issues;
    expect(again.map((i) => i.fingerprint)).toEqual(issues.map((i) => i.fingerprint));
    expect(again[0]!.location.lines.begin).toBe(8);
  });
});

describe('--format json and ESLint formatters', () => {
  it('json lists every analyzed file with ESLint-compatible messages', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as JsonResult[];
    expect(results.map((r) => [r.filePath, r.errorCount, r.warningCount])).toEqual([
      [join(dir, 'migrations/001_init.sql'), 0, 0],
      [join(dir, 'migrations/002_notes.sql'), 2, 1],
      [join(dir, 'migrations/003_bad.sql'), 4, 0],
    ]);
  });

  it('loads an installed ESLint formatter by name, with the rules metadata', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'json-with-metadata'], dir);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { results: JsonResult[]; metadata: { rulesMeta: Record<string, { docs: { url: string } }> } };
    expect(out.results.flatMap((r) => r.messages)).toHaveLength(7);
    expect(out.metadata.rulesMeta['rls-guard/require-rls']!.docs.url).toBe('https://github.com/rls-guard/rls-guard/blob/main/docs/rules/require-rls.md');
    const html = runCli(['check', '--format', 'html'], dir);
    expect(html.code).toBe(1);
    expect(html.stdout).toContain('<!DOCTYPE html>');
    expect(html.stdout).toContain('rls-guard/no-fail-open-policy');
  });

  it('exits 2 with a clear message for a format nobody provides', () => {
    const dir = defective();
    const run = runCli(['check', '--format', 'no-such-format'], dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^rls-guard check: unknown --format "no-such-format": not one of stylish, json, sarif, github, gitlab, and ESLint could not load a formatter of that name/);
  });
});
