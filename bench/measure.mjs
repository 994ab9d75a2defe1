/**
 * Runs one command of the built CLI in this process and prints its peak resident memory
 * (worker threads included) as JSON on stderr's last line: `{"maxRssKb": N}`.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.argv = [process.argv[0], join(root, 'dist/src/cli/main.js'), ...process.argv.slice(2)];
process.on('exit', () => process.stderr.write(`\n${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`));
await import(join(root, 'dist/src/cli/main.js'));
