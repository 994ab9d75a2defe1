/**
 * tenant-context-transaction-local: the tenant setting is set for the current transaction only
 * (`SET LOCAL`, `set_config(name, value, true)`), inside a transaction.
 *
 * A session-level `SET app.current_tenant = ...` stays on the connection after the request: the
 * pool hands it to the next request, another tenant's, which then runs with the first tenant's
 * context. A transaction-local setting outside a transaction lasts only for its own statement
 * (PostgreSQL runs each autocommit statement in its own transaction), so the queries after it
 * run with no tenant context at all.
 */
import { AST_NODE_TYPES, type TSESTree, type TSESLint } from '@typescript-eslint/utils';
import {
  calledMethod,
  DatabaseCalls,
  DEFAULT_QUERY_SHAPES,
  isFunction,
  rootOf,
  sqlSiteListener,
  type ParsedSqlSite,
} from '../../src/app/database-calls.js';
import { mayStartTransaction, mayWriteSetting, startsTransaction } from '../../src/app/embedded-sql.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { setConfigFix, tenantSettingWrites } from '../../src/app/tenant-context-sql.js';
import { ClientTransactions } from '../../src/app/client-transactions.js';
import { createRule } from '../../src/app/rule-creator.js';

export type Options = [{ tenantSettings?: string[]; scopeFunctions?: string[] }];
export type MessageIds = 'sessionLevel' | 'outsideTransaction' | 'useTransactionLocal';

export const tenantContextTransactionLocal = createRule<Options, MessageIds>({
  name: 'tenant-context-transaction-local',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require the tenant setting to be set transaction-locally, inside a transaction',
    },
    hasSuggestions: true,
    messages: {
      sessionLevel:
        "`{{setting}}` is set for the whole session: the pooled connection keeps it, and the next request — another tenant's — runs with this tenant's context. Set it with `SET LOCAL` or `set_config('{{setting}}', ..., true)` inside the transaction.",
      outsideTransaction:
        '`{{setting}}` is set transaction-locally outside a transaction, so it ends with this statement. In autocommit the queries after it run with no tenant context: set it after `BEGIN`, or inside the scope or transaction callback. If a function around it opens the transaction, list that function in `scopeFunctions`.',
      useTransactionLocal: "Set it transaction-locally: `set_config('{{setting}}', ..., true)`.",
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          tenantSettings: stringListOption('Settings that carry the tenant (default: `tenantSettings` from rls-guard.config.json).'),
          scopeFunctions: stringListOption('Functions whose callback runs inside the transaction they open (default: `scopeFunctions` from rls-guard.config.json).'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const config = projectConfigFor(context);
    const tenantSettings = options.tenantSettings ?? config.tenantSettings;
    const calls = DatabaseCalls.shared(context, DEFAULT_QUERY_SHAPES, options.scopeFunctions ?? config.scopeFunctions);
    /** Where `BEGIN` ran, per client variable: a later write on the same client is inside it. */
    const begins = new Map<TSESLint.Scope.Variable, number[]>();
    const transactions = new ClientTransactions(context, calls, tenantSettings);

    function clientVariable(site: ParsedSqlSite): TSESLint.Scope.Variable | null {
      if (!site.client) return null;
      const root = rootOf(site.client);
      if (root.type !== AST_NODE_TYPES.Identifier) return null;
      return context.sourceCode.getScope(root).references.find((r) => r.identifier === root)?.resolved ?? null;
    }

    function inTransaction(site: ParsedSqlSite, statementIndex: number): boolean {
      if (site.sql.statements.slice(0, statementIndex).some(startsTransaction)) return true;
      // SQL that is only built here runs wherever it is passed: not this rule's to judge.
      if (!site.client) return true;
      if (calls.clientOrigin(site.client).kind === 'parameter') return true;
      for (let n: TSESTree.Node | undefined = site.call.parent; n; n = n.parent) {
        if (isFunction(n) && (calls.isScopeCallback(n) || calls.isTransactionCallback(n))) return true;
        // prisma.$transaction([prisma.$executeRaw`SELECT set_config(...)`, ...])
        if (n.type === AST_NODE_TYPES.ArrayExpression && n.parent.type === AST_NODE_TYPES.CallExpression) {
          const method = calledMethod(n.parent);
          if (method && DEFAULT_QUERY_SHAPES.transactionMethods.includes(method.name)) return true;
        }
      }
      const variable = clientVariable(site);
      if (!variable) return false;
      // `BEGIN` on the client before (seen by this listener), or a TypeORM query runner's `startTransaction()`.
      return (begins.get(variable) ?? []).some((offset) => offset < site.call.range[0]) || transactions.transactionOpenBefore(variable, site.call.range[0]);
    }

    return sqlSiteListener(calls, (site) => {
      if (site.sql.statements.some(startsTransaction)) {
        const variable = clientVariable(site);
        if (variable) begins.set(variable, [...(begins.get(variable) ?? []), site.call.range[0]]);
      }
      for (const write of tenantSettingWrites(site, tenantSettings)) {
        if (write.local === false) {
          // Made transaction-local outside a transaction, it would end with its own statement:
          // the suggestion is only offered where it then runs inside one.
          const index = site.sql.statements.indexOf(write.statement);
          const fix = inTransaction(site, index) ? setConfigFix(site.sql, write, site.call, context.sourceCode) : null;
          context.report({
            node: site.sql.node,
            messageId: 'sessionLevel',
            data: { setting: write.setting },
            suggest: fix ? [{ messageId: 'useTransactionLocal', data: { setting: write.setting }, fix }] : [],
          });
        } else if (write.local === true && !inTransaction(site, site.sql.statements.indexOf(write.statement))) {
          context.report({ node: site.sql.node, messageId: 'outsideTransaction', data: { setting: write.setting } });
        }
      }
    }, mayMatter);
  },
});

/** The pre-filter: only text that may write a setting or open a transaction is parsed. */
function mayMatter(text: string): boolean {
  return mayWriteSetting(text) || mayStartTransaction(text);
}

export default tenantContextTransactionLocal;
