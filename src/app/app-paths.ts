/**
 * `appPaths`: the globs, relative to the directory of rls-guard.config.json (without one, to
 * ESLint's cwd), of the application code. Migration scripts, seeds and tooling outside them
 * legitimately connect as the owner and query without a tenant.
 */
import path from 'node:path';
import type { TSESLint } from '@typescript-eslint/utils';
import type { ResolvedConfig } from '../config.js';

/** Is the linted file application code under one of `appPaths`? */
export function isAppFile(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>, config: ResolvedConfig, appPaths: readonly string[]): boolean {
  const root = config.configPath ? config.rootDir : context.cwd;
  const relative = path.relative(root, path.resolve(context.cwd, context.filename)).split(path.sep).join('/');
  return !relative.startsWith('..') && appPaths.some((glob) => globMatches(glob, relative));
}

/** Compiled `appPaths` globs: the same few globs are matched against every linted file. */
const globRegExps = new Map<string, RegExp>();

/** Minimal glob matching for `appPaths`: `**` any directories, `*` and `?` within one segment. */
export function globMatches(glob: string, file: string): boolean {
  let regExp = globRegExps.get(glob);
  if (!regExp) {
    regExp = globToRegExp(glob);
    if (globRegExps.size > 1000) globRegExps.clear();
    globRegExps.set(glob, regExp);
  }
  return regExp.test(file);
}

function globToRegExp(glob: string): RegExp {
  const pattern = glob.replace(/^\.\//, '');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
