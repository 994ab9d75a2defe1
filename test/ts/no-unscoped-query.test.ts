import { noUnscopedQuery } from '../../rules/ts/no-unscoped-query.js';
import path from 'node:path';
import { RuleTester, serviceFile } from './rule-tester.js';

/** The Prisma app fixture: its prisma/schema.prisma maps models to tables (`Plan` → `plans`), and `plans` is global. */
const prismaApp = (file: string): string => path.join(path.dirname(serviceFile('x')), '..', 'apps', 'prisma', file);
const only = (table: string): string => ` If \`${table}\` is shared by all tenants, list it in \`globalTables\`.`;

// Default file names under `src/`: the default `appPaths`, which no-unscoped-query checks.
const ruleTester = new RuleTester({ defaultFilenames: { ts: 'src/file.ts', tsx: 'src/react.tsx' } });

ruleTester.run('no-unscoped-query', noUnscopedQuery, {
  valid: [
    // The client handed to the scope callback runs inside the tenant transaction.
    `withTenant(tenantId, async (db) => {
       const { rows } = await db.query('SELECT id, total FROM orders');
       return rows;
     });`,
    // postgres.js: the scoped transaction's tag, and a transaction opened on it.
    'withTenant(tenantId, (tx) => tx`SELECT id FROM projects`);',
    'withTenant(tenantId, (tx) => tx.savepoint(async (sp) => sp`DELETE FROM projects WHERE id = ${id}`));',
    // Prisma, Drizzle, Kysely, Knex, TypeORM on the scoped client (or something derived from it).
    'withTenant(tenantId, (tx) => tx.order.findMany({ where: { status: "open" } }));',
    'withTenant(tenantId, (db) => db.select().from(orders));',
    "withTenant(tenantId, (trx) => trx.selectFrom('orders').selectAll().execute());",
    "withTenant(tenantId, (trx) => trx('orders').where({ id }));",
    `withTenant(tenantId, async (manager) => {
       const repo = manager.getRepository(Order);
       return repo.find();
     });`,
    // A client returned by a scope function.
    {
      code: 'export const docs = (tenantId: string) => tenantClient(tenantId).document.findMany();',
      options: [{ scopeFunctions: ['tenantClient'] }],
    },
    // The scope function's own body is its implementation.
    `export async function withTenant<T>(tenantId: string, fn: (db: PoolClient) => Promise<T>): Promise<T> {
       const client = await pool.connect();
       await client.query('BEGIN');
       await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
       await client.query('SELECT count(*) FROM orders');
       return fn(client);
     }`,
    // A parameter of an ordinary function: its caller chooses the client.
    "export async function listOrders(db: PoolClient) { return db.query('SELECT * FROM orders'); }",
    "pool.on('connect', (client) => { client.query('SET statement_timeout = 5000'); });",
    // Only global tables, or no table at all.
    { code: "pool.query('SELECT name FROM tenants WHERE id = $1', [id]);", options: [{ globalTables: ['tenants'] }] },
    "pool.query('SELECT tenant_for_api_key($1) AS tenant_id', [rawKey]);",
    'sql`SELECT 1`;',
    'sql`SELECT tenant_by_slug(${slug}) AS id`;',
    { code: 'prisma.plan.findMany();', options: [{ globalTables: ['plan'] }] },
    // Not database calls.
    'map.delete(key);',
    'cache.update(key, value);',
    "router.query('page');",
    "import { sql } from 'drizzle-orm'; const filter = sql`${orders.tenantId} = ${tenantId}`;",
    // With migrations, a table they create without a tenant column or RLS is not tenant data.
    { code: "pool.query('SELECT code, name FROM countries');", filename: serviceFile('src/countries.ts') },
    // Options come from the rls-guard.config.json found above the file.
    { code: "inTenant(id, (db) => db.query('SELECT * FROM orders')); pool.query('SELECT * FROM plans');", filename: serviceFile('src/orders.ts') },
    // A transaction the code opens itself and sets the tenant in, transaction-locally, before the query.
    `await sql.begin(async (tx) => {
       await tx\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
       return tx\`SELECT * FROM orders\`;
     });`,
    `const client = await pool.connect();
     await client.query('BEGIN');
     await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
     await client.query('SELECT * FROM orders');`,
    // TypeORM: a query runner after startTransaction().
    `const queryRunner = dataSource.createQueryRunner();
     await queryRunner.startTransaction();
     await queryRunner.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
     await queryRunner.query('SELECT * FROM orders');`,
    // Apollo/GraphQL: an options object without node-postgres' \`text\` is not SQL.
    'const { data } = await client.query({ query: GET_USERS, variables: { id } });',
    // A schema change reads no rows: no-rls-bypass-in-app reports this one.
    "await knex.raw('ALTER TABLE orders NO FORCE ROW LEVEL SECURITY');",
    // Slonik: a transaction that sets the tenant first; a global table.
    `pool.transaction(async (trx) => {
       await trx.query(sql.unsafe\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`);
       return trx.any(sql.type(Order)\`SELECT * FROM orders\`);
     });`,
    { code: 'pool.any(sql.unsafe`SELECT id, name FROM plans`);', options: [{ globalTables: ['plans'] }] },
    // postgres.js: a reserved connection after BEGIN and a transaction-local tenant, before COMMIT.
    `const reserved = await sql.reserve();
     await reserved\`BEGIN\`;
     await reserved\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
     await reserved\`SELECT * FROM orders\`;`,
    // Kysely: a built query run on the transaction that set the tenant.
    `db.transaction().execute(async (trx) => {
       await sql\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`.execute(trx);
       return sql\`SELECT * FROM orders\`.execute(trx);
     });`,
    // Knex: `?` and `??` placeholders are bindings; `??` written out names the table.
    { code: "knex.raw('SELECT * FROM ?? WHERE id = ?', ['plans', id]);", options: [{ globalTables: ['plans'] }] },
    { code: "knex.select('id', 'name').from('plans');", options: [{ globalTables: ['plans'] }] },
    `const trx = await knex.transaction();
     await trx.raw('SELECT set_config(?, ?, true)', ['app.current_tenant', tenantId]);
     await trx('orders').select('*');`,
    // Prisma: the table of a model is read from schema.prisma (`Plan` is `@@map("plans")`, a global table).
    { code: 'prisma.plan.findMany();', filename: prismaApp('src/plans.ts') },
    // Without a schema, the model's singular and plural both stand for the table.
    { code: 'prisma.plan.findMany();', options: [{ globalTables: ['plans'] }] },
    // Prisma's $transaction array: the elements run in order in one transaction.
    "prisma.$transaction([prisma.$executeRaw`SELECT set_config('app.current_tenant', ${tenantId}, true)`, prisma.order.findMany()]);",
    // An interactive transaction that sets the tenant first.
    `prisma.$transaction(async (tx) => {
       await tx.$executeRaw\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
       return tx.order.findMany();
     });`,
    // A client extended by a scope function.
    { code: 'prisma.$extends(forTenant(tenantId)).order.findMany();', options: [{ scopeFunctions: ['forTenant'] }] },
    // Drizzle: a table object declared in the file names its table.
    { code: "const plans = pgTable('plans', { id: uuid('id') }); db.select().from(plans);", options: [{ globalTables: ['plans'] }] },
    // Text written out that does not parse as SQL is not a query.
    "client.query('{ orders { id } }');",
    "pool.query('users.list');",
    // Outside appPaths (default `src/**`): scripts, seeds and tooling query without a tenant on purpose.
    { code: "await pool.query('SELECT * FROM orders');", filename: 'scripts/backfill.ts' },
    { code: "await pool.query('SELECT * FROM orders');", filename: 'src/jobs/report.ts', options: [{ appPaths: ['src/api/**'] }] },
  ],
  invalid: [
    {
      code: `export async function countAllSnapshots() {
  const { rows } = await pool.query('SELECT count(*) FROM decision_snapshots');
  return rows[0].count;
}`,
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'pool', scopes: '`withTenant`', exemption: ' If `decision_snapshots` is shared by all tenants, list it in `globalTables`.' } }],
    },
    {
      code: 'export const revenue = () => sql`SELECT tenant_id, sum(amount_cents) FROM invoices GROUP BY tenant_id`;',
      errors: [{ messageId: 'unscoped', line: 1 }],
    },
    { code: 'await prisma.order.findMany();', errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: 'await prisma.$queryRaw`SELECT * FROM orders WHERE id = ${id}`;', errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await prisma.$executeRawUnsafe('DELETE FROM orders WHERE id = $1', id);", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: 'await db.select().from(orders).where(eq(orders.id, id));', errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: 'await db.execute(sql`SELECT * FROM orders`);', errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await db.selectFrom('orders').selectAll().execute();", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await knex('orders').where({ id });", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await dataSource.query('SELECT * FROM orders');", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: 'await pool.query(sql`SELECT * FROM orders`);', errors: [{ messageId: 'unscoped', line: 1 }] },
    // Dynamic SQL on a client: the tables cannot be known, so it is not exempt.
    { code: 'await pool.query(text, values);', errors: [{ messageId: 'unscoped', line: 1 }] },
    // A connection checked out of the global pool is not scoped.
    {
      code: `const client = await pool.connect();
await client.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'client', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // A transaction is not a tenant scope.
    { code: 'await prisma.$transaction(async (tx) => tx.order.findMany());', errors: [{ messageId: 'unscoped', line: 1 }] },
    // A transaction without the tenant set in it, or set only after the query, or at session level.
    { code: 'await sql.begin(async (tx) => tx`SELECT * FROM orders`);', errors: [{ messageId: 'unscoped', line: 1, data: { client: 'tx', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }] },
    {
      code: `await sql.begin(async (tx) => {
  await tx\`SELECT * FROM orders\`;
  await tx\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
});`,
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'tx', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    {
      code: `const client = await pool.connect();
await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await client.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 3, data: { client: 'client', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    {
      code: `const client = await pool.connect();
await client.query('BEGIN');
await client.query("SELECT set_config('app.current_tenant', $1, false)", [tenantId]);
await client.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 4, data: { client: 'client', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // The tenant set on another client does not scope this one.
    {
      code: `const client = await pool.connect();
await client.query('BEGIN');
await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await pool.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 4, data: { client: 'pool', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // Inside the scope, but on the global pool instead of the scoped client.
    {
      code: `export async function latestSnapshot(tenantId: string) {
  return withTenant(tenantId, async (db) => {
    const { rows } = await pool.query('SELECT payload FROM decision_snapshots LIMIT 1');
    return rows[0];
  });
}`,
      errors: [
        {
          messageId: 'globalClientInScope',
          line: 3,
          data: { client: 'pool', scoped: 'db', scope: 'withTenant', exemption: ' If `decision_snapshots` is shared by all tenants, list it in `globalTables`.' },
          suggestions: [
            {
              messageId: 'useScopedClient',
              data: { scoped: 'db' },
              output: `export async function latestSnapshot(tenantId: string) {
  return withTenant(tenantId, async (db) => {
    const { rows } = await db.query('SELECT payload FROM decision_snapshots LIMIT 1');
    return rows[0];
  });
}`,
            },
          ],
        },
      ],
    },
    {
      code: 'withTenant(tenantId, async (tx) => { await sql`UPDATE projects SET name = ${name}`; });',
      errors: [
        {
          messageId: 'globalClientInScope',
          line: 1,
          suggestions: [{ messageId: 'useScopedClient', output: 'withTenant(tenantId, async (tx) => { await tx`UPDATE projects SET name = ${name}`; });' }],
        },
      ],
    },
    // Options from the nearest rls-guard.config.json: scope function `inTenant`, global `plans`.
    {
      code: "pool.query('SELECT * FROM plans JOIN orders USING (plan_id)');",
      filename: serviceFile('src/orders.ts'),
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'pool', scopes: '`inTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // A client held by a class: reported as written.
    {
      code: `class OrderService {
  constructor(private prisma: PrismaClient) {}
  list() { return this.prisma.order.findMany(); }
}`,
      errors: [{ messageId: 'unscoped', line: 3, data: { client: 'this.prisma', scopes: '`withTenant`', exemption: ' If `order` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // A table the migrations never create may hold tenant rows.
    {
      code: "pool.query('SELECT * FROM audit_log');",
      filename: serviceFile('src/audit.ts'),
      errors: [{ messageId: 'unscoped', line: 1 }],
    },
    // Slonik's query methods take a query built by sql.type / sql.typeAlias / sql.unsafe.
    { code: 'await pool.any(sql.type(Order)`SELECT * FROM orders`);', errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await pool.oneFirst(sql.typeAlias('count')`SELECT count(*) FROM orders`);", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: 'const q = sql.unsafe`SELECT * FROM orders`;\nawait pool.maybeOne(q);', errors: [{ messageId: 'unscoped', line: 2 }] },
    { code: 'await pool.connect(async (connection) => connection.many(sql.unsafe`SELECT * FROM orders`));', errors: [{ messageId: 'unscoped', line: 1, data: { client: 'connection', scopes: '`withTenant`', exemption: only('orders') } }] },
    // postgres.js: a reserved connection is the pool's, not a tenant's.
    { code: 'const reserved = await sql.reserve();\nawait reserved`SELECT * FROM orders`;', errors: [{ messageId: 'unscoped', line: 2 }] },
    // Kysely: sql`...`.execute(db) runs on db.
    { code: 'await sql`SELECT * FROM orders`.execute(db);', errors: [{ messageId: 'unscoped', line: 1, data: { client: 'db', scopes: '`withTenant`', exemption: only('orders') } }] },
    // Knex: placeholders parse; the table comes from `from(...)` or a written-out `??`.
    { code: "await knex.raw('SELECT * FROM orders WHERE id = ?', [id]);", errors: [{ messageId: 'unscoped', line: 1, data: { client: 'knex', scopes: '`withTenant`', exemption: only('orders') } }] },
    { code: "await knex.raw('SELECT * FROM ?? WHERE id = ?', ['orders', id]);", errors: [{ messageId: 'unscoped', line: 1 }] },
    { code: "await knex.select('id').from('orders');", errors: [{ messageId: 'unscoped', line: 1 }] },
    // TypeORM: after commitTransaction() the tenant context is gone.
    {
      code: `const runner = dataSource.createQueryRunner();
await runner.startTransaction();
await runner.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await runner.commitTransaction();
await runner.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 5 }],
    },
    // Prisma: a model mapped to a tenant table, and a $transaction array with no tenant set first.
    { code: 'await prisma.orderItem.findMany();', filename: prismaApp('src/items.ts'), errors: [{ messageId: 'unscoped', line: 1, data: { client: 'prisma', scopes: '`withTenant`', exemption: only('order_items') } }] },
    { code: 'await prisma.$transaction([prisma.order.findMany()]);', errors: [{ messageId: 'unscoped', line: 1 }] },
    // The function the client came from is named for scopeFunctions.
    {
      code: 'await prisma.$extends(forTenant(tenantId)).order.findMany();',
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'prisma.$extends(forTenant(tenantId))', scopes: '`withTenant`', exemption: `${only('order')} If \`forTenant\` sets the tenant context, list it in \`scopeFunctions\`.` } }],
    },
    {
      code: "const db = tenantDatabase(tenantId);\nawait db.query('SELECT * FROM orders');",
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'db', scopes: '`withTenant`', exemption: `${only('orders')} If \`tenantDatabase\` sets the tenant context, list it in \`scopeFunctions\`.` } }],
    },
    // Recognized shapes are configurable.
    {
      code: "await warehouse.query('SELECT * FROM orders');",
      options: [{ clientNames: ['warehouse'] }],
      errors: [{ messageId: 'unscoped', line: 1 }],
    },
  ],
});
