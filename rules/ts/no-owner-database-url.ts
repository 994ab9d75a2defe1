/**
 * no-owner-database-url: application code connects with the restricted app role's URL
 * (`DATABASE_APP_URL`), never the owner's (`DATABASE_URL`). The table owner bypasses RLS unless
 * the table is forced, and a superuser or BYPASSRLS owner bypasses it always; a fallback
 * (`appUrl ?? ownerUrl`) silently turns isolation off whenever the app URL is unset.
 * Migration scripts outside `appPaths` legitimately run as the owner and are not checked.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { memberName, propertyName } from '../../src/app/database-calls.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { createRule } from '../../src/app/rule-creator.js';
import { isAppFile } from '../../src/app/app-paths.js';

export type Options = [{ ownerUrlVars?: string[]; appUrlVars?: string[]; appPaths?: string[] }];
export type MessageIds = 'ownerUrl' | 'ownerUrlFallback' | 'useAppUrl' | 'removeFallback';

export const noOwnerDatabaseUrl = createRule<Options, MessageIds>({
  name: 'no-owner-database-url',
  meta: {
    type: 'problem',
    docs: {
      description: "Disallow application code reading the database owner's connection URL",
    },
    hasSuggestions: true,
    messages: {
      ownerUrl:
        "`{{variable}}` is the owner's connection URL: the table owner bypasses Row-Level Security on tables without FORCE (and a superuser or BYPASSRLS owner on all of them). Application code connects with {{appVars}}; a migration script that runs as the owner belongs outside `appPaths`.",
      ownerUrlFallback:
        "Falling back to `{{variable}}`, the owner's connection URL, turns tenant isolation off whenever {{appVars}} is unset. Fail at startup instead.",
      useAppUrl: 'Read `{{appVar}}` instead.',
      removeFallback: 'Remove the fallback to `{{variable}}`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          ownerUrlVars: stringListOption('Environment variables holding the owner connection URL (default: `ownerUrlVars` from rls-guard.config.json).'),
          appUrlVars: stringListOption('Environment variables holding the restricted app role URL, used in messages and suggestions (default: `appUrlVars` from rls-guard.config.json).'),
          appPaths: stringListOption('Globs, relative to the directory of rls-guard.config.json, of the application code this rule checks (default: `appPaths` from rls-guard.config.json).'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const config = projectConfigFor(context);
    const appPaths = options.appPaths ?? config.appPaths;
    if (!isAppFile(context, config, appPaths)) return {};

    const ownerVars = new Set(options.ownerUrlVars ?? config.ownerUrlVars);
    const appVars = options.appUrlVars ?? config.appUrlVars;
    const appVarsText = appVars.length > 0 ? appVars.map((v) => `\`${v}\``).join(' or ') : 'the app role URL';

    function report(node: TSESTree.Node, variable: string, replaceName: ((fixer: TSESLint.RuleFixer, name: string) => TSESLint.RuleFix) | null): void {
      const fallback = fallbackOf(node, appVars, context);
      if (fallback) {
        context.report({
          node,
          messageId: 'ownerUrlFallback',
          data: { variable, appVars: appVarsText },
          suggest: [{ messageId: 'removeFallback', data: { variable }, fix: (fixer) => fixer.replaceText(fallback, context.sourceCode.getText(fallback.left)) }],
        });
        return;
      }
      const appVar = appVars[0];
      context.report({
        node,
        messageId: 'ownerUrl',
        data: { variable, appVars: appVarsText },
        suggest: appVar && replaceName ? [{ messageId: 'useAppUrl', data: { appVar }, fix: (fixer) => replaceName(fixer, appVar) }] : [],
      });
    }

    return {
      MemberExpression(node) {
        const name = memberName(node);
        if (name === null || !ownerVars.has(name) || !isEnvObject(node.object, context)) return;
        if (node.parent.type === AST_NODE_TYPES.AssignmentExpression && node.parent.left === node) return;
        report(node, name, (fixer, appVar) =>
          node.computed ? fixer.replaceText(node.property, JSON.stringify(appVar)) : fixer.replaceText(node.property, appVar),
        );
      },
      ObjectPattern(pattern) {
        const parent = pattern.parent;
        const source =
          parent.type === AST_NODE_TYPES.VariableDeclarator ? parent.init : parent.type === AST_NODE_TYPES.AssignmentExpression ? parent.right : null;
        if (!source || !isEnvObject(source, context)) return;
        for (const property of pattern.properties) {
          if (property.type !== AST_NODE_TYPES.Property) continue;
          const name = propertyName(property);
          if (name !== null && ownerVars.has(name)) report(property, name, null);
        }
      },
    };
  },
});

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

/** Keys of t3-env's `createEnv({...})` that hand it the environment. */
const RUNTIME_ENV_KEYS = new Set(['runtimeEnv', 'runtimeEnvStrict', 'experimental__runtimeEnv']);

/**
 * The environment, or an object made from it: `process.env`, `import.meta.env`, `Bun.env`; a
 * constant holding one (`const env = process.env`); a validator's result (zod's
 * `envSchema.parse(process.env)`, envalid's `cleanEnv(process.env, ...)`, t3-env's
 * `createEnv({ runtimeEnv: process.env })`); an `env` imported from the project's env module
 * (`import { env } from '~/env'`) or SvelteKit's `$env/dynamic/*`.
 */
function isEnvObject(node: TSESTree.Node, context: Context, depth = 0): boolean {
  let n = node;
  while (n.type === AST_NODE_TYPES.TSNonNullExpression || n.type === AST_NODE_TYPES.ChainExpression || n.type === AST_NODE_TYPES.TSAsExpression || n.type === AST_NODE_TYPES.TSSatisfiesExpression || n.type === AST_NODE_TYPES.AwaitExpression) {
    n = n.type === AST_NODE_TYPES.AwaitExpression ? n.argument : n.expression;
  }
  if (depth > 5) return false;
  if (n.type === AST_NODE_TYPES.MemberExpression) {
    const name = memberName(n);
    // zod's safeParse(process.env).data
    if (name === 'data') return isEnvObject(n.object, context, depth + 1);
    if (name !== 'env') return false;
    const object = n.object;
    if (object.type === AST_NODE_TYPES.MetaProperty) return object.meta.name === 'import' && object.property.name === 'meta';
    return object.type === AST_NODE_TYPES.Identifier && (object.name === 'process' || object.name === 'Bun');
  }
  if (n.type === AST_NODE_TYPES.Identifier) {
    const def = ASTUtils.findVariable(context.sourceCode.getScope(n), n)?.defs[0];
    if (def?.type === 'Variable') {
      const declarator = def.node as TSESTree.VariableDeclarator;
      return declarator.id.type === AST_NODE_TYPES.Identifier && !!declarator.init && isEnvObject(declarator.init, context, depth + 1);
    }
    if (def?.type === 'ImportBinding') return isEnvModule(String((def.parent as TSESTree.ImportDeclaration).source.value));
    return false;
  }
  if (n.type === AST_NODE_TYPES.CallExpression) {
    return n.arguments.some(
      (a) =>
        isEnvObject(a, context, depth + 1) ||
        (a.type === AST_NODE_TYPES.ObjectExpression &&
          a.properties.some((p) => p.type === AST_NODE_TYPES.Property && RUNTIME_ENV_KEYS.has(propertyName(p) ?? '') && isEnvObject(p.value, context, depth + 1))),
    );
  }
  // { ...process.env }
  if (n.type === AST_NODE_TYPES.ObjectExpression) return n.properties.some((p) => p.type === AST_NODE_TYPES.SpreadElement && isEnvObject(p.argument, context, depth + 1));
  return false;
}

/** `~/env`, `./env.js`, `@/env.mjs`, `../config/env`: a module named env; SvelteKit's `$env/dynamic/private`. */
function isEnvModule(source: string): boolean {
  if (source.startsWith('$env/dynamic/')) return true;
  const last = source.slice(source.lastIndexOf('/') + 1);
  return /^env(\.[cm]?[jt]s)?$/.test(last) && source.includes('/');
}

/** The `app ?? owner` / `app || owner` expression when the owner read is the fallback of an app URL read. */
function fallbackOf(node: TSESTree.Node, appVars: readonly string[], context: Context): TSESTree.LogicalExpression | null {
  let child: TSESTree.Node = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (parent.type === AST_NODE_TYPES.TSNonNullExpression || parent.type === AST_NODE_TYPES.ChainExpression) continue;
    if (parent.type !== AST_NODE_TYPES.LogicalExpression || parent.operator === '&&' || parent.right !== child) return null;
    if (readsAppUrl(parent.left, appVars, context)) return parent;
  }
  return null;
}

function readsAppUrl(node: TSESTree.Node, appVars: readonly string[], context: Context): boolean {
  if (node.type === AST_NODE_TYPES.LogicalExpression) return readsAppUrl(node.left, appVars, context) || readsAppUrl(node.right, appVars, context);
  if (node.type === AST_NODE_TYPES.TSNonNullExpression || node.type === AST_NODE_TYPES.ChainExpression) return readsAppUrl(node.expression, appVars, context);
  if (node.type === AST_NODE_TYPES.MemberExpression) {
    const name = memberName(node);
    return name !== null && appVars.includes(name) && isEnvObject(node.object, context);
  }
  // A variable holding the app URL (`const appUrl = process.env.DATABASE_APP_URL`) counts as well.
  return node.type === AST_NODE_TYPES.Identifier;
}

export default noOwnerDatabaseUrl;
