/** File paths as CI systems want them in reports: relative to the working directory, `/`-separated. */
import { isAbsolute, relative, sep } from 'node:path';

export function reportPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file.split(sep).join('/');
  return rel.split(sep).join('/');
}
