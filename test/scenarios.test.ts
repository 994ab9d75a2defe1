/**
 * The shared acceptance scenarios, end to end: `rls-guard check` run as a user runs it (the built
 * CLI, in the scenario folder, JSON output) must report exactly the expected migration findings.
 * Application-code expectations (src/) are checked by test/ts/scenarios.test.ts through ESLint.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Real path: the CLI reports files under its working directory as the OS resolves it.
const sharedScenarios = resolve(repoRoot, '..', 'shared', 'scenarios');
const scenariosDir = existsSync(sharedScenarios) ? realpathSync(sharedScenarios) : sharedScenarios;
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

interface Expected {
  expect: { rule: string; at: string[]; severity?: number }[];
  tolerate?: string[];
}

function runCheck(cwd: string): { code: number; results: { filePath: string; messages: { ruleId: string; line: number; severity: number }[] }[] } {
  try {
    const out = execFileSync(process.execPath, [cli, 'check', '--format', 'json'], { cwd, encoding: 'utf8' });
    return { code: 0, results: JSON.parse(out) };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { code: e.status, results: JSON.parse(e.stdout) };
  }
}

const scenarios = existsSync(scenariosDir) ? readdirSync(scenariosDir).filter((d) => existsSync(join(scenariosDir, d, 'expected.json'))) : [];

describe('shared scenarios: rls-guard check', () => {
  it('finds the scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(4);
  });

  for (const name of scenarios) {
    it(`${name}: exactly the expected migration findings`, () => {
      const dir = join(scenariosDir, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const sqlExpectations = expected.expect.filter((e) => e.at.some((a) => a.split(':')[0]!.endsWith('.sql')));
      const tolerated = new Set(expected.tolerate ?? []);
      const { code, results } = runCheck(dir);
      const found = results.flatMap((r) => r.messages.map((m) => ({ rule: m.ruleId.replace(/^rls-guard\//, ''), at: `${relative(dir, r.filePath)}:${m.line}`, severity: m.severity })));

      const unmatched = [...found];
      const missing: string[] = [];
      for (const e of sqlExpectations) {
        const index = unmatched.findIndex((f) => f.rule === e.rule && e.at.includes(f.at) && (e.severity === undefined || f.severity === e.severity));
        if (index === -1) missing.push(`${e.rule}@${e.at.join('|')}${e.severity ? ` (severity ${e.severity})` : ''}`);
        else unmatched.splice(index, 1);
      }
      const extra = unmatched.filter((f) => !tolerated.has(`${f.rule}@${f.at}`)).map((f) => `${f.rule}@${f.at}`);
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      expect(code).toBe(sqlExpectations.some((e) => e.severity === 2) || found.some((f) => f.severity === 2) ? 1 : 0);
    });
  }
});
