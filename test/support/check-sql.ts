/**
 * Runs the SQL rules over in-memory migrations, for squawk-style one-case-per-line tests:
 *
 *   expect(await lint('ALTER TABLE t DISABLE ROW LEVEL SECURITY;')).toEqual([...])
 */
import { analyzeMigrations } from '../../src/check.js';
import { configFrom, type ResolvedConfig, type RlsGuardConfig } from '../../src/config.js';
import type { Finding } from '../../src/findings.js';
import { loadSqlParser } from '../../src/sql/parse.js';

export function testConfig(overrides: Partial<RlsGuardConfig> = {}): ResolvedConfig {
  return configFrom(overrides, { configPath: null, rootDir: '/project' });
}

/** Analyzes migrations given as one SQL string (file `001.sql`) or as `{ fileName: sql }` in replay order. */
export async function checkSql(migrations: string | Record<string, string>, config: Partial<RlsGuardConfig> = {}): Promise<Finding[]> {
  await loadSqlParser();
  const files = typeof migrations === 'string' ? { '001.sql': migrations } : migrations;
  return analyzeMigrations(
    Object.entries(files).map(([file, text]) => ({ file, text })),
    testConfig(config),
  ).findings;
}

/** Findings of one rule as `file:line` strings, the way the shared scenarios state expectations. */
export async function ruleHits(ruleId: string, migrations: string | Record<string, string>, config: Partial<RlsGuardConfig> = {}): Promise<string[]> {
  return (await checkSql(migrations, config)).filter((f) => f.ruleId === ruleId).map((f) => `${f.location.file}:${f.location.line}`);
}
