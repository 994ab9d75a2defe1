import { noLibpqOptions } from '../../rules/ts/no-libpq-options.js';
import { RuleTester } from './rule-tester.js';

const ruleTester = new RuleTester();

ruleTester.run('no-libpq-options', noLibpqOptions, {
  valid: [
    // Session settings go in the pool's connect handler.
    `export const pool = new pg.Pool({ connectionString: appUrl });
pool.on('connect', (client) => {
  client.query('SET statement_timeout = 5000').catch(() => client.release(true));
});`,
    // node-postgres' own statement_timeout option is a client-side setting, not a startup parameter.
    'new Pool({ connectionString: url, statement_timeout: 5000 });',
    "const url = 'postgres://app@db.internal:5432/app?sslmode=require';",
    "const info = 'host=db.internal dbname=app user=app';",
    // `options` of things that are not connection configs.
    "app.use(cors({ options: 'x' }));",
    "new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' });",
    "new Client({ host, options: { encrypt: true } });",
    "process.env.PGAPPNAME = 'worker';",
    "const help = 'pass options=-c to psql';",
    "const flag = 'options=verbose';",
    // A query string whose options are not startup options, and an object never used as a connection config.
    "const search = `${base}?options=full&page=2`;",
    "const base = { options: '-c statement_timeout=5000' }; render(base);",
  ],
  invalid: [
    {
      code: `import { Pool } from 'pg';

export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL,
  options: '-c statement_timeout=5000',
});
`,
      errors: [
        {
          messageId: 'configOptions',
          line: 5,
          data: { settings: ' (statement_timeout)' },
          suggestions: [
            {
              messageId: 'useConnectHandler',
              data: { settings: '`statement_timeout`', pool: 'pool' },
              output: `import { Pool } from 'pg';

export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL,
});

// RDS Proxy rejects the libpq options startup parameter, so session settings are set on connect.
pool.on('connect', (client) => {
  client.query("SET statement_timeout = 5000").catch((error) => client.emit('error', error));
});
`,
            },
          ],
        },
      ],
    },
    {
      code: "const pool = new pg.Pool({ options: '-c lock_timeout=1s --idle_in_transaction_session_timeout=10000', host });",
      errors: [
        {
          messageId: 'configOptions',
          line: 1,
          suggestions: [
            {
              messageId: 'useConnectHandler',
              output: `const pool = new pg.Pool({ host });

// RDS Proxy rejects the libpq options startup parameter, so session settings are set on connect.
pool.on('connect', (client) => {
  client.query("SET lock_timeout = '1s'; SET idle_in_transaction_session_timeout = 10000").catch((error) => client.emit('error', error));
});`,
            },
          ],
        },
      ],
    },
    // The tenant as a startup option: no connect-handler suggestion (a pooled connection is not one tenant's).
    {
      code: `export function connectAsTenant(user: string, password: string, tenantId: number) {
  return new Client({
    host: process.env.PGHOST,
    user,
    password,
    options: \`-c app.tenant_id=\${tenantId}\`,
  });
}`,
      errors: [{ messageId: 'configOptions', line: 6, data: { settings: '' }, suggestions: [] }],
    },
    { code: "const sql = postgres(url, { options: '-c search_path=app' });", errors: [{ messageId: 'configOptions', line: 1 }] },
    {
      code: "const db = knex({ client: 'pg', connection: { host, options: '-c statement_timeout=5000' } });",
      errors: [{ messageId: 'configOptions', line: 1 }],
    },
    {
      code: "new DataSource({ type: 'postgres', extra: { options: '-c statement_timeout=5000' } });",
      errors: [{ messageId: 'configOptions', line: 1 }],
    },
    {
      code: "const url = 'postgres://app@proxy.internal:5432/app?options=-c%20statement_timeout%3D5000';",
      errors: [{ messageId: 'connectionStringOptions', line: 1 }],
    },
    {
      code: 'const url = `postgresql://${user}:${password}@${host}/app?sslmode=require&options=-c%20search_path%3Dapp`;',
      errors: [{ messageId: 'connectionStringOptions', line: 1 }],
    },
    {
      code: "const info = \"host=proxy.internal dbname=app options='-c statement_timeout=5000'\";",
      errors: [{ messageId: 'connectionStringOptions', line: 1 }],
    },
    // postgres.js: options in a config held by a constant, passed or spread in.
    {
      code: "const base = { max: 10, options: '-c statement_timeout=5000' };\nexport const sql = postgres(url, { ...base, idle_timeout: 20 });",
      errors: [{ messageId: 'configOptions', line: 1, suggestions: [] }],
    },
    {
      code: "const config = { options: '-c lock_timeout=1s' } as const;\nexport const sql = postgres(url, config);",
      errors: [{ messageId: 'configOptions', line: 1, suggestions: [] }],
    },
    // A percent-encoded options parameter appended to a URL read elsewhere.
    {
      code: 'const url = `${process.env.DATABASE_APP_URL}?options=-c%20statement_timeout%3D5000`;',
      errors: [{ messageId: 'connectionStringOptions', line: 1 }],
    },
    {
      code: "const sql = postgres(process.env.DATABASE_APP_URL + '&options=-c%20lock_timeout%3D1s');",
      errors: [{ messageId: 'connectionStringOptions', line: 1 }],
    },
    { code: "url.searchParams.set('options', '-c statement_timeout=5000');", errors: [{ messageId: 'connectionStringOptions', line: 1 }] },
    // Removing the property keeps the comments around it where they were.
    {
      code: `export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL, // the app role
  // RDS Proxy in production
  options: '-c statement_timeout=5000', // 5 s
  max: 10,
});`,
      errors: [
        {
          messageId: 'configOptions',
          line: 4,
          suggestions: [
            {
              messageId: 'useConnectHandler',
              output: `export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL, // the app role
  // RDS Proxy in production
  // 5 s
  max: 10,
});

// RDS Proxy rejects the libpq options startup parameter, so session settings are set on connect.
pool.on('connect', (client) => {
  client.query("SET statement_timeout = 5000").catch((error) => client.emit('error', error));
});`,
            },
          ],
        },
      ],
    },
    {
      code: `const pool = new Pool({
  connectionString, // from the secret
  options: '-c statement_timeout=5000'
});`,
      errors: [
        {
          messageId: 'configOptions',
          line: 3,
          suggestions: [
            {
              messageId: 'useConnectHandler',
              output: `const pool = new Pool({
  connectionString // from the secret
});

// RDS Proxy rejects the libpq options startup parameter, so session settings are set on connect.
pool.on('connect', (client) => {
  client.query("SET statement_timeout = 5000").catch((error) => client.emit('error', error));
});`,
            },
          ],
        },
      ],
    },
    { code: "process.env.PGOPTIONS = '-c statement_timeout=5000';", errors: [{ messageId: 'pgOptionsVariable', line: 1 }] },
    { code: "process.env['PGOPTIONS'] = '-c statement_timeout=5000';", errors: [{ messageId: 'pgOptionsVariable', line: 1 }] },
    {
      code: "spawn('node', ['worker.js'], { env: { ...process.env, PGOPTIONS: '-c statement_timeout=5000' } });",
      errors: [{ messageId: 'pgOptionsVariable', line: 1 }],
    },
  ],
});
