/**
 * The `rls-guard` ESLint plugin (the package's default export): the app-code rules for JS/TS,
 * the SQL rules for `.sql` migrations through the `rls-guard/sql` language, and the flat configs:
 * `recommended` (both), `app` and `sql` (one side each), `recommendedTypeChecked` (both, app code
 * with type information) and `strict`.
 */
import tsParser from '@typescript-eslint/parser';
import { PACKAGE_VERSION as version } from './package-root.js';
import { loadSqlParser } from './sql/parse.js';
import { sqlLanguage } from './eslint/sql-language.js';
import { sqlEslintRules, sqlRecommended, sqlStrict } from './eslint/sql-rules.js';
import { tsRecommended, tsRules, tsStrict } from '../rules/ts/index.js';

// ESLint rules are synchronous; the WASM parser is loaded once when the plugin is imported.
await loadSqlParser();

const prefixed = (rules: Record<string, 'error' | 'warn'>) => Object.fromEntries(Object.entries(rules).map(([id, level]) => [id.startsWith('rls-guard/') ? id : `rls-guard/${id}`, level]));

export const SQL_FILES = ['**/*.sql'];
export const APP_FILES = ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'];
const TS_FILES = ['**/*.{ts,mts,cts,tsx}'];

type FlatConfig = Record<string, unknown>;
type ConfigName = 'recommended' | 'strict' | 'recommendedTypeChecked' | 'app' | 'sql';

const plugin = {
  meta: { name: 'rls-guard', version, namespace: 'rls-guard' },
  languages: { sql: sqlLanguage },
  rules: { ...sqlEslintRules, ...tsRules } as Record<string, object>,
  configs: {} as Record<ConfigName, FlatConfig[]>,
};

function sqlConfig(name: string, sqlRules: Record<string, 'error' | 'warn'>): FlatConfig[] {
  return [{ name: `rls-guard/${name}/sql`, files: SQL_FILES, plugins: { 'rls-guard': plugin }, language: 'rls-guard/sql', rules: sqlRules }];
}

/**
 * The app rules need no type information; with it (`typed`), `no-unscoped-query` recognizes
 * database clients by type. Only TypeScript files get the project service: a `.js` file outside
 * every tsconfig would otherwise be a parse error, and the rules read plain JS without types.
 */
function appConfig(name: string, appRules: Record<string, 'error' | 'warn'>, { typed = false } = {}): FlatConfig[] {
  const languageOptions = typed ? { parser: tsParser, parserOptions: { projectService: true } } : { parser: tsParser };
  return [
    { name: `rls-guard/${name}/typescript-parser`, files: TS_FILES, languageOptions },
    { name: `rls-guard/${name}/app`, files: APP_FILES, plugins: { 'rls-guard': plugin }, rules: prefixed(appRules) },
  ];
}

// strict: every SQL rule as an error, warnings and opt-in rules (policy performance) included.
// Every object names its `files`, so each preset can sit beside other presets in any order.
plugin.configs.sql = sqlConfig('sql', sqlRecommended);
plugin.configs.app = appConfig('app', tsRecommended);
plugin.configs.recommended = [...sqlConfig('recommended', sqlRecommended), ...appConfig('recommended', tsRecommended)];
plugin.configs.recommendedTypeChecked = [...sqlConfig('recommended-type-checked', sqlRecommended), ...appConfig('recommended-type-checked', tsRecommended, { typed: true })];
plugin.configs.strict = [...sqlConfig('strict', sqlStrict), ...appConfig('strict', tsStrict)];

export default plugin;
export { runCheck, analyzeMigrations } from './check.js';
export type { Finding } from './findings.js';
export type { RlsGuardConfig, ResolvedConfig } from './config.js';
