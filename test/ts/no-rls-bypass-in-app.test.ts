import { noRlsBypassInApp } from '../../rules/ts/no-rls-bypass-in-app.js';
import { RuleTester } from './rule-tester.js';

const ruleTester = new RuleTester();

ruleTester.run('no-rls-bypass-in-app', noRlsBypassInApp, {
  valid: [
    "await client.query(\"SELECT set_config('app.current_tenant', $1, true)\", [tenantId]);",
    'await client.query("SET statement_timeout = 5000");',
    'await client.query("SET row_security = on");',
    "await client.query(\"SELECT set_config('app.bypass_rls', 'off', true)\");",
    'await client.query("RESET ROLE");',
    // Switching down to a configured app role restricts rather than bypasses.
    { code: 'await client.query("SET ROLE app_user");', options: [{ appRoles: ['app_user'] }] },
    'await client.query("ALTER TABLE orders ENABLE ROW LEVEL SECURITY");',
    // Switching the bypass off, with the value as a bind parameter.
    "await pool.query('SELECT set_config($1, $2, true)', ['app.bypass_rls', 'off']);",
  ],
  invalid: [
    // Removing a call that only switches isolation off is the safe rewrite.
    {
      code: 'await client.query("SET ROLE postgres");',
      errors: [{ messageId: 'setRole', line: 1, data: { statement: 'SET ROLE' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    // With app roles configured, switching to one of them is another.
    {
      code: 'async function report() {\n  await sql`SET LOCAL ROLE admin`;\n  return sql`SELECT 1`;\n}',
      options: [{ appRoles: ['app_user'] }],
      errors: [
        {
          messageId: 'setRole',
          line: 2,
          suggestions: [
            { messageId: 'useAppRole', data: { role: 'app_user' }, output: 'async function report() {\n  await sql`SET LOCAL ROLE app_user`;\n  return sql`SELECT 1`;\n}' },
            { messageId: 'removeCall', output: 'async function report() {\n  return sql`SELECT 1`;\n}' },
          ],
        },
      ],
    },
    {
      code: 'await client.query("SET SESSION AUTHORIZATION owner");',
      errors: [{ messageId: 'setRole', line: 1, data: { statement: 'SET SESSION AUTHORIZATION' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    {
      code: "await client.query(\"SELECT set_config('role', 'owner', false)\");",
      errors: [{ messageId: 'setRole', line: 1, data: { statement: "set_config('role', ...)" }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    // The role given as a bind parameter is read from the values.
    {
      code: "const { rows } = await client.query('SELECT set_config($1, $2, false)', ['role', 'owner']);",
      errors: [{ messageId: 'setRole', line: 1, suggestions: [] }],
    },
    { code: 'await client.query("SET row_security = off");', errors: [{ messageId: 'rowSecurityOff', line: 1, suggestions: [{ messageId: 'removeCall', output: '' }] }] },
    {
      code: "await prisma.$executeRawUnsafe(\"SET LOCAL row_security TO 'false'\");",
      errors: [{ messageId: 'rowSecurityOff', line: 1, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    {
      code: "await client.query(\"SELECT set_config('app.bypass_rls', 'on', true)\");",
      errors: [{ messageId: 'bypassSetting', line: 1, data: { setting: 'app.bypass_rls' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    {
      code: "await pool.query('SELECT set_config($1, $2, false)', ['app.bypass_rls', 'on']);",
      errors: [{ messageId: 'bypassSetting', line: 1, data: { setting: 'app.bypass_rls' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    {
      code: "await tx`SET LOCAL app.admin_mode = 'on'`;",
      options: [{ bypassSettings: ['app.admin_mode'] }],
      errors: [{ messageId: 'bypassSetting', line: 1, data: { setting: 'app.admin_mode' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    // A statement that also reads rows is not removed.
    {
      code: "const rows = await client.query(\"SELECT set_config('app.bypass_rls', 'on', true), id FROM orders\");",
      errors: [{ messageId: 'bypassSetting', line: 1, suggestions: [] }],
    },
    {
      code: `await client.query(
  'ALTER TABLE orders DISABLE ROW LEVEL SECURITY',
);`,
      errors: [{ messageId: 'disableRls', line: 2, data: { command: 'DISABLE ROW LEVEL SECURITY', table: 'orders' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
    {
      code: "await knex.raw('ALTER TABLE app.invoices NO FORCE ROW LEVEL SECURITY');",
      errors: [{ messageId: 'disableRls', line: 1, data: { command: 'NO FORCE ROW LEVEL SECURITY', table: 'app.invoices' }, suggestions: [{ messageId: 'removeCall', output: '' }] }],
    },
  ],
});
