/**
 * The probe without a config (issue "probe and verify", items 1 and 2): it infers the tenant
 * columns, settings and functions from the live catalog's policies, names every leaking table and
 * no safe one, changes nothing; and it speaks the identity models real projects use: tenant
 * settings under any name, Supabase's JWT claims with --as-role authenticated, role per tenant.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../src/config.js';
import { probeCommand } from '../../src/probe/command.js';
import { runProbe } from '../../src/probe/probe.js';
import type { ProbeResult } from '../../src/probe/types.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { checksum, roleUrl } from './scenario.js';
import { captureIo } from '../support/capture-io.js';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

function verdicts(result: ProbeResult): Record<string, string> {
  return Object.fromEntries(result.tables.map((t) => [t.table, t.verdict]));
}

/** A settings-model schema whose names are not the defaults: ground truth in the comments. */
async function settingsSchema(db: ScratchDatabase, app: string): Promise<void> {
  await db.query(`
    CREATE ROLE ${app} LOGIN PASSWORD 'inf-app-pw' NOSUPERUSER NOBYPASSRLS;
    CREATE SCHEMA app;
    CREATE FUNCTION app.current_org() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.account', true), '')::uuid $$;
    GRANT USAGE ON SCHEMA app TO ${app};
    CREATE TABLE accounts (id uuid PRIMARY KEY, name text NOT NULL);
    -- safe: pinned to app.account, forced
    CREATE TABLE projects (id int PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts (id), title text);
    ALTER TABLE projects ENABLE ROW LEVEL SECURITY; ALTER TABLE projects FORCE ROW LEVEL SECURITY;
    CREATE POLICY p ON projects USING (account_id = current_setting('app.account', true)::uuid) WITH CHECK (account_id = current_setting('app.account', true)::uuid);
    -- leaking: a bypass switch any session can set
    CREATE TABLE invoices (id int PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts (id), cents int);
    ALTER TABLE invoices ENABLE ROW LEVEL SECURITY; ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
    CREATE POLICY p ON invoices USING (account_id = current_setting('app.account', true)::uuid OR current_setting('app.bypass', true) = 'on')
      WITH CHECK (account_id = current_setting('app.account', true)::uuid);
    -- leaking: no RLS at all; its tenant column is known only by its foreign key to the root
    CREATE TABLE audit_log (id int PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts (id), line text);
    -- safe: pinned through a tenant function
    CREATE TABLE notes (id int PRIMARY KEY, org uuid NOT NULL, body text);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY; ALTER TABLE notes FORCE ROW LEVEL SECURITY;
    CREATE POLICY p ON notes USING (org = app.current_org()) WITH CHECK (org = app.current_org());
    -- global, not a tenant table
    CREATE TABLE countries (code text PRIMARY KEY, name text);
    INSERT INTO accounts VALUES ('${A}', 'a'), ('${B}', 'b');
    INSERT INTO projects VALUES (1, '${A}', 'x'), (2, '${B}', 'y');
    INSERT INTO invoices VALUES (1, '${A}', 1), (2, '${B}', 2);
    INSERT INTO audit_log VALUES (1, '${A}', 'x'), (2, '${B}', 'y');
    INSERT INTO notes VALUES (1, '${A}', 'x'), (2, '${B}', 'y');
    INSERT INTO countries VALUES ('de', 'Germany');
    GRANT SELECT, INSERT, UPDATE, DELETE ON projects, invoices, audit_log, notes TO ${app};
    GRANT SELECT ON accounts, countries TO ${app};
  `);
}

describe('probe without a config', () => {
  it('infers settings, functions, tenant columns and roots from the policies; names every leaking table and no safe one; changes nothing', async () => {
    await withScratchDatabase(async (db) => {
      await settingsSchema(db, 'inf_app');
      const before = await checksum(db);
      const result = await runProbe({ url: roleUrl(db, 'inf_app', 'inf-app-pw'), config: { ...DEFAULT_CONFIG }, infer: true });
      expect(await checksum(db)).toBe(before);
      expect(result.inferred).toMatchObject({
        used: true,
        tenantSettings: ['app.account'],
        tenantFunctions: ['app.current_org()'],
        tenantRoots: ['public.accounts'],
      });
      expect(new Set(result.inferred!.tenantColumns)).toEqual(new Set(['account_id', 'org']));
      const v = verdicts(result);
      expect(v).toMatchObject({ 'public.projects': 'clean', 'public.notes': 'clean', 'public.invoices': 'leaking', 'public.audit_log': 'leaking' });
      expect(v['public.countries']).toBeUndefined();
      const invoices = result.tables.find((t) => t.table === 'public.invoices')!;
      expect(invoices.observedLeaks.join('\n')).toContain("app.bypass = 'on'");
      expect(result.identity.models).toEqual(['settings app.account']);

      // With the defaults instead (what the probe did before): the tenant is never set under the
      // right name, so the safe tables are not judged safe for the right reason.
      const defaults = await runProbe({ url: roleUrl(db, 'inf_app', 'inf-app-pw'), config: { ...DEFAULT_CONFIG } });
      expect(defaults.inferred).toBeNull();
      expect(defaults.tables.map((t) => t.table)).not.toContain('public.audit_log');
    });
  });

  it('the command infers without a config file and prints the config to copy; a config file wins', async () => {
    await withScratchDatabase(async (db) => {
      await settingsSchema(db, 'inf_cmd');
      const empty = realpathSync(mkdtempSync(join(tmpdir(), 'rls-guard-probe-noconfig-')));
      const io = captureIo({});
      io.cwd = empty;
      const code = await probeCommand(['--url', roleUrl(db, 'inf_cmd', 'inf-app-pw')], io);
      expect(code).toBe(1);
      expect(io.out).toContain('no rls-guard.config.json: inferred from the catalog');
      expect(io.out).toContain('"app.account"');
      expect(io.out).toContain('"app.current_org()"');
      expect(io.out).toContain('identity model probed: settings app.account');
      expect(io.out).not.toContain('inf-app-pw');
      expect(resolveConfig({ start: empty }).configPath).toBeNull();

      // A config file wins: nothing is inferred, its settings are the ones probed.
      writeFileSync(join(empty, 'rls-guard.config.json'), JSON.stringify({ tenantColumns: ['account_id'], tenantSettings: ['app.account'] }));
      const withConfig = captureIo({});
      withConfig.cwd = empty;
      await probeCommand(['--url', roleUrl(db, 'inf_cmd', 'inf-app-pw'), '--format', 'json'], withConfig);
      const json = JSON.parse(withConfig.out) as ProbeResult;
      expect(json.inferred).toBeNull();
      expect(json.identity.settings).toEqual(['app.account']);
      // notes (RLS on, so still probed) has no column the config names.
      expect(json.tables.find((t) => t.table === 'public.notes')?.tenantColumn).toBeNull();
      expect(json.tables.find((t) => t.table === 'public.projects')?.tenantColumn).toBe('account_id');
    });
  });
});

/** A Supabase-style database, made with this test's own SQL: API roles, auth.uid() from the JWT claims. */
async function supabaseSchema(db: ScratchDatabase): Promise<void> {
  await db.query(`
    CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN;
    CREATE SCHEMA auth; GRANT USAGE ON SCHEMA auth TO anon, authenticated;
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$;
    CREATE TABLE auth.users (id uuid PRIMARY KEY);
    INSERT INTO auth.users VALUES ('${A}'), ('${B}');
    -- safe
    CREATE TABLE todos (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), task text);
    ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON todos TO authenticated USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
    -- leaking: every signed-in user reads every profile's private note
    CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), private_note text);
    ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
    CREATE POLICY read_all ON profiles FOR SELECT TO authenticated USING (true);
    CREATE POLICY write_own ON profiles FOR UPDATE TO authenticated USING (id = auth.uid()) WITH CHECK (id = auth.uid());
    -- leaking: anyone may post as anyone
    CREATE TABLE messages (id int PRIMARY KEY, sender uuid NOT NULL REFERENCES auth.users (id), body text);
    ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
    CREATE POLICY read_own ON messages FOR SELECT TO authenticated USING (sender = auth.uid());
    CREATE POLICY post ON messages FOR INSERT TO authenticated WITH CHECK (true);
    INSERT INTO todos VALUES (1, '${A}', 'x'), (2, '${B}', 'y');
    INSERT INTO profiles VALUES ('${A}', 'a secret'), ('${B}', 'b secret');
    INSERT INTO messages VALUES (1, '${A}', 'x'), (2, '${B}', 'y');
    GRANT SELECT, INSERT, UPDATE, DELETE ON todos, profiles, messages TO authenticated;
  `);
}

describe('probe speaks the identity models', () => {
  it('Supabase: as the platform owner with --as-role authenticated, impersonates users through request.jwt.claims', async () => {
    await withScratchDatabase(async (db) => {
      await supabaseSchema(db);
      const before = await checksum(db);
      const result = await runProbe({ url: db.url, config: { ...DEFAULT_CONFIG }, infer: true, asRole: 'authenticated' });
      expect(await checksum(db)).toBe(before);
      expect(result.role).toMatchObject({ name: 'authenticated', superuser: false, inert: false });
      expect(result.identity).toMatchObject({ jwtClaims: true, asRole: 'authenticated', settings: [] });
      expect(result.identity.models[0]).toContain('JWT claims');
      const v = verdicts(result);
      expect(v).toMatchObject({ 'public.todos': 'clean', 'public.profiles': 'leaking', 'public.messages': 'leaking' });
      const profiles = result.tables.find((t) => t.table === 'public.profiles')!;
      expect(profiles.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', basis: 'observed' });
      const messages = result.tables.find((t) => t.table === 'public.messages')!;
      // A live database's foreign keys stop the probe's own insert (it cannot read auth.users to
      // borrow a user): the observed step is inconclusive, and the audit proves the open check.
      expect(messages.checks.find((c) => c.id === 'policy-insert')).toMatchObject({ status: 'leak', basis: 'inferred' });
      expect(messages.leakBasis).toBe('inferred');
      // The safe table was probed as a user: the fresh user's claims reached auth.uid() (no rows, and writes refused by RLS).
      const todos = result.tables.find((t) => t.table === 'public.todos')!;
      expect(todos.checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({ status: 'pass', sqlState: '42501' });
      expect(todos.checks.find((c) => c.id === 'move-own-row')?.status).not.toBe('leak');
      expect(result.inferred!.keyColumns).toMatchObject({ 'public.todos': ['user_id'], 'public.messages': ['sender'] });

      // Without --as-role the login is the superuser: every policy is inert, and the report says so.
      const inert = await runProbe({ url: db.url, config: { ...DEFAULT_CONFIG }, infer: true });
      expect(inert.role.inert).toBe(true);
      expect(inert.ok).toBe(false);
    });
  });

  it('a column a policy passes to a helper is a key only where the helper, followed through its live definition, pins it', async () => {
    await withScratchDatabase(async (db) => {
      await supabaseSchema(db);
      await db.query(`
        CREATE TABLE teams (id uuid PRIMARY KEY, name text);
        CREATE TABLE members (team_id uuid NOT NULL REFERENCES teams (id), user_id uuid NOT NULL REFERENCES auth.users (id), PRIMARY KEY (team_id, user_id));
        CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
          SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.team_id = t AND m.user_id = auth.uid()) $$;
        CREATE FUNCTION is_listed(c uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT c IS NOT NULL $$;
        -- safe: own rows by author, team rows through the membership helper (compared with true)
        CREATE TABLE docs (id int PRIMARY KEY, author uuid NOT NULL REFERENCES auth.users (id), team_id uuid NOT NULL REFERENCES teams (id), body text);
        ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own ON docs TO authenticated USING (author = auth.uid()) WITH CHECK (author = auth.uid());
        CREATE POLICY team ON docs FOR SELECT TO authenticated USING (is_member(team_id) = true);
        -- leaking: the helper admits every listed row, whatever the user
        CREATE TABLE posts (id int PRIMARY KEY, author uuid NOT NULL REFERENCES auth.users (id), category uuid, body text);
        ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own ON posts TO authenticated USING (author = auth.uid()) WITH CHECK (author = auth.uid());
        CREATE POLICY listed ON posts FOR SELECT TO authenticated USING (is_listed(category));
        INSERT INTO teams VALUES ('${A}', 'a'), ('${B}', 'b');
        INSERT INTO docs VALUES (1, '${A}', '${A}', 'x'), (2, '${B}', '${B}', 'y');
        INSERT INTO posts VALUES (1, '${A}', '${A}', 'x'), (2, '${B}', '${B}', 'y');
        GRANT SELECT, INSERT, UPDATE, DELETE ON docs, posts TO authenticated;
      `);
      const result = await runProbe({ url: db.url, config: { ...DEFAULT_CONFIG }, infer: true, asRole: 'authenticated' });
      expect(result.inferred!.keyColumns).toMatchObject({ 'public.docs': ['author', 'team_id'], 'public.posts': ['author'] });
      expect(result.inferred!.tenantColumns).not.toContain('category');
      const v = verdicts(result);
      expect(v['public.docs']).toBe('clean');
      expect(v['public.posts']).toBe('leaking');
      const posts = result.tables.find((t) => t.table === 'public.posts')!;
      expect(posts.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', basis: 'observed' });
    });
  });

  it('role per tenant: rows keyed by current_user are the role own, another role rows are a leak', async () => {
    await withScratchDatabase(async (db) => {
      await db.query(`
        CREATE ROLE tenant_a NOLOGIN; CREATE ROLE tenant_b NOLOGIN;
        CREATE TABLE docs (id int PRIMARY KEY, owner_role text NOT NULL DEFAULT current_user, body text);
        ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own ON docs USING (owner_role = current_user) WITH CHECK (owner_role = current_user);
        CREATE TABLE shared (id int PRIMARY KEY, owner_role text NOT NULL DEFAULT current_user, body text);
        ALTER TABLE shared ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own ON shared USING (owner_role = current_user OR body LIKE '%') WITH CHECK (owner_role = current_user);
        INSERT INTO docs VALUES (1, 'tenant_a', 'x'), (2, 'tenant_b', 'y');
        INSERT INTO shared VALUES (1, 'tenant_a', 'x'), (2, 'tenant_b', 'y');
        GRANT SELECT, INSERT, UPDATE, DELETE ON docs, shared TO tenant_a, tenant_b;
      `);
      const result = await runProbe({ url: db.url, config: { ...DEFAULT_CONFIG }, infer: true, asRole: 'tenant_a' });
      expect(result.identity.rolePerTenant).toBe(true);
      expect(result.inferred!.tenantColumns).toEqual(['owner_role']);
      const v = verdicts(result);
      // tenant_a sees its own row in docs: not a leak. In shared it sees tenant_b's.
      expect(v['public.docs']).toBe('clean');
      expect(v['public.shared']).toBe('leaking');
      const shared = result.tables.find((t) => t.table === 'public.shared')!;
      expect(shared.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', rows: 1 });
    });
  });
});
