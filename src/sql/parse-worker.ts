/** Worker thread: parses batches of migration files and posts back their statements. */
import { parentPort, workerData } from 'node:worker_threads';
import { keptStatementsJson, parseScript } from './parse.js';
import { loadPgParser } from './pg-parser.js';

interface Job {
  texts: string[];
  /** Statement kinds worth sending back (structured cloning an AST costs as much as parsing it). */
  keep: string[] | null;
}

// The parent's compiled module: no second compile, and optimized code is shared.
const ready = loadPgParser((workerData as { wasm: WebAssembly.Module }).wasm);

parentPort!.on('message', async (job: Job) => {
  await ready;
  const keep = job.keep ? new Set(job.keep) : null;
  // Per file, the kept statements' JSON text (cut out of the parser's output, not parsed here):
  // a string is copied as bytes, and JSON.parse on the main thread is several times cheaper than
  // structured-clone deserialization of the same objects. A file with a syntax error (rare) is
  // parsed statement by statement here and sent as objects.
  const results = job.texts.map((text) => {
    let kept: string | null = null;
    try {
      kept = keep ? keptStatementsJson(text, keep) : null;
    } catch {
      kept = null; // a stack overflow or trap: parseScript finds the statement and reports it
    }
    if (kept !== null) return { kept };
    const script = parseScript(text, keep);
    return { statements: script.statements, errors: script.errors, failures: script.failures };
  });
  parentPort!.postMessage(results);
});
