/**
 * Parsing many files, optionally across cores. Parsing is most of `rls-guard check`'s time
 * (libpg-query is a WASM build of PostgreSQL's parser). With worker threads, a history is cut into
 * batches that the main thread and the workers take from one queue: a worker that starts late
 * (booting a Node thread takes a while) simply takes fewer batches. A worker sends back the
 * statements the caller keeps as JSON text cut from the parser output: JSON.parse on the main thread is
 * several times cheaper than structured-clone deserialization of the same objects.
 *
 * Workers are off unless asked for (`RLS_GUARD_PARSE_WORKERS=n`): see docs/benchmarks.md.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParseCache } from './parse-cache.js';
import { compiledPgParser } from './pg-parser.js';
import { loadSqlParser, parseScript, scriptFromKeptJson, type ParsedScript, type SqlStatement, type SqlSyntaxError } from './parse.js';
import { SourceText } from './source.js';

/** Below this many files, starting workers costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 200;
/** Files per batch: small enough to balance, large enough that messaging stays cheap. */
const BATCH = 40;
/** The environment variable that sets how many worker threads parse alongside the main thread. */
export const WORKERS_VARIABLE = 'RLS_GUARD_PARSE_WORKERS';

/** A bad `RLS_GUARD_PARSE_WORKERS` value. */
export class WorkersSettingError extends Error {}

/**
 * Worker threads to parse with, from `RLS_GUARD_PARSE_WORKERS`: a whole number, 0 (the default)
 * parses in the main thread. Measured on 2 cores, a worker costs more than it saves (it competes
 * with V8's background compilation of the parser, and every worker boots Node and warms up its own
 * parser); on machines with more cores it may pay off for large histories.
 */
export function configuredWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[WORKERS_VARIABLE];
  if (value === undefined || value.trim() === '') return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new WorkersSettingError(`${WORKERS_VARIABLE} must be a whole number from 0 to 64 (got "${value}")`);
  }
  return n;
}

export interface ParseManyOptions {
  /** Statement kinds to keep; others are dropped (the schema model ignores them). Null keeps all. */
  keep?: ReadonlySet<string> | null;
  /** Worker threads to use; defaults to `configuredWorkers()`. 0 parses in this thread. */
  workers?: number;
  /**
   * Called for every file in order (0, 1, 2, ...) as soon as it and all before it are parsed, so a
   * caller can replay the history while the rest is still being parsed and drop ASTs it is done with.
   */
  onParsed?: (index: number, script: ParsedScript) => void;
  /** A persistent parse cache: files found in it are not parsed, parsed files are stored in it. */
  cache?: ParseCache | null;
}

type WorkerResult = { kept: string } | { statements: SqlStatement[]; errors: SqlSyntaxError[]; failures?: SqlSyntaxError[] };

function workerPath(): string | null {
  // Workers run the built JavaScript; from TypeScript sources (tests), parse in-thread.
  return import.meta.url.endsWith('.js') ? fileURLToPath(new URL('./parse-worker.js', import.meta.url)) : null;
}

export async function parseMany(texts: string[], options: ParseManyOptions = {}): Promise<ParsedScript[]> {
  await loadSqlParser();
  const keep = options.keep ?? null;
  const cache = options.cache ?? null;
  const parseOne = (text: string): ParsedScript => (cache ? cache.parse(text, keep) : parseScript(text, keep));
  const out: ParsedScript[] = new Array(texts.length);
  let emitted = 0;
  const store = (index: number, script: ParsedScript) => {
    out[index] = script;
    while (emitted < texts.length && out[emitted] !== undefined) {
      options.onParsed?.(emitted, out[emitted]!);
      emitted++;
    }
  };
  const path = workerPath();
  const wanted = options.workers ?? configuredWorkers();
  if (!path || wanted === 0 || texts.length < MIN_FILES_FOR_WORKERS) {
    texts.forEach((text, i) => store(i, cache?.get(text, keep) ?? parseOne(text)));
    return out;
  }

  // With a cache, only the files it does not hold are parsed, across threads.
  let pending: number[] = texts.map((_, i) => i);
  if (cache) {
    pending = [];
    texts.forEach((text, i) => {
      const hit = cache.get(text, keep);
      if (hit) out[i] = hit;
      else pending.push(i);
    });
  }
  // Files before the first one parsed came from the cache: replay them now.
  if (out[0] !== undefined) store(0, out[0]);
  if (pending.length < MIN_FILES_FOR_WORKERS) {
    for (const i of pending) store(i, parseOne(texts[i]!));
    return out;
  }
  let next = 0;
  const take = (): [number, number] | null => {
    if (next >= pending.length) return null;
    const range: [number, number] = [next, Math.min(pending.length, next + BATCH)];
    next = range[1];
    return range;
  };
  const keepList = keep ? [...keep] : null;
  const wasm = compiledPgParser();
  const workers = Array.from({ length: wanted }, () => {
    const worker = new Worker(path, { workerData: { wasm } });
    return new Promise<void>((resolve, reject) => {
      // Two batches in flight per worker, so it never waits for the main thread to hand it the
      // next one (the main thread only reads messages between its own batches).
      const inFlight: [number, number][] = [];
      const feed = () => {
        const range = take();
        if (range) {
          inFlight.push(range);
          worker.postMessage({ texts: pending.slice(range[0], range[1]).map((i) => texts[i]!), keep: keepList });
        } else if (inFlight.length === 0) {
          void worker.terminate();
          resolve();
        }
      };
      worker.on('message', (results: WorkerResult[]) => {
        const range = inFlight.shift()!;
        results.forEach((r, i) => {
          const index = pending[range[0] + i]!;
          const text = texts[index]!;
          const script = 'kept' in r ? scriptFromKeptJson(text, r.kept, keep!) : { source: new SourceText(text), statements: r.statements, errors: r.errors, ...(r.failures ? { failures: r.failures } : {}) };
          if (cache && 'kept' in r) cache.putTree(text, keep, `{"stmts":${r.kept}}`);
          else cache?.putScript(text, keep, script);
          store(index, script);
        });
        feed();
      });
      worker.once('online', () => {
        feed();
        feed();
      });
      worker.once('error', reject);
    });
  });
  // The main thread takes batches too, yielding between them so worker messages are handled.
  for (let range = take(); range; range = take()) {
    for (let i = range[0]; i < range[1]; i++) store(pending[i]!, parseOne(texts[pending[i]!]!));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(workers);
  return out;
}
