/**
 * Recognizing database calls in application code, and the client each one runs on.
 *
 * Without type information this works on the shapes the common libraries give their calls:
 * node-postgres `client.query(text)`, postgres.js `sql\`...\``, Prisma `prisma.model.findMany()`
 * and `$queryRaw`, Drizzle `db.select()`, Kysely `db.selectFrom()`, Knex `knex('t')`, TypeORM
 * `dataSource.query()`. Names of clients are heuristics, which is why a call whose SQL text is
 * written out is only taken for a query when that text parses as SQL.
 *
 * The client is then traced to where it came from: the callback parameter of a scope function
 * (`withTenant(id, (db) => ...)`), something derived from one (`db.getRepository(X)`,
 * `tx.begin((t) => ...)`), a client returned by a scope function (`tenantClient(id)`), a
 * parameter of an ordinary function (the caller's responsibility), or a global.
 */
import { AST_NODE_TYPES, ASTUtils, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { noTypeInformation } from './client-types.js';
import { knexRawSql, sqlFromExpression, sqlFromTemplate, tablesTouched, type EmbeddedSql } from './embedded-sql.js';
import type { AstNode } from '../sql/parse.js';

export interface QueryShapes {
  /** Variable names (or their last camelCase word) taken for database clients. */
  clientNames: readonly string[];
  /** Template tags that run (or build) SQL: `sql\`...\``. */
  sqlTags: readonly string[];
  /** Methods whose first argument is SQL text: `query`, `$queryRawUnsafe`, ... */
  queryMethods: readonly string[];
  /** Methods that run a SQL template built elsewhere and never take text: Slonik's `pool.any(sql.type(T)\`...\`)`. */
  sqlTokenMethods: readonly string[];
  /** Methods on a client that start a query builder: Drizzle, Kysely, Knex, TypeORM. */
  builderMethods: readonly string[];
  /** Prisma model operations: `prisma.<model>.<operation>()`. */
  modelMethods: readonly string[];
  /** Methods that open a transaction and hand its client to a callback. */
  transactionMethods: readonly string[];
  /** Methods that hand a connection (no transaction) to a callback, or return one (`sql.reserve()`). */
  connectionMethods: readonly string[];
  /** Modules whose `sql` tag only builds a query (it runs when passed to a client). */
  sqlBuilderModules: readonly string[];
}

export const DEFAULT_QUERY_SHAPES: QueryShapes = {
  clientNames: ['pool', 'client', 'db', 'database', 'tx', 'trx', 'transaction', 'conn', 'connection', 'pg', 'sql', 'knex', 'prisma', 'kysely', 'drizzle', 'manager', 'entityManager', 'em', 'dataSource', 'queryRunner', 'repository', 'repo'],
  sqlTags: ['sql', 'tx', 'trx', 'db', 'pg', 'psql'],
  queryMethods: ['query', 'unsafe', 'execute', 'raw', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe'],
  sqlTokenMethods: ['any', 'anyFirst', 'one', 'oneFirst', 'many', 'manyFirst', 'maybeOne', 'maybeOneFirst', 'exists', 'stream'],
  builderMethods: [
    // Drizzle
    'select', 'selectDistinct', 'selectDistinctOn', 'insert', 'update', 'delete',
    // Kysely
    'selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'replaceInto', 'mergeInto',
    // Knex
    'from', 'table', 'into', 'with',
    // TypeORM
    'find', 'findOne', 'findBy', 'findOneBy', 'findAndCount', 'findOneOrFail', 'save', 'remove', 'count', 'createQueryBuilder', 'upsert',
  ],
  modelMethods: [
    'findMany', 'findFirst', 'findFirstOrThrow', 'findUnique', 'findUniqueOrThrow', 'create', 'createMany', 'createManyAndReturn',
    'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany', 'count', 'aggregate', 'groupBy',
  ],
  transactionMethods: ['begin', 'transaction', '$transaction', 'tx', 'withTransaction'],
  connectionMethods: ['connect', 'reserve', 'task', 'connection', 'acquire', 'createQueryRunner'],
  sqlBuilderModules: ['drizzle-orm', 'slonik', 'kysely', '@prisma/client', 'sql-template-tag', 'sql-template-strings'],
};

/** TypeORM methods returning a repository bound to the client they are called on. */
const REPOSITORY_METHODS = new Set(['getRepository', 'withRepository', 'getCustomRepository']);

/** Members of a SQL tag that are tags building a query: Slonik's `sql.unsafe\`...\``, `sql.fragment\`...\``. */
const BUILDER_TAG_MEMBERS = new Set(['unsafe', 'fragment']);
/** Methods of a SQL tag returning a tag that builds a query: Slonik's `sql.type(T)\`...\``, `sql.typeAlias('x')\`...\``. */
const BUILDER_TAG_FACTORIES = new Set(['type', 'typeAlias']);
/** Prisma's methods taking the values of `$1`, `$2`, ... as their further arguments. */
const UNSAFE_RAW_METHODS = new Set(['$queryRawUnsafe', '$executeRawUnsafe']);

/** A constant JavaScript value: what a bind parameter's value may be resolved to. */
export type ConstantValue = string | number | boolean;

/** Where a client came from. */
export type ClientOrigin =
  | { kind: 'scoped' }
  | { kind: 'parameter' }
  | { kind: 'global'; name: string };

/** SQL text handed to the database (or to a query builder). */
export interface SqlSite {
  sql: EmbeddedSql | null;
  /** The expression that runs it: `client.query(...)`, `sql\`...\``. */
  call: TSESTree.Node;
  /** The client it runs on; null when it is only built here (Drizzle's `sql\`...\``). */
  client: TSESTree.Expression | null;
  /** The value of bind parameter `$n` when the code gives it as a constant (`query(text, ['app.x'])`); else null. */
  parameterConstant(n: number): ConstantValue | null;
}

/** A database call: SQL text, a Prisma model operation, or a query builder started on a client. */
export interface DatabaseCall {
  call: TSESTree.Node;
  client: TSESTree.Expression;
  /** The tables it touches: from its SQL (parsed on first read) or its table argument; null when unknown. */
  readonly tables: string[] | null;
  /**
   * For a Prisma model (or Drizzle's `db.query.<table>`), the accessor as written (`orderItem`):
   * the table is the model's, read from schema.prisma where one is found (see `prisma-schema.ts`).
   */
  model?: string;
  /**
   * The names the tables may have when they are only known by a variable or class (Drizzle's
   * `orders` table object, TypeORM's `Order` entity): any one of them.
   */
  tableCandidates?: string[][];
  /** For SQL text: its statements (parsed on first read); null when it does not parse or is dynamic. */
  readonly statements?: AstNode[] | null;
  /** SQL text written out in full (nothing interpolated) that does not parse: not SQL at all. */
  readonly notSql?: boolean;
}

type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;
type ClientByType = (expression: TSESTree.Node) => boolean | undefined;

/** Per file (its SourceCode), the instances `DatabaseCalls.shared` handed out. */
const sharedByFile = new WeakMap<object, DatabaseCalls[]>();

export class DatabaseCalls {
  /** Sites already recognized, per call or tagged template node. */
  private readonly sites = new Map<TSESTree.Node, SqlSite | null>();
  /** `shapes.clientNames`, lower-cased, when first needed. */
  private clientNames: Set<string> | null = null;

  constructor(
    private readonly context: Context,
    private readonly shapes: QueryShapes,
    private readonly scopeFunctions: readonly string[],
    /** Type-aware override: true/false when the type decides, undefined to fall back to names. */
    private readonly clientByType: ClientByType = noTypeInformation,
  ) {}

  /**
   * One instance per file for every rule passing the same shapes, scope functions and type
   * matcher (the same objects: the defaults, the config's arrays, `noTypeInformation`), so the
   * rules share its per-node answers and each call is recognized once per file, not once per
   * rule. The instance keeps the first rule's context, and reads only its `sourceCode`.
   */
  static shared(context: Context, shapes: QueryShapes, scopeFunctions: readonly string[], clientByType: ClientByType = noTypeInformation): DatabaseCalls {
    let instances = sharedByFile.get(context.sourceCode);
    if (!instances) {
      instances = [];
      sharedByFile.set(context.sourceCode, instances);
    }
    let calls = instances.find((c) => c.shapes === shapes && c.scopeFunctions === scopeFunctions && c.clientByType === clientByType);
    if (!calls) {
      calls = new DatabaseCalls(context, shapes, scopeFunctions, clientByType);
      instances.push(calls);
    }
    return calls;
  }

  // ------------------------------------------------------------------------------------------
  // SQL sites

  /** The SQL run or built by a tagged template, or null when its tag is not a SQL tag. */
  sqlSiteOfTaggedTemplate(node: TSESTree.TaggedTemplateExpression): SqlSite | null {
    let site = this.sites.get(node);
    if (site === undefined) {
      site = this.findSqlSiteOfTaggedTemplate(node);
      this.sites.set(node, site);
    }
    return site;
  }

  private findSqlSiteOfTaggedTemplate(node: TSESTree.TaggedTemplateExpression): SqlSite | null {
    const tag = node.tag;
    let client: TSESTree.Expression | null;
    if (tag.type === AST_NODE_TYPES.Identifier) {
      const byType = this.clientByType(tag);
      const named = this.shapes.sqlTags.includes(tag.name) || this.clientOrigin(tag).kind === 'scoped' || this.isCallbackClient(tag) || this.isDerivedClient(tag);
      if (byType === true) client = tag;
      else if (!named) return null;
      // A tag whose type is known not to be a client only builds SQL (Drizzle's `sql`).
      else client = byType === false || this.isBuilderImport(tag) ? null : tag;
    } else if (tag.type === AST_NODE_TYPES.MemberExpression && !tag.computed && tag.property.type === AST_NODE_TYPES.Identifier) {
      const name = tag.property.name;
      if (name === '$queryRaw' || name === '$executeRaw') client = tag.object;
      else if (BUILDER_TAG_MEMBERS.has(name) && this.isSqlTag(tag.object)) client = null;
      else if (this.shapes.sqlTags.includes(name)) client = this.isBuilderImport(rootOf(tag.object)) ? null : tag;
      else return null;
    } else if (tag.type === AST_NODE_TYPES.CallExpression) {
      // Slonik's sql.type(T)`...` and sql.typeAlias('x')`...` build a query.
      const method = calledMethod(tag);
      if (!method || !BUILDER_TAG_FACTORIES.has(method.name) || !this.isSqlTag(method.object)) return null;
      client = null;
    } else {
      return null;
    }
    const sql = sqlFromTemplate(node, node.quasi, true, (expression) => this.isRawInterpolation(expression));
    const parameterConstant = (n: number): ConstantValue | null => {
      const interpolation = sql.interpolations.find((i) => i.number === n && i.kind === 'bind');
      return interpolation ? this.constantValue(interpolation.expression) : null;
    };
    const site = (call: TSESTree.Node, on: TSESTree.Expression | null): SqlSite => ({ sql, call, client: on, parameterConstant });
    // A SQL template passed to a query method runs there (`db.execute(sql\`...\`)`, Slonik's `pool.any(sql.type(T)\`...\`)`).
    const parent = node.parent;
    if (parent.type === AST_NODE_TYPES.CallExpression && parent.arguments[0] === node) {
      const method = calledMethod(parent);
      if (method && (this.shapes.queryMethods.includes(method.name) || this.shapes.sqlTokenMethods.includes(method.name))) {
        if (this.clientByType(method.object) === false) return site(node, null);
        return site(parent, method.object);
      }
      return site(node, null);
    }
    // Kysely: a built template runs on the executor passed to it, `sql\`...\`.execute(db)` (postgres.js's `.execute()` takes none).
    if (parent.type === AST_NODE_TYPES.MemberExpression && parent.object === node && memberName(parent) === 'execute') {
      const run = parent.parent;
      const executor = run.type === AST_NODE_TYPES.CallExpression && run.callee === parent ? run.arguments[0] : undefined;
      if (executor && executor.type !== AST_NODE_TYPES.SpreadElement) return site(run, this.clientByType(executor) === false ? null : executor);
    }
    if (parent.type === AST_NODE_TYPES.TemplateLiteral || parent.type === AST_NODE_TYPES.CallExpression) return site(node, null);
    return site(node, client);
  }

  /** Is this the name of a SQL tag: a configured tag name, or a tag imported from a query-builder module? */
  private isSqlTag(expression: TSESTree.Node): boolean {
    return expression.type === AST_NODE_TYPES.Identifier && (this.shapes.sqlTags.includes(expression.name) || this.isBuilderImport(expression));
  }

  /**
   * The SQL a call or tagged template runs: its own text, or a template passed to it
   * (Slonik's `pool.any(sql.unsafe\`...\`)`, Kysely's `` sql`...`.execute(db) ``).
   */
  sqlSiteOf(node: TSESTree.Node): SqlSite | null {
    if (node.type === AST_NODE_TYPES.TaggedTemplateExpression) return this.sqlSiteOfTaggedTemplate(node);
    if (node.type !== AST_NODE_TYPES.CallExpression) return null;
    const direct = this.sqlSiteOfCall(node);
    if (direct) return direct;
    const first = node.arguments[0];
    const callee = stripWrappers(node.callee);
    const template =
      first?.type === AST_NODE_TYPES.TaggedTemplateExpression ? first
      : callee.type === AST_NODE_TYPES.MemberExpression && callee.object.type === AST_NODE_TYPES.TaggedTemplateExpression ? callee.object
      : null;
    const site = template ? this.sqlSiteOfTaggedTemplate(template) : null;
    return site?.call === node ? site : null;
  }

  /** Methods that open a transaction (`begin`, `$transaction`, ...). */
  get transactionMethodNames(): readonly string[] {
    return this.shapes.transactionMethods;
  }

  /** The SQL text given to a query method (`client.query(text)`), or null for other calls. */
  sqlSiteOfCall(node: TSESTree.CallExpression): SqlSite | null {
    let site = this.sites.get(node);
    if (site === undefined) {
      site = this.findSqlSiteOfCall(node);
      this.sites.set(node, site);
    }
    return site;
  }

  private findSqlSiteOfCall(node: TSESTree.CallExpression): SqlSite | null {
    const method = calledMethod(node);
    if (!method) return null;
    const takesText = this.shapes.queryMethods.includes(method.name);
    if (!takesText && !this.shapes.sqlTokenMethods.includes(method.name)) return null;
    const first = node.arguments[0];
    if (!first || first.type === AST_NODE_TYPES.TaggedTemplateExpression || first.type === AST_NODE_TYPES.SpreadElement) return null;
    const byType = this.clientByType(method.object);
    if (byType === false) return null;
    const client = this.isBuilderImport(rootOf(method.object)) ? null : method.object;
    // A query built elsewhere and held in a constant: `const q = sql.type(T)\`...\`; pool.any(q)`.
    const built = this.builtSqlSite(first);
    if (built) return { sql: built.sql, call: node, client, parameterConstant: built.parameterConstant };
    if (!takesText) return null;
    // An options object without `text` is not node-postgres' query config: Apollo's `client.query({ query })`.
    if (first.type === AST_NODE_TYPES.ObjectExpression && !first.properties.some((p) => p.type === AST_NODE_TYPES.SpreadElement || propertyName(p) === 'text')) return null;
    let sql = this.sqlOfArgument(first);
    // Knex's raw SQL: `?` and `??` placeholders (`knex.raw(text, bindings)`, `trx.raw(...)`).
    const values = this.parameterValues(node, method.name, first);
    if (sql && method.name === 'raw' && client !== null && this.isClientLike(method.object)) sql = knexRawSql(sql, values);
    const parameterConstant = (n: number): ConstantValue | null => {
      const position = sql?.valuePositions ? sql.valuePositions[n - 1] : n - 1;
      const value = position === undefined ? null : values?.[position];
      return value ? this.constantValue(value) : null;
    };
    if (sql) {
      // The receiver's name is asked first: on a client, the text is not parsed here.
      if (byType !== true && !this.isClientLike(method.object) && (sql.statements === null || sql.statements.length === 0)) return null;
      return { sql, call: node, client, parameterConstant };
    }
    // Dynamic SQL text: a database call only when the receiver is a client.
    if (byType === true || this.isClientLike(method.object)) return { sql: null, call: node, client, parameterConstant };
    return null;
  }

  /**
   * The values of `$1`, `$2`, ... as the call passes them: node-postgres `query(text, [a, b])` and
   * `query({ text, values })`, postgres.js `unsafe(text, [a, b])`, Knex `raw(text, [a, b])`,
   * Prisma `$executeRawUnsafe(text, a, b)`. Null when they are not written out.
   */
  private parameterValues(call: TSESTree.CallExpression, method: string, first: TSESTree.Expression): (TSESTree.Node | null)[] | null {
    if (UNSAFE_RAW_METHODS.has(method)) return call.arguments.slice(1).map((a) => (a.type === AST_NODE_TYPES.SpreadElement ? null : a));
    let list: TSESTree.Node | undefined = call.arguments[1];
    if (first.type === AST_NODE_TYPES.ObjectExpression) {
      list = first.properties.find((p): p is TSESTree.Property => p.type === AST_NODE_TYPES.Property && propertyName(p) === 'values')?.value;
    }
    if (list?.type !== AST_NODE_TYPES.ArrayExpression) return null;
    const elements: (TSESTree.Node | null)[] = [];
    for (const element of list.elements) {
      // After a spread, positions are unknown.
      if (element?.type === AST_NODE_TYPES.SpreadElement) break;
      elements.push(element);
    }
    return elements;
  }

  /** A constant holding a SQL template built by a query-builder tag (`sql.type(T)\`...\``), as its site. */
  private builtSqlSite(argument: TSESTree.Expression): SqlSite | null {
    if (argument.type !== AST_NODE_TYPES.Identifier) return null;
    const init = constInitializer(this.context, argument);
    const template = init && stripWrappers(init);
    if (template?.type !== AST_NODE_TYPES.TaggedTemplateExpression) return null;
    const site = this.sqlSiteOfTaggedTemplate(template);
    return site?.sql && !site.client ? site : null;
  }

  /** A constant the expression is: a literal, a template without `${}`, or a `const` holding one. */
  constantValue(expression: TSESTree.Node, depth = 0): ConstantValue | null {
    const e = stripWrappers(expression);
    if (e.type === AST_NODE_TYPES.Literal) {
      return typeof e.value === 'string' || typeof e.value === 'number' || typeof e.value === 'boolean' ? e.value : null;
    }
    if (e.type === AST_NODE_TYPES.TemplateLiteral && e.expressions.length === 0) return e.quasis[0]?.value.cooked ?? null;
    if (e.type === AST_NODE_TYPES.Identifier && depth < 4) {
      const init = constInitializer(this.context, e);
      return init ? this.constantValue(init, depth + 1) : null;
    }
    return null;
  }

  private sqlOfArgument(written: TSESTree.Expression): EmbeddedSql | null {
    const argument = stripWrappers(written) as TSESTree.Expression;
    const direct = sqlFromExpression(argument);
    if (direct) return direct;
    if (argument.type === AST_NODE_TYPES.Identifier) {
      const init = constInitializer(this.context, argument);
      return init ? sqlFromExpression(init) : null;
    }
    // node-postgres query config: `client.query({ text, values })`
    if (argument.type === AST_NODE_TYPES.ObjectExpression) {
      const text = argument.properties.find(
        (p): p is TSESTree.Property => p.type === AST_NODE_TYPES.Property && propertyName(p) === 'text',
      );
      return text ? sqlFromExpression(text.value) : null;
    }
    // `sql.raw(text)` / `Prisma.raw(text)` handed to a query method
    if (argument.type === AST_NODE_TYPES.CallExpression && isMethodCall(argument, 'raw', 'unsafe') && argument.arguments[0]) {
      return this.sqlOfArgument(argument.arguments[0] as TSESTree.Expression);
    }
    return null;
  }
  /** `${sql.raw(x)}`, `${sql.unsafe(x)}`, `${Prisma.raw(x)}` paste text instead of binding a value. */
  isRawInterpolation(expression: TSESTree.Expression): boolean {
    return expression.type === AST_NODE_TYPES.CallExpression && isMethodCall(expression, 'raw', 'unsafe');
  }

  // ------------------------------------------------------------------------------------------
  // Database calls

  /** The database call this node makes, or null. */
  databaseCall(node: TSESTree.CallExpression | TSESTree.TaggedTemplateExpression): DatabaseCall | null {
    if (node.type === AST_NODE_TYPES.TaggedTemplateExpression) {
      const site = this.sqlSiteOfTaggedTemplate(node);
      if (!site || !site.client) return null;
      return sqlCall(site.call, site.client, site.sql);
    }
    const site = this.sqlSiteOfCall(node);
    if (site) {
      if (!site.client) return null;
      return sqlCall(site.call, site.client, site.sql);
    }
    const method = calledMethod(node);
    if (method) {
      // Prisma: prisma.order.findMany(), tx.order.create(), tenantClient(id).document.findMany()
      if (this.shapes.modelMethods.includes(method.name) && method.object.type === AST_NODE_TYPES.MemberExpression && !method.object.computed) {
        const model = method.object.property;
        const client = method.object.object;
        if (model.type === AST_NODE_TYPES.Identifier && !model.name.startsWith('$')) {
          // Drizzle's relational queries: db.query.users.findMany()
          if (isPropertyNamed(client, 'query') && client.type === AST_NODE_TYPES.MemberExpression && this.isClientLike(client.object)) {
            return { call: node, client: client.object, tables: null, model: model.name };
          }
          if (this.isClientLike(client)) return { call: node, client, tables: null, model: model.name };
        }
      }
      // Drizzle, Kysely, Knex and TypeORM builders started on a client: db.select(), db.selectFrom('t')
      if (this.shapes.builderMethods.includes(method.name) && this.isClientLike(method.object)) {
        return { call: node, client: method.object, ...this.builderTables(node, method.name) };
      }
      return null;
    }
    // Knex: knex('orders'), trx('orders')
    const first = node.arguments[0];
    if (
      node.callee.type === AST_NODE_TYPES.Identifier &&
      first?.type === AST_NODE_TYPES.Literal &&
      typeof first.value === 'string' &&
      this.isClientLike(node.callee) &&
      !this.isFunctionBinding(node.callee)
    ) {
      return { call: node, client: node.callee, tables: [knexTableName(first.value)] };
    }
    return null;
  }

  /** The entity of a TypeORM repository: `manager.getRepository(Order)`, or a constant holding one. */
  private repositoryEntity(receiver: TSESTree.Node | undefined, depth = 0): TSESTree.Node | undefined {
    if (!receiver || depth > 3) return undefined;
    const e = stripWrappers(receiver);
    if (e.type === AST_NODE_TYPES.Identifier) {
      const init = constInitializer(this.context, e);
      return init ? this.repositoryEntity(init, depth + 1) : undefined;
    }
    if (e.type !== AST_NODE_TYPES.CallExpression) return undefined;
    const method = calledMethod(e);
    const entity = e.arguments[0];
    return method && REPOSITORY_METHODS.has(method.name) && entity && entity.type !== AST_NODE_TYPES.SpreadElement ? entity : undefined;
  }

  /**
   * The tables a query builder started with `method` names: its first argument (`selectFrom('t')`,
   * Drizzle's `insert(orders)`, TypeORM's `find(Order)`), or for a select, the `from(...)` chained
   * onto it (Knex `knex.select('id').from('t')`, Drizzle `db.select().from(orders)`).
   */
  private builderTables(call: TSESTree.CallExpression, method: string): { tables: string[] | null; tableCandidates?: string[][] } {
    let argument: TSESTree.Node | undefined = call.arguments[0];
    if (SELECT_METHODS.has(method)) {
      argument = undefined;
      // db.select(...).from(x): the chain's next call
      const member = call.parent;
      if (member.type === AST_NODE_TYPES.MemberExpression && member.object === call && ['from', 'into', 'table'].includes(memberName(member) ?? '')) {
        const next = member.parent;
        if (next.type === AST_NODE_TYPES.CallExpression && next.callee === member) argument = next.arguments[0];
      }
    }
    // TypeORM: a repository's entity, dataSource.getRepository(Order).find()
    if (!argument && !SELECT_METHODS.has(method)) argument = this.repositoryEntity(calledMethod(call)?.object);
    if (!argument) return { tables: null };
    if (argument.type === AST_NODE_TYPES.Literal && typeof argument.value === 'string') return { tables: [knexTableName(argument.value)] };
    const object = stripWrappers(argument);
    if (object.type === AST_NODE_TYPES.Identifier) {
      // Drizzle: const orders = pgTable('orders', {...}) in this file
      const init = constInitializer(this.context, object);
      if (init?.type === AST_NODE_TYPES.CallExpression && init.arguments[0]?.type === AST_NODE_TYPES.Literal && typeof init.arguments[0].value === 'string' && /Table$/.test(calleeName(init) ?? '')) {
        return { tables: [init.arguments[0].value] };
      }
      return { tables: null, tableCandidates: [nameCandidates(object.name)] };
    }
    return { tables: null };
  }

  /**
   * The function a client came from, when listing it in `scopeFunctions` would make the client
   * scoped: `tenantDb(id).query(...)`, `const db = tenantDb(id)`, `prisma.$extends(forTenant(id))`.
   */
  scopeFunctionCandidate(client: TSESTree.Node, depth = 0): string | null {
    const e = stripWrappers(client);
    if (depth > 6) return null;
    if (e.type === AST_NODE_TYPES.MemberExpression) return this.scopeFunctionCandidate(e.object, depth + 1);
    if (e.type === AST_NODE_TYPES.Identifier) {
      const def = this.variableOf(e)?.defs[0];
      const init = def?.type === 'Variable' ? (def.node as TSESTree.VariableDeclarator).init : null;
      return init ? this.scopeFunctionCandidate(init, depth + 1) : null;
    }
    if (e.type !== AST_NODE_TYPES.CallExpression) return null;
    const name = calleeName(e);
    if (name === '$extends') {
      const extension = e.arguments.find((a): a is TSESTree.CallExpression => a.type === AST_NODE_TYPES.CallExpression);
      return extension ? calleeName(extension) : this.scopeFunctionCandidate(e.callee, depth + 1);
    }
    if (!name || this.shapes.connectionMethods.includes(name) || this.shapes.transactionMethods.includes(name) || REPOSITORY_METHODS.has(name)) {
      return this.scopeFunctionCandidate(e.callee, depth + 1);
    }
    // A call taking no arguments is a factory (`getPool()`), not a scope: a tenant is its argument.
    return e.arguments.length > 0 && e.callee.type === AST_NODE_TYPES.Identifier ? name : null;
  }

  /** Is this expression a database client, by type when known, else by name or origin? */
  isClientLike(expression: TSESTree.Expression): boolean {
    const byType = this.clientByType(expression);
    if (byType !== undefined) return byType;
    const e = stripWrappers(expression);
    if (e.type === AST_NODE_TYPES.Identifier) {
      if (this.matchesClientName(e.name)) return true;
      return this.clientOrigin(e).kind === 'scoped' || this.isCallbackClient(e) || this.isDerivedClient(e);
    }
    if (e.type === AST_NODE_TYPES.MemberExpression && !e.computed && e.property.type === AST_NODE_TYPES.Identifier) {
      return this.matchesClientName(e.property.name);
    }
    if (e.type === AST_NODE_TYPES.CallExpression) {
      if (this.isScopeFunctionCall(e)) return true;
      const method = calledMethod(e);
      // A repository of a client, or a Prisma client extended: prisma.$extends(ext).order.findMany()
      return !!method && (REPOSITORY_METHODS.has(method.name) || method.name === '$extends') && this.isClientLike(method.object);
    }
    return false;
  }

  /** The whole name, or its last camelCase word (`ordersDb` → `db`), in any case. */
  private matchesClientName(name: string): boolean {
    this.clientNames ??= new Set(this.shapes.clientNames.map((n) => n.toLowerCase()));
    if (this.clientNames.has(name.toLowerCase())) return true;
    // The last word starts at the last upper-case ASCII letter after the first character.
    let start = name.length - 1;
    while (start > 0 && !isUpperAscii(name.charCodeAt(start))) start--;
    return start > 0 && this.clientNames.has(name.slice(start).toLowerCase());
  }

  /** A parameter of a callback handed a client by a transaction or connection method. */
  private isCallbackClient(identifier: TSESTree.Identifier): boolean {
    const variable = this.variableOf(identifier);
    const def = variable?.defs[0];
    if (!def || def.type !== 'Parameter') return false;
    return this.clientProvider(def.node as TSESTree.FunctionLike) !== null;
  }

  /**
   * A variable holding a connection or transaction a client returned: `const reserved = await
   * sql.reserve()`, `const conn = await pool.connect()`, `const runner = dataSource.createQueryRunner()`.
   */
  private isDerivedClient(identifier: TSESTree.Identifier, depth = 0): boolean {
    const def = this.variableOf(identifier)?.defs[0];
    if (!def || def.type !== 'Variable' || depth > 4) return false;
    const init = (def.node as TSESTree.VariableDeclarator).init;
    const call = init && stripWrappers(init);
    if (call?.type !== AST_NODE_TYPES.CallExpression) return false;
    const method = calledMethod(call);
    if (!method || !(this.shapes.connectionMethods.includes(method.name) || this.shapes.transactionMethods.includes(method.name))) return false;
    // With a callback, the method hands the connection to it and returns the callback's result.
    if (call.arguments.some((a) => isFunction(a))) return false;
    const object = stripWrappers(method.object);
    if (object.type === AST_NODE_TYPES.Identifier && !this.matchesClientName(object.name)) return this.isDerivedClient(object, depth + 1);
    return this.isClientLike(method.object);
  }

  private isFunctionBinding(identifier: TSESTree.Identifier): boolean {
    const def = this.variableOf(identifier)?.defs[0];
    return def?.type === 'FunctionName' || def?.type === 'ClassName';
  }

  // ------------------------------------------------------------------------------------------
  // Where a client comes from

  /** Traces a client expression to its origin. */
  clientOrigin(expression: TSESTree.Node, depth = 0): ClientOrigin {
    if (depth > 12) return { kind: 'global', name: this.context.sourceCode.getText(expression) };
    const e = stripWrappers(expression);
    switch (e.type) {
      case AST_NODE_TYPES.MemberExpression:
        return this.clientOrigin(e.object, depth + 1);
      case AST_NODE_TYPES.CallExpression:
        if (this.isScopeFunctionCall(e)) return { kind: 'scoped' };
        // Prisma: a client extended by a scope function, prisma.$extends(forTenant(id))
        if (calleeName(e) === '$extends' && e.arguments.some((a) => a.type === AST_NODE_TYPES.CallExpression && this.isScopeFunctionCall(a))) return { kind: 'scoped' };
        return this.clientOrigin(e.callee, depth + 1);
      case AST_NODE_TYPES.TaggedTemplateExpression:
        return this.clientOrigin(e.tag, depth + 1);
      case AST_NODE_TYPES.Identifier:
        return this.identifierOrigin(e, depth);
      default:
        return { kind: 'global', name: this.context.sourceCode.getText(e) };
    }
  }

  private identifierOrigin(identifier: TSESTree.Identifier, depth: number): ClientOrigin {
    const global: ClientOrigin = { kind: 'global', name: identifier.name };
    const variable = this.variableOf(identifier);
    const def = variable?.defs[0];
    if (!def) return global;
    if (def.type === 'Parameter') {
      const fn = def.node as TSESTree.FunctionLike;
      if (this.isScopeCallback(fn)) return { kind: 'scoped' };
      const provider = this.clientProvider(fn);
      if (provider) return this.clientOrigin(provider, depth + 1);
      return { kind: 'parameter' };
    }
    if (def.type === 'Variable') {
      const declarator = def.node as TSESTree.VariableDeclarator;
      if (!declarator.init) return global;
      const origin = this.clientOrigin(declarator.init, depth + 1);
      return origin.kind === 'global' ? global : origin;
    }
    return global;
  }

  private variableOf(identifier: TSESTree.Identifier): TSESLint.Scope.Variable | null {
    return ASTUtils.findVariable(this.context.sourceCode.getScope(identifier), identifier) ?? null;
  }

  /**
   * The client whose transaction or connection method handed this callback its client:
   * `sql.begin((tx) => ...)` gives `sql`; Kysely's `db.transaction().execute((trx) => ...)` gives `db`.
   */
  clientProvider(fn: TSESTree.Node): TSESTree.Expression | null {
    const call = fn.parent;
    if (!call || call.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(fn as TSESTree.CallExpressionArgument)) return null;
    const method = calledMethod(call);
    if (!method) return null;
    if (this.shapes.transactionMethods.includes(method.name) || this.shapes.connectionMethods.includes(method.name)) return method.object;
    if (method.name === 'execute' && method.object.type === AST_NODE_TYPES.CallExpression) {
      const inner = calledMethod(method.object);
      if (inner && this.shapes.transactionMethods.includes(inner.name)) return inner.object;
    }
    return null;
  }

  /** Does the callback run inside a transaction its caller opened (`sql.begin(cb)`, `$transaction(cb)`)? */
  isTransactionCallback(fn: TSESTree.Node): boolean {
    const call = fn.parent;
    if (!call || call.type !== AST_NODE_TYPES.CallExpression || !call.arguments.includes(fn as TSESTree.CallExpressionArgument)) return false;
    const method = calledMethod(call);
    if (!method) return false;
    if (this.shapes.transactionMethods.includes(method.name)) return true;
    if (method.name === 'execute' && method.object.type === AST_NODE_TYPES.CallExpression) {
      const inner = calledMethod(method.object);
      return !!inner && this.shapes.transactionMethods.includes(inner.name);
    }
    return false;
  }

  isScopeFunctionCall(call: TSESTree.CallExpression): boolean {
    const name = calleeName(call);
    return name !== null && this.scopeFunctions.includes(name);
  }

  /** A function passed to a scope function: `withTenant(id, (db) => ...)`. */
  isScopeCallback(fn: TSESTree.Node): boolean {
    const call = fn.parent;
    return (
      !!call &&
      call.type === AST_NODE_TYPES.CallExpression &&
      call.arguments.includes(fn as TSESTree.CallExpressionArgument) &&
      this.isScopeFunctionCall(call)
    );
  }

  /** The body of a scope function (`function withTenant(...) { ... }`): its implementation. */
  isScopeImplementation(fn: TSESTree.Node): boolean {
    const name = functionName(fn);
    return name !== null && this.scopeFunctions.includes(name);
  }

  /** The innermost scope callback around a node, with the call it is passed to. */
  enclosingScopeCallback(node: TSESTree.Node): { fn: TSESTree.FunctionLike; call: TSESTree.CallExpression } | null {
    for (let n: TSESTree.Node | undefined = node.parent; n; n = n.parent) {
      if (isFunction(n) && this.isScopeCallback(n)) return { fn: n, call: n.parent as TSESTree.CallExpression };
    }
    return null;
  }

  insideScopeImplementation(node: TSESTree.Node): boolean {
    for (let n: TSESTree.Node | undefined = node.parent; n; n = n.parent) {
      if (isFunction(n) && this.isScopeImplementation(n)) return true;
    }
    return false;
  }

  /** Is the `sql` tag (or the object of `sql.raw`) imported from a module whose tag only builds SQL? */
  isBuilderImport(expression: TSESTree.Node): boolean {
    if (expression.type !== AST_NODE_TYPES.Identifier) return false;
    const def = this.variableOf(expression)?.defs[0];
    if (!def || def.type !== 'ImportBinding') return false;
    const declaration = def.parent as TSESTree.ImportDeclaration;
    const source = declaration.source.value;
    return this.shapes.sqlBuilderModules.some((m) => source === m || source.startsWith(`${m}/`));
  }
}

/**
 * A call running SQL text. Its tables are read (and the text parsed) only when asked: a rule that
 * stops at the client's origin never parses the SQL of a scoped call.
 */
function sqlCall(call: TSESTree.Node, client: TSESTree.Expression, sql: EmbeddedSql | null): DatabaseCall {
  return {
    call,
    client,
    get tables() {
      return sql?.statements ? tablesOfStatements(sql) : null;
    },
    get statements() {
      return sql?.statements ?? null;
    },
    get notSql() {
      return !!sql && sql.interpolations.length === 0 && sql.statements === null;
    },
  };
}

function isUpperAscii(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** Keyed by the parsed statement list, which every site and file with the same SQL text shares. */
const tablesCache = new WeakMap<AstNode[], string[]>();

/** The tables an embedded SQL text touches (empty when it does not parse). */
export function tablesOfStatements(sql: EmbeddedSql): string[] {
  if (!sql.statements) return [];
  let tables = tablesCache.get(sql.statements);
  if (!tables) {
    tables = tablesTouched(sql.statements);
    tablesCache.set(sql.statements, tables);
  }
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Small AST helpers used above and by the rules.

export function isFunction(node: TSESTree.Node): node is TSESTree.FunctionLike {
  return (
    node.type === AST_NODE_TYPES.FunctionDeclaration ||
    node.type === AST_NODE_TYPES.FunctionExpression ||
    node.type === AST_NODE_TYPES.ArrowFunctionExpression
  );
}

/** `await x`, `x!`, `x as T`, `x?.y` wrappers that do not change which client it is. */
export function stripWrappers(node: TSESTree.Node): TSESTree.Node {
  let n = node;
  for (;;) {
    if (n.type === AST_NODE_TYPES.AwaitExpression) n = n.argument;
    else if (n.type === AST_NODE_TYPES.TSNonNullExpression || n.type === AST_NODE_TYPES.TSAsExpression || n.type === AST_NODE_TYPES.TSSatisfiesExpression) n = n.expression;
    else if (n.type === AST_NODE_TYPES.ChainExpression) n = n.expression;
    else return n;
  }
}

/** The object and name of a method call `object.name(...)`. */
export function calledMethod(call: TSESTree.CallExpression): { object: TSESTree.Expression; name: string } | null {
  const callee = stripWrappers(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return null;
  const name = memberName(callee);
  return name === null ? null : { object: callee.object, name };
}

export function memberName(member: TSESTree.MemberExpression): string | null {
  if (!member.computed && member.property.type === AST_NODE_TYPES.Identifier) return member.property.name;
  if (member.computed && member.property.type === AST_NODE_TYPES.Literal && typeof member.property.value === 'string') return member.property.value;
  return null;
}

/** `f(...)` → `f`; `obj.f(...)` → `f`. */
export function calleeName(call: TSESTree.CallExpression): string | null {
  const callee = stripWrappers(call.callee);
  if (callee.type === AST_NODE_TYPES.Identifier) return callee.name;
  if (callee.type === AST_NODE_TYPES.MemberExpression) return memberName(callee);
  return null;
}

function isMethodCall(call: TSESTree.CallExpression, ...names: string[]): boolean {
  const method = calledMethod(call);
  return !!method && names.includes(method.name);
}

function isPropertyNamed(node: TSESTree.Node, name: string): boolean {
  return node.type === AST_NODE_TYPES.MemberExpression && memberName(node) === name;
}

export function propertyName(property: TSESTree.Property): string | null {
  if (property.key.type === AST_NODE_TYPES.Identifier && !property.computed) return property.key.name;
  if (property.key.type === AST_NODE_TYPES.Literal && typeof property.key.value === 'string') return property.key.value;
  return null;
}

/** The leftmost identifier (or `this`) of a member chain. */
export function rootOf(node: TSESTree.Node): TSESTree.Node {
  const n = stripWrappers(node);
  if (n.type === AST_NODE_TYPES.MemberExpression) return rootOf(n.object);
  if (n.type === AST_NODE_TYPES.CallExpression) return rootOf(n.callee);
  return n;
}

/** The name a function is known by: its own, its variable's, or its property's. */
export function functionName(fn: TSESTree.Node): string | null {
  if (!isFunction(fn)) return null;
  if (fn.id) return fn.id.name;
  const parent = fn.parent;
  if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier) return parent.id.name;
  if (
    (parent.type === AST_NODE_TYPES.Property || parent.type === AST_NODE_TYPES.MethodDefinition || parent.type === AST_NODE_TYPES.PropertyDefinition) &&
    !parent.computed &&
    parent.key.type === AST_NODE_TYPES.Identifier
  ) {
    return parent.key.name;
  }
  return null;
}

/** The initializer of a `const` the identifier refers to, if it has one. */
export function constInitializer(context: Context, identifier: TSESTree.Identifier): TSESTree.Expression | null {
  const variable = ASTUtils.findVariable(context.sourceCode.getScope(identifier), identifier);
  const def = variable?.defs[0];
  if (!def || def.type !== 'Variable' || variable!.defs.length !== 1) return null;
  const declarator = def.node as TSESTree.VariableDeclarator;
  if (declarator.id.type !== AST_NODE_TYPES.Identifier || (def.parent as TSESTree.VariableDeclaration).kind !== 'const') return null;
  return declarator.init ?? null;
}

/** Builder methods whose first argument names columns; the table comes with `from(...)`. */
const SELECT_METHODS = new Set(['select', 'selectDistinct', 'selectDistinctOn']);

/** Knex table names may carry an alias: `'orders as o'`, `'orders o'`. */
function knexTableName(text: string): string {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  return space === -1 ? trimmed : trimmed.slice(0, space);
}

/**
 * The table names a model, entity or table object named `name` is commonly given: the name
 * itself, snake_case, and each of those in the plural and the singular (`OrderItem`, `order_item`,
 * `order_items`; `plans`, `plan`). Any one may be the table.
 */
export function nameCandidates(name: string): string[] {
  const base = name.replace(/(Table|Schema|Entity|Model)$/, '') || name;
  const forms = new Set<string>();
  for (const form of [base, snakeCase(base)]) {
    forms.add(form);
    forms.add(plural(form));
    forms.add(singular(form));
  }
  return [...forms];
}

function plural(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

function singular(word: string): string {
  if (/ies$/i.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ses|xes|zes|ches|shes)$/i.test(word)) return word.slice(0, -2);
  if (/[^s]s$/i.test(word)) return word.slice(0, -1);
  return word;
}

/** Prisma model `OrderItem` is usually mapped to a table `order_item`. */
export function snakeCase(name: string): string {
  let out = '';
  for (const ch of name) {
    const lower = ch.toLowerCase();
    out += ch !== lower && out.length > 0 ? `_${lower}` : lower;
  }
  return out;
}

/** SQL text that parsed, where it is run or built. */
export type ParsedSqlSite = SqlSite & { sql: EmbeddedSql & { statements: NonNullable<EmbeddedSql['statements']> } };

/**
 * A rule listener calling `onSite` once for every piece of SQL text in the file that parses:
 * `client.query(text)`, `sql\`...\``, `$executeRawUnsafe(text)`, `sql.raw(text)`. Text reachable
 * two ways (`db.execute(sql.raw(text))`) is visited once, from the outer call.
 *
 * `mayMatter` is the rule's sound pre-filter (`mayWriteSetting`, ...): text it rejects cannot hold
 * what the rule looks for, and is neither parsed nor visited. It depends on the text alone, and
 * the same node always has the same text, so skipping one never changes which visit comes first.
 */
export function sqlSiteListener(
  calls: DatabaseCalls,
  onSite: (site: ParsedSqlSite) => void,
  mayMatter: (text: string) => boolean = () => true,
): TSESLint.RuleListener {
  const seen = new Set<TSESTree.Node>();
  const visit = (site: SqlSite | null): void => {
    if (!site?.sql || seen.has(site.sql.node) || !mayMatter(site.sql.text) || !site.sql.statements) return;
    seen.add(site.sql.node);
    onSite(site as ParsedSqlSite);
  };
  return {
    CallExpression: (node) => visit(calls.sqlSiteOfCall(node)),
    TaggedTemplateExpression: (node) => visit(calls.sqlSiteOfTaggedTemplate(node)),
  };
}
