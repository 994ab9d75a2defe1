import { noUnscopedQuery } from '../../rules/ts/no-unscoped-query.js';
import { RuleTester, serviceFile } from './rule-tester.js';

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
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'pool', scopes: '`withTenant`' } }],
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
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'client', scopes: '`withTenant`' } }],
    },
    // A transaction is not a tenant scope.
    { code: 'await prisma.$transaction(async (tx) => tx.order.findMany());', errors: [{ messageId: 'unscoped', line: 1 }] },
    // A transaction without the tenant set in it, or set only after the query, or at session level.
    { code: 'await sql.begin(async (tx) => tx`SELECT * FROM orders`);', errors: [{ messageId: 'unscoped', line: 1, data: { client: 'tx', scopes: '`withTenant`' } }] },
    {
      code: `await sql.begin(async (tx) => {
  await tx\`SELECT * FROM orders\`;
  await tx\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
});`,
      errors: [{ messageId: 'unscoped', line: 2, data: { client: 'tx', scopes: '`withTenant`' } }],
    },
    {
      code: `const client = await pool.connect();
await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await client.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 3, data: { client: 'client', scopes: '`withTenant`' } }],
    },
    {
      code: `const client = await pool.connect();
await client.query('BEGIN');
await client.query("SELECT set_config('app.current_tenant', $1, false)", [tenantId]);
await client.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 4, data: { client: 'client', scopes: '`withTenant`' } }],
    },
    // The tenant set on another client does not scope this one.
    {
      code: `const client = await pool.connect();
await client.query('BEGIN');
await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await pool.query('SELECT * FROM orders');`,
      errors: [{ messageId: 'unscoped', line: 4, data: { client: 'pool', scopes: '`withTenant`' } }],
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
          data: { client: 'pool', scoped: 'db', scope: 'withTenant' },
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
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'pool', scopes: '`inTenant`' } }],
    },
    // A client held by a class: reported as written.
    {
      code: `class OrderService {
  constructor(private prisma: PrismaClient) {}
  list() { return this.prisma.order.findMany(); }
}`,
      errors: [{ messageId: 'unscoped', line: 3, data: { client: 'this.prisma', scopes: '`withTenant`' } }],
    },
    // A table the migrations never create may hold tenant rows.
    {
      code: "pool.query('SELECT * FROM audit_log');",
      filename: serviceFile('src/audit.ts'),
      errors: [{ messageId: 'unscoped', line: 1 }],
    },
    // Recognized shapes are configurable.
    {
      code: "await warehouse.query('SELECT * FROM orders');",
      options: [{ clientNames: ['warehouse'] }],
      errors: [{ messageId: 'unscoped', line: 1 }],
    },
  ],
});
