/**
 * no-unscoped-query: every database call that touches tenant data runs on the client a scope
 * function (`withTenant(tenantId, (db) => ...)`) hands its callback, so it runs inside the
 * transaction that set the tenant context. A query on the global pool runs without it, and Row-
 * Level Security is then the only thing between it and every tenant's rows — or, when the app
 * connects as the table owner or with `missing_ok`, nothing is.
 */
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import path from 'node:path';
import { DatabaseCalls, DEFAULT_QUERY_SHAPES, nameCandidates, rootOf, type DatabaseCall, type QueryShapes } from '../../src/app/database-calls.js';
import { prismaModelsFor } from '../../src/app/prisma-schema.js';
import { projectConfigFor, stringListOption } from '../../src/app/rule-config.js';
import { tenantTablesFor, type TenantTables } from '../../src/app/tenant-tables.js';
import { clientTypeMatcher, typeSpecifierListSchema, type TypeSpecifier } from '../../src/app/client-types.js';
import { createRule } from '../../src/app/rule-creator.js';
import { isAppFile } from '../../src/app/app-paths.js';
import { ClientTransactions } from '../../src/app/client-transactions.js';
import { statementKind } from '../../src/app/embedded-sql.js';
import type { AstNode } from '../../src/sql/parse.js';

export type Options = [
  {
    scopeFunctions?: string[];
    globalTables?: string[];
    appPaths?: string[];
    tenantSettings?: string[];
    clientTypes?: TypeSpecifier[];
  } & Partial<Record<keyof QueryShapes, string[]>>,
];
export type MessageIds = 'unscoped' | 'globalClientInScope' | 'useScopedClient';

export const noUnscopedQuery = createRule<Options, MessageIds>({
  name: 'no-unscoped-query',
  meta: {
    type: 'problem',
    docs: {
      description: 'Require database calls that touch tenant data to run on the client handed to a scope function callback',
    },
    hasSuggestions: true,
    messages: {
      unscoped:
        "This query runs on `{{client}}` outside {{scopes}}, with no tenant context set. Row-Level Security alone stands between it and every tenant's rows: run it inside {{scopes}}, on the client the callback receives.{{exemption}}",
      globalClientInScope:
        'This query runs on `{{client}}`, not on `{{scoped}}`, the client `{{scope}}` handed this callback. It runs outside the tenant transaction and its tenant context.{{exemption}}',
      useScopedClient: 'Run it on the scoped client `{{scoped}}`.',
    },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          scopeFunctions: stringListOption('Functions that run a callback with a tenant-scoped client (default: `scopeFunctions` from rls-guard.config.json).'),
          globalTables: stringListOption('Tables shared by all tenants; a query touching only these is not flagged (default: `globalTables` from rls-guard.config.json).'),
          appPaths: stringListOption('Globs, relative to the directory of rls-guard.config.json, of the application code this rule checks (default: `appPaths` from rls-guard.config.json).'),
          tenantSettings: stringListOption('Settings that hold the tenant: a query after `set_config(<setting>, ..., true)` in a transaction on the same client is scoped (default: `tenantSettings` from rls-guard.config.json).'),
          clientNames: stringListOption('Variable names (or their last camelCase word) taken for database clients when no type information is available.'),
          sqlTags: stringListOption('Template tags that run SQL, as postgres.js `sql`...``.'),
          queryMethods: stringListOption('Methods whose first argument is SQL text, as `query`, `unsafe`, `$queryRawUnsafe`.'),
          sqlTokenMethods: stringListOption('Methods that run a SQL template built by a query-builder tag and take no text, as Slonik `pool.any(sql.type(T)`...`)`.'),
          builderMethods: stringListOption('Methods that start a query on a client: Drizzle `select`, Kysely `selectFrom`, Knex `from`, TypeORM `find`.'),
          modelMethods: stringListOption('Prisma model operations, as `findMany` in `prisma.order.findMany()`.'),
          transactionMethods: stringListOption('Methods that open a transaction and hand its client to a callback, as `begin` and `$transaction`.'),
          connectionMethods: stringListOption('Methods that hand a connection to a callback without a transaction, as `connect`.'),
          sqlBuilderModules: stringListOption('Modules whose `sql` tag only builds SQL that runs when passed to a client (Drizzle, Slonik, Kysely).'),
          clientTypes: typeSpecifierListSchema('With type information: the types of database clients. A call on a value of another type is never taken for a query.'),
        },
      },
    ],
    defaultOptions: [{}],
  },
  create(context, [options]) {
    const config = projectConfigFor(context);
    // Scripts, seeds and tooling outside the app's code run without a tenant on purpose.
    if (!isAppFile(context, config, options.appPaths ?? config.appPaths)) return {};
    const scopeFunctions = options.scopeFunctions ?? config.scopeFunctions;
    const shapes = shapesWith(options);
    // Shared with the other rules of the file when they ask the same (the defaults, no types).
    const calls = DatabaseCalls.shared(context, shapes, scopeFunctions, clientTypeMatcher(context, options.clientTypes));
    const transactions = new ClientTransactions(context, calls, options.tenantSettings ?? config.tenantSettings);
    let tenantTables: TenantTables | null = null;
    const touchesTenantData = (tables: string[]): boolean => {
      tenantTables ??= tenantTablesFor(config, options.globalTables ?? config.globalTables);
      return tenantTables.touchTenantData(tables);
    };
    const scopes = scopesText(scopeFunctions);
    const reported = new Set<TSESTree.Node>();
    /** The client as written (`pool`, `this.prisma`), or the variable it came from when that is long. */
    const clientText = (client: TSESTree.Node, fallback: string): string => {
      const text = context.sourceCode.getText(client);
      return text.length <= 40 && !text.includes('\n') ? text : fallback;
    };

    function check(node: TSESTree.CallExpression | TSESTree.TaggedTemplateExpression): void {
      const call = calls.databaseCall(node);
      if (!call || reported.has(call.call)) return;
      // The scope function's own body opens the transaction and sets the context: it is the scope.
      if (calls.insideScopeImplementation(call.call)) return;
      // A parameter of an ordinary function: whoever calls it chooses the client. Asked before the
      // tables, so a project whose queries are all scoped never replays its migrations.
      const origin = calls.clientOrigin(call.client);
      if (origin.kind !== 'global') return;
      // Text written out that is not SQL is not a query: `client.query('{ users { id } }')`.
      if (call.notSql) return;
      // Schema changes read no rows (`ALTER TABLE ... NO FORCE ...` is no-rls-bypass-in-app's).
      if (call.statements?.length && call.statements.every(changesSchemaOnly)) return;
      // A transaction the code opened on this client and set the tenant in, transaction-locally.
      if (transactions.tenantSetLocallyBefore(call.client, call.call.range[0])) return;
      if (transactions.tenantSetEarlierInTransactionArray(call.call)) return;
      const tables = tablesOf(call);
      if (tables.known && !touchesTenantData(tables.known)) return;
      // Known only by a model or variable name: any one of its candidate names may be the table.
      if (tables.candidates.some((names) => names.some((t) => !touchesTenantData([t])))) return;
      reported.add(call.call);
      // Only the tables that hold tenant data need listing: `plans` in `plans JOIN orders` may be global already.
      const tenantTablesOnly = { ...tables, known: tables.known?.filter((t) => touchesTenantData([t])) ?? null };
      const exemption = exemptionHint(tenantTablesOnly, calls.scopeFunctionCandidate(call.client));

      const scope = calls.enclosingScopeCallback(call.call);
      const scopedParam = scope?.fn.params.find((p): p is TSESTree.Identifier => p.type === AST_NODE_TYPES.Identifier && calls.clientOrigin(p).kind === 'scoped');
      if (scope && scopedParam) {
        const root = rootOf(call.client);
        context.report({
          node: call.call,
          messageId: 'globalClientInScope',
          data: { client: clientText(call.client, origin.name), scoped: scopedParam.name, scope: context.sourceCode.getText(scope.call.callee), exemption: exemptionHint(tenantTablesOnly, null) },
          suggest:
            root.type === AST_NODE_TYPES.Identifier
              ? [{ messageId: 'useScopedClient', data: { scoped: scopedParam.name }, fix: (fixer) => fixer.replaceText(root, scopedParam.name) }]
              : [],
        });
        return;
      }
      context.report({ node: call.call, messageId: 'unscoped', data: { client: clientText(call.client, origin.name), scopes, exemption } });
    }

    /** The tables a call touches, as far as they are known: by name, or as candidate names. */
    function tablesOf(call: DatabaseCall): QueryTables {
      if (call.model) {
        const table = prismaModelsFor(path.dirname(path.resolve(context.cwd, context.filename)))?.tableOf(call.model);
        return table ? { known: [table], candidates: [] } : { known: null, candidates: [nameCandidates(call.model)], named: call.model };
      }
      const candidates = call.tableCandidates ?? [];
      return { known: call.tables, candidates, ...(candidates.length === 1 && !call.tables && { named: candidates[0]![0] }) };
    }

    return { CallExpression: check, TaggedTemplateExpression: check };
  },
});

/** Statements that change the schema or the session and read or write no table's rows. */
const SCHEMA_ONLY = new Set([
  'AlterTableStmt', 'CreateStmt', 'IndexStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'GrantStmt', 'GrantRoleStmt',
  'CommentStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'CreateFunctionStmt', 'ViewStmt', 'VariableSetStmt', 'VariableShowStmt', 'TransactionStmt',
]);

function changesSchemaOnly(statement: AstNode): boolean {
  return SCHEMA_ONLY.has(statementKind(statement));
}

interface QueryTables {
  /** Tables known by name (from SQL, a table argument, or schema.prisma). */
  known: string[] | null;
  /** For each table known only by a variable, model or class name: the names it may have. */
  candidates: string[][];
  /** The model accessor or table variable, when that is all the table is known by. */
  named?: string;
}

/** `withTenant`; `withTenant` or `tenantClient`; a scope function (`a`, `b`, `c`). */
function scopesText(scopeFunctions: readonly string[]): string {
  if (scopeFunctions.length === 0) return 'a scope function';
  if (scopeFunctions.length <= 2) return scopeFunctions.map((f) => `\`${f}\``).join(' or ');
  return `a scope function (${scopeFunctions.slice(0, 3).map((f) => `\`${f}\``).join(', ')}${scopeFunctions.length > 3 ? ', ...' : ''})`;
}

/**
 * The configuration that would exempt the query if it is a false positive: its tables in
 * `globalTables` (when every one is shared by all tenants), or the function its client came
 * from in `scopeFunctions` (when that function sets the tenant context).
 */
function exemptionHint(tables: QueryTables, scopeCandidate: string | null): string {
  const hints: string[] = [];
  const names = tables.known && tables.known.length > 0 ? tables.known : tables.named ? [tables.named] : [];
  if (names.length > 0 && names.length <= 3) {
    const list = names.map((t) => `\`${t}\``).join(', ');
    hints.push(` If ${names.length === 1 ? `${list} is` : `${list} are`} shared by all tenants, list ${names.length === 1 ? 'it' : 'them'} in \`globalTables\`.`);
  }
  if (scopeCandidate) hints.push(` If \`${scopeCandidate}\` sets the tenant context, list it in \`scopeFunctions\`.`);
  return hints.join('');
}

/** The query shapes with the options' overrides; the defaults themselves when there is none. */
function shapesWith(options: Options[0]): QueryShapes {
  let shapes: QueryShapes | null = null;
  for (const key of Object.keys(DEFAULT_QUERY_SHAPES) as (keyof QueryShapes)[]) {
    if (options[key]) (shapes ??= { ...DEFAULT_QUERY_SHAPES })[key] = options[key]!;
  }
  return shapes ?? DEFAULT_QUERY_SHAPES;
}

export default noUnscopedQuery;
