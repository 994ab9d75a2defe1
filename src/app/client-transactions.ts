/**
 * Transactions an app opens on one client itself, and the tenant context it sets in them:
 *
 *     const client = await pool.connect();
 *     await client.query('BEGIN');
 *     await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
 *     await client.query('SELECT * FROM orders');      // scoped: after a transaction-local setting
 *     await client.query('COMMIT');
 *
 * as with a TypeORM query runner between `startTransaction()` and `commitTransaction()`, inside a
 * transaction callback (`sql.begin(async (tx) => { await tx\`SELECT set_config(..., true)\`; ... })`),
 * or after such a write in Prisma's `$transaction([...])` array. A query on the same client
 * variable after both, and before the transaction ends (`COMMIT`, `ROLLBACK`,
 * `commitTransaction()`), runs with the tenant context, as one inside a scope function does.
 * Source order stands for run order.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { calledMethod, rootOf, stripWrappers, type DatabaseCalls, type SqlSite } from './database-calls.js';
import { endsTransaction, startsTransaction } from './embedded-sql.js';
import { tenantSettingWrites } from './tenant-context-sql.js';

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;
type Variable = TSESLint.Scope.Variable;

/** Methods that open a transaction on the client they are called on (TypeORM's query runner). */
const START_TRANSACTION_METHODS = new Set(['startTransaction']);
/** Methods that end it: TypeORM's query runner, a Knex transaction without a callback. */
const END_TRANSACTION_METHODS = new Set(['commitTransaction', 'rollbackTransaction', 'commit', 'rollback']);

interface ClientEvents {
  /** Offsets where a transaction was opened on the client; the callback's start for a transaction callback's client. */
  begins: number[];
  /** Offsets where it ended: `COMMIT`, `ROLLBACK`, `commitTransaction()`. */
  ends: number[];
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

  /** Is a transaction open on this client at `offset`: opened before it, and not ended since? */
  transactionOpenBefore(variable: Variable, offset: number): boolean {
    return this.openTransactionStart(this.eventsOf(variable), offset) !== null;
  }

  /** Does the call run on a client in a transaction that set the tenant context transaction-locally before it? */
  tenantSetLocallyBefore(client: TSESTree.Node, offset: number): boolean {
    const variable = this.clientVariable(client);
    if (!variable) return false;
    const events = this.eventsOf(variable);
    const start = this.openTransactionStart(events, offset);
    return start !== null && events.localTenantWrites.some((w) => w > start && w < offset);
  }

  /** Where the transaction open at `offset` began, or null when none is. */
  private openTransactionStart(events: ClientEvents, offset: number): number | null {
    let start: number | null = null;
    for (const b of events.begins) if (b < offset && (start === null || b > start)) start = b;
    if (start === null) return null;
    const begun = start;
    return events.ends.some((e) => e > begun && e < offset) ? null : start;
  }

  /**
   * Prisma's `$transaction([setTenant, query])`: the array runs in one transaction, in order, so an
   * element after a transaction-local write of the tenant setting runs with the tenant context.
   */
  tenantSetEarlierInTransactionArray(call: TSESTree.Node): boolean {
    for (let child: TSESTree.Node = call, n = call.parent; n; child = n, n = n.parent) {
      if (n.type !== AST_NODE_TYPES.ArrayExpression) continue;
      const owner = n.parent;
      if (owner?.type !== AST_NODE_TYPES.CallExpression || owner.arguments[0] !== n) return false;
      const method = calledMethod(owner);
      if (!method || !this.calls.transactionMethodNames.includes(method.name)) return false;
      const index = n.elements.indexOf(child as TSESTree.Expression);
      return n.elements.slice(0, Math.max(index, 0)).some((element) => {
        if (!element || element.type === AST_NODE_TYPES.SpreadElement) return false;
        const site = this.calls.sqlSiteOf(stripWrappers(element));
        return !!site?.sql?.statements && tenantSettingWrites(site, this.tenantSettings).some((w) => w.local === true);
      });
    }
    return false;
  }

  private eventsOf(variable: Variable): ClientEvents {
    let events = this.events.get(variable);
    if (events) return events;
    events = { begins: [], ends: [], localTenantWrites: [] };
    const def = variable.defs[0];
    if (def?.type === 'Parameter' && this.calls.isTransactionCallback(def.node)) events.begins.push(def.node.range[0]);
    // Knex: const trx = await knex.transaction(), a transaction handed back rather than to a callback.
    if (def?.type === 'Variable') {
      const init = (def.node as TSESTree.VariableDeclarator).init;
      const call = init && stripWrappers(init);
      const method = call?.type === AST_NODE_TYPES.CallExpression ? calledMethod(call) : null;
      if (call?.type === AST_NODE_TYPES.CallExpression && method && this.calls.transactionMethodNames.includes(method.name) && call.arguments.length === 0) events.begins.push(call.range[0]);
    }
    for (const reference of variable.references) {
      const id = reference.identifier;
      const parent = id.parent;
      if (parent?.type === AST_NODE_TYPES.MemberExpression && parent.object === id && parent.parent.type === AST_NODE_TYPES.CallExpression && parent.parent.callee === parent) {
        const call = parent.parent;
        const method = calledMethod(call);
        if (method && START_TRANSACTION_METHODS.has(method.name)) events.begins.push(call.range[0]);
        if (method && END_TRANSACTION_METHODS.has(method.name)) events.ends.push(call.range[0]);
      }
      const site = id.type === AST_NODE_TYPES.Identifier ? this.siteRunOn(id) : null;
      const statements = site?.sql?.statements;
      if (!site?.sql || !statements) continue;
      if (statements.some(startsTransaction)) events.begins.push(site.call.range[0]);
      if (statements.some(endsTransaction)) events.ends.push(site.call.range[0]);
      if (tenantSettingWrites(site, this.tenantSettings).some((w) => w.local === true)) events.localTenantWrites.push(site.call.range[0]);
    }
    this.events.set(variable, events);
    return events;
  }

  /**
   * The SQL run on the client this reference names: `client.query(text)`, `` tx`...` ``,
   * `` tx.$executeRaw`...` ``, Slonik's `trx.query(sql.unsafe`...`)`, Kysely's `` sql`...`.execute(trx) ``.
   */
  private siteRunOn(id: TSESTree.Identifier): SqlSite | null {
    let n: TSESTree.Node = id;
    for (let depth = 0; depth < 3 && n.parent; depth++) {
      n = n.parent;
      const site = this.calls.sqlSiteOf(n);
      if (site?.client && rootOf(site.client) === id) return site;
    }
    return null;
  }
}
