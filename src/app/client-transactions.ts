/**
 * Transactions an app opens on one client itself, and the tenant context it sets in them:
 *
 *     const client = await pool.connect();
 *     await client.query('BEGIN');
 *     await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
 *     await client.query('SELECT * FROM orders');      // scoped: after a transaction-local setting
 *
 * as with a TypeORM query runner after `startTransaction()`, or inside a transaction callback
 * (`sql.begin(async (tx) => { await tx\`SELECT set_config(..., true)\`; ... })`). A query on the
 * same client variable after both runs with the tenant context, as one inside a scope function does.
 * (Source order stands for run order; a `COMMIT` between them is not looked for.)
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calledMethod, rootOf, type DatabaseCalls, type SqlSite } from './database-calls.js';
import { startsTransaction } from './embedded-sql.js';
import { tenantSettingWrites } from './tenant-context-sql.js';

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;
type Variable = TSESLint.Scope.Variable;

/** Methods that open a transaction on the client they are called on (TypeORM's query runner). */
const START_TRANSACTION_METHODS = new Set(['startTransaction']);

interface ClientEvents {
  /** Offsets where a transaction was opened on the client; the callback's start for a transaction callback's client. */
  begins: number[];
  /** Offsets of transaction-local writes of a tenant setting on the client. */
  localTenantWrites: number[];
}

export class ClientTransactions {
  private readonly events = new Map<Variable, ClientEvents>();

  constructor(
    private readonly context: Context,
    private readonly calls: DatabaseCalls,
    private readonly tenantSettings: readonly string[],
  ) {}

  /** The variable a client expression's root identifier refers to. */
  clientVariable(client: TSESTree.Node): Variable | null {
    const root = rootOf(client);
    if (root.type !== AST_NODE_TYPES.Identifier) return null;
    return ASTUtils.findVariable(this.context.sourceCode.getScope(root), root) ?? null;
  }

  /** Was a transaction opened on this client before `offset`? */
  transactionOpenBefore(variable: Variable, offset: number): boolean {
    return this.eventsOf(variable).begins.some((b) => b < offset);
  }

  /** Does the call run on a client in a transaction that set the tenant context transaction-locally before it? */
  tenantSetLocallyBefore(client: TSESTree.Node, offset: number): boolean {
    const variable = this.clientVariable(client);
    if (!variable) return false;
    const { begins, localTenantWrites } = this.eventsOf(variable);
    return localTenantWrites.some((w) => w < offset && begins.some((b) => b < w));
  }

  private eventsOf(variable: Variable): ClientEvents {
    let events = this.events.get(variable);
    if (events) return events;
    events = { begins: [], localTenantWrites: [] };
    const def = variable.defs[0];
    if (def?.type === 'Parameter' && this.calls.isTransactionCallback(def.node)) events.begins.push(def.node.range[0]);
    for (const reference of variable.references) {
      const id = reference.identifier;
      const parent = id.parent;
      let site: SqlSite | null = null;
      if (parent?.type === AST_NODE_TYPES.MemberExpression && parent.object === id && parent.parent.type === AST_NODE_TYPES.CallExpression && parent.parent.callee === parent) {
        const call = parent.parent;
        const method = calledMethod(call);
        if (method && START_TRANSACTION_METHODS.has(method.name)) events.begins.push(call.range[0]);
        site = this.calls.sqlSiteOfCall(call);
      } else if (parent?.type === AST_NODE_TYPES.TaggedTemplateExpression && parent.tag === id) {
        site = this.calls.sqlSiteOfTaggedTemplate(parent);
      }
      const statements = site?.sql?.statements;
      if (!site?.sql || !statements) continue;
      if (statements.some(startsTransaction)) events.begins.push(site.call.range[0]);
      if (tenantSettingWrites(site.sql, this.tenantSettings).some((w) => w.local === true)) events.localTenantWrites.push(site.call.range[0]);
    }
    this.events.set(variable, events);
    return events;
  }
}
