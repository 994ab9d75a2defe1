import { noInterpolatedTenantContext } from '../../rules/ts/no-interpolated-tenant-context.js';
import { RuleTester } from './rule-tester.js';

const ruleTester = new RuleTester();

ruleTester.run('no-interpolated-tenant-context', noInterpolatedTenantContext, {
  valid: [
    "await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);",
    // A tagged template's ${} is a bind parameter.
    "await tx`SELECT set_config('app.current_tenant', ${tenantId}, true)`;",
    "await prisma.$executeRaw`SELECT set_config('app.current_tenant', ${tenantId}, true)`;",
    "await db.execute(sql`SELECT set_config('app.current_tenant', ${tenantId}, true)`);",
    "await client.query(\"SET LOCAL app.current_tenant = '00000000-0000-0000-0000-000000000000'\");",
    // Interpolating something that is not the tenant context.
    'await client.query(`SET statement_timeout = ${timeoutMs}`);',
    'await client.query(`SELECT * FROM ${table} WHERE id = $1`, [id]);',
  ],
  invalid: [
    {
      code: "await client.query(`SET LOCAL app.current_tenant = '${tenantId}'`);",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          data: { setting: 'app.current_tenant' },
          suggestions: [
            { messageId: 'useSetConfig', output: "await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);" },
          ],
        },
      ],
    },
    {
      code: "await client.query(\"SELECT set_config('app.current_tenant', '\" + tenantId + \"', true)\");",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [
            { messageId: 'useSetConfig', output: "await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);" },
          ],
        },
      ],
    },
    {
      code: "await prisma.$executeRawUnsafe(`SELECT set_config('app.current_tenant', '${tenantId}', true)`);",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [
            { messageId: 'useSetConfig', output: "await prisma.$executeRawUnsafe(\"SELECT set_config('app.current_tenant', $1, true)\", tenantId);" },
          ],
        },
      ],
    },
    {
      code: "await db.execute(sql.raw(`SET LOCAL app.current_tenant = '${tenantId}'`));",
      errors: [{ messageId: 'interpolated', line: 1, suggestions: [] }],
    },
    {
      code: "await tx`SELECT set_config('app.current_tenant', ${sql.unsafe(tenantId)}, true)`;",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await tx`SELECT set_config('app.current_tenant', ${tenantId}, true)`;" }],
        },
      ],
    },
    // SET takes no bind parameters: a syntax error at run time.
    {
      code: "await client.query('SET LOCAL app.current_tenant = $1', [tenantId]);",
      errors: [
        {
          messageId: 'bindParameterInSet',
          line: 1,
          suggestions: [
            { messageId: 'useSetConfig', output: "await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);" },
          ],
        },
      ],
    },
    {
      code: `await sql.begin(async (tx) => {
  await tx\`SET LOCAL app.current_tenant = \${tenantId}\`;
});`,
      errors: [
        {
          messageId: 'bindParameterInSet',
          line: 2,
          suggestions: [
            {
              messageId: 'useSetConfig',
              output: `await sql.begin(async (tx) => {
  await tx\`SELECT set_config('app.current_tenant', \${tenantId}, true)\`;
});`,
            },
          ],
        },
      ],
    },
    {
      code: 'await client.query(`SET app.tenant_id = ${tenantId}`);',
      options: [{ tenantSettings: ['app.tenant_id'] }],
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          data: { setting: 'app.tenant_id' },
          suggestions: [{ messageId: 'useSetConfig', output: "await client.query(\"SELECT set_config('app.tenant_id', $1, true)\", [tenantId]);" }],
        },
      ],
    },
    // Knex: `?` is a bind parameter, which SET does not take; the rewrite keeps Knex's `?`.
    {
      code: "await trx.raw('SET LOCAL app.current_tenant = ?', [tenantId]);",
      errors: [
        {
          messageId: 'bindParameterInSet',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await trx.raw(\"SELECT set_config('app.current_tenant', ?, true)\", [tenantId]);" }],
        },
      ],
    },
    {
      code: "await trx.raw(`SET LOCAL app.current_tenant = '${tenantId}'`);",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await trx.raw(\"SELECT set_config('app.current_tenant', ?, true)\", [tenantId]);" }],
        },
      ],
    },
    // sql.raw(...) pasted inside quotes: the suggestion binds the value instead.
    {
      code: "await db.execute(sql`SELECT set_config('app.current_tenant', '${sql.raw(tenantId)}', true)`);",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await db.execute(sql`SELECT set_config('app.current_tenant', ${tenantId}, true)`);" }],
        },
      ],
    },
    {
      code: "await prisma.$executeRaw`SELECT set_config('app.current_tenant', ${Prisma.raw(`'${tenantId}'`)}, true)`;",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await prisma.$executeRaw`SELECT set_config('app.current_tenant', ${tenantId}, true)`;" }],
        },
      ],
    },
    // postgres.js unsafe(text, values) takes bind parameters too.
    {
      code: "await tx.unsafe(`SELECT set_config('app.current_tenant', '${tenantId}', true)`);",
      errors: [
        {
          messageId: 'interpolated',
          line: 1,
          suggestions: [{ messageId: 'useSetConfig', output: "await tx.unsafe(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);" }],
        },
      ],
    },
  ],
});
