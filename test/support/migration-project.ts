import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary project: `migrations/<name>` for each file, and a config probing app_user. */
export function migrationProject(prefix: string, files: Record<string, string>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'], appRoles: ['app_user'] }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), text);
  return dir;
}
