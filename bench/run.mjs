/**
 * `npm run bench`: rls-guard check against squawk on the same generated multi-tenant history,
 * the parse-only floor, peak memory, the ESLint app rules' overhead and a warm editor lint.
 * It prints medians and ratios; it asserts nothing about time.
 *
 * Environment: BENCH_FILES (default 2000), BENCH_RUNS (default 5), BENCH_BIG (default 10000).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApp, generateFindingHeavyHistory, generateFunctionHeavyHistory, generateHistory, generateSeedHistory } from './generate-history.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = Number(process.env.BENCH_FILES ?? 2000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const big = Number(process.env.BENCH_BIG ?? 10000);
const work = mkdtempSync(join(tmpdir(), 'rls-guard-bench-'));
const cli = join(root, 'dist/src/cli/main.js');
const squawkBinary = findOrInstallSquawk();

/**
 * squawk, the reference, from npm (squawk-cli ships prebuilt binaries as per-platform packages).
 * It is installed on demand into node_modules/.cache rather than kept as a devDependency: registries
 * that carry only some platforms' binaries make a lock file with squawk-cli fail `npm ci`.
 */
function findOrInstallSquawk() {
  const prefix = join(root, 'node_modules/.cache/rls-guard-bench');
  const candidates = () =>
    [`${process.platform}-${process.arch}`].flatMap((p) => [
      join(root, `node_modules/@squawk-cli/${p}/bin/squawk`),
      join(prefix, `node_modules/@squawk-cli/${p}/bin/squawk`),
    ]);
  let found = candidates().find(existsSync);
  if (!found) {
    console.log('installing squawk-cli@2.66.0 for the comparison (once) ...');
    spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, 'squawk-cli@2.66.0'], { stdio: 'ignore' });
    found = candidates().find(existsSync);
  }
  return found ?? null;
}

if (!existsSync(cli)) {
  console.error('Build first: npm run build');
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  return { ms, result };
}

console.log(`rls-guard benchmark — ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`);
const history = join(work, 'history');
const generated = generateHistory(history, { files });
console.log(`history: ${generated.files} files, ${generated.statements} statements (${history})\n`);

const checkTimes = [];
const squawkTimes = [];
const workerTimes = [];
const floorTimes = [];
const ownFloorTimes = [];
const withWorkers = { env: { ...process.env, RLS_GUARD_PARSE_WORKERS: String(Math.max(1, availableParallelism() - 1)) } };
for (let i = 0; i < runs; i++) {
  checkTimes.push(timed(process.execPath, [cli, 'check', history, '--format', 'json', '--no-cache']).ms);
  if (squawkBinary) squawkTimes.push(timed(squawkBinary, [join(history, '*.sql')]).ms);
  workerTimes.push(timed(process.execPath, [cli, 'check', history, '--format', 'json', '--no-cache'], withWorkers).ms);
  floorTimes.push(timed(process.execPath, [join(root, 'bench/parse-floor.mjs'), history]).ms);
  ownFloorTimes.push(timed(process.execPath, [join(root, 'bench/parse-floor.mjs'), history, 'rls-guard']).ms);
}
const floorSingle = median(floorTimes);
const ownFloor = median(ownFloorTimes);
const phases = JSON.parse(timed(process.execPath, [join(root, 'bench/phases.mjs'), history, String(runs)]).result.stdout);

const rss = (dir) => {
  const { result } = timed(process.execPath, [join(root, 'bench/measure.mjs'), 'check', dir, '--format', 'json', '--no-cache']);
  const last = result.stderr.trim().split('\n').pop();
  return JSON.parse(last).maxRssKb / 1024;
};
/** check and squawk on one more history, alternating: "check / squawk ms = ratio". */
function versusSquawk(dir) {
  const check = [];
  const squawk = [];
  for (let i = 0; i < runs; i++) {
    check.push(timed(process.execPath, [cli, 'check', dir, '--format', 'json', '--no-cache']).ms);
    if (squawkBinary) squawk.push(timed(squawkBinary, [join(dir, '*.sql')]).ms);
  }
  if (!squawkBinary) return '-';
  return `${median(check).toFixed(0)} / ${median(squawk).toFixed(0)} ms = ${(median(check) / median(squawk)).toFixed(2)}`;
}
// The weaker cases: a data-heavy history (seed INSERTs), where parsing is nearly all of the work,
// and a SECURITY DEFINER function in every migration (rls-guard parses each body; squawk does not).
const seed = join(work, 'seed');
generateSeedHistory(seed);
const seedVersus = versusSquawk(seed);
const definers = join(work, 'definers');
generateHistory(definers, { files, definerInEveryFile: true });
const definerVersus = versusSquawk(definers);

const rssSmall = rss(history);
const bigHistory = join(work, 'big');
generateHistory(bigHistory, { files: big, seed: 7 });
const rssBig = rss(bigHistory);

const rows = [
  ['rls-guard check (median wall)', `${median(checkTimes).toFixed(0)} ms`],
  ['squawk (median wall)', squawkBinary ? `${median(squawkTimes).toFixed(0)} ms` : 'not installed'],
  ['ratio check / squawk (goal ≤ 1.0)', squawkBinary ? (median(checkTimes) / median(squawkTimes)).toFixed(2) : '-'],
  [`rls-guard check with RLS_GUARD_PARSE_WORKERS=${withWorkers.env.RLS_GUARD_PARSE_WORKERS}`, `${median(workerTimes).toFixed(0)} ms`],
  [`definer-heavy history (${files} files, a SECURITY DEFINER function in each): check / squawk`, definerVersus],
  ['data-heavy history (300 × 500-row INSERT): check / squawk', seedVersus],
  ['parse-only floor, one thread: libpg-query parseSync', `${floorSingle.toFixed(0)} ms`],
  ["parse-only floor, one thread: rls-guard's parser calls", `${ownFloor.toFixed(0)} ms`],
  ['analysis on top of parsing, whole process (goal ≤ 25%)', `${((median(checkTimes) / ownFloor - 1) * 100).toFixed(0)} %`],
  ['analysis on top of parsing, in process, warm', `${(phases.analysisShare * 100).toFixed(0)} % (${phases.parseMs.toFixed(0)} → ${phases.checkMs.toFixed(0)} ms)`],
  [`peak memory, ${files} migrations`, `${rssSmall.toFixed(0)} MB`],
  [`peak memory, ${big} migrations (goal < 300 MB)`, `${rssBig.toFixed(0)} MB`],
];

// ESLint: the app rules on a generated 2,000-file TypeScript codebase against the same run with no rules.
const app = join(work, 'app');
generateApp(app, { files });
const eslintRun = (mode) => JSON.parse(timed(process.execPath, [join(root, 'bench/eslint-run.mjs'), mode, app]).result.stdout);
const withRules = [];
const withoutRules = [];
const withNoop = [];
for (let i = 0; i < Math.min(runs, 3); i++) {
  withoutRules.push(eslintRun('baseline').ms);
  withNoop.push(eslintRun('noop').ms);
  withRules.push(eslintRun('rules').ms);
}
const pct = (a, b) => `${((median(a) / median(b) - 1) * 100).toFixed(1)} %`;
rows.push(['eslint, no rules (median)', `${median(withoutRules).toFixed(0)} ms`]);
rows.push(['eslint, one rule with no listeners (median)', `${median(withNoop).toFixed(0)} ms`]);
rows.push(['eslint, rls-guard app rules (median)', `${median(withRules).toFixed(0)} ms`]);
rows.push(['app rules overhead over no rules (goal ≤ 10%)', pct(withRules, withoutRules)]);
rows.push(["ESLint's own cost of any rule (no-op rule over no rules)", pct(withNoop, withoutRules)]);
rows.push(['app rules over the no-op rule', pct(withRules, withNoop)]);

// Editor: one .sql file in a 1,000-migration project, linted repeatedly by one ESLint instance.
const editorHistory = join(work, 'editor');
generateHistory(editorHistory, { files: 1000, seed: 3 });
const target = join(editorHistory, '00500_migration_500.sql');
const editor = JSON.parse(timed(process.execPath, [join(root, 'bench/eslint-run.mjs'), 'editor', editorHistory, target]).result.stdout);
rows.push(['editor lint of one .sql, 1,000 migrations: first', `${editor.first.toFixed(0)} ms`]);
rows.push(['editor lint of one .sql, warm (median; goal < 50 ms)', `${median(editor.warm).toFixed(1)} ms`]);

const width = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);

// Shapes (issue "Speed on every shape of history"): per shape, cold check (no cache), warm check
// (a cache filled by a previous run), squawk and libpg-query's parse-only floor, interleaved,
// as median [min–max] ms; and check / floor (goal <= 1.25) and warm / squawk (goal <= 0.25).
const range = (xs) => `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;
function shape(label, dir, format = 'json') {
  const cache = mkdtempSync(join(tmpdir(), 'rls-guard-bench-cache-'));
  timed(process.execPath, [cli, 'check', dir, '--format', format, '--cache-location', cache]);
  const cold = [];
  const warm = [];
  const squawk = [];
  const floor = [];
  for (let i = 0; i < runs; i++) {
    cold.push(timed(process.execPath, [cli, 'check', dir, '--format', format, '--no-cache']).ms);
    warm.push(timed(process.execPath, [cli, 'check', dir, '--format', format, '--cache-location', cache]).ms);
    if (squawkBinary) squawk.push(timed(squawkBinary, [join(dir, '*.sql')]).ms);
    floor.push(timed(process.execPath, [join(root, 'bench/parse-floor.mjs'), dir]).ms);
  }
  rmSync(cache, { recursive: true, force: true });
  const ratio = (a, b) => (b.length ? (median(a) / median(b)).toFixed(2) : '-');
  return [label, range(cold), range(warm), squawk.length ? range(squawk) : '-', range(floor), ratio(cold, floor), ratio(warm, squawk)];
}
const functionHeavy = join(work, 'function-heavy');
generateFunctionHeavyHistory(functionHeavy, { files });
const findingHeavy = join(work, 'finding-heavy');
generateFindingHeavyHistory(findingHeavy, { files });
const small = join(work, 'ten-files');
generateHistory(small, { files: 10, seed: 5 });
const findings = JSON.parse(timed(process.execPath, [cli, 'check', findingHeavy, '--format', 'json', '--no-cache']).result.stdout || '[]');
const findingCount = Array.isArray(findings) ? findings.reduce((n, f) => n + (f.messages?.length ?? 0), 0) : 0;
const shapes = [
  ['shape', 'check cold', 'check warm', 'squawk', 'parse floor', 'cold/floor', 'warm/squawk'],
  shape(`standard (${files} files)`, history),
  shape(`function-heavy (${files} files, 10% PL/pgSQL, 30% of them definers)`, functionHeavy),
  shape(`finding-heavy (${findingCount} findings), json`, findingHeavy, 'json'),
  shape(`finding-heavy (${findingCount} findings), stylish`, findingHeavy, 'stylish'),
  shape(`definer-heavy (${files} files)`, definers),
  shape('data-heavy (300 × 500-row INSERT)', seed),
  shape('10-file project (start-up; goal < 200 ms)', small),
];
console.log('\nshapes (ms, median [min–max])');
const widths = shapes[0].map((_, c) => Math.max(...shapes.map((r) => r[c].length)));
for (const r of shapes) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
// verify on PGlite (issue "probe and verify", item 7: 500 migrations under 15 s and 300 MB).
// Runs 2..n start from the PGlite data directory the first run initialized (the cache); the first
// run's time includes that initdb.
const verifyProject = join(work, 'verify-500');
generateHistory(join(verifyProject, 'migrations'), { files: 500, seed: 9 });
writeFileSync(join(verifyProject, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'], appRoles: ['app_user'] }));
const verifyCache = mkdtempSync(join(tmpdir(), 'rls-guard-bench-pglite-'));
const verifyRuns = [];
for (let i = 0; i < Math.max(2, Math.min(runs, 3)); i++) {
  const { result } = timed(process.execPath, [join(root, 'bench/verify-run.mjs'), verifyProject], { env: { ...process.env, RLS_GUARD_CACHE_LOCATION: verifyCache } });
  const line = result.stdout.trim().split('\n').pop();
  verifyRuns.push(line ? JSON.parse(line) : { ms: NaN, maxRssMb: NaN });
}
rmSync(verifyCache, { recursive: true, force: true });
const [firstVerify, ...laterVerify] = verifyRuns;
console.log(`\nverify on PGlite, 500 migrations (${firstVerify.statements} statements; goal < 15 s, < 300 MB):`);
console.log(`  first run (initdb into the cache): ${(firstVerify.ms / 1000).toFixed(1)} s, peak RSS ${firstVerify.maxRssMb.toFixed(0)} MB`);
console.log(`  later runs: ${range(laterVerify.map((r) => r.ms))} ms, peak RSS ${range(laterVerify.map((r) => r.maxRssMb))} MB`);
console.log(`\nruns: check ${checkTimes.map((t) => t.toFixed(0)).join(', ')} ms; squawk ${squawkTimes.map((t) => t.toFixed(0)).join(', ')} ms`);
rmSync(work, { recursive: true, force: true });
