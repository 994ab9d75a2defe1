/**
 * Parity on real layouts: `eslint` with the rls-guard/sql config reports exactly what
 * `rls-guard check` reports — file, line, column, rule and severity — on `fixtures/saas-demo` and on
 * generated Flyway, Prisma and golang-migrate projects with defects spread over several migrations
 * (some of them fixed, or caused, by a later migration: both must replay the same history, in the
 * layout's order).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';
import plugin from '../../src/index.js';
import { runCheck } from '../../src/check.js';
import { resolveConfig } from '../../src/config.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sqlConfig = (plugin.configs.recommended as object[]).slice(0, 1);

async function fromCheck(cwd: string) {
  const config = resolveConfig({ start: cwd });
  const check = await runCheck({ paths: [], config });
  return {
    files: check.files,
    findings: check.findings.map((f) => `${f.location.file}:${f.location.line}:${f.location.column} ${f.ruleId} ${f.severity}`).sort(),
  };
}

async function fromEslint(cwd: string, patterns: string[]): Promise<string[]> {
  const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: sqlConfig as never });
  const results = await eslint.lintFiles(patterns);
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${String(m.ruleId).replace('rls-guard/', '')} ${m.severity}`)).sort();
}

const ruleOf = (finding: string) => finding.split(' ')[1];

// ---------------------------------------------------------------------------------------------
// Generated projects
// ---------------------------------------------------------------------------------------------

interface Layout {
  name: string;
  /** `rls-guard.config.json`, or null for none (history then falls back to the file's directory). */
  config: Record<string, unknown> | null;
  /** Project-relative folder the migrations are in. */
  migrationsDir: string;
  /** Project-relative path -> contents. */
  files: Record<string, string>;
  /** Project-relative migrations `rls-guard check` must replay, in order. */
  order: string[];
  /** `file:line rule` findings that `rls-guard check` must report (so the project does have defects). */
  expected: string[];
  /** `file:line rule` findings neither may report: defects a later migration fixed. */
  absent: string[];
}

const PIN = "tenant_id = current_setting('app.current_tenant')::uuid";

const flyway: Layout = {
  name: 'Flyway (V<version>__*.sql, V1_1 < V2 < V10, repeatable R__ last, undo U__ never)',
  config: { migrations: ['db/migration'], globalTables: ['tenants'], appRoles: ['app_user'], allowBypassRoles: ['flyway'] },
  migrationsDir: 'db/migration',
  files: {
    'db/migration/V1__tenants.sql': [
      'CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);',
      'CREATE ROLE flyway LOGIN BYPASSRLS;',
      'CREATE ROLE app_user LOGIN;',
      'CREATE ROLE reporting LOGIN BYPASSRLS;',
      '',
    ].join('\n'),
    'db/migration/V1_1__lookup.sql': [
      'CREATE FUNCTION tenant_by_name(p_name text) RETURNS uuid',
      '  LANGUAGE sql STABLE SECURITY DEFINER',
      'AS $$ SELECT id FROM tenants WHERE name = p_name $$;',
      '',
    ].join('\n'),
    'db/migration/V2__invoices.sql': [
      'CREATE TABLE invoices (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id), total numeric NOT NULL);',
      'ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY invoices_tenant_isolation ON invoices',
      `  USING (${PIN});`,
      '',
      'CREATE TABLE projects (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id), name text NOT NULL);',
      'ALTER TABLE projects ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY projects_tenant_isolation ON projects',
      `  USING (${PIN})`,
      `  WITH CHECK (${PIN});`,
      '',
    ].join('\n'),
    // Only after V2 does this FORCE find its table: a lexical order (V10 < V2) would miss it.
    'db/migration/V10__force.sql': ['ALTER TABLE invoices FORCE ROW LEVEL SECURITY;', 'GRANT ALL ON projects TO app_user;', ''].join('\n'),
    'db/migration/R__views.sql': ['CREATE OR REPLACE VIEW project_names AS', '  SELECT id, tenant_id, name FROM projects;', 'GRANT SELECT ON project_names TO app_user;', ''].join('\n'),
    'db/migration/U2__undo_invoices.sql': ['ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;', 'DROP TABLE invoices;', ''].join('\n'),
  },
  order: ['V1__tenants.sql', 'V1_1__lookup.sql', 'V2__invoices.sql', 'V10__force.sql', 'R__views.sql'],
  expected: [
    'V1__tenants.sql:4 no-bypass-role',
    'V1_1__lookup.sql:1 security-definer-search-path',
    'V1_1__lookup.sql:1 security-definer-narrow',
    'V2__invoices.sql:3 require-with-check',
    'V2__invoices.sql:7 require-force-rls',
    'V10__force.sql:2 app-role-least-privilege',
    'R__views.sql:1 view-security-invoker',
  ],
  absent: ['V2__invoices.sql:2 require-force-rls'],
};

const prisma: Layout = {
  name: 'Prisma (<timestamp>_<name>/migration.sql)',
  config: { migrations: ['prisma/migrations'], appRoles: ['app_user'] },
  migrationsDir: 'prisma/migrations',
  files: {
    'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'prisma/migrations/20240101000000_init/migration.sql': [
      '-- CreateTable',
      'CREATE TABLE "documents" (',
      '    "id" TEXT NOT NULL,',
      '    "tenant_id" TEXT,',
      '    "title" TEXT NOT NULL,',
      '    CONSTRAINT "documents_pkey" PRIMARY KEY ("id")',
      ');',
      '',
      'ALTER TABLE "documents" ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE "documents" FORCE ROW LEVEL SECURITY;',
      'CREATE POLICY documents_tenant ON "documents"',
      '  USING (true)',
      "  WITH CHECK (tenant_id = current_setting('app.current_tenant'));",
      '',
      'CREATE POLICY documents_admin ON "documents"',
      '  USING (true)',
      '  WITH CHECK (true);',
      '',
    ].join('\n'),
    'prisma/migrations/20240215093000_pin_policy/migration.sql': [
      'ALTER POLICY documents_tenant ON "documents"',
      "  USING (tenant_id = current_setting('app.current_tenant'));",
      'CREATE POLICY documents_read_write ON "documents" FOR SELECT, UPDATE',
      "  USING (tenant_id = current_setting('app.current_tenant'));",
      '',
    ].join('\n'),
    'prisma/migrations/20240301120000_notes/migration.sql': [
      '-- CreateTable',
      'CREATE TABLE "notes" (',
      '    "id" TEXT NOT NULL,',
      '    "tenant_id" TEXT NOT NULL,',
      '    "body" TEXT NOT NULL',
      ');',
      '',
      'DO $$',
      'DECLARE t text;',
      'BEGIN',
      "  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP",
      "    EXECUTE format('GRANT SELECT ON public.%I TO app_user', t);",
      '  END LOOP;',
      'END',
      '$$;',
      '',
    ].join('\n'),
  },
  order: ['20240101000000_init/migration.sql', '20240215093000_pin_policy/migration.sql', '20240301120000_notes/migration.sql'],
  expected: [
    '20240101000000_init/migration.sql:2 require-tenant-column',
    '20240101000000_init/migration.sql:15 no-fail-open-policy',
    '20240215093000_pin_policy/migration.sql:3 parse-error',
    '20240301120000_notes/migration.sql:2 require-rls',
    '20240301120000_notes/migration.sql:12 unverifiable-ddl', // the EXECUTE inside the DO block
  ],
  absent: ['20240101000000_init/migration.sql:11 no-fail-open-policy'],
};

const golangMigrate: Layout = {
  name: 'golang-migrate (*.up.sql and *.down.sql, no config file)',
  config: null,
  migrationsDir: 'migrations',
  files: {
    'migrations/000001_accounts.up.sql': [
      'CREATE TABLE accounts (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, email text NOT NULL);',
      'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE accounts FORCE ROW LEVEL SECURITY;',
      'CREATE POLICY accounts_tenant_isolation ON accounts',
      `  USING (${PIN})`,
      `  WITH CHECK (${PIN});`,
      '',
      'CREATE TABLE members (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, account_id bigint NOT NULL);',
      'ALTER TABLE members ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY members_tenant_isolation ON members',
      `  USING (${PIN})`,
      `  WITH CHECK (${PIN});`,
      '',
    ].join('\n'),
    'migrations/000001_accounts.down.sql': ['DROP TABLE members;', 'DROP TABLE accounts;', ''].join('\n'),
    'migrations/000002_reporting.up.sql': [
      'ALTER TABLE accounts NO FORCE ROW LEVEL SECURITY;',
      'CREATE ROLE reporting LOGIN SUPERUSER;',
      'CREATE VIEW account_emails AS SELECT tenant_id, email FROM accounts;',
      '',
    ].join('\n'),
    'migrations/000002_reporting.down.sql': [
      'DROP VIEW account_emails;',
      'DROP ROLE reporting;',
      'ALTER TABLE accounts FORCE ROW LEVEL SECURITY;',
      '',
    ].join('\n'),
    'migrations/000003_members_force.up.sql': [
      'ALTER TABLE members FORCE ROW LEVEL SECURITY;',
      'CREATE TABLE sessions (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, token text NOT NULL);',
      'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;',
      'ALTER TABLE sessions DISABLE ROW LEVEL SECURITY;',
      '',
    ].join('\n'),
    'migrations/000003_members_force.down.sql': [
      'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;',
      'ALTER TABLE members NO FORCE ROW LEVEL SECURITY;',
      // A down migration that recreates a table: it is never replayed by check.
      'CREATE TABLE audit_log (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, entry text NOT NULL);',
      '',
    ].join('\n'),
  },
  order: ['000001_accounts.up.sql', '000002_reporting.up.sql', '000003_members_force.up.sql'],
  expected: [
    '000002_reporting.up.sql:1 no-rls-disable',
    '000002_reporting.up.sql:2 no-bypass-role',
    '000002_reporting.up.sql:3 view-security-invoker',
    '000003_members_force.up.sql:4 no-rls-disable',
  ],
  absent: ['000001_accounts.up.sql:9 require-force-rls'],
};

const layouts = [flyway, prisma, golangMigrate];
const roots = new Map<Layout, string>();
afterAll(() => {
  for (const root of roots.values()) rmSync(root, { recursive: true, force: true });
});

function materialize(layout: Layout): string {
  let root = roots.get(layout);
  if (root) return root;
  root = mkdtempSync(join(tmpdir(), 'rls-guard-parity-'));
  roots.set(layout, root);
  if (layout.config) writeFileSync(join(root, 'rls-guard.config.json'), JSON.stringify(layout.config, null, 2));
  for (const [path, text] of Object.entries(layout.files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** `…/V2__invoices.sql:7:1 require-force-rls 2` -> `V2__invoices.sql:7 require-force-rls`, relative to the migrations folder. */
function short(finding: string, migrationsDir: string): string {
  const [location, rule] = finding.split(' ');
  const [file, line] = location!.split(':');
  return `${file!.slice(migrationsDir.length + 1)}:${line} ${rule}`;
}

describe('eslint with rls-guard/sql reports what rls-guard check reports, on real layouts', () => {
  it('fixtures/saas-demo', async () => {
    const cwd = join(repoRoot, 'fixtures', 'saas-demo');
    const check = await fromCheck(cwd);
    expect(check.files.map((f) => f.slice(cwd.length + 1))).toEqual(['migrations/0001_schema.sql', 'migrations/0002_isolation.sql', 'migrations/0003_app_role.sql']);
    expect(check.findings.length).toBeGreaterThan(5);
    expect(new Set(check.findings.map(ruleOf))).toEqual(
      new Set(['require-tenant-column', 'require-force-rls', 'require-rls', 'no-fail-open-policy', 'app-role-least-privilege', 'view-security-invoker', 'security-definer-search-path', 'security-definer-narrow']),
    );
    expect(await fromEslint(cwd, check.files)).toEqual(check.findings);
    // `eslint .` lints the same files there: nothing else is SQL.
    expect(await fromEslint(cwd, ['.'])).toEqual(check.findings);
  });

  for (const layout of layouts) {
    describe(layout.name, () => {
      it('check replays the forward migrations in the layout order, and finds the defects', async () => {
        const root = materialize(layout);
        const dir = join(root, layout.migrationsDir);
        const check = await fromCheck(root);
        expect(check.files.map((f) => f.slice(dir.length + 1))).toEqual(layout.order);
        const found = check.findings.map((f) => short(f, dir));
        for (const e of layout.expected) expect(found, e).toContain(e);
        for (const a of layout.absent) expect(found, a).not.toContain(a);
      });

      it('eslint on the migrations check replays reports exactly the same findings', async () => {
        const root = materialize(layout);
        const check = await fromCheck(root);
        expect(await fromEslint(root, check.files)).toEqual(check.findings);
      });

      it('eslint on each migration linted alone (an editor) reports that file\'s share of the same findings', async () => {
        const root = materialize(layout);
        const check = await fromCheck(root);
        const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: sqlConfig as never });
        const all: string[] = [];
        for (const file of [...check.files].reverse()) {
          const [result] = await eslint.lintFiles([file]);
          all.push(...result!.messages.map((m) => `${file}:${m.line}:${m.column} ${String(m.ruleId).replace('rls-guard/', '')} ${m.severity}`));
        }
        expect(all.sort()).toEqual(check.findings);
      });
    });
  }

  // `eslint .` with the recommended SQL config (files: **/*.sql) also lints migrations that
  // `rls-guard check` never replays — golang-migrate `*.down.sql` and Flyway `U*__` undo files. They
  // belong to no forward history, so eslint reports nothing on them either.
  it('eslint . (every .sql file, down migrations included) reports exactly what check reports', async () => {
    const root = materialize(golangMigrate);
    const check = await fromCheck(root);
    expect(await fromEslint(root, ['.'])).toEqual(check.findings);
  });

  it('eslint . agrees with check where the project holds only forward migrations (Prisma)', async () => {
    const root = materialize(prisma);
    const check = await fromCheck(root);
    expect(await fromEslint(root, ['.'])).toEqual(check.findings);
  });
});
