/**
 * Plain JavaScript: the app rules under ESLint's default parser, with neither the TypeScript parser
 * nor type information.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { tsRecommended, tsRules } from '../../rules/ts/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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
