/**
 * Parity: `eslint` on a project's migrations reports exactly what `rls-guard check` reports —
 * rule, file, line, column and severity — because both run the one analyzer over the whole history.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { runCheck } from '../../src/check.js';
import { resolveConfig } from '../../src/config.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenariosDir = resolve(repoRoot, '..', 'shared', 'scenarios');
const scenarios = existsSync(scenariosDir) ? readdirSync(scenariosDir).filter((d) => existsSync(join(scenariosDir, d, 'rls-guard.config.json'))) : [];

describe('eslint with rls-guard/sql reports what rls-guard check reports', () => {
  for (const name of scenarios) {
    it(name, async () => {
      const cwd = join(scenariosDir, name);
      const config = resolveConfig({ start: cwd });
      const check = await runCheck({ paths: [], config });
      const fromCheck = check.findings.map((f) => `${f.location.file}:${f.location.line}:${f.location.column} ${f.ruleId} ${f.severity}`).sort();

      const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: (plugin.configs.recommended as object[]).slice(0, 1) as never });
      const results = await eslint.lintFiles(check.files);
      const fromEslint = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${String(m.ruleId).replace('rls-guard/', '')} ${m.severity}`)).sort();

      expect(fromCheck.length).toBeGreaterThan(name === 'clean' ? -1 : 0);
      expect(fromEslint).toEqual(fromCheck);
    });
  }
});
