/** Worker thread: parses a share of the migration files and posts back their statements. */
import { parentPort } from 'node:worker_threads';
import { loadSqlParser, parseScript } from './parse.js';

interface Job {
  texts: string[];
  /** Statement kinds worth sending back (structured cloning an AST costs as much as parsing it). */
  keep: string[] | null;
}

await loadSqlParser();
parentPort!.on('message', (job: Job) => {
  const keep = job.keep ? new Set(job.keep) : null;
  const results = job.texts.map((text) => {
    const script = parseScript(text);
    return { statements: keep ? script.statements.filter((s) => keep.has(s.kind)) : script.statements, errors: script.errors };
  });
  parentPort!.postMessage(results);
});
