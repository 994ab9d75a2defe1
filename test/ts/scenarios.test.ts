/**
 * End to end: each shared scenario's application code, linted by ESLint with the plugin's
 * recommended app rules, reports exactly the app-code findings its expected.json lists (rule,
 * line and severity), and nothing else apart from its `tolerate` entries.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { tsRecommended, tsRules } from '../../rules/ts/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenariosDir = path.resolve(repoRoot, '..', 'shared', 'scenarios');

interface Expected {
  expect: { rule: string; at: string[]; severity?: 1 | 2 }[];
  tolerate?: string[];
}

const scenarios = existsSync(scenariosDir)
  ? readdirSync(scenariosDir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join(scenariosDir, d.name, 'expected.json')))
  : [];

function lintScenario(cwd: string): Promise<ESLint.LintResult[]> {
  const eslint = new ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.{ts,js}'],
        languageOptions: { parser: tsParser as never },
        plugins: { 'rls-guard': { rules: tsRules } as unknown as ESLint.Plugin },
        rules: Object.fromEntries(Object.entries(tsRecommended).map(([id, severity]) => [`rls-guard/${id}`, severity])),
      },
    ],
  });
  return eslint.lintFiles(['**/*.{ts,js}']);
}

describe('shared scenarios: application code under configs.recommended', () => {
  it('finds the scenarios', () => {
    expect(scenarios.map((d) => d.name)).toEqual(expect.arrayContaining(['align', 'apsaradb', 'clean', 'kahn']));
  });

  for (const scenario of scenarios) {
    it(`${scenario.name}: reports exactly the expected app-code findings`, async () => {
      const dir = path.join(scenariosDir, scenario.name);
      const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
      const results = await lintScenario(dir);

      const actual = results.flatMap((r) =>
        r.messages.map((m) => ({
          rule: m.ruleId?.replace(/^rls-guard\//, '') ?? `fatal: ${m.message}`,
          at: `${path.relative(dir, r.filePath).split(path.sep).join('/')}:${m.line}`,
          severity: m.severity,
        })),
      );
      const unmatched = [...actual];
      const missing: string[] = [];
      for (const want of expected.expect.filter((e) => e.rule in tsRules)) {
        const i = unmatched.findIndex((a) => a.rule === want.rule && want.at.includes(a.at) && (want.severity === undefined || a.severity === want.severity));
        if (i === -1) missing.push(`${want.rule}@${want.at.join('|')}${want.severity ? ` (severity ${want.severity})` : ''}`);
        else unmatched.splice(i, 1);
      }
      const tolerated = new Set(expected.tolerate ?? []);
      const unexpected = unmatched.filter((a) => !tolerated.has(`${a.rule}@${a.at}`)).map((a) => `${a.rule}@${a.at} (severity ${a.severity})`);

      expect({ missing, unexpected }).toEqual({ missing: [], unexpected: [] });
    });
  }
});

describe('plain JavaScript under ESLint’s default parser', () => {
  it('lints without the TypeScript parser and without type information', async () => {
    const eslint = new ESLint({
      cwd: repoRoot,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.js'],
          plugins: { 'rls-guard': { rules: tsRules } as unknown as ESLint.Plugin },
          rules: Object.fromEntries(Object.entries(tsRecommended).map(([id, severity]) => [`rls-guard/${id}`, severity])),
        },
      ],
    });
    const code = [
      "import pg from 'pg';",
      'export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: "-c statement_timeout=5000" });',
      "export const count = () => pool.query('SELECT count(*) FROM orders');",
      'export const setTenant = (id) => pool.query(`SET app.current_tenant = \'${id}\'`);',
      "export const escalate = () => pool.query('SET ROLE postgres');",
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, 'src', 'example.js') });
    expect(result!.messages.map((m) => `${m.ruleId}:${m.line}`)).toEqual([
      'rls-guard/no-owner-database-url:2',
      'rls-guard/no-libpq-options:2',
      'rls-guard/no-unscoped-query:3',
      'rls-guard/tenant-context-transaction-local:4',
      'rls-guard/no-interpolated-tenant-context:4',
      'rls-guard/no-rls-bypass-in-app:5',
    ]);
  });
});
