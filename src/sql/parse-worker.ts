/** Worker thread: parses batches of migration files and posts back their statements. */
import { parentPort } from 'node:worker_threads';
import { loadSqlParser, parseScript } from './parse.js';

interface Job {
  texts: string[];
  /** Statement kinds worth sending back (structured cloning an AST costs as much as parsing it). */
  keep: string[] | null;
}

const ready = loadSqlParser();

parentPort!.on('message', async (job: Job) => {
  await ready;
  const keep = job.keep ? new Set(job.keep) : null;
  const results = job.texts.map((text) => {
    const script = parseScript(text);
    return { statements: keep ? script.statements.filter((s) => keep.has(s.kind)) : script.statements, errors: script.errors };
  });
  parentPort!.postMessage(results);
});
