/**
 * no-unscoped-query with type information: the receiver's type, not its name, decides what is a
 * database client (pg Pool, postgres.js Sql, PrismaClient, ...; configurable with `clientTypes`).
 */
import path from 'node:path';
import { noUnscopedQuery } from '../../rules/ts/no-unscoped-query.js';
import { RuleTester, serviceDir } from './rule-tester.js';

const typedDir = path.join(serviceDir, '..', 'typed');
const ruleTester = new RuleTester({
  languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: typedDir } },
});
// Under `src/`: the default `appPaths`, which no-unscoped-query checks.
const filename = 'src/file.ts';

ruleTester.run('no-unscoped-query (typed)', noUnscopedQuery, {
  valid: [
    // Named like a client, typed as a Map: not a database call.
    { code: "const db = new Map<string, string>(); db.delete('orders');", filename },
    // An HTTP client's query() is not SQL, whatever its argument says.
    {
      code: "declare const client: { query(q: string): Promise<unknown> }; await client.query('SELECT * FROM orders');",
      filename,
    },
    { code: "import { Pool } from 'pg'; declare const pool: Pool; await pool.query('SELECT 1');", filename },
  ],
  invalid: [
    // Typed as a pg Pool: a database client whatever its name.
    {
      code: "import { Pool } from 'pg'; declare const warehouse: Pool; await warehouse.query(text);\ndeclare const text: string;",
      filename,
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'warehouse', scopes: '`withTenant`', exemption: '' } }],
    },
    {
      code: "import pg from 'pg'; const reader = new pg.Pool(); const c = await reader.connect(); await c.query('SELECT * FROM orders');",
      filename,
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'c', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
    // clientTypes configures which types are clients.
    {
      code: "class Warehouse { query(q: string) { return q; } } const store = new Warehouse(); store.query('SELECT * FROM orders');",
      filename,
      options: [{ clientTypes: ['Warehouse'] }],
      errors: [{ messageId: 'unscoped', line: 1, data: { client: 'store', scopes: '`withTenant`', exemption: ' If `orders` is shared by all tenants, list it in `globalTables`.' } }],
    },
  ],
});
