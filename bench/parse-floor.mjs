/**
 * The parse-only floor: read every file and parse it, one thread, nothing else.
 *   node bench/parse-floor.mjs <dir>            libpg-query's own parseSync
 *   node bench/parse-floor.mjs <dir> rls-guard  rls-guard's parser calls (src/sql/parse.ts)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir, mode = 'libpg-query'] = process.argv.slice(2);
const names = readdirSync(dir).sort();
if (mode === 'rls-guard') {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { loadSqlParser, parseScript } = await import(join(root, 'dist/src/sql/parse.js'));
  await loadSqlParser();
  for (const name of names) parseScript(readFileSync(join(dir, name), 'utf8'));
} else {
  const { loadModule, parseSync } = await import('libpg-query');
  await loadModule();
  for (const name of names) parseSync(readFileSync(join(dir, name), 'utf8'));
}
