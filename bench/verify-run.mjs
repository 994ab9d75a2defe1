/**
 * One `rls-guard verify` run in this process, for the benchmark: prints its wall time and the
 * process's peak resident set size as JSON (`{"ms": ..., "maxRssMb": ..., "ok": ...}`).
 * Usage: node bench/verify-run.mjs <project dir>
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const root = new URL('..', import.meta.url).pathname;
const { resolveConfig } = await import(pathToFileURL(join(root, 'dist/src/config.js')).href);
const { runVerify } = await import(pathToFileURL(join(root, 'dist/src/verify/verify.js')).href);
const start = performance.now();
const result = await runVerify({ paths: [], config: resolveConfig({ start: dir }) });
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, ok: result.ok, statements: result.migrations.statements })}\n`);
