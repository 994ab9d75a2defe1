/**
 * The `rls-guard` ESLint plugin (the package's default export): the app-code rules for JS/TS,
 * the SQL rules for `.sql` migrations through the `rls-guard/sql` language, and the
 * `recommended` and `strict` flat configs.
 */
import tsParser from '@typescript-eslint/parser';
import { PACKAGE_VERSION as version } from './package-root.js';
import { loadSqlParser } from './sql/parse.js';
import { sqlLanguage } from './eslint/sql-language.js';
import { sqlEslintRules, sqlRecommended } from './eslint/sql-rules.js';
import { tsRecommended, tsRules, tsStrict } from '../rules/ts/index.js';

// ESLint rules are synchronous; the WASM parser is loaded once when the plugin is imported.
await loadSqlParser();

const prefixed = (rules: Record<string, 'error' | 'warn'>) => Object.fromEntries(Object.entries(rules).map(([id, level]) => [id.startsWith('rls-guard/') ? id : `rls-guard/${id}`, level]));

export const SQL_FILES = ['**/*.sql'];
export const APP_FILES = ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'];
const TS_FILES = ['**/*.{ts,mts,cts,tsx}'];

const plugin = {
  meta: { name: 'rls-guard', version, namespace: 'rls-guard' },
  languages: { sql: sqlLanguage },
  rules: { ...sqlEslintRules, ...tsRules } as Record<string, object>,
  configs: {} as Record<'recommended' | 'strict', unknown[]>,
};

function flatConfig(name: string, appRules: Record<string, 'error' | 'warn'>, sqlRules: Record<string, 'error' | 'warn'>) {
  return [
    { name: `rls-guard/${name}/sql`, files: SQL_FILES, plugins: { 'rls-guard': plugin }, language: 'rls-guard/sql', rules: sqlRules },
    // TypeScript syntax needs a parser; the rules themselves need no type information.
    { name: `rls-guard/${name}/typescript-parser`, files: TS_FILES, languageOptions: { parser: tsParser } },
    { name: `rls-guard/${name}/app`, files: APP_FILES, plugins: { 'rls-guard': plugin }, rules: prefixed(appRules) },
  ];
}

plugin.configs.recommended = flatConfig('recommended', tsRecommended, sqlRecommended);
// strict: every SQL rule as an error, warnings included.
plugin.configs.strict = flatConfig('strict', tsStrict, Object.fromEntries(Object.keys(sqlRecommended).map((id) => [id, 'error' as const])));

export default plugin;
export { runCheck, analyzeMigrations } from './check.js';
export type { Finding } from './findings.js';
export type { RlsGuardConfig, ResolvedConfig } from './config.js';
