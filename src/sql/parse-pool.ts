/**
 * Parsing many files across cores. Parsing is most of `rls-guard check`'s time (libpg-query is a
 * WASM build of PostgreSQL's parser), so a large history is cut into batches that the main thread
 * and worker threads take from one queue: a worker that starts late (booting Node and compiling
 * the WASM module takes a while) simply takes fewer batches.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadSqlParser, parseScript, type ParsedScript, type SqlStatement, type SqlSyntaxError } from './parse.js';
import { SourceText } from './source.js';

/** Below this many files, starting workers costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 200;
/** Files per batch: small enough to balance, large enough that messaging stays cheap. */
const BATCH = 40;

export interface ParseManyOptions {
  /** Statement kinds to keep; others are dropped (the schema model ignores them). Null keeps all. */
  keep?: ReadonlySet<string> | null;
  /** Worker threads to use; defaults to one per extra core (at most 3). 0 parses in this thread. */
  workers?: number;
  /**
   * Called for every file in order (0, 1, 2, ...) as soon as it and all before it are parsed, so a
   * caller can replay the history while the rest is still being parsed and drop ASTs it is done with.
   */
  onParsed?: (index: number, script: ParsedScript) => void;
}

interface WorkerResult {
  statements: SqlStatement[];
  errors: SqlSyntaxError[];
}

function workerPath(): string | null {
  // Workers run the built JavaScript; from TypeScript sources (tests), parse in-thread.
  return import.meta.url.endsWith('.js') ? fileURLToPath(new URL('./parse-worker.js', import.meta.url)) : null;
}

export async function parseMany(texts: string[], options: ParseManyOptions = {}): Promise<ParsedScript[]> {
  await loadSqlParser();
  const keep = options.keep ?? null;
  const parseOne = (text: string): ParsedScript => {
    const script = parseScript(text);
    return keep ? { ...script, statements: script.statements.filter((s) => keep.has(s.kind)) } : script;
  };
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
  const wanted = options.workers ?? Math.min(3, Math.max(0, availableParallelism() - 1));
  if (!path || wanted === 0 || texts.length < MIN_FILES_FOR_WORKERS) {
    texts.forEach((text, i) => store(i, parseOne(text)));
    return out;
  }

  let next = 0;
  const take = (): [number, number] | null => {
    if (next >= texts.length) return null;
    const range: [number, number] = [next, Math.min(texts.length, next + BATCH)];
    next = range[1];
    return range;
  };
  const keepList = keep ? [...keep] : null;
  const workers = Array.from({ length: wanted }, () => {
    const worker = new Worker(path);
    return new Promise<void>((resolve, reject) => {
      let current: [number, number] | null = null;
      const feed = () => {
        current = take();
        if (!current) {
          void worker.terminate();
          resolve();
          return;
        }
        worker.postMessage({ texts: texts.slice(current[0], current[1]), keep: keepList });
      };
      worker.on('message', (results: WorkerResult[]) => {
        results.forEach((r, i) => {
          const index = current![0] + i;
          store(index, { source: new SourceText(texts[index]!), statements: r.statements, errors: r.errors });
        });
        feed();
      });
      worker.once('online', feed);
      worker.once('error', reject);
    });
  });
  // The main thread takes batches too, yielding between them so worker messages are handled.
  for (let range = take(); range; range = take()) {
    for (let i = range[0]; i < range[1]; i++) store(i, parseOne(texts[i]!));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(workers);
  return out;
}
