import { noOwnerDatabaseUrl } from '../../rules/ts/no-owner-database-url.js';
import { RuleTester, serviceFile } from './rule-tester.js';

const ruleTester = new RuleTester();
/** Without a config file the defaults apply: DATABASE_URL is the owner's, DATABASE_APP_URL the app's, src/** is app code. */
const app = 'src/db.ts';

ruleTester.run('no-owner-database-url', noOwnerDatabaseUrl, {
  valid: [
    { code: 'export const pool = new Pool({ connectionString: process.env.DATABASE_APP_URL });', filename: app },
    {
      code: `const appUrl = process.env.DATABASE_APP_URL;
if (!appUrl) throw new Error('DATABASE_APP_URL is not set');`,
      filename: app,
    },
    // Outside appPaths: migration scripts run as the owner.
    { code: 'const client = new pg.Client({ connectionString: process.env.DATABASE_URL });', filename: 'scripts/migrate.ts' },
    // Writing the variable (a test harness) is not reading it.
    { code: "process.env.DATABASE_URL = 'postgres://owner@localhost/test';", filename: app },
    { code: 'const url = process.env.REDIS_URL;', filename: app },
    // The config file above the file names the variables: here OWNER_URL is the owner's.
    { code: 'const url = process.env.DATABASE_URL;', filename: serviceFile('src/db.ts') },
    { code: 'const url = process.env.OWNER_URL;', filename: serviceFile('scripts/migrate.ts') },
    // Objects that are not the environment.
    { code: 'const config = loadConfig(); new Pool({ connectionString: config.DATABASE_URL });', filename: app },
    { code: "import { env } from 'node:process'; const e = settings; e.DATABASE_URL;", filename: app },
    { code: 'const env = process.env; new Pool({ connectionString: env.DATABASE_APP_URL });', filename: app },
  ],
  invalid: [
    {
      code: 'export const sql = postgres(process.env.DATABASE_URL!);',
      filename: app,
      errors: [
        {
          messageId: 'ownerUrl',
          line: 1,
          data: { variable: 'DATABASE_URL', appVars: '`DATABASE_APP_URL`' },
          suggestions: [{ messageId: 'useAppUrl', output: 'export const sql = postgres(process.env.DATABASE_APP_URL!);' }],
        },
      ],
    },
    {
      code: `export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL ?? process.env.DATABASE_URL,
});`,
      filename: app,
      errors: [
        {
          messageId: 'ownerUrlFallback',
          line: 2,
          suggestions: [
            {
              messageId: 'removeFallback',
              output: `export const pool = new Pool({
  connectionString: process.env.DATABASE_APP_URL,
});`,
            },
          ],
        },
      ],
    },
    {
      code: 'const url = appUrl || process.env.DATABASE_URL;',
      filename: app,
      errors: [{ messageId: 'ownerUrlFallback', line: 1, suggestions: [{ messageId: 'removeFallback', output: 'const url = appUrl;' }] }],
    },
    {
      code: "const url = process.env['DATABASE_URL'];",
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 1, suggestions: [{ messageId: 'useAppUrl', output: 'const url = process.env["DATABASE_APP_URL"];' }] }],
    },
    {
      code: 'const { DATABASE_URL: url, PORT } = process.env;',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 1, suggestions: [] }],
    },
    {
      code: 'const db = drizzle(import.meta.env.DATABASE_URL);',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 1, suggestions: [{ messageId: 'useAppUrl', output: 'const db = drizzle(import.meta.env.DATABASE_APP_URL);' }] }],
    },
    {
      code: 'const url = process.env.OWNER_URL;',
      filename: serviceFile('src/db.ts'),
      errors: [
        {
          messageId: 'ownerUrl',
          line: 1,
          data: { variable: 'OWNER_URL', appVars: '`APP_URL`' },
          suggestions: [{ messageId: 'useAppUrl', output: 'const url = process.env.APP_URL;' }],
        },
      ],
    },
    // The environment through a constant, a validator (zod, envalid, t3-env) or an env module.
    {
      code: 'const env = process.env;\nexport const pool = new Pool({ connectionString: env.DATABASE_URL });',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 2, suggestions: [{ messageId: 'useAppUrl', output: 'const env = process.env;\nexport const pool = new Pool({ connectionString: env.DATABASE_APP_URL });' }] }],
    },
    {
      code: "const env = envSchema.parse(process.env);\nexport const sql = postgres(env['DATABASE_URL']);",
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 2, suggestions: [{ messageId: 'useAppUrl', output: "const env = envSchema.parse(process.env);\nexport const sql = postgres(env[\"DATABASE_APP_URL\"]);" }] }],
    },
    {
      code: 'const { DATABASE_URL } = envSchema.safeParse(process.env).data;',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 1, suggestions: [] }],
    },
    {
      code: 'const env = cleanEnv(process.env, { DATABASE_URL: url() });\nconst pool = new Pool({ connectionString: env.DATABASE_URL });',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 2, suggestions: [{ messageId: 'useAppUrl', output: 'const env = cleanEnv(process.env, { DATABASE_URL: url() });\nconst pool = new Pool({ connectionString: env.DATABASE_APP_URL });' }] }],
    },
    {
      code: 'export const env = createEnv({ server: { DATABASE_URL: z.string() }, runtimeEnv: process.env });\nconst db = drizzle(env.DATABASE_URL);',
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 2, suggestions: [{ messageId: 'useAppUrl', output: 'export const env = createEnv({ server: { DATABASE_URL: z.string() }, runtimeEnv: process.env });\nconst db = drizzle(env.DATABASE_APP_URL);' }] }],
    },
    {
      code: "import { env } from '~/env';\nconst pool = new Pool({ connectionString: env.DATABASE_URL });",
      filename: app,
      errors: [{ messageId: 'ownerUrl', line: 2, suggestions: [{ messageId: 'useAppUrl', output: "import { env } from '~/env';\nconst pool = new Pool({ connectionString: env.DATABASE_APP_URL });" }] }],
    },
    {
      code: "const pool = new Pool({ connectionString: process.env['DATABASE_APP_URL'] || process.env['DATABASE_URL'] });",
      filename: app,
      errors: [{ messageId: 'ownerUrlFallback', line: 1, suggestions: [{ messageId: 'removeFallback', output: "const pool = new Pool({ connectionString: process.env['DATABASE_APP_URL'] });" }] }],
    },
    {
      code: 'const url = process.env.PRIMARY_URL;',
      filename: 'lib/db.ts',
      options: [{ ownerUrlVars: ['PRIMARY_URL'], appPaths: ['lib/**'] }],
      errors: [{ messageId: 'ownerUrl', line: 1, suggestions: [{ messageId: 'useAppUrl', output: 'const url = process.env.DATABASE_APP_URL;' }] }],
    },
  ],
});
