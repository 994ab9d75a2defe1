/**
 * Every SQL rule of the `rls-guard/sql` ESLint language, through ESLint's RuleTester: the cases
 * read like the rule docs' Incorrect/Correct examples, with exact locations. Rules that depend on
 * the migration history or on `rls-guard.config.json` are linted as real files of a temporary
 * project, so that the other migrations in the folder (and the config) are part of the analysis.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleTester } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';

// ESLint's RuleTester runs its cases through these hooks when the test framework has no globals.
Object.assign(RuleTester, { afterAll, describe, it, itOnly: it.only });

const rules = plugin.rules as Record<string, never>; // RuleTester's own types do not know the SQL language's rules
const ruleTester = new RuleTester({ plugins: { 'rls-guard': plugin }, language: 'rls-guard/sql' } as never);
/** A file in a directory that does not exist: analyzed alone, with the default config. */
const filename = '/virtual/project/migrations/001_init.sql';

const SQL_RULES = [
  'require-tenant-column',
  'require-rls',
  'require-force-rls',
  'require-tenant-policy',
  'require-with-check',
  'no-fail-open-policy',
  'security-definer-search-path',
  'security-definer-narrow',
  'no-bypass-role',
  'no-rls-disable',
  'view-security-invoker',
  'app-role-least-privilege',
  'storage-public-listing',
  'policy-initplan',
  'multiple-permissive-policies',
  'parse-error',
  'unverifiable-ddl',
] as const;
/** Off unless turned on: not in configs.recommended, in configs.strict. */
const OPT_IN_RULES: readonly string[] = ['policy-initplan', 'multiple-permissive-policies'];

const projects: string[] = [];
afterAll(() => {
  for (const root of projects) rmSync(root, { recursive: true, force: true });
});

/**
 * A real project on disk: `rls-guard.config.json` (with `config`) and `migrations/<name>` for each
 * migration. Returns the case for linting `lint`: its real path, and its text as the code.
 */
function project(migrations: Record<string, string>, lint: string, config: Record<string, unknown> = {}): { filename: string; code: string } {
  const root = mkdtempSync(join(tmpdir(), 'rls-guard-sql-rules-'));
  projects.push(root);
  writeFileSync(join(root, 'rls-guard.config.json'), JSON.stringify({ migrations: ['migrations'], ...config }, null, 2));
  mkdirSync(join(root, 'migrations'));
  for (const [name, text] of Object.entries(migrations)) writeFileSync(join(root, 'migrations', name), text);
  const code = migrations[lint];
  if (code === undefined) throw new Error(`no migration ${lint}`);
  return { filename: join(root, 'migrations', lint), code };
}

const lines = (...text: string[]) => text.join('\n');

const INVOICES = 'CREATE TABLE invoices (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, total numeric(12, 2) NOT NULL);';
const ENABLE = 'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;';
const FORCE = 'ALTER TABLE invoices FORCE ROW LEVEL SECURITY;';
const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";
const POLICY = lines('CREATE POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN})`, `  WITH CHECK (${PIN});`);
/** A tenant table done right: lines 1 to 6. */
const ISOLATED = lines(INVOICES, ENABLE, FORCE, POLICY);

describe('the SQL rules', () => {
  it('every SQL rule is an ESLint rule of the rls-guard/sql language, and is tested here', () => {
    for (const id of SQL_RULES) {
      expect(plugin.rules[id], id).toBeDefined();
      expect((plugin.rules[id] as { meta: { language?: string } }).meta.language).toBe('rls-guard/sql');
    }
    const sqlConfig = (plugin.configs.recommended as { language?: string; rules?: Record<string, unknown> }[])[0]!;
    expect(sqlConfig.language).toBe('rls-guard/sql');
    expect(Object.keys(sqlConfig.rules ?? {}).sort()).toEqual(SQL_RULES.filter((id) => !OPT_IN_RULES.includes(id)).map((id) => `rls-guard/${id}`).sort());
    const strict = (plugin.configs.strict as { language?: string; rules?: Record<string, unknown> }[])[0]!;
    expect(strict.rules).toEqual(Object.fromEntries(SQL_RULES.map((id) => [`rls-guard/${id}`, 'error'])));
    for (const id of OPT_IN_RULES) expect((plugin.rules[id] as { meta: { docs: { recommended: boolean } } }).meta.docs.recommended, id).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// require-tenant-column
// ---------------------------------------------------------------------------------------------

ruleTester.run('require-tenant-column', rules['require-tenant-column'], {
  valid: [
    { filename, code: ISOLATED },
    // tenants declared global
    project(
      {
        '001_init.sql': lines(
          'CREATE TABLE tenants (',
          '  id   uuid PRIMARY KEY,',
          '  name text NOT NULL',
          ');',
          '',
          'CREATE TABLE invoices (',
          '  id        uuid PRIMARY KEY,',
          '  tenant_id uuid NOT NULL REFERENCES tenants (id),',
          '  total     numeric(12, 2) NOT NULL',
          ');',
        ),
      },
      '001_init.sql',
      { globalTables: ['tenants'] },
    ),
    // the column is added, backfilled and required by a later migration
    project(
      {
        '001_projects.sql': lines('CREATE TABLE projects (', '  id   uuid PRIMARY KEY,', '  name text NOT NULL', ');'),
        '002_projects_tenant.sql': lines(
          'ALTER TABLE projects ADD COLUMN tenant_id uuid REFERENCES tenants (id);',
          "UPDATE projects SET tenant_id = '00000000-0000-0000-0000-000000000001';",
          'ALTER TABLE projects ALTER COLUMN tenant_id SET NOT NULL;',
        ),
      },
      '001_projects.sql',
      { globalTables: ['tenants'] },
    ),
  ],
  invalid: [
    {
      filename,
      code: lines(
        'CREATE TABLE tenants (',
        '  id   uuid PRIMARY KEY,',
        '  name text NOT NULL',
        ');',
        '',
        'CREATE TABLE projects (',
        '  id   uuid PRIMARY KEY,',
        '  name text NOT NULL',
        ');',
      ),
      errors: [
        { messageId: 'finding', line: 1, column: 1, endLine: 4, endColumn: 2, data: { message: 'Table public.tenants has no tenant column (`tenant_id`) and is not listed in globalTables: its rows belong to no tenant, so no policy can isolate them. Add the column, or list the table in globalTables if every tenant may share it.' } },
        { messageId: 'finding', line: 6, column: 1, endLine: 9, endColumn: 2 },
      ],
    },
    {
      ...project(
        {
          '001_invoices.sql': lines(
            'CREATE TABLE invoices (',
            '  id        uuid PRIMARY KEY,',
            '  tenant_id uuid REFERENCES tenants (id),',
            '  total     numeric(12, 2) NOT NULL',
            ');',
          ),
        },
        '001_invoices.sql',
        { globalTables: ['tenants'] },
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 5, endColumn: 2, data: { message: 'Tenant column public.invoices.tenant_id is nullable: rows with a NULL tenant belong to no tenant. Declare it NOT NULL.' } }],
    },
    // a later migration relaxes the column: reported there, not at the CREATE TABLE
    {
      ...project(
        {
          '001_invoices.sql': lines(
            'CREATE TABLE invoices (',
            '  id        uuid PRIMARY KEY,',
            '  tenant_id uuid NOT NULL REFERENCES tenants (id),',
            '  total     numeric(12, 2) NOT NULL',
            ');',
          ),
          '002_relax_invoices.sql': 'ALTER TABLE invoices ALTER COLUMN tenant_id DROP NOT NULL;',
        },
        '002_relax_invoices.sql',
        { globalTables: ['tenants'] },
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// require-rls
// ---------------------------------------------------------------------------------------------

const EVENTS = lines(
  'CREATE TABLE events (',
  '  id        bigint NOT NULL,',
  '  tenant_id uuid NOT NULL,',
  '  at        timestamptz NOT NULL',
  ') PARTITION BY RANGE (at);',
  'ALTER TABLE events ENABLE ROW LEVEL SECURITY;',
  'ALTER TABLE events FORCE ROW LEVEL SECURITY;',
  'CREATE POLICY events_tenant_isolation ON events',
  `  USING (${PIN})`,
  `  WITH CHECK (${PIN});`,
  '',
  'CREATE TABLE events_2025 PARTITION OF events',
  "  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
);

ruleTester.run('require-rls', rules['require-rls'], {
  valid: [
    { filename, code: ISOLATED },
    {
      filename,
      code: lines(
        EVENTS,
        'ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;',
        'ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;',
        'CREATE POLICY events_2025_tenant_isolation ON events_2025',
        `  USING (${PIN})`,
        `  WITH CHECK (${PIN});`,
      ),
    },
    // RLS enabled by a later migration
    project({ '001_invoices.sql': INVOICES, '002_isolation.sql': lines(ENABLE, FORCE, POLICY) }, '001_invoices.sql'),
  ],
  invalid: [
    {
      filename,
      code: lines(
        'CREATE TABLE invoices (',
        '  id        uuid PRIMARY KEY,',
        '  tenant_id uuid NOT NULL,',
        '  total     numeric(12, 2) NOT NULL',
        ');',
        POLICY,
        '-- The policy exists, but ENABLE ROW LEVEL SECURITY was forgotten: it is never applied.',
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 5, endColumn: 2, data: { message: 'Tenant table public.invoices never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant\'s rows. Add ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.' } }],
    },
    {
      filename,
      code: EVENTS,
      errors: [{ messageId: 'finding', line: 12, column: 1, endLine: 13, endColumn: 51, data: { message: 'Tenant table public.events_2025 never enables ROW LEVEL SECURITY: every role with SELECT sees every tenant\'s rows. It is a partition of public.events: queried directly, a partition applies only its own RLS, so the parent\'s policies do not protect it. Add ALTER TABLE public.events_2025 ENABLE ROW LEVEL SECURITY (and FORCE) with a tenant policy.' } }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// require-force-rls
// ---------------------------------------------------------------------------------------------

ruleTester.run('require-force-rls', rules['require-force-rls'], {
  valid: [
    { filename, code: ISOLATED },
    { filename, code: lines(INVOICES, 'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;', POLICY) },
    // history: FORCE added by a later migration clears the earlier file's finding
    project({ '001_invoices.sql': lines(INVOICES, ENABLE, POLICY), '002_force.sql': FORCE }, '001_invoices.sql'),
    // no RLS at all is require-rls's finding, not this rule's
    { filename, code: INVOICES },
  ],
  invalid: [
    {
      filename,
      code: lines(INVOICES, ENABLE, POLICY),
      errors: [{ messageId: 'finding', line: 2, column: 1, endLine: 2, endColumn: 47, data: { message: 'Tenant table public.invoices enables RLS without FORCE ROW LEVEL SECURITY: its owner (the role that ran the migrations) bypasses every policy, and so does an app or a view that runs as the owner. Add ALTER TABLE public.invoices FORCE ROW LEVEL SECURITY.' } }],
    },
    // history: a later migration forces another table; this one stays unforced
    {
      ...project(
        {
          '001_invoices.sql': lines(INVOICES, ENABLE, POLICY),
          '002_notes.sql': lines('CREATE TABLE notes (tenant_id uuid NOT NULL);', 'ALTER TABLE notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;'),
        },
        '001_invoices.sql',
      ),
      errors: [{ messageId: 'finding', line: 2, column: 1 }],
    },
    // history: the table comes from an earlier migration, the ENABLE without FORCE is in this one
    {
      ...project({ '001_invoices.sql': INVOICES, '002_enable.sql': lines(ENABLE, POLICY) }, '002_enable.sql'),
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 1, endColumn: 47 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// require-tenant-policy
// ---------------------------------------------------------------------------------------------

ruleTester.run('require-tenant-policy', rules['require-tenant-policy'], {
  valid: [
    { filename, code: ISOLATED },
    project(
      {
        '001_init.sql': lines(
          'CREATE ROLE app_rw NOLOGIN;',
          'CREATE ROLE app_user LOGIN IN ROLE app_rw;',
          '',
          INVOICES,
          ENABLE,
          FORCE,
          'CREATE POLICY invoices_tenant_isolation ON invoices TO app_rw',
          `  USING (${PIN})`,
          `  WITH CHECK (${PIN});`,
        ),
      },
      '001_init.sql',
      { appRoles: ['app_user'] },
    ),
    // the policy arrives in a later migration
    project({ '001_invoices.sql': lines(INVOICES, ENABLE, FORCE), '002_policy.sql': POLICY }, '001_invoices.sql'),
  ],
  invalid: [
    {
      filename,
      code: lines(INVOICES, ENABLE, FORCE),
      errors: [{ messageId: 'finding', line: 2, column: 1, endLine: 2, endColumn: 47 }],
    },
    {
      filename,
      code: lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices AS RESTRICTIVE', `  USING (${PIN})`, `  WITH CHECK (${PIN});`),
      errors: [{ messageId: 'finding', line: 2, column: 1, data: { message: 'Tenant table public.invoices has RLS enabled but no permissive policy that applies to any role (restrictive policies alone admit no rows): every query returns no rows and every write fails. Add a tenant policy.' } }],
    },
    {
      ...project(
        {
          '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_support_read ON invoices FOR SELECT TO support_agent', `  USING (${PIN});`, 'GRANT SELECT ON invoices TO app_user;'),
        },
        '001_invoices.sql',
        { appRoles: ['app_user'] },
      ),
      errors: [{ messageId: 'finding', line: 2, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// require-with-check
// ---------------------------------------------------------------------------------------------

ruleTester.run('require-with-check', rules['require-with-check'], {
  valid: [
    { filename, code: ISOLATED },
    {
      filename,
      code: lines(
        INVOICES,
        ENABLE,
        FORCE,
        'CREATE POLICY invoices_select ON invoices FOR SELECT',
        `  USING (${PIN});`,
        'CREATE POLICY invoices_insert ON invoices FOR INSERT',
        `  WITH CHECK (${PIN});`,
        'CREATE POLICY invoices_update ON invoices FOR UPDATE',
        `  USING (${PIN})`,
        `  WITH CHECK (${PIN});`,
        'CREATE POLICY invoices_delete ON invoices FOR DELETE',
        `  USING (${PIN});`,
      ),
    },
    // a WITH CHECK added later by ALTER POLICY
    project(
      {
        '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN});`),
        '002_invoices_with_check.sql': lines('ALTER POLICY invoices_tenant_isolation ON invoices', `  WITH CHECK (${PIN});`),
      },
      '001_invoices.sql',
    ),
  ],
  invalid: [
    {
      filename,
      code: lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN});`),
      errors: [{ messageId: 'finding', line: 4, column: 1, endLine: 5, endColumn: 66, data: { message: 'Policy invoices_tenant_isolation on public.invoices has no WITH CHECK: PostgreSQL silently reuses USING as the write check for ALL. State the write rule explicitly, e.g. WITH CHECK (tenant_id = current_setting(\'app.current_tenant\')::uuid).' } }],
    },
    {
      filename,
      code: lines(
        INVOICES,
        ENABLE,
        FORCE,
        'CREATE POLICY invoices_select ON invoices FOR SELECT',
        `  USING (${PIN});`,
        'CREATE POLICY invoices_insert ON invoices FOR INSERT;',
        'CREATE POLICY invoices_update ON invoices FOR UPDATE',
        `  USING (${PIN});`,
      ),
      errors: [
        { messageId: 'finding', line: 6, column: 1 },
        { messageId: 'finding', line: 7, column: 1 },
      ],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// no-fail-open-policy
// ---------------------------------------------------------------------------------------------

const ALLOW_ALL = lines('CREATE POLICY invoices_allow ON invoices', '  USING (true)', '  WITH CHECK (true);');
const RESTRICTIVE = lines('CREATE POLICY invoices_tenant_isolation ON invoices AS RESTRICTIVE', `  USING (${PIN})`, `  WITH CHECK (${PIN});`);

ruleTester.run('no-fail-open-policy', rules['no-fail-open-policy'], {
  valid: [
    { filename, code: ISOLATED },
    // a broad permissive policy narrowed by a restrictive one
    { filename, code: lines(INVOICES, ENABLE, FORCE, ALLOW_ALL, RESTRICTIVE) },
    // an admin policy for a role the app does not reach
    project(
      {
        '001_invoices.sql': lines(
          INVOICES,
          ENABLE,
          FORCE,
          'CREATE POLICY invoices_tenant_isolation ON invoices TO app_user',
          `  USING (${PIN})`,
          `  WITH CHECK (${PIN});`,
          'CREATE POLICY invoices_support ON invoices TO support_admin',
          '  USING (true)',
          '  WITH CHECK (true);',
        ),
      },
      '001_invoices.sql',
      { appRoles: ['app_user'] },
    ),
    // history: a later migration pins the policy this file created open
    project(
      {
        '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices', '  USING (true)', `  WITH CHECK (${PIN});`),
        '002_pin.sql': lines('ALTER POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN});`),
      },
      '001_invoices.sql',
    ),
  ],
  invalid: [
    {
      filename,
      code: lines(
        INVOICES,
        ENABLE,
        FORCE,
        'CREATE POLICY invoices_tenant_isolation ON invoices',
        `  USING (${PIN}`,
        "         OR current_setting('app.bypass_rls', true) = 'on')",
        `  WITH CHECK (${PIN});`,
      ),
      errors: [{ messageId: 'finding', line: 4, column: 1, endLine: 7, endColumn: 71, data: { message: 'Policy invoices_tenant_isolation on public.invoices lets the app reach other tenants\' rows for SELECT, UPDATE (rows it can reach), DELETE: an OR branch opens it: it tests the setting app.bypass_rls, which is not an identity setting: any session that sets it (SET app.bypass_rls = ...) reaches every tenant\'s rows. Pin it to the session, e.g. tenant_id = current_setting(\'app.current_tenant\')::uuid, or pair it with a RESTRICTIVE policy that does.' } }],
    },
    {
      filename,
      code: lines(
        INVOICES,
        ENABLE,
        FORCE,
        'CREATE POLICY invoices_tenant_isolation ON invoices',
        "  USING (current_setting('app.current_tenant', true) IS NULL",
        "         OR tenant_id = current_setting('app.current_tenant', true)::uuid)",
        `  WITH CHECK (${PIN});`,
      ),
      errors: [{ messageId: 'finding', line: 4, column: 1 }],
    },
    {
      filename,
      code: lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN})`, '  WITH CHECK (true);'),
      errors: [{ messageId: 'finding', line: 4, column: 1, data: { message: 'Policy invoices_tenant_isolation on public.invoices lets the app reach other tenants\' rows for INSERT (WITH CHECK), UPDATE (new rows): `true` admits every row. Pin it to the session, e.g. tenant_id = current_setting(\'app.current_tenant\')::uuid, or pair it with a RESTRICTIVE policy that does.' } }],
    },
    // only the admin policy (PUBLIC, no role named) is reported
    {
      filename,
      code: lines(ISOLATED, 'CREATE POLICY invoices_admin ON invoices', '  USING (true)', '  WITH CHECK (true);'),
      errors: [{ messageId: 'finding', line: 7, column: 1, endLine: 9, endColumn: 20 }],
    },
    // history: a later migration drops the restrictive policy, and this file's permissive one opens the table
    {
      ...project({ '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, ALLOW_ALL, RESTRICTIVE), '002_simplify_policies.sql': 'DROP POLICY invoices_tenant_isolation ON invoices;' }, '001_invoices.sql'),
      errors: [{ messageId: 'finding', line: 4, column: 1, endLine: 6, endColumn: 20 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// security-definer-search-path
// ---------------------------------------------------------------------------------------------

const TENANTS = 'CREATE TABLE tenants (id uuid PRIMARY KEY, subdomain text NOT NULL UNIQUE);';
const REVOKE_LOOKUP = 'REVOKE EXECUTE ON FUNCTION tenant_id_for_subdomain(text) FROM PUBLIC;';
const lookup = (...options: string[]) =>
  lines(
    TENANTS,
    '',
    'CREATE FUNCTION tenant_id_for_subdomain(p_subdomain text) RETURNS uuid',
    '  LANGUAGE sql STABLE SECURITY DEFINER',
    ...options,
    'AS $$',
    '  SELECT id FROM tenants WHERE subdomain = p_subdomain',
    '$$;',
    REVOKE_LOOKUP,
  );

ruleTester.run('security-definer-search-path', rules['security-definer-search-path'], {
  valid: [
    {
      filename,
      code: lines(
        TENANTS,
        '',
        'CREATE FUNCTION tenant_id_for_subdomain(p_subdomain text) RETURNS uuid',
        '  LANGUAGE sql STABLE SECURITY DEFINER',
        '  SET search_path = public, pg_temp',
        'AS $$',
        '  SELECT id FROM public.tenants WHERE subdomain = p_subdomain',
        '$$;',
        REVOKE_LOOKUP,
      ),
    },
    {
      filename,
      code: lines(
        TENANTS,
        '',
        'CREATE FUNCTION tenant_id_for_subdomain(p_subdomain text) RETURNS uuid',
        '  LANGUAGE sql STABLE SECURITY DEFINER',
        "  SET search_path = ''",
        'AS $$',
        '  SELECT id FROM public.tenants WHERE subdomain = p_subdomain',
        '$$;',
        REVOKE_LOOKUP,
      ),
    },
    // history: a later migration pins the path of the function this file created
    project(
      { '001_tenant_lookup.sql': lookup(), '002_pin_search_path.sql': 'ALTER FUNCTION tenant_id_for_subdomain(text) SET search_path = public, pg_temp;' },
      '001_tenant_lookup.sql',
    ),
  ],
  invalid: [
    {
      filename,
      code: lookup(),
      errors: [{ messageId: 'finding', line: 3, column: 1, endLine: 7, endColumn: 3, data: { message: 'SECURITY DEFINER function public.tenant_id_for_subdomain(text) does not pin search_path: it runs with the caller\'s search_path, so a caller\'s temporary table named `tenants` is read instead of the real one, and a caller can shadow any name it resolves. Add SET search_path = pg_catalog, pg_temp (pg_temp explicitly last) and schema-qualify every name.' } }],
    },
    {
      filename,
      code: lines(
        TENANTS,
        '',
        'CREATE FUNCTION tenant_id_for_subdomain(p_subdomain text) RETURNS uuid',
        '  LANGUAGE plpgsql STABLE SECURITY DEFINER',
        '  SET search_path = public',
        'AS $$',
        'BEGIN',
        '  RETURN (SELECT id FROM tenants WHERE subdomain = p_subdomain);',
        'END',
        '$$;',
        REVOKE_LOOKUP,
      ),
      errors: [{ messageId: 'finding', line: 3, column: 1, data: { message: 'SECURITY DEFINER function public.tenant_id_for_subdomain(text) sets search_path = public without pg_temp last: the unqualified `tenants` resolves to a caller\'s temporary table first, so a caller can feed it forged rows. Add SET search_path = pg_catalog, pg_temp (pg_temp explicitly last) and schema-qualify every name.' } }],
    },
    {
      filename,
      code: lookup("  SET search_path = ''"),
      errors: [{ messageId: 'finding', line: 3, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// security-definer-narrow
// ---------------------------------------------------------------------------------------------

const APP_POLICY = (table: string) =>
  lines(`CREATE POLICY ${table}_tenant_isolation ON ${table} TO app_user`, `  USING (${PIN})`, `  WITH CHECK (${PIN});`);
const API_KEYS = lines(
  'CREATE TABLE api_keys (key_hash text PRIMARY KEY, tenant_id uuid NOT NULL, revoked_at timestamptz);',
  'ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;',
  APP_POLICY('api_keys'),
);
const INVOICES_FOR_APP = lines(INVOICES, 'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;', APP_POLICY('invoices'));
const TENANT_FOR_API_KEY = lines(
  'CREATE FUNCTION public.tenant_for_api_key(p_key_hash text) RETURNS uuid',
  '  LANGUAGE sql STABLE SECURITY DEFINER',
  '  SET search_path = public, pg_temp',
  'AS $$',
  '  SELECT tenant_id FROM public.api_keys WHERE key_hash = p_key_hash AND revoked_at IS NULL',
  '$$;',
);
const invoiceTotal = (argType: string, execute: string) =>
  lines(
    `CREATE FUNCTION public.invoice_total(p_id ${argType}) RETURNS numeric`,
    '  LANGUAGE plpgsql STABLE SECURITY DEFINER',
    '  SET search_path = public, pg_temp',
    'AS $$',
    'DECLARE result numeric;',
    'BEGIN',
    `  ${execute}`,
    '  RETURN result;',
    'END',
    '$$;',
    `REVOKE EXECUTE ON FUNCTION public.invoice_total(${argType}) FROM PUBLIC;`,
    `GRANT EXECUTE ON FUNCTION public.invoice_total(${argType}) TO app_user;`,
  );

ruleTester.run('security-definer-narrow', rules['security-definer-narrow'], {
  valid: [
    {
      filename,
      code: lines(
        'CREATE ROLE api_key_resolver NOLOGIN;',
        '',
        API_KEYS,
        'CREATE POLICY api_keys_resolve ON api_keys FOR SELECT TO api_key_resolver',
        '  USING (revoked_at IS NULL);',
        'GRANT SELECT ON api_keys TO api_key_resolver;',
        '',
        TENANT_FOR_API_KEY,
        'ALTER FUNCTION public.tenant_for_api_key(text) OWNER TO api_key_resolver;',
        'REVOKE EXECUTE ON FUNCTION public.tenant_for_api_key(text) FROM PUBLIC;',
        'GRANT EXECUTE ON FUNCTION public.tenant_for_api_key(text) TO app_user;',
      ),
    },
    { filename, code: lines(INVOICES_FOR_APP, '', invoiceTotal('uuid', "EXECUTE 'SELECT total FROM public.invoices WHERE id = $1' INTO result USING p_id;")) },
    // history: EXECUTE revoked from PUBLIC by a later migration
    project(
      { '001_api_keys.sql': lines(API_KEYS, '', TENANT_FOR_API_KEY), '002_revoke.sql': 'REVOKE EXECUTE ON FUNCTION public.tenant_for_api_key(text) FROM PUBLIC;' },
      '001_api_keys.sql',
    ),
  ],
  invalid: [
    {
      filename,
      code: lines(API_KEYS, '', TENANT_FOR_API_KEY),
      errors: [{ messageId: 'finding', line: 7, column: 1, endLine: 12, endColumn: 3, data: { message: 'SECURITY DEFINER function public.tenant_for_api_key(text) bypasses RLS and is not narrow: EXECUTE is not revoked from PUBLIC, so every role can call it (REVOKE EXECUTE ... FROM PUBLIC, then GRANT it to the app role).' } }],
    },
    {
      filename,
      code: lines(INVOICES_FOR_APP, '', invoiceTotal('text', "EXECUTE 'SELECT total FROM public.invoices WHERE id = ''' || p_id || '''' INTO result;")),
      errors: [{ messageId: 'finding', line: 7, column: 1, data: { message: 'SECURITY DEFINER function public.invoice_total(text) runs SQL built from its input with its owner\'s rights, past RLS: app_user can inject SQL that reads or changes every tenant\'s rows. Problems: it builds dynamic SQL from input (EXECUTE \'SELECT total FROM public.invoices WHERE id = \'\'\' || p_id || \'\'\'\'); use EXECUTE ... USING or format(\'%I\', \'%L\').' } }],
    },
    {
      filename,
      code: lines(
        INVOICES_FOR_APP,
        '',
        'CREATE FUNCTION public.all_invoices() RETURNS SETOF invoices',
        '  LANGUAGE sql STABLE SECURITY DEFINER',
        '  SET search_path = public, pg_temp',
        'AS $$',
        '  SELECT * FROM public.invoices',
        '$$;',
        'REVOKE EXECUTE ON FUNCTION public.all_invoices() FROM PUBLIC;',
        'GRANT EXECUTE ON FUNCTION public.all_invoices() TO app_user;',
      ),
      errors: [{ messageId: 'finding', line: 7, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// no-bypass-role
// ---------------------------------------------------------------------------------------------

ruleTester.run('no-bypass-role', rules['no-bypass-role'], {
  valid: [
    { filename, code: 'CREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS;' },
    // allowBypassRoles allows the migration role
    project(
      {
        '001_roles.sql': lines(
          'CREATE ROLE migrator LOGIN BYPASSRLS;',
          'CREATE ROLE app_user LOGIN NOSUPERUSER NOBYPASSRLS;',
          '',
          INVOICES,
          'ALTER TABLE invoices OWNER TO migrator;',
          ENABLE,
          FORCE,
          'CREATE POLICY invoices_tenant_isolation ON invoices TO app_user',
          `  USING (${PIN})`,
          `  WITH CHECK (${PIN});`,
          'GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;',
        ),
      },
      '001_roles.sql',
      { appRoles: ['app_user'], allowBypassRoles: ['migrator'] },
    ),
    // history: a later migration takes BYPASSRLS away
    project({ '001_roles.sql': 'CREATE ROLE reporting LOGIN BYPASSRLS;', '002_roles.sql': 'ALTER ROLE reporting NOBYPASSRLS;' }, '001_roles.sql'),
  ],
  invalid: [
    {
      filename,
      code: 'CREATE ROLE app_user LOGIN BYPASSRLS;',
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 1, endColumn: 37, data: { message: 'Role app_user is BYPASSRLS: it bypasses row-level security on every table, FORCE included. Remove the attribute, or list the role in allowBypassRoles if it is a migration or admin role.' } }],
    },
    // the same role as the allowed one above, without allowBypassRoles
    {
      ...project({ '001_roles.sql': 'CREATE ROLE migrator LOGIN BYPASSRLS;' }, '001_roles.sql', { appRoles: ['app_user'] }),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
    // membership of an allowed bypass role is still reported
    {
      ...project(
        { '001_roles.sql': lines('CREATE ROLE migrator LOGIN BYPASSRLS;', 'CREATE ROLE app_user LOGIN;', 'GRANT migrator TO app_user;') },
        '001_roles.sql',
        { appRoles: ['app_user'], allowBypassRoles: ['migrator'] },
      ),
      errors: [{ messageId: 'finding', line: 3, column: 1, endLine: 3, endColumn: 27, data: { message: 'App role app_user is a member of migrator, which bypasses row-level security: SET ROLE migrator turns every policy off for the application.' } }],
    },
    // an app role owning a tenant table
    {
      ...project({ '001_invoices.sql': lines('CREATE ROLE app_user LOGIN;', ISOLATED, 'ALTER TABLE invoices OWNER TO app_user;') }, '001_invoices.sql', { appRoles: ['app_user'] }),
      errors: [{ messageId: 'finding', line: 8, column: 1 }],
    },
    // history: the grant is in this file, the bypass attribute is given by a later migration
    {
      ...project(
        { '001_roles.sql': lines('CREATE ROLE ops NOLOGIN;', 'CREATE ROLE app_user LOGIN;', 'GRANT ops TO app_user;'), '002_ops.sql': 'ALTER ROLE ops BYPASSRLS;' },
        '001_roles.sql',
        { appRoles: ['app_user'], allowBypassRoles: ['ops'] },
      ),
      errors: [{ messageId: 'finding', line: 3, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// no-rls-disable
// ---------------------------------------------------------------------------------------------

ruleTester.run('no-rls-disable', rules['no-rls-disable'], {
  valid: [
    { filename, code: ISOLATED },
    // replacing a policy: drop it and create it again under the same name
    project(
      {
        '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_tenant_isolation ON invoices', `  USING (${PIN});`),
        '002_invoices_with_check.sql': lines('DROP POLICY invoices_tenant_isolation ON invoices;', POLICY),
      },
      '002_invoices_with_check.sql',
    ),
    // a backfill that runs as a role allowed to bypass RLS
    project(
      {
        '001_invoices.sql': lines('CREATE ROLE migrator NOLOGIN BYPASSRLS;', ISOLATED, 'GRANT SELECT, UPDATE ON invoices TO migrator;'),
        '002_backfill_totals.sql': lines('SET ROLE migrator;', 'UPDATE invoices SET total = 0 WHERE total IS NULL;', 'RESET ROLE;'),
      },
      '002_backfill_totals.sql',
      { allowBypassRoles: ['migrator'] },
    ),
    // history: disabled here, enabled again by a later migration
    project(
      {
        '001_invoices.sql': ISOLATED,
        '002_backfill_totals.sql': lines('ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;', 'UPDATE invoices SET total = 0 WHERE total IS NULL;'),
        '003_reenable.sql': ENABLE,
      },
      '002_backfill_totals.sql',
    ),
  ],
  invalid: [
    {
      ...project(
        {
          '001_invoices.sql': ISOLATED,
          '002_backfill_totals.sql': lines('ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;', 'UPDATE invoices SET total = 0 WHERE total IS NULL;'),
        },
        '002_backfill_totals.sql',
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 1, endColumn: 48, data: { message: 'DISABLE ROW LEVEL SECURITY leaves tenant table public.invoices without RLS: every role with SELECT sees every tenant\'s rows. Keep RLS on; fix the policy instead.' } }],
    },
    {
      ...project({ '001_invoices.sql': ISOLATED, '002_reporting.sql': 'ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY;' }, '002_reporting.sql'),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
    {
      ...project(
        { '001_invoices.sql': lines(INVOICES, ENABLE, FORCE, ALLOW_ALL, RESTRICTIVE), '002_simplify_policies.sql': 'DROP POLICY invoices_tenant_isolation ON invoices;' },
        '002_simplify_policies.sql',
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1, endLine: 1, endColumn: 50 }],
    },
    {
      ...project({ '001_invoices.sql': ISOLATED, '002_admin_export.sql': 'ALTER TABLE invoices SET (row_security = off);' }, '002_admin_export.sql'),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
    // within one file
    {
      filename,
      code: lines(ISOLATED, 'ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;'),
      errors: [{ messageId: 'finding', line: 7, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// view-security-invoker
// ---------------------------------------------------------------------------------------------

const INVOICES_PAID = lines(
  'CREATE TABLE invoices (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, total numeric(12, 2) NOT NULL, paid_at timestamptz);',
  ENABLE,
  FORCE,
  POLICY,
);

ruleTester.run('view-security-invoker', rules['view-security-invoker'], {
  valid: [
    { filename, code: lines(INVOICES_PAID, '', 'CREATE VIEW unpaid_invoices WITH (security_invoker = true) AS', '  SELECT id, tenant_id, total FROM invoices WHERE paid_at IS NULL;') },
    {
      filename,
      code: lines(
        INVOICES_PAID,
        '',
        'CREATE TABLE monthly_revenue (',
        '  tenant_id uuid NOT NULL,',
        '  month     date NOT NULL,',
        '  revenue   numeric(14, 2) NOT NULL,',
        '  PRIMARY KEY (tenant_id, month)',
        ');',
        'ALTER TABLE monthly_revenue ENABLE ROW LEVEL SECURITY;',
        'ALTER TABLE monthly_revenue FORCE ROW LEVEL SECURITY;',
        'CREATE POLICY monthly_revenue_tenant_isolation ON monthly_revenue',
        `  USING (${PIN})`,
        `  WITH CHECK (${PIN});`,
      ),
    },
    // history: a later migration makes the view security_invoker
    project(
      {
        '001_invoices.sql': lines(INVOICES_PAID, 'CREATE VIEW unpaid_invoices AS', '  SELECT id, tenant_id, total FROM invoices WHERE paid_at IS NULL;'),
        '002_unpaid_invoices_invoker.sql': 'ALTER VIEW unpaid_invoices SET (security_invoker = true);',
      },
      '001_invoices.sql',
    ),
  ],
  invalid: [
    {
      filename,
      code: lines(INVOICES_PAID, '', 'CREATE VIEW unpaid_invoices AS', '  SELECT id, tenant_id, total FROM invoices WHERE paid_at IS NULL;'),
      errors: [{ messageId: 'finding', line: 8, column: 1, endLine: 9, endColumn: 66, data: { message: 'View public.unpaid_invoices reads tenant table public.invoices with the rights and policies of its owner (the role that ran the migrations), not the app\'s: it is filtered only while the owner stays subject to RLS (FORCE kept, migrations never run as a superuser or BYPASSRLS role). Create it WITH (security_invoker = true).' } }],
    },
    {
      filename,
      code: lines(
        INVOICES_PAID,
        '',
        'CREATE MATERIALIZED VIEW monthly_revenue AS',
        "  SELECT tenant_id, date_trunc('month', paid_at) AS month, sum(total) AS revenue",
        '  FROM invoices',
        '  WHERE paid_at IS NOT NULL',
        '  GROUP BY 1, 2;',
      ),
      errors: [{ messageId: 'finding', line: 8, column: 1, data: { message: 'Materialized view public.monthly_revenue copies tenant table public.invoices: it stores the rows its creator could see, and RLS never filters a materialized view. Use a view WITH (security_invoker = true), or a per-tenant table with its own policy.' } }],
    },
    // history: the view is fine here, a later migration turns security_invoker off
    {
      ...project(
        {
          '001_invoices.sql': INVOICES_PAID,
          '002_view.sql': lines('CREATE VIEW unpaid_invoices WITH (security_invoker = true) AS', '  SELECT id, tenant_id, total FROM invoices WHERE paid_at IS NULL;'),
          '003_view_off.sql': 'ALTER VIEW unpaid_invoices SET (security_invoker = false);',
        },
        '003_view_off.sql',
      ),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// app-role-least-privilege
// ---------------------------------------------------------------------------------------------

ruleTester.run('app-role-least-privilege', rules['app-role-least-privilege'], {
  valid: [
    project({ '001_invoices.sql': lines(ISOLATED, 'GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;') }, '001_invoices.sql', { appRoles: ['app_user'] }),
    // history: a later migration takes back what GRANT ALL gave
    project(
      { '001_invoices.sql': lines(ISOLATED, 'GRANT ALL ON invoices TO app_user;'), '002_least_privilege.sql': 'REVOKE TRUNCATE, REFERENCES, TRIGGER ON invoices FROM app_user;' },
      '001_invoices.sql',
      { appRoles: ['app_user'] },
    ),
    // with no appRoles, grants to named roles are not checked
    { filename, code: lines(ISOLATED, 'GRANT ALL ON invoices TO app_user;') },
  ],
  invalid: [
    {
      ...project({ '001_invoices.sql': lines(ISOLATED, 'GRANT ALL ON invoices TO app_user;') }, '001_invoices.sql', { appRoles: ['app_user'] }),
      errors: [{ messageId: 'finding', line: 7, column: 1, endLine: 7, endColumn: 34, data: { message: 'app role app_user is granted TRUNCATE, REFERENCES, TRIGGER on tenant table public.invoices (GRANT ALL includes them): TRUNCATE ignores row-level security and removes every tenant\'s rows; REFERENCES lets foreign keys probe for other tenants\' keys; TRIGGER lets the role run code on every tenant\'s writes. Grant only SELECT, INSERT, UPDATE, DELETE.' } }],
    },
    {
      ...project({ '001_invoices.sql': lines('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO app_user;', '', ISOLATED) }, '001_invoices.sql', { appRoles: ['app_user'] }),
      errors: [{ messageId: 'finding', line: 1, column: 1 }],
    },
    // PUBLIC is checked with or without appRoles
    {
      filename,
      code: lines(ISOLATED, 'GRANT SELECT, TRUNCATE ON invoices TO PUBLIC;'),
      errors: [{ messageId: 'finding', line: 7, column: 1, data: { message: 'PUBLIC is granted TRUNCATE on tenant table public.invoices: TRUNCATE ignores row-level security and removes every tenant\'s rows. Grant only SELECT, INSERT, UPDATE, DELETE.' } }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// parse-error
// ---------------------------------------------------------------------------------------------

ruleTester.run('parse-error', rules['parse-error'], {
  valid: [
    {
      filename,
      code: lines(
        INVOICES,
        ENABLE,
        FORCE,
        'CREATE POLICY invoices_select ON invoices FOR SELECT',
        `  USING (${PIN});`,
        'CREATE POLICY invoices_update ON invoices FOR UPDATE',
        `  USING (${PIN})`,
        `  WITH CHECK (${PIN});`,
      ),
    },
    // psql meta-commands and variables are understood
    { filename, code: lines('\\set tenant_table invoices', 'SELECT count(*) FROM :tenant_table;', "SELECT set_config('app.current_tenant', :'tenant', true);") },
  ],
  invalid: [
    {
      filename,
      code: lines(INVOICES, ENABLE, FORCE, 'CREATE POLICY invoices_read_write ON invoices FOR SELECT, UPDATE', `  USING (${PIN});`),
      errors: [{ messageId: 'finding', line: 4, column: 57, endLine: 4, endColumn: 57, data: { message: 'PostgreSQL cannot parse this statement: syntax error at or near ",". The migration fails when run; the rest of the file is still analyzed.' } }],
    },
    {
      filename,
      code: lines('CREATE TABLE projects (', '  id        uuid PRIMARY KEY,', '  tenant_id uuid NOT NULL,', '  name      text NOT NULL,', ');'),
      errors: [{ messageId: 'finding', line: 5, column: 1 }],
    },
    {
      filename,
      code: lines(
        'BEGIN;',
        'SET LOCAL app.current_tenant = $1;',
        "INSERT INTO invoices (id, tenant_id, total) VALUES (gen_random_uuid(), current_setting('app.current_tenant')::uuid, 0);",
        'COMMIT;',
      ),
      errors: [{ messageId: 'finding', line: 2, column: 1, data: { message: 'PostgreSQL cannot parse this statement: SET takes no bind parameters, so `SET LOCAL app.current_tenant = $n` fails with a syntax error (42601). Use SELECT set_config(\'app.current_tenant\', $1, true).' } }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// unverifiable-ddl
// ---------------------------------------------------------------------------------------------

const ADD_TENANT_POLICY = lines(
  'CREATE FUNCTION add_tenant_policy(p_table text) RETURNS void',
  '  LANGUAGE plpgsql',
  'AS $$',
  'BEGIN',
  '  EXECUTE format(',
  "    'CREATE POLICY %I ON public.%I USING (tenant_id = current_setting(''app.current_tenant'')::uuid)',",
  "    p_table || '_tenant_isolation', p_table);",
  'END',
  '$$;',
);

ruleTester.run('unverifiable-ddl', rules['unverifiable-ddl'], {
  valid: [
    { filename, code: ISOLATED },
    {
      filename,
      code: lines(
        'DO $$',
        'BEGIN',
        "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN",
        '    CREATE ROLE app_user LOGIN;',
        '  END IF;',
        'END',
        '$$;',
      ),
    },
    // creating the function is not reported, only running it
    { filename, code: ADD_TENANT_POLICY },
  ],
  invalid: [
    {
      filename,
      code: lines(
        'DO $$',
        'DECLARE t text;',
        'BEGIN',
        "  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP",
        "    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);",
        "    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);",
        '  END LOOP;',
        'END',
        '$$;',
      ),
      errors: [{ messageId: 'finding', line: 5, column: 5, endLine: 5, endColumn: 73, data: { message: 'Not evaluated: a DO block that runs dynamic SQL (EXECUTE format(\'ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY\', t)); it can change tables, policies or roles in ways static analysis cannot see. Run `rls-guard verify` to check the applied result against PostgreSQL.' } }],
    },
    {
      filename,
      code: lines(ADD_TENANT_POLICY, '', "SELECT add_tenant_policy('invoices');"),
      errors: [{ messageId: 'finding', line: 11, column: 1, endLine: 11, endColumn: 37 }],
    },
    // history: the function is defined by an earlier migration, called in this one
    {
      ...project({ '001_helpers.sql': ADD_TENANT_POLICY, '002_invoices.sql': lines(INVOICES, "SELECT add_tenant_policy('invoices');") }, '002_invoices.sql'),
      errors: [{ messageId: 'finding', line: 2, column: 1, data: { message: 'Not evaluated: a call of public.add_tenant_policy(), which runs dynamic SQL; it can change tables, policies or roles in ways static analysis cannot see. Run `rls-guard verify` to check the applied result against PostgreSQL.' } }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// storage-public-listing
// ---------------------------------------------------------------------------------------------

const AVATARS = "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);";
const SUPABASE = { preset: 'supabase', migrations: ['migrations'], tenantColumns: ['user_id'] };

ruleTester.run('storage-public-listing', rules['storage-public-listing'], {
  valid: [project({ '001_storage.sql': lines(AVATARS, "create policy \"own\" on storage.objects for select using (bucket_id = 'avatars' and owner_id = (select auth.uid())::text);") }, '001_storage.sql', SUPABASE)],
  invalid: [
    {
      ...project({ '001_storage.sql': lines(AVATARS, "create policy \"list\" on storage.objects for select using (bucket_id = 'avatars');") }, '001_storage.sql', SUPABASE),
      errors: [{ messageId: 'finding', line: 2, column: 1 }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// policy-initplan (opt-in): on when the ESLint config names it, with a suggestion
// ---------------------------------------------------------------------------------------------

const DOCS = 'CREATE TABLE docs (user_id uuid NOT NULL); ALTER TABLE docs ENABLE ROW LEVEL SECURITY;';

ruleTester.run('policy-initplan', rules['policy-initplan'], {
  valid: [{ filename, code: lines(DOCS, 'CREATE POLICY own ON docs USING (user_id = (SELECT auth.uid()));') }],
  invalid: [
    {
      filename,
      code: lines(DOCS, 'CREATE POLICY own ON docs', '  USING (user_id = auth.uid());'),
      errors: [
        {
          messageId: 'finding',
          line: 2,
          column: 1,
          suggestions: [{ messageId: 'suggestion', data: { description: 'Wrap auth.uid() in (SELECT ...)' }, output: lines(DOCS, 'CREATE POLICY own ON docs', '  USING (user_id = (SELECT auth.uid()));') }],
        },
      ],
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// multiple-permissive-policies (opt-in)
// ---------------------------------------------------------------------------------------------

ruleTester.run('multiple-permissive-policies', rules['multiple-permissive-policies'], {
  valid: [{ filename, code: lines(DOCS, 'CREATE POLICY own ON docs FOR SELECT USING (user_id = (SELECT auth.uid()));') }],
  invalid: [
    {
      filename,
      code: lines(DOCS, 'CREATE POLICY own ON docs FOR SELECT USING (user_id = (SELECT auth.uid()));', 'CREATE POLICY all_rows ON docs FOR SELECT USING (true);'),
      errors: [{ messageId: 'finding', line: 3, column: 1 }],
    },
  ],
});
