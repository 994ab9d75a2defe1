/**
 * A persistent cache of parse results, shared by `rls-guard check` and the ESLint SQL language:
 * per file content, the statements the model replays (or, for ESLint, all of them) as the JSON
 * text the parser produced, and for a file with syntax errors the parsed script itself (its
 * statements and errors). A warm run reads these instead of calling the WASM parser.
 *
 * Entries are named by a SHA-256 of the file's text, the kinds kept, the cache format, rls-guard's
 * version and code (codeFingerprint) and libpg-query's version: other code never reads an entry. Each
 * entry is written to a temporary file and renamed into place, so concurrent runs (two CI jobs,
 * an editor and a pre-commit hook) see a whole entry or none; an entry that does not read back as
 * one (truncated, edited, written by something else) is ignored and rewritten. The cache is
 * best-effort: a directory that cannot be created or written costs a parse, never a failure.
 *
 * Location: `--cache-location <dir>` (or `RLS_GUARD_CACHE_LOCATION`), else
 * `node_modules/.cache/rls-guard` beside the nearest package.json above the working directory
 * (none found: no cache). `--no-cache` (or `RLS_GUARD_CACHE=0`) turns it off.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import type { Finding } from '../findings.js';
import { PACKAGE_VERSION } from '../package-root.js';
import { parseScriptWithTree, scriptFromTreeJson, type ParsedScript, type SqlStatement, type SqlSyntaxError } from './parse.js';
import { SourceText } from './source.js';

/** Bump when what an entry holds, or how a script is built from it, changes. */
const CACHE_FORMAT = 1;
/** The environment variable that turns the cache off (`0`, `false`, `off`, `no`). */
export const CACHE_VARIABLE = 'RLS_GUARD_CACHE';
/** The environment variable that sets the cache directory. */
export const CACHE_LOCATION_VARIABLE = 'RLS_GUARD_CACHE_LOCATION';

let parserVersion: string | null = null;
function libpgQueryVersion(): string {
  if (parserVersion === null) {
    try {
      const manifest = createRequire(import.meta.url).resolve('libpg-query/package.json');
      parserVersion = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    } catch {
      parserVersion = 'unknown';
    }
  }
  return parserVersion;
}

let fingerprint: string | null = null;
/**
 * The code that turns a file into what an entry holds (the statement filter) and a history into
 * findings (the rules) is rls-guard's own: an entry written by other code must not be read, even
 * at the same version (a git checkout, `npm link`, a rebuilt dist/). So keys carry a fingerprint
 * of rls-guard's modules: each file's path, size and modification time under the tree this module
 * runs from (dist/ when built, the sources under test), about 200 stats.
 */
function codeFingerprint(): string {
  if (fingerprint === null) {
    const hash = createHash('sha256');
    const tree = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const walk = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (/\.(js|ts|mjs|json)$/.test(e.name)) {
          const st = statSync(path);
          hash.update(`${path}\0${st.size}\0${st.mtimeMs}\0`);
        }
      }
    };
    walk(join(tree, 'src'));
    walk(join(tree, 'rules'));
    fingerprint = hash.digest('hex').slice(0, 16);
  }
  return fingerprint;
}

interface TreeEntry {
  format: number;
  key: string;
  tree: unknown;
}
interface ScriptEntry {
  format: number;
  key: string;
  script: { statements: SqlStatement[]; errors: SqlSyntaxError[] };
}

export class ParseCache {
  /** Lookups answered from the cache, lookups that were not, and entries written (for tests and the bench). */
  readonly stats = { hits: 0, misses: 0, writes: 0, runHits: 0 };
  private readonly prefixes = new Map<string, Hash>();
  private created = false;

  constructor(readonly dir: string) {}

  private keyOf(text: string, keep: ReadonlySet<string> | null): string {
    const kinds = keep ? [...keep].sort().join(',') : '*';
    let prefix = this.prefixes.get(kinds);
    if (!prefix) {
      prefix = createHash('sha256').update(`rls-guard parse cache ${CACHE_FORMAT}\0rls-guard@${PACKAGE_VERSION}+${codeFingerprint()}\0libpg-query@${libpgQueryVersion()}\0${kinds}\0`);
      this.prefixes.set(kinds, prefix);
    }
    return prefix.copy().update(text).digest('hex');
  }

  private pathOf(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** The cached script of `text`, or null (no entry, or one that does not read back). */
  get(text: string, keep: ReadonlySet<string> | null): ParsedScript | null {
    const script = this.read(this.keyOf(text, keep), text, keep);
    if (script) this.stats.hits++;
    else this.stats.misses++;
    return script;
  }

  private read(key: string, text: string, keep: ReadonlySet<string> | null): ParsedScript | null {
    let entry: Partial<TreeEntry & ScriptEntry>;
    try {
      entry = JSON.parse(readFileSync(this.pathOf(key), 'utf8')) as Partial<TreeEntry & ScriptEntry>;
    } catch {
      return null; // none yet, or not JSON (truncated, corrupt): parsed and rewritten
    }
    // Another file's entry (copied, or renamed over this one) is not this file's.
    if (!entry || entry.format !== CACHE_FORMAT || entry.key !== key) return null;
    if ('tree' in entry) {
      try {
        return scriptFromTreeJson(text, entry.tree, keep);
      } catch {
        return null;
      }
    }
    const script = entry.script;
    if (!script || !Array.isArray(script.statements) || !Array.isArray(script.errors)) return null;
    const wellFormed =
      script.statements.every((s) => s && typeof s.kind === 'string' && (!keep || keep.has(s.kind)) && typeof s.node === 'object' && typeof s.start === 'number' && typeof s.end === 'number' && typeof s.byteBase === 'number') &&
      script.errors.every((e) => e && typeof e.message === 'string' && typeof e.offset === 'number');
    if (!wellFormed) return null;
    return { source: new SourceText(text), statements: script.statements, errors: script.errors };
  }

  /**
   * The key of a whole check run: every file's path and contents (or why it was not read), in
   * replay order, the config and the size limit, with the versions (see `keyOf`).
   */
  historyKey(input: { config: unknown; maxFileBytes: number; files: string[]; sources: { file: string; text: string }[]; contentProblems: unknown[]; unread: unknown[] }): string {
    const hash = createHash('sha256').update(`rls-guard findings ${CACHE_FORMAT}\0rls-guard@${PACKAGE_VERSION}+${codeFingerprint()}\0libpg-query@${libpgQueryVersion()}\0`);
    hash.update(JSON.stringify([input.config, input.maxFileBytes, input.files, input.contentProblems, input.unread]));
    for (const { file, text } of input.sources) hash.update(`\0${file}\0${text.length}\0`).update(text);
    return `run-${hash.digest('hex')}`;
  }

  /** The findings a run with this `historyKey` recorded, or null. */
  getFindings(key: string): Finding[] | null {
    try {
      const entry = JSON.parse(readFileSync(this.pathOf(key), 'utf8')) as { format?: number; key?: string; findings?: Finding[] };
      if (entry?.format === CACHE_FORMAT && entry.key === key && Array.isArray(entry.findings) && entry.findings.every(isFinding)) {
        this.stats.runHits++;
        return entry.findings;
      }
    } catch {
      // none, or corrupt: analyzed and rewritten
    }
    return null;
  }

  putFindings(key: string, findings: Finding[]): void {
    this.write(key, JSON.stringify({ format: CACHE_FORMAT, key, findings }));
  }

  /** Parses `text` (a cache miss) and stores the result. */
  parse(text: string, keep: ReadonlySet<string> | null): ParsedScript {
    const { script, tree } = parseScriptWithTree(text, keep);
    if (tree !== null) this.putTree(text, keep, tree);
    else this.putScript(text, keep, script);
    return script;
  }

  /** Stores the statement list's JSON text (`{"stmts":[...]}`) `text` parsed to. */
  putTree(text: string, keep: ReadonlySet<string> | null, tree: string): void {
    const key = this.keyOf(text, keep);
    this.write(key, `{"format":${CACHE_FORMAT},"key":"${key}","tree":${tree}}`);
  }

  /** Stores a script parsed statement by statement. One the parser failed on is not stored: such a failure may not recur. */
  putScript(text: string, keep: ReadonlySet<string> | null, script: ParsedScript): void {
    if (script.failures && script.failures.length > 0) return;
    const key = this.keyOf(text, keep);
    this.write(key, JSON.stringify({ format: CACHE_FORMAT, key, script: { statements: script.statements, errors: script.errors } }));
  }

  private write(key: string, data: string): void {
    const final = this.pathOf(key);
    const temporary = join(this.dir, `.${key}.${process.pid}.${threadId}.${Math.random().toString(36).slice(2)}.tmp`);
    try {
      if (!this.created) {
        mkdirSync(this.dir, { recursive: true });
        this.created = true;
      }
      writeFileSync(temporary, data);
      renameSync(temporary, final);
      this.stats.writes++;
    } catch {
      try {
        unlinkSync(temporary);
      } catch {
        // never written
      }
    }
  }
}

function isFinding(f: Finding): boolean {
  const l = f?.location;
  return (
    typeof f?.ruleId === 'string' &&
    (f.severity === 1 || f.severity === 2) &&
    typeof f.message === 'string' &&
    typeof l?.file === 'string' &&
    typeof l.line === 'number' &&
    typeof l.column === 'number' &&
    typeof l.endLine === 'number' &&
    typeof l.endColumn === 'number'
  );
}

/** Whether the environment turns the cache off. */
export function cacheDisabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[CACHE_VARIABLE]?.trim().toLowerCase();
  return value === '0' || value === 'false' || value === 'off' || value === 'no';
}

/** `node_modules/.cache/rls-guard` beside the nearest package.json at or above `cwd`; null when there is none. */
export function defaultCacheLocation(cwd: string): string | null {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'node_modules', '.cache', 'rls-guard');
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The cache a run uses: none with `disabled` or `RLS_GUARD_CACHE=0`; else at `location`,
 * `RLS_GUARD_CACHE_LOCATION`, or the default location (none when no package.json is found).
 */
export function openParseCache(options: { cwd: string; location?: string | null; disabled?: boolean; env?: NodeJS.ProcessEnv }): ParseCache | null {
  const env = options.env ?? process.env;
  if (options.disabled || cacheDisabledByEnv(env)) return null;
  const configured = options.location ?? (env[CACHE_LOCATION_VARIABLE]?.trim() || null);
  const dir = configured ? resolve(options.cwd, configured) : defaultCacheLocation(options.cwd);
  return dir ? new ParseCache(dir) : null;
}

let processCache: { cwd: string; cache: ParseCache | null } | null = null;

/** The cache of this process's working directory and environment (the ESLint SQL language's). */
export function processParseCache(): ParseCache | null {
  const cwd = process.cwd();
  if (!processCache || processCache.cwd !== cwd) processCache = { cwd, cache: openParseCache({ cwd }) };
  return processCache.cache;
}

/** Parses `text`, through `cache` when there is one. */
export function cachedParseScript(cache: ParseCache | null, text: string, keep: ReadonlySet<string> | null = null): ParsedScript {
  if (!cache) return parseScriptWithTree(text, keep).script;
  return cache.get(text, keep) ?? cache.parse(text, keep);
}
