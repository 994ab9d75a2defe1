/** The installed package's root directory, from source (`src/`) or built (`dist/src/`) modules alike. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'rls-guard') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('rls-guard: cannot find its own package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
