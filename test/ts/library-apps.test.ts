/**
 * One realistic app per data-access library (test/ts/fixtures/apps/<library>), linted with
 * `configs.app` as a user would: the findings are exactly the ones marked in the source with
 * `// expect: <rule>[, <rule>]` on the line where each starts. Then every suggestion is applied
 * and the file linted again: the rule it came from reports one finding fewer, and nothing new.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { firstSentence } from './first-sentence.js';

const appsDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'apps');
const apps = readdirSync(appsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== '_shared').map((d) => d.name);

function eslintFor(cwd: string): ESLint {
  return new ESLint({ cwd, overrideConfigFile: true, overrideConfig: plugin.configs.app as Linter.Config[] });
}

/** `src/orders.ts:12 no-unscoped-query` for every marker in the app's sources. */
function expectedFindings(appDir: string): string[] {
  const expected: string[] = [];
  const srcDir = join(appDir, 'src');
  for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts')).sort()) {
    readFileSync(join(srcDir, file), 'utf8').split('\n').forEach((line, i) => {
      const marker = line.indexOf('// expect: ');
      if (marker === -1) return;
      for (const rule of line.slice(marker + '// expect: '.length).split(',')) expected.push(`src/${file}:${i + 1} ${rule.trim()}`);
    });
  }
  return expected.sort();
}

const finding = (appDir: string, result: ESLint.LintResult, message: Linter.LintMessage): string =>
  `${relative(appDir, result.filePath)}:${message.line} ${String(message.ruleId).replace('rls-guard/', '')}`;

/** The source with one suggestion applied (a suggestion's fix is one merged text edit). */
function applyFix(source: string, fix: { range: [number, number]; text: string }): string {
  return source.slice(0, fix.range[0]) + fix.text + source.slice(fix.range[1]);
}

describe.each(apps)('%s app', (app) => {
  const appDir = join(appsDir, app);

  it('reports exactly the marked findings', async () => {
    const results = await eslintFor(appDir).lintFiles(['src/**/*.ts']);
    for (const result of results) expect(result.messages.filter((m) => m.fatal)).toEqual([]);
    const actual = results.flatMap((r) => r.messages.map((m) => finding(appDir, r, m))).sort();
    expect(actual).toEqual(expectedFindings(appDir));
  });

  it('suggestions yield code that passes the rule they came from', async () => {
    const eslint = eslintFor(appDir);
    const results = await eslint.lintFiles(['src/**/*.ts']);
    let applied = 0;
    for (const result of results) {
      const source = readFileSync(result.filePath, 'utf8');
      for (const message of result.messages) {
        for (const suggestion of message.suggestions ?? []) {
          const fixed = applyFix(source, suggestion.fix);
          const [again] = await eslint.lintText(fixed, { filePath: result.filePath });
          const before = result.messages.filter((m) => m.ruleId === message.ruleId).length;
          const after = again!.messages.filter((m) => m.ruleId === message.ruleId);
          expect(again!.messages.filter((m) => m.fatal), `${suggestion.desc} leaves a parse error`).toEqual([]);
          expect(after.length, `${relative(appDir, result.filePath)}:${message.line} ${suggestion.desc}\n${fixed}`).toBe(before - 1);
          applied++;
        }
      }
    }
    expect(applied).toBeGreaterThan(0);
  });

  it('says what is wrong in a first sentence under 200 characters, and names the exemption', async () => {
    const results = await eslintFor(appDir).lintFiles(['src/**/*.ts']);
    for (const message of results.flatMap((r) => r.messages)) {
      expect(firstSentence(message.message).length, message.message).toBeLessThan(200);
      // Every query flagged here names its tables: the message says how to exempt them if they are shared.
      if (message.ruleId === 'rls-guard/no-unscoped-query') expect(message.message).toMatch(/ list (it|them) in `globalTables`\./);
    }
  });
});
