/**
 * rls-guard's flat configs beside the presets real projects combine them with: typescript-eslint
 * (`recommended`, `strictTypeChecked` with `projectService`), `@eslint/js` recommended,
 * eslint-config-prettier, `defineConfig(...)` / `tseslint.config(...)`, and a global
 * `languageOptions` object without `files`. Each combination lints the same mixed project (TS app
 * code, `.sql` migrations, rls-guard.config.json) without a fatal message, and rls-guard reports
 * the same findings in each. Rules of the other presets never report on a `.sql` file.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { ESLint } from 'eslint';
import { defineConfig } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import rlsGuard from '../../src/index.js';
import { sqlLanguage } from '../../src/eslint/sql-language.js';

const cwd = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'eslint-presets');
const typed = { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: cwd } } };
const nodeGlobals = { languageOptions: { globals: { process: 'readonly', console: 'readonly' } } };
const { recommended, recommendedTypeChecked, app, sql } = rlsGuard.configs;

interface Linted {
  /** rls-guard's messages and suppressed messages, by file. */
  rlsGuard: string[];
  /** Every fatal message, and every message from another plugin on a `.sql` file. */
  problems: string[];
}

async function lint(config: unknown): Promise<Linted> {
  const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: config as never });
  const results = await eslint.lintFiles(['.']);
  const rlsGuardFindings: string[] = [];
  const problems: string[] = [];
  for (const result of results) {
    const file = result.filePath.slice(cwd.length + 1);
    for (const m of result.messages) {
      if (m.fatal || (file.endsWith('.sql') && !m.ruleId?.startsWith('rls-guard/'))) problems.push(`${file}:${m.line} ${m.ruleId} ${m.message}`);
    }
    for (const m of [...result.messages, ...result.suppressedMessages]) {
      if (!m.ruleId?.startsWith('rls-guard/')) continue;
      const suppressed = 'suppressions' in m ? ' (suppressed)' : '';
      rlsGuardFindings.push(`${file}:${m.line}:${m.column} ${m.ruleId} ${m.severity}${suppressed} | ${m.message}`);
    }
  }
  return { rlsGuard: rlsGuardFindings.sort(), problems };
}

/** The findings' places, without their messages: what the fixture is written to produce. */
const places = (findings: string[]) => findings.map((f) => f.split(' | ')[0]);

describe('configs.recommended alone', () => {
  it('reports the fixture project’s defects in migrations and in app code', async () => {
    const { rlsGuard: findings, problems } = await lint(recommended);
    expect(problems).toEqual([]);
    expect(places(findings)).toEqual([
      'migrations/0001_schema.sql:18:1 rls-guard/require-tenant-column 2 (suppressed)',
      'migrations/0002_isolation.sql:11:1 rls-guard/require-force-rls 2',
      'migrations/0002_isolation.sql:12:1 rls-guard/require-with-check 1',
      'src/db.ts:3:53 rls-guard/no-owner-database-url 2',
      'src/projects.ts:16:26 rls-guard/no-unscoped-query 2',
    ]);
    expect(findings[1]).toContain('Tenant table public.invoices enables RLS without FORCE ROW LEVEL SECURITY');
    expect(findings[4]).toContain("This query runs on `pool` outside `withTenant`, with no tenant context set.");
  });
});

describe('combined with other presets', () => {
  const combinations: [string, unknown][] = [
    ['configs.sql and configs.app', [...sql, ...app]],
    ['configs.recommendedTypeChecked', recommendedTypeChecked],
    ['after tseslint.configs.recommended', [...tseslint.configs.recommended, ...recommended]],
    ['before tseslint.configs.recommended', [...recommended, ...tseslint.configs.recommended]],
    ['with tseslint.configs.strictTypeChecked and projectService', [...tseslint.configs.strictTypeChecked, typed, ...recommended]],
    ['configs.recommendedTypeChecked with tseslint.configs.strictTypeChecked', [...tseslint.configs.strictTypeChecked, typed, ...recommendedTypeChecked]],
    ['with @eslint/js recommended', [js.configs.recommended, nodeGlobals, ...recommended]],
    ['with eslint-config-prettier last', [...tseslint.configs.recommended, ...recommended, prettier]],
    ['wrapped in defineConfig(...)', defineConfig(js.configs.recommended, tseslint.configs.recommended, recommended as never, prettier)],
    [
      'the combined eslint.config.js of docs/eslint.md',
      defineConfig(js.configs.recommended, tseslint.configs.strictTypeChecked, typed as never, recommendedTypeChecked as never, { files: ['db/migrations/**/*.sql'], rules: { 'rls-guard/require-with-check': 'error' } }, prettier),
    ],
    ['wrapped in tseslint.config(...)', tseslint.config(js.configs.recommended, tseslint.configs.recommended, recommended as never)],
    ['with a global languageOptions.globals object without files', [nodeGlobals, ...recommended]],
    ['with a global languageOptions object holding JavaScript parser options', [{ languageOptions: { ecmaVersion: 2022, sourceType: 'module', parserOptions: { ecmaFeatures: { jsx: true } } } }, ...recommended]],
  ];

  for (const [name, config] of combinations) {
    it(`${name}: no fatal message, and the same rls-guard findings as alone`, async () => {
      const alone = await lint(recommended);
      const combined = await lint(config);
      expect(combined.problems).toEqual([]);
      expect(combined.rlsGuard).toEqual(alone.rlsGuard);
    });
  }
});

describe('what JavaScript rules read on a .sql file', () => {
  const text = '\uFEFF-- TODO: rename\u00a0this table\nCREATE TABLE x (tenant_id uuid NOT NULL);\n/* FIXME */ SELECT   1 ;\t\nGRANT SELECT ON x TO app_user;\n';
  const filePath = resolve(cwd, 'migrations', '0003_scratch.sql');

  it('every core rule and every typescript-eslint rule, typed ones included, can be created and reports nothing', async () => {
    const everyRule = Object.fromEntries([
      ...[...builtinRules.keys()].map((id) => [id, 'error']),
      ...Object.keys((tseslint.plugin as unknown as { rules: Record<string, unknown> }).rules).map((id) => [`@typescript-eslint/${id}`, 'error']),
    ]);
    const config = [{ plugins: { '@typescript-eslint': tseslint.plugin } }, { languageOptions: { parser: tseslint.parser } }, typed, ...recommended, { rules: everyRule }];
    const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: config as never });
    const [result] = await eslint.lintText(text, { filePath });
    expect(result!.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}`)).toEqual(['2:1 rls-guard/require-rls']);
  });

  it('getAllComments gives the SQL comments as ESTree Line and Block comments', () => {
    const body = '-- one\nSELECT 1; /* two */\n';
    const sourceCode = sqlLanguage.createSourceCode({ body }, sqlLanguage.parse({ body }));
    expect(sourceCode.getAllComments()).toEqual([
      { type: 'Line', value: ' one', range: [0, 6], loc: { start: { line: 1, column: 1 }, end: { line: 1, column: 7 } } },
      { type: 'Block', value: ' two ', range: [17, 26], loc: { start: { line: 2, column: 11 }, end: { line: 2, column: 20 } } },
    ]);
    expect(sourceCode.getText()).toBe(body);
    expect(sourceCode.lines).toEqual(['-- one', 'SELECT 1; /* two */', '']);
    expect(sourceCode.hasBOM).toBe(false);
  });

  it('accepts JavaScript language options and ignores them', () => {
    expect(() => sqlLanguage.validateLanguageOptions({ ecmaVersion: 2022, sourceType: 'module', globals: { process: 'readonly' }, parser: tseslint.parser, parserOptions: { projectService: true } })).not.toThrow();
  });
});
