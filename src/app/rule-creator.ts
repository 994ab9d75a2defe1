/**
 * `createRule` for the app rules: typescript-eslint's `RuleCreator` (typing, `meta`, the docs URL
 * from `ruleDocsUrl`), without its per-file merge of the options.
 *
 * `RuleCreator`'s `create` runs `applyDefault(meta.defaultOptions, context.options)` — a
 * structuredClone and a deep merge — for every rule on every linted file. With the defaults every
 * app rule has, `[{}]`, that merge only copies: it gives `[{}]`, or `[copy of the user's object]`.
 * The rules read their options (`options.x ?? config.x`) and never write them, so the user's
 * object serves as well as its copy. A rule with other defaults keeps `RuleCreator`'s merge.
 */
import { ESLintUtils, type TSESLint } from '@typescript-eslint/utils';
import { ruleDocsUrl } from '../docs-url.js';

const createNamedRule = ESLintUtils.RuleCreator(ruleDocsUrl);

/** What `RuleCreator` returns: a rule module with its name. */
export type NamedRule<Options extends readonly unknown[], MessageIds extends string> = TSESLint.RuleModule<MessageIds, Options> & { name: string };

export function createRule<Options extends readonly unknown[], MessageIds extends string>(
  rule: Readonly<ESLintUtils.RuleWithMetaAndName<Options, MessageIds>>,
): NamedRule<Options, MessageIds> {
  const created = createNamedRule(rule);
  if (!isOneEmptyObject(rule.meta.defaultOptions)) return created;
  return {
    ...created,
    create: (context) => rule.create(context, [context.options[0] ?? {}] as unknown as Options),
  };
}

/** `[{}]`: one option, an object with no defaults in it. */
function isOneEmptyObject(defaults: readonly unknown[] | undefined): boolean {
  const first = defaults?.[0];
  return defaults?.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first) && Object.keys(first).length === 0;
}
