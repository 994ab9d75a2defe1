/**
 * Analysis on top of parsing, in one process: the same files parsed (rls-guard's parser calls,
 * one thread, nothing else), then analyzed by `runCheck` (parse, replay into the schema model,
 * every rule), alternating, after one warm-up of each. Prints JSON: median ms of each and the
 * analysis share on top of parsing. Whole-process wall times (start-up included) are run.mjs's.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { resolveConfig } = await import(join(root, 'dist/src/config.js'));
const { runCheck } = await import(join(root, 'dist/src/check.js'));
const { discoverMigrations } = await import(join(root, 'dist/src/migrations/discover.js'));
const { loadSqlParser, parseScript } = await import(join(root, 'dist/src/sql/parse.js'));

const dir = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const config = resolveConfig({ start: dir });
await loadSqlParser();

function parseOnly() {
  const files = discoverMigrations([dir], config).map((f) => f.path);
  for (const file of files) parseScript(readFileSync(file, 'utf8'));
}
async function check() {
  await runCheck({ paths: [dir], config });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parse = [];
const analysis = [];
parseOnly();
await check();
for (let i = 0; i < runs; i++) {
  let t = performance.now();
  parseOnly();
  parse.push(performance.now() - t);
  t = performance.now();
  await check();
  analysis.push(performance.now() - t);
}
const p = median(parse);
const c = median(analysis);
console.log(JSON.stringify({ parseMs: p, checkMs: c, analysisShare: (c - p) / p }));
