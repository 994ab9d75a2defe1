/**
 * The `rls-guard.config.json` that applies to a linted file: found by walking up from the file,
 * so one ESLint run over a monorepo gives each service its own settings. ESLint rule options
 * override it key by key.
 */
import { isAbsolute, resolve } from 'node:path';
import type { JSONSchema, TSESLint } from '@typescript-eslint/utils';
import { resolveConfig, type ResolvedConfig } from '../config.js';

export function projectConfigFor(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): ResolvedConfig {
  const filename = context.filename;
  const start = isAbsolute(filename) ? filename : resolve(context.cwd, filename);
  return resolveConfig({ start });
}

/** A JSON-schema array of strings, for options that default from the config file. */
export function stringListOption(description: string): JSONSchema.JSONSchema4 {
  return { type: 'array', items: { type: 'string' }, description };
}
