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
  ],
  invalid: [
    { code: 'await client.query("SET ROLE postgres");', errors: [{ messageId: 'setRole', line: 1, data: { statement: 'SET ROLE' } }] },
    { code: 'await sql`SET LOCAL ROLE admin`;', errors: [{ messageId: 'setRole', line: 1 }] },
    {
      code: 'await client.query("SET SESSION AUTHORIZATION owner");',
      errors: [{ messageId: 'setRole', line: 1, data: { statement: 'SET SESSION AUTHORIZATION' } }],
    },
    {
      code: "await client.query(\"SELECT set_config('role', 'owner', false)\");",
      errors: [{ messageId: 'setRole', line: 1, data: { statement: "set_config('role', ...)" } }],
    },
    { code: 'await client.query("SET row_security = off");', errors: [{ messageId: 'rowSecurityOff', line: 1 }] },
    { code: "await prisma.$executeRawUnsafe(\"SET LOCAL row_security TO 'false'\");", errors: [{ messageId: 'rowSecurityOff', line: 1 }] },
    {
      code: "await client.query(\"SELECT set_config('app.bypass_rls', 'on', true)\");",
      errors: [{ messageId: 'bypassSetting', line: 1, data: { setting: 'app.bypass_rls' } }],
    },
    {
      code: "await tx`SET LOCAL app.admin_mode = 'on'`;",
      options: [{ bypassSettings: ['app.admin_mode'] }],
      errors: [{ messageId: 'bypassSetting', line: 1, data: { setting: 'app.admin_mode' } }],
    },
    {
      code: `await client.query(
  'ALTER TABLE orders DISABLE ROW LEVEL SECURITY',
);`,
      errors: [{ messageId: 'disableRls', line: 2, data: { command: 'DISABLE ROW LEVEL SECURITY', table: 'orders' } }],
    },
    {
      code: "await knex.raw('ALTER TABLE app.invoices NO FORCE ROW LEVEL SECURITY');",
      errors: [{ messageId: 'disableRls', line: 1, data: { command: 'NO FORCE ROW LEVEL SECURITY', table: 'app.invoices' } }],
    },
  ],
});
