/**
 * `rls-guard.config.json`: found by walking up from the analyzed files (or given explicitly),
 * validated against `schema/rls-guard.config.schema.json`. Errors name the file, the key and
 * the bad value.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { excessiveNestingOffset, lineAndColumn } from './json-nesting.js';
import { PACKAGE_ROOT } from './package-root.js';
import { PRESETS } from './presets/index.js';

export const CONFIG_FILE_NAME = 'rls-guard.config.json';

export type SeveritySetting = 'off' | 'warn' | 'error' | 0 | 1 | 2;

export interface RlsGuardConfig {
  /** A platform whose pre-migration state (roles, identity functions, default privileges) the analysis assumes. */
  preset?: string;
  migrations: string[];
  tenantColumns: string[];
  tenantSettings: string[];
  tenantFunctions: string[];
  globalTables: string[];
  appRoles: string[];
  allowBypassRoles: string[];
  scopeFunctions: string[];
  ownerUrlVars: string[];
  appUrlVars: string[];
  appPaths: string[];
  /** The role that runs the migrations (and owns what they create); null when unknown. */
  migrationRole: string | null;
  rules: Record<string, SeveritySetting>;
}

export interface ResolvedConfig extends RlsGuardConfig {
  /** Absolute path of the config file, or null when the defaults are in use. */
  configPath: string | null;
  /** Directory that relative paths in the config are resolved against. */
  rootDir: string;
}

export const DEFAULT_CONFIG: Readonly<RlsGuardConfig> = Object.freeze({
  migrations: ['migrations'],
  tenantColumns: ['tenant_id'],
  tenantSettings: ['app.current_tenant'],
  tenantFunctions: [],
  globalTables: [],
  appRoles: [],
  allowBypassRoles: [],
  scopeFunctions: ['withTenant'],
  ownerUrlVars: ['DATABASE_URL'],
  appUrlVars: ['DATABASE_APP_URL'],
  appPaths: ['src/**'],
  migrationRole: null,
  rules: {},
});

/** A configuration problem: the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string | null,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const schemaPath = join(PACKAGE_ROOT, 'schema', 'rls-guard.config.schema.json');
/** The schema compiled at build time by scripts/build-config-validator.mjs. */
const compiledValidatorPath = join(PACKAGE_ROOT, 'dist', 'schema', 'config-validator.cjs');

type Validator = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validator | null = null;

function loadValidator(): Validator {
  const require = createRequire(import.meta.url);
  if (existsSync(compiledValidatorPath)) return (require(compiledValidatorPath) as { default: Validator }).default;
  // From sources without a build: compile the schema (Ajv is loaded only here).
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(schemaPath, 'utf8'))) as Validator;
}

function validate(value: unknown): ErrorObject[] {
  validator ??= loadValidator();
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/** Walks up from `startDir` (a file or directory) to the nearest `rls-guard.config.json`. */
export function findConfigFile(start: string): string | null {
  let dir = resolve(start);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const cache = new Map<string, { mtimeMs: number; config: ResolvedConfig }>();

/** Reads and validates one config file. Throws `ConfigError` with the file, key and value. */
export function loadConfigFile(file: string): ResolvedConfig {
  const path = resolve(file);
  let mtimeMs: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new ConfigError(`${path}: is a directory, not a config file (give the path of ${CONFIG_FILE_NAME})`, path);
    mtimeMs = stat.mtimeMs;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${path}: config file not found`, path);
  }
  const cached = cache.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.config;

  const text = readConfigText(path);
  const tooDeep = excessiveNestingOffset(text, MAX_CONFIG_NESTING);
  if (tooDeep >= 0) throw new ConfigError(`${path}: invalid configuration: nested more than ${MAX_CONFIG_NESTING} levels deep at ${lineAndColumn(text, tooDeep)}`, path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: invalid JSON: ${describeJsonError(text, error as Error)}`, path);
  }
  const errors = validate(raw);
  if (errors.length > 0) {
    const lines = errors.map((e) => describeSchemaError(e, raw));
    throw new ConfigError(`${path}: invalid configuration:\n${[...new Set(lines)].map((l) => `  - ${l}`).join('\n')}`, path);
  }
  const unknownRules = unknownRuleProblems(raw as Partial<RlsGuardConfig>);
  if (unknownRules.length > 0) throw new ConfigError(`${path}: invalid configuration:\n${unknownRules.map((l) => `  - ${l}`).join('\n')}`, path);
  const config = configFrom(raw as Partial<RlsGuardConfig>, { configPath: path, rootDir: dirname(path) });
  cache.set(path, { mtimeMs, config });
  return config;
}

/** A config is three levels deep at most (`{"rules": {...}}`); far deeper JSON is hostile. */
const MAX_CONFIG_NESTING = 32;

function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, path);
  }
}

/** Every rule id, listed at build time from the rule indexes (scripts/build-config-validator.mjs). */
const ruleIdsPath = join(PACKAGE_ROOT, 'dist', 'schema', 'rule-ids.json');
let knownRuleIds: readonly string[] | null | undefined;

/**
 * `rules` keys that name no rule: a typo there would leave the rule at its default severity
 * without a word. Keys may carry the `rls-guard/` prefix. Without a build (sources run directly)
 * there is no list, and the keys are not checked.
 */
function unknownRuleProblems(raw: Partial<RlsGuardConfig>): string[] {
  if (!raw.rules) return [];
  knownRuleIds ??= existsSync(ruleIdsPath) ? (JSON.parse(readFileSync(ruleIdsPath, 'utf8')) as string[]) : null;
  const known = knownRuleIds;
  if (!known) return [];
  return Object.keys(raw.rules)
    .filter((key) => !known.includes(key.replace(/^rls-guard\//, '')))
    .map((key) => `"rules": unknown rule ${JSON.stringify(key)} (known rules: ${known.join(', ')})`);
}

/** The config for analyzing `start`: `explicit` if given, else the nearest file, else the defaults. */
export function resolveConfig(options: { explicit?: string | undefined; start: string }): ResolvedConfig {
  if (options.explicit) return loadConfigFile(options.explicit);
  const found = findConfigFile(options.start);
  if (found) return loadConfigFile(found);
  let rootDir = resolve(options.start);
  if (existsSync(rootDir) && !statSync(rootDir).isDirectory()) rootDir = dirname(rootDir);
  return defaultConfig(rootDir);
}

/**
 * A resolved config from a file's (already validated) keys: the defaults, then the preset's values,
 * then the explicit keys.
 */
export function configFrom(explicit: Partial<RlsGuardConfig>, where: { configPath: string | null; rootDir: string }): ResolvedConfig {
  const preset = explicit.preset ? PRESETS[explicit.preset]?.config : undefined;
  if (explicit.preset && !preset) throw new ConfigError(`"preset" must be one of ${Object.keys(PRESETS).map((p) => JSON.stringify(p)).join(', ')} (got ${JSON.stringify(explicit.preset)})`, where.configPath);
  return { ...structuredClone(DEFAULT_CONFIG as RlsGuardConfig), ...structuredClone(preset ?? {}), ...explicit, ...where };
}

/** The defaults, rooted at `rootDir` (an absolute directory), for a tree with no config file. */
export function defaultConfig(rootDir: string): ResolvedConfig {
  return { ...structuredClone(DEFAULT_CONFIG as RlsGuardConfig), configPath: null, rootDir };
}

function describeSchemaError(error: ErrorObject, root: unknown): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const key = path.length === 0 ? '(top level)' : path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? `"${p}"` : `."${p}"`)).join('');
  let value: unknown = root;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  const shown = JSON.stringify(value);
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return path.length === 0 ? `unknown key "${extra}"` : `${key}: unknown key "${extra}"`;
    }
    case 'type':
      return `${key} must be ${article((error.params as { type: string }).type)} (got ${shown})`;
    case 'enum':
      return `${key} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${shown})`;
    case 'minItems':
      return `${key} must not be empty`;
    case 'minLength':
      return `${key} must not be an empty string`;
    default:
      return `${key} ${error.message ?? 'is invalid'} (got ${shown})`;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * Where JSON text first goes wrong: a small validating scan, because JSON.parse names the position
 * only for some errors (Node 20 says nothing of where a trailing comma is).
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          value();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) fail();
      i++;
    } else {
      const start = i;
      while (i < text.length && /[-+.\w]/.test(text[i]!)) i++;
      const word = text.slice(start, i);
      if (!(word === 'true' || word === 'false' || word === 'null' || /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(word))) {
        i = start;
        fail();
      }
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (offset) {
    return offset as number;
  }
}

function describeJsonError(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  const offset = match ? Number(match[1]) : jsonErrorOffset(text);
  const reason = error.message.replace(/ in JSON at position \d+.*$/, '').replace(/, (\.\.\.)?"[\s\S]*is not valid JSON$/, '');
  if (offset < 0) return reason;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${reason} at line ${line}, column ${column}`;
}
