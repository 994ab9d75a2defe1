/** `projectConfigFor` without a config file gives what `resolveConfig({ start })` gives, for every kind of linted path. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectConfigFor } from '../../src/app/rule-config.js';
import { findConfigFile, resolveConfig } from '../../src/config.js';

const root = mkdtempSync(path.join(tmpdir(), 'rls-guard-rule-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function configFor(filename: string, cwd = root) {
  return projectConfigFor({ filename, cwd } as Parameters<typeof projectConfigFor>[0]);
}

describe('projectConfigFor without a config file', () => {
  const dir = path.join(root, 'src');
  mkdirSync(path.join(dir, 'folder.ts'), { recursive: true });
  for (const name of ['a.ts', 'b.ts', 'c.ts']) writeFileSync(path.join(dir, name), '');
  symlinkSync(path.join(dir, 'a.ts'), path.join(dir, 'link.ts'));
  symlinkSync(path.join(dir, 'gone.ts'), path.join(dir, 'broken.ts'));

  it('has no config file above the test directory', () => {
    expect(findConfigFile(dir)).toBeNull();
  });

  it('roots the defaults where resolveConfig does, for files, links, directories and missing names', () => {
    const paths = [
      'a.ts', // the first path of a directory: its stat
      'b.ts', // the next ones: the directory listing
      'c.ts',
      'link.ts',
      'broken.ts',
      'folder.ts',
      'missing.ts',
      '<input>',
    ].map((name) => path.join(dir, name));
    for (const start of paths) expect(configFor(start), start).toEqual(resolveConfig({ start }));
    // Relative to the cwd, and with `..` in the path.
    expect(configFor('src/b.ts')).toEqual(resolveConfig({ start: path.join(dir, 'b.ts') }));
    expect(configFor(path.join(dir, 'folder.ts', '..', 'c.ts'))).toEqual(resolveConfig({ start: path.join(dir, 'c.ts') }));
    expect(configFor('<text>')).toEqual(resolveConfig({ start: path.join(root, '<text>') }));
  });

  it('sees a file created after the directory was listed', () => {
    configFor(path.join(dir, 'a.ts'));
    configFor(path.join(dir, 'b.ts'));
    const late = path.join(dir, 'late.ts');
    writeFileSync(late, '');
    expect(configFor(late).rootDir).toBe(dir);
  });

  it('shares one defaults object among the files of a directory', () => {
    expect(configFor(path.join(dir, 'a.ts'))).toBe(configFor(path.join(dir, 'c.ts')));
  });
});
