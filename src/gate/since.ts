/**
 * Pull-request mode (`--since <ref>`): the whole history is still replayed (a table's state
 * depends on every earlier migration), but only findings located in migration files added or
 * changed since the ref are reported, so a gate on an old codebase shows what the pull request
 * introduces. "Changed" is what `git diff <ref>` sees in the work tree (committed, staged and
 * unstaged changes) plus untracked files git does not ignore.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** `--since` cannot be honoured: not a git repository, unknown ref, git missing. The CLI exits 2. */
export class SinceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SinceError';
  }
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function failure(error: unknown): string {
  const e = error as { stderr?: string; code?: string; message: string };
  if (e.code === 'ENOENT') return 'git is not installed or not on PATH';
  return (e.stderr || e.message).trim().split('\n')[0] ?? e.message;
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path); // deleted since the ref: cannot be analyzed anyway
  }
}

/** Absolute (real) paths of the files added or changed since `ref`, for the repository containing `cwd`. */
export function changedFilesSince(ref: string, cwd: string): Set<string> {
  if (ref === '' || ref.startsWith('-')) throw new SinceError(`--since expects a git revision (got "${ref}")`);
  let top: string;
  try {
    top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
  } catch (error) {
    throw new SinceError(`--since needs a git repository, and ${cwd} is not in one (${failure(error)})`);
  }
  try {
    git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new SinceError(`--since: unknown git revision "${ref}" in ${top} (in a shallow CI checkout, fetch it first: git fetch origin <ref>)`);
  }
  const changed = new Set<string>();
  try {
    const diff = git(top, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=AMRCT', ref, '--']);
    const untracked = git(top, ['ls-files', '-z', '--others', '--exclude-standard']);
    for (const name of `${diff}${untracked}`.split('\0')) if (name) changed.add(canonical(resolve(top, name)));
  } catch (error) {
    throw new SinceError(`--since ${ref}: git diff failed: ${failure(error)}`);
  }
  return changed;
}

/** Keeps the problems located in one of the changed files. */
export function onlyChanged<T extends { location: { file: string } }>(problems: readonly T[], changed: ReadonlySet<string>): T[] {
  const memo = new Map<string, boolean>();
  return problems.filter((p) => {
    let keep = memo.get(p.location.file);
    if (keep === undefined) memo.set(p.location.file, (keep = changed.has(canonical(p.location.file))));
    return keep;
  });
}
