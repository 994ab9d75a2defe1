/**
 * Parsing many files across cores: the main thread parses a share while worker threads parse the
 * rest. Parsing is most of `rls-guard check`'s time (libpg-query is a WASM build of PostgreSQL's
 * parser), so a large history is split into contiguous chunks, one per thread.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadSqlParser, parseScript, type ParsedScript, type SqlStatement, type SqlSyntaxError } from './parse.js';
import { SourceText } from './source.js';

/** Below this many files, starting workers costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 200;

export interface ParseManyOptions {
  /** Statement kinds to keep; others are dropped (the schema model ignores them). Null keeps all. */
  keep?: ReadonlySet<string> | null;
  /** Worker threads to use; defaults to one per extra core (at most 3). 0 parses in this thread. */
  workers?: number;
}

function workerUrl(): URL | null {
  // Workers run the built JavaScript; from TypeScript sources (tests), parse in-thread.
  const url = new URL('./parse-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') ? url : null;
}

export async function parseMany(texts: string[], options: ParseManyOptions = {}): Promise<ParsedScript[]> {
  await loadSqlParser();
  const keep = options.keep ?? null;
  const url = workerUrl();
  const wanted = options.workers ?? Math.min(3, Math.max(0, availableParallelism() - 1));
  const workers = url && texts.length >= MIN_FILES_FOR_WORKERS ? wanted : 0;
  const parseHere = (chunk: string[]) =>
    chunk.map((text) => {
      const script = parseScript(text);
      return keep ? { ...script, statements: script.statements.filter((s) => keep.has(s.kind)) } : script;
    });
  if (workers === 0) return parseHere(texts);

  // The main thread also parses, and starts later (it spawns the workers), so give it a smaller share.
  const shares = workers + 1;
  const size = Math.ceil(texts.length / shares);
  const chunks: string[][] = [];
  for (let i = 0; i < shares; i++) chunks.push(texts.slice(i * size, (i + 1) * size));
  const pending = chunks.slice(1).map(
    (chunk) =>
      new Promise<{ statements: SqlStatement[]; errors: SqlSyntaxError[] }[]>((resolve, reject) => {
        const worker = new Worker(fileURLToPath(url!));
        worker.once('message', (results) => {
          resolve(results);
          void worker.terminate();
        });
        worker.once('error', reject);
        worker.postMessage({ texts: chunk, keep: keep ? [...keep] : null });
      }),
  );
  const mine = parseHere(chunks[0]!);
  const theirs = await Promise.all(pending);
  const out: ParsedScript[] = [...mine];
  theirs.forEach((results, c) => {
    results.forEach((r, i) => out.push({ source: new SourceText(chunks[c + 1]![i]!), statements: r.statements, errors: r.errors }));
  });
  return out;
}
