import { tenantContextTransactionLocal } from '../../rules/ts/tenant-context-transaction-local.js';
import { RuleTester, serviceFile } from './rule-tester.js';

const ruleTester = new RuleTester();

ruleTester.run('tenant-context-transaction-local', tenantContextTransactionLocal, {
  valid: [
    // TypeORM: after the query runner's startTransaction().
    `const queryRunner = dataSource.createQueryRunner();
await queryRunner.startTransaction();
await queryRunner.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);`,
    // After BEGIN on the same client, transaction-local.
    `export async function withTenant(tenantId, fn) {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
  return fn(client);
}`,
    "await client.query(\"BEGIN; SET LOCAL app.current_tenant = '42'\");",
    // Inside a transaction callback: postgres.js, Prisma, Drizzle, Knex, Kysely.
    "sql.begin(async (tx) => { await tx`SELECT set_config('app.current_tenant', ${tenantId}, true)`; });",
    'prisma.$transaction([prisma.$executeRaw`SELECT set_config(\'app.current_tenant\', ${tenantId}, true)`, prisma.order.findMany()]);',
    "db.transaction(async (tx) => { await tx.execute(sql`SELECT set_config('app.current_tenant', ${tenantId}, true)`); });",
    "db.transaction().execute(async (trx) => { await sql`SELECT set_config('app.current_tenant', ${id}, true)`.execute(trx); });",
    // Inside the scope callback: the scope opened the transaction.
    "withTenant(id, async (db) => { await db.query(\"SELECT set_config('app.current_tenant', $1, true)\", [other]); });",
    // A client parameter: the caller opened (or did not open) the transaction.
    "export async function setTenant(client, id) { await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [id]); }",
    // Other settings are not the tenant context.
    "await pool.query('SET statement_timeout = 5000');",
    // The tenant setting named in rls-guard.config.json (here app.tenant).
    { code: "await pool.query(\"SET app.current_tenant = 'x'\");", filename: serviceFile('src/db.ts') },
  ],
  invalid: [
    {
      code: "const client = await pool.connect();\nawait client.query('BEGIN');\nawait client.query(\"SET app.current_tenant = '42'\");",
      errors: [
        {
          messageId: 'sessionLevel',
          line: 3,
          data: { setting: 'app.current_tenant' },
          suggestions: [
            { messageId: 'useTransactionLocal', output: "const client = await pool.connect();\nawait client.query('BEGIN');\nawait client.query(\"SELECT set_config('app.current_tenant', '42', true)\");" },
          ],
        },
      ],
    },
    {
      code: "const client = await pool.connect();\nawait client.query('BEGIN');\nawait client.query(\"SELECT set_config('app.current_tenant', $1, false)\", [tenantId]);",
      errors: [
        {
          messageId: 'sessionLevel',
          line: 3,
          suggestions: [
            { messageId: 'useTransactionLocal', output: "const client = await pool.connect();\nawait client.query('BEGIN');\nawait client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);" },
          ],
        },
      ],
    },
    {
      code: "await sql.begin(async (tx) => { await tx`SELECT set_config('app.current_tenant', ${tenantId}, 'off')`; });",
      errors: [
        {
          messageId: 'sessionLevel',
          line: 1,
          suggestions: [{ messageId: 'useTransactionLocal', output: "await sql.begin(async (tx) => { await tx`SELECT set_config('app.current_tenant', ${tenantId}, true)`; });" }],
        },
      ],
    },
    // Several statements: reported, but no rewrite of the whole text.
    {
      code: "await client.query(\"SET app.current_tenant = '42'; SELECT * FROM orders\");",
      errors: [{ messageId: 'sessionLevel', line: 1, suggestions: [] }],
    },
    // Transaction-local on the pool, in autocommit: gone before the next query.
    {
      code: `export async function listOrders(tenantId: string) {
  await pool.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
  return pool.query('SELECT * FROM orders');
}`,
      errors: [{ messageId: 'outsideTransaction', line: 2, data: { setting: 'app.current_tenant' } }],
    },
    // startTransaction() after the write does not cover it.
    {
      code: `const queryRunner = dataSource.createQueryRunner();
await queryRunner.query("SELECT set_config('app.current_tenant', $1, true)", [tenantId]);
await queryRunner.startTransaction();`,
      errors: [{ messageId: 'outsideTransaction', line: 2, data: { setting: 'app.current_tenant' } }],
    },
    // The scope implementation forgot BEGIN.
    {
      code: `export async function withTenant(tenantId, fn) {
  const client = await pool.connect();
  await client.query('SET LOCAL app.current_tenant = $1', [tenantId]);
  await client.query('BEGIN');
  return fn(client);
}`,
      errors: [{ messageId: 'outsideTransaction', line: 3 }],
    },
    {
      code: "await prisma.$executeRaw`SELECT set_config('app.current_tenant', ${tenantId}, true)`;",
      errors: [{ messageId: 'outsideTransaction', line: 1 }],
    },
    {
      code: "await pool.query(\"SET app.tenant = 'x'\");",
      filename: serviceFile('src/db.ts'),
      errors: [{ messageId: 'sessionLevel', line: 1, data: { setting: 'app.tenant' }, suggestions: [] }],
    },
    {
      code: "await pool.query(\"SET org.id TO '7'\");",
      options: [{ tenantSettings: ['org.id'] }],
      errors: [{ messageId: 'sessionLevel', line: 1, data: { setting: 'org.id' }, suggestions: [] }],
    },
    // On the pool, in autocommit: made transaction-local it would end with its own statement, so no suggestion.
    {
      code: "await pool.query(\"SET app.current_tenant = '42'\");",
      errors: [{ messageId: 'sessionLevel', line: 1, suggestions: [] }],
    },
    // A setting name given as a bind parameter is read from the values.
    {
      code: "await pool.query('SELECT set_config($1, $2, false)', ['app.current_tenant', tenantId]);",
      errors: [{ messageId: 'sessionLevel', line: 1, data: { setting: 'app.current_tenant' }, suggestions: [] }],
    },
  ],
});
