/** The parse-only floor: read every file and parse it with libpg-query, one thread, nothing else. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModule, parseSync } from 'libpg-query';

const dir = process.argv[2];
await loadModule();
for (const name of readdirSync(dir).sort()) parseSync(readFileSync(join(dir, name), 'utf8'));
