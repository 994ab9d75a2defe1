/**
 * One ESLint run over a generated app: `rules` runs the rls-guard app rules (configs.recommended's
 * app part), `baseline` the same files and parser with no rules, `noop` the same with one rule
 * whose listeners are empty (what ESLint itself costs as soon as any rule is on); `editor` lints
 * one migration of a history repeatedly with one ESLint instance, as an editor does, and prints
 * the warm times.
 */
import { ESLint } from 'eslint';
import tsParser from '@typescript-eslint/parser';

const [mode, dir, file] = process.argv.slice(2);
const { default: plugin } = await import('../dist/src/index.js');
const [sqlConfig, parserConfig, appConfig] = plugin.configs.recommended;

if (mode === 'editor') {
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: [sqlConfig] });
  const times = [];
  for (let i = 0; i < 6; i++) {
    const start = performance.now();
    await eslint.lintFiles([file]);
    times.push(performance.now() - start);
  }
  console.log(JSON.stringify({ first: times[0], warm: times.slice(1) }));
} else {
  const noop = { rules: { noop: { meta: { type: 'problem', schema: [] }, create: () => ({}) } } };
  const configs = {
    rules: [parserConfig, appConfig],
    baseline: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser } }],
    noop: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: { bench: noop }, rules: { 'bench/noop': 'error' } }],
  };
  const config = configs[mode];
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: config });
  const start = performance.now();
  const results = await eslint.lintFiles(['src/**/*.ts']);
  console.log(JSON.stringify({ ms: performance.now() - start, files: results.length, messages: results.reduce((n, r) => n + r.messages.length, 0) }));
}
