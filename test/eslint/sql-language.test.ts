/**
 * The `rls-guard/sql` ESLint language: parsing never throws, statements are nodes with exact
 * locations, SQL rules report through ESLint, and `-- eslint-disable-next-line` comments work.
 */
import { ESLint, RuleTester } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { sqlLanguage } from '../../src/eslint/sql-language.js';

// ESLint's RuleTester runs its cases through these hooks when the test framework has no globals.
Object.assign(RuleTester, { afterAll, describe, it, itOnly: it.only });

const rules = plugin.rules as Record<string, never>; // RuleTester's own types do not know the SQL language's rules
const ruleTester = new RuleTester({ plugins: { 'rls-guard': plugin }, language: 'rls-guard/sql' } as never);
const filename = '/virtual/project/migrations/001_init.sql';

describe('rls-guard/sql language', () => {
  it('parses statements and comments with 1-based locations, and never throws on bad SQL', () => {
    const text = '-- a comment\nCREATE TABLE t (tenant_id uuid NOT NULL);\nSELEC 1;\n/* block */ SELECT 2;';
    const result = sqlLanguage.parse({ body: text });
    expect(result.ok).toBe(true);
    expect(result.ast.body.map((s) => [s.kind, s.loc.start.line, s.loc.start.column])).toEqual([
      ['CreateStmt', 2, 1],
      ['SelectStmt', 4, 13],
    ]);
    expect(result.ast.comments.map((c) => [c.type, c.value, c.loc.start.line])).toEqual([
      ['LineComment', ' a comment', 1],
      ['BlockComment', ' block ', 4],
    ]);
  });
});

ruleTester.run('require-rls', rules['require-rls'], {
  valid: [
    {
      filename,
      code: 'CREATE TABLE docs (tenant_id uuid NOT NULL);\nALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE docs FORCE ROW LEVEL SECURITY;',
    },
  ],
  invalid: [
    {
      filename,
      code: 'CREATE TABLE docs (\n  tenant_id uuid NOT NULL\n);',
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 3, endColumn: 2 }],
    },
  ],
});

ruleTester.run('parse-error', rules['parse-error'], {
  valid: [{ filename, code: 'SELECT 1;' }],
  invalid: [{ filename, code: 'SELECT 1;\nCREATE TABLE (;\nSELECT 2;', errors: [{ messageId: 'finding', line: 2, column: 14 }] }],
});

ruleTester.run('no-rls-disable', rules['no-rls-disable'], {
  valid: [{ filename, code: 'CREATE TABLE t (tenant_id int NOT NULL);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;' }],
  invalid: [
    {
      filename,
      code: 'CREATE TABLE t (tenant_id int NOT NULL);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nALTER TABLE t DISABLE ROW LEVEL SECURITY;',
      errors: [{ messageId: 'finding', line: 3 }],
    },
  ],
});

describe('inline directives', () => {
  const eslint = new ESLint({ cwd: '/virtual', overrideConfigFile: true, overrideConfig: (plugin.configs.recommended as object[]).slice(0, 1) as never });
  const twoTables = (directive: string) =>
    `CREATE TABLE a (tenant_id uuid NOT NULL);\n${directive}CREATE TABLE b (tenant_id uuid NOT NULL);\n`;

  it('reports both tables without a directive', async () => {
    const [result] = await eslint.lintText(twoTables(''), { filePath: filename });
    expect(result!.messages.map((m) => `${m.ruleId}:${m.line}`)).toEqual(['rls-guard/require-rls:1', 'rls-guard/require-rls:2']);
  });

  it('an eslint-disable-next-line with a reason silences exactly one finding', async () => {
    const [result] = await eslint.lintText(twoTables('-- eslint-disable-next-line rls-guard/require-rls -- b is rebuilt nightly from a per-tenant export\n'), { filePath: filename });
    expect(result!.messages.map((m) => `${m.ruleId}:${m.line}`)).toEqual(['rls-guard/require-rls:1']);
    expect(result!.suppressedMessages.map((m) => [`${m.ruleId}:${m.line}`, m.suppressions?.[0]?.justification])).toEqual([
      ['rls-guard/require-rls:3', 'b is rebuilt nightly from a per-tenant export'],
    ]);
  });

  it('a directive for another rule silences nothing, and ESLint reports it as unused', async () => {
    const [result] = await eslint.lintText(twoTables('-- eslint-disable-next-line rls-guard/require-force-rls\n'), { filePath: filename });
    expect(result!.messages.map((m) => `${m.ruleId}:${m.line}`)).toEqual(['rls-guard/require-rls:1', 'null:2', 'rls-guard/require-rls:3']);
    expect(result!.messages[1]!.message).toMatch(/Unused eslint-disable directive/);
  });
});
