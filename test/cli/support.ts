/** Runs the built CLI (`npx tsc -p tsconfig.build.json` first) in throwaway projects. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliRun {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 512 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A project directory with the given files (paths relative to it). */
export function makeProject(files: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-cli-')));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
}

export const CONFIG = JSON.stringify({ migrations: ['migrations'], tenantSettings: ['app.tenant_id'] });

/** A tenant table done right: no findings. */
export const CLEAN_INIT = `CREATE TABLE invoices (
  id bigint PRIMARY KEY,
  tenant_id uuid NOT NULL,
  total numeric NOT NULL
);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
  USING (tenant_id = current_setting('app.tenant_id')::uuid)
  WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
`;

/** Three findings: require-force-rls (6), no-fail-open-policy (7, error) and require-with-check (7, warning). */
export const NOTES = `CREATE TABLE notes (
  id bigint PRIMARY KEY,
  tenant_id uuid NOT NULL,
  body text
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_open ON notes USING (true);
`;

/**
 * Four errors: no-rls-disable and require-force-rls (1: the final state lacks FORCE whatever
 * no-rls-disable says), require-rls (2) and require-tenant-column (2).
 */
export const BAD = `ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY;
CREATE TABLE audit (id bigint, tenant_id uuid);
`;

export interface JsonResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string; line: number; column: number }[];
  errorCount: number;
  warningCount: number;
}

/** `file:line ruleId severity` for every message, file relative to `dir`. */
export function summarize(results: JsonResult[], dir: string): string[] {
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line} ${m.ruleId} ${m.severity}`));
}
