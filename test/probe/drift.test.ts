/**
 * Drift (issue "probe and verify", item 5): `probe --migrations <dir>` compares the live catalog
 * with the final state of the history. A database migrated with exactly the history shows no
 * difference; each hand-applied change (a policy loosened, dropped or added, RLS or FORCE turned
 * off, a definer function's search_path, grants or body changed, a role given BYPASSRLS, a table
 * or definer function created outside the history) is one finding with both sides.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type ResolvedConfig } from '../../src/config.js';
import { probeCommand } from '../../src/probe/command.js';
import { historyState } from '../../src/probe/drift-history.js';
import { runProbe } from '../../src/probe/probe.js';
import { PRESETS } from '../../src/presets/index.js';
import { captureIo } from '../support/capture-io.js';
import { migrationProject } from '../support/migration-project.js';
import { testDatabaseUrl, withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { roleUrl } from './scenario.js';

const HISTORY: Record<string, string> = {
  '001_schema.sql': `
    create role app_user login password 'drift-app-pw' nosuperuser nobypassrls;
    create extension if not exists pgcrypto;
    create table tenants (id uuid primary key default gen_random_uuid(), name text not null);
    create table documents (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants (id),
      title text
    );
    alter table documents enable row level security;
    alter table documents force row level security;
    create policy tenant_isolation on documents
      using (tenant_id = current_setting('app.current_tenant', true)::uuid)
      with check (tenant_id = current_setting('app.current_tenant', true)::uuid);
    create schema app;
    grant usage on schema app to app_user;
    create function app.visible_tenants() returns setof uuid language sql stable security definer set search_path = ''
      as $$ select id from public.tenants where id = nullif(current_setting('app.current_tenant', true), '')::uuid $$;
    revoke execute on function app.visible_tenants() from public;
    grant execute on function app.visible_tenants() to app_user;
    grant select, insert, update, delete on documents to app_user;
  `,
  '002_notes.sql': `
    create table notes (id bigint generated always as identity primary key, tenant_id uuid not null references tenants (id), body text);
    alter table notes enable row level security;
    alter table notes force row level security;
    create policy notes_read on notes for select to app_user using (tenant_id in (select app.visible_tenants()));
    create policy notes_write on notes for insert to app_user with check (tenant_id = current_setting('app.current_tenant', true)::uuid);
    create view note_bodies with (security_invoker = true) as select id, body from notes;
    grant select, insert on notes, note_bodies to app_user;
    create table events (tenant_id uuid not null, at date not null, primary key (tenant_id, at)) partition by range (at);
    alter table events enable row level security;
    create policy events_tenant on events using (tenant_id = current_setting('app.current_tenant', true)::uuid);
  `,
};

/** Applies the history to the live database as its superuser, the way a deploy would. */
async function migrateLive(db: ScratchDatabase, dir: string): Promise<void> {
  const folder = join(dir, 'migrations');
  for (const file of readdirSync(folder).sort()) await db.query(readFileSync(join(folder, file), 'utf8'));
}

/** The history applied once (PGlite), shared by the tests that only read it. */
let history: Promise<{ dir: string; config: ResolvedConfig; drift: Awaited<ReturnType<typeof historyState>> }> | null = null;

/** A live database migrated with HISTORY as its deploy would, the app role's URL, and the history's state. */
async function withMigratedLive(body: (live: { config: ResolvedConfig; drift: Awaited<ReturnType<typeof historyState>>; db: ScratchDatabase; url: string }) => Promise<void>): Promise<void> {
  history ??= (async () => {
    const dir = migrationProject('rlsg-drift-', HISTORY);
    const config = resolveConfig({ start: dir });
    return { dir, config, drift: await historyState({ paths: [join(dir, 'migrations')], config }) };
  })();
  const { dir, config, drift } = await history;
  await withScratchDatabase(async (db) => {
    await migrateLive(db, dir);
    await body({ config, drift, db, url: roleUrl(db, 'app_user', 'drift-app-pw') });
  });
}

function aspects(findings: { object: string; aspect: string }[]): string[] {
  return findings.map((f) => `${f.object}: ${f.aspect}`).sort();
}

const SUPABASE_HISTORY: Record<string, string> = {
  '20240101000000_profiles.sql': `
    create table public.profiles (id uuid primary key references auth.users (id), display_name text,
      invite_code text default encode(gen_random_bytes(9), 'hex'), ref uuid default extensions.uuid_generate_v4());
    alter table public.profiles enable row level security;
    create policy "own profile" on public.profiles for all to authenticated using ((select auth.uid()) = id) with check ((select auth.uid()) = id);
    create function public.handle_new_user() returns trigger language plpgsql security definer set search_path = ''
      as $$ begin insert into public.profiles (id) values (new.id); return new; end $$;
    -- A trigger on the platform's auth.users, and a policy on its storage.objects: the migration
    -- role has their owner's rights, as postgres has on Supabase.
    create trigger on_auth_user_created after insert on auth.users for each row execute function public.handle_new_user();
    create function auth.is_admin() returns boolean language sql stable as $$ select coalesce((auth.jwt() ->> 'is_admin')::boolean, false) $$;
    create policy "own avatar" on storage.objects for select to authenticated
      using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
  `,
};

describe('probe --migrations (drift)', () => {
  it('on a Supabase-style database: what the platform made is not the history\'s, what the history added to it is', async () => {
    const dir = migrationProject('rlsg-drift-', SUPABASE_HISTORY);
    writeFileSync(join(dir, 'rls-guard.config.json'), JSON.stringify({ preset: 'supabase', migrations: ['migrations'] }));
    const config = resolveConfig({ start: dir });
    const drift = await historyState({ paths: [join(dir, 'migrations')], config });
    expect(drift.failures).toEqual([]);
    await withScratchDatabase(async (db) => {
      // The platform: its prelude, and pgcrypto and uuid-ossp in extensions, on the search_path.
      await db.query(`${PRESETS.supabase!.prelude}; alter database ${db.name} set search_path = ${PRESETS.supabase!.searchPath}; set search_path = ${PRESETS.supabase!.searchPath}`);
      await migrateLive(db, dir);
      const clean = await runProbe({ url: db.url, asRole: 'authenticated', config, drift, catalog: drift.catalog });
      expect(clean.drift?.findings).toEqual([]);
      // profiles, storage.objects (a policy added), the trigger function and auth.is_admin(); storage.buckets and auth.users untouched.
      expect(clean.drift?.compared).toMatchObject({ relations: 2, policies: 2, functions: 2 });

      // The live platform has more in its schemas than the prelude (auth.sessions, ...): not the history's.
      await db.query(`create table auth.sessions (id uuid primary key, user_id uuid);
        create policy "public read" on storage.objects for select using (true);
        alter function public.handle_new_user() reset search_path;
        create policy "platform" on storage.buckets for select using (true);`);
      const options = { url: db.url, asRole: 'authenticated', config, drift, catalog: drift.catalog, keyColumns: drift.keyColumns, tenantTable: drift.tenantTable };
      expect((await runProbe(options)).tables.map((t) => t.table)).toContain('public.profiles');
      await db.query('alter table public.profiles disable row level security');
      const drifted = await runProbe(options);
      expect(aspects(drifted.drift!.findings)).toEqual([
        'function public.handle_new_user(): search_path',
        'public.profiles: RLS',
        'storage.objects policy public read: policy',
      ]);
      // No tenant column by name and RLS off by hand: still probed, as the history's tenant table it is.
      expect(drifted.tables.find((t) => t.table === 'public.profiles')).toMatchObject({ verdict: 'leaking' });
    });
  });

  it('finds no drift in a database migrated with exactly the history', async () => {
    await withMigratedLive(async ({ config, drift, db, url }) => {
      expect(drift.failures).toEqual([]);
      // Made by the migration tool and at run time, not by the history: not drift.
      await db.query(`create table _prisma_migrations (id text primary key);
        create table schema_migrations (version bigint primary key);
        create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');`);
      const result = await runProbe({ url, config, drift, catalog: drift.catalog });
      expect(result.drift?.status).toBe('compared');
      expect(result.drift?.findings).toEqual([]);
      // Everything the history made was compared: 4 tables (tenants has no policy but was created), the view, 4 policies, the function, the role.
      expect(result.drift?.compared).toEqual({ relations: 5, policies: 4, functions: 1, roles: 1 });
      expect(result.tables.flatMap((t) => t.leaks)).toEqual([]);
      expect(result.ok).toBe(true);
    });
  });

  it('reports each hand-applied change with both sides, and fails the run', async () => {
    await withMigratedLive(async ({ config, drift, db, url }) => {
      await db.query(`
        alter policy tenant_isolation on documents using (true);
        drop policy notes_write on notes;
        create policy hotfix on notes for select using (true);
        alter table notes no force row level security;
        alter view note_bodies reset (security_invoker);
        alter function app.visible_tenants() set search_path = public;
        grant execute on function app.visible_tenants() to public;
        create table scratch_export (id int primary key, tenant_id uuid);
        create function app.admin_lookup(uuid) returns text language sql security definer as $$ select name from public.tenants where id = $1 $$;
        alter role app_user bypassrls;
      `);
      const result = await runProbe({ url, config, drift, catalog: drift.catalog });
      const findings = result.drift!.findings;
      expect(aspects(findings)).toEqual([
        'function app.admin_lookup(uuid): function',
        'function app.visible_tenants(): EXECUTE',
        'function app.visible_tenants(): search_path',
        'public.documents policy tenant_isolation: USING',
        'public.note_bodies: view options',
        'public.notes policy hotfix: policy',
        'public.notes policy notes_write: policy',
        'public.notes: FORCE',
        'public.scratch_export: table',
        'role app_user: BYPASSRLS',
      ]);
      const byAspect = (object: string, aspect: string) => findings.find((f) => f.object === object && f.aspect === aspect)!;
      expect(byAspect('public.documents policy tenant_isolation', 'USING')).toMatchObject({ live: 'true' });
      expect(byAspect('public.documents policy tenant_isolation', 'USING').migrations).toContain("current_setting('app.current_tenant'::text, true)");
      expect(byAspect('public.notes policy notes_write', 'policy')).toMatchObject({ live: 'absent' });
      expect(byAspect('public.notes policy notes_write', 'policy').migrations).toMatch(/^FOR INSERT PERMISSIVE TO app_user WITH CHECK /);
      expect(byAspect('public.notes policy hotfix', 'policy')).toMatchObject({ migrations: 'absent', live: 'FOR SELECT PERMISSIVE TO public USING true' });
      expect(byAspect('public.notes', 'FORCE')).toMatchObject({ migrations: 'on', live: 'off' });
      expect(byAspect('function app.visible_tenants()', 'search_path')).toMatchObject({ migrations: '""', live: 'public' });
      expect(byAspect('function app.visible_tenants()', 'EXECUTE')).toMatchObject({ migrations: 'app_user', live: 'PUBLIC, app_user' });
      expect(byAspect('role app_user', 'BYPASSRLS')).toMatchObject({ migrations: 'NOBYPASSRLS', live: 'BYPASSRLS' });
      expect(byAspect('public.scratch_export', 'table')).toMatchObject({ migrations: 'absent', live: 'table, RLS off, FORCE off' });
      expect(result.ok).toBe(false);
    });
  });

  it('the policy audit follows helper functions, through the history or the live definitions; one it cannot follow is inconclusive, never a leak', async () => {
    await withMigratedLive(async ({ config, drift, db, url }) => {
      const notes = (r: Awaited<ReturnType<typeof runProbe>>) => r.tables.find((t) => t.table === 'public.notes')!;
      for (const result of [await runProbe({ url, config, catalog: drift.catalog }), await runProbe({ url, config })]) {
        expect(notes(result).checks.find((c) => c.id === 'policy-select')).toMatchObject({ status: 'pass' });
        expect(notes(result).verdict).toBe('clean');
      }
      // A helper whose body rls-guard cannot follow (dynamic SQL): not decided by the audit.
      await db.query(`create or replace function app.visible_tenants() returns setof uuid language plpgsql stable security definer set search_path = ''
        as $fn$ begin return query execute format('select id from public.%I', 'tenants'); end $fn$`);
      const blind = await runProbe({ url, config, strict: true });
      const select = notes(blind).checks.find((c) => c.id === 'policy-select');
      expect(select?.status, select?.message).toBe('inconclusive');
      expect(notes(blind).verdict).toBe('inconclusive');
      expect(blind.leaking).toBe(false);
      expect(blind.ok).toBe(false);
    });
  });

  it('sees a changed function body, and a policy whose helper changed while its expression did not', async () => {
    await withMigratedLive(async ({ config, drift, db, url }) => {
      await db.query(`create or replace function app.visible_tenants() returns setof uuid language sql stable security definer set search_path = ''
        as $$ select id from public.tenants $$`);
      const result = await runProbe({ url, config, drift, catalog: drift.catalog });
      expect(aspects(result.drift!.findings)).toEqual(['function app.visible_tenants(): body']);
      const body = result.drift!.findings[0]!;
      expect(body.migrations).toContain('where id = nullif');
      expect(body.live).not.toContain('where');
    });
  });

  it('through the command: prints both sides, exits 1 on drift and 2 on a missing directory; a history that does not apply is inconclusive', async () => {
    const dir = migrationProject('rlsg-drift-', HISTORY);
    await withScratchDatabase(async (db) => {
      await migrateLive(db, dir);
      await db.query('alter table documents disable row level security');
      const url = roleUrl(db, 'app_user', 'drift-app-pw');
      const io = Object.assign(captureIo({}), { cwd: dir });
      const code = await probeCommand(['--url', url, '--migrations', join(dir, 'migrations')], io);
      expect(io.err).toBe('');
      expect(code).toBe(1);
      expect(io.out).toContain('DRIFT  public.documents: RLS');
      expect(io.out).toMatch(/migrations: on\n\s+live:\s+off/);
      expect(io.out).toContain('difference(s) between the live database and the migrations');
      expect(io.out).not.toContain('drift-app-pw');

      const missing = Object.assign(captureIo({}), { cwd: dir });
      expect(await probeCommand(['--url', url, '--migrations', join(dir, 'nowhere')], missing)).toBe(2);
      expect(missing.err).toContain('nowhere');

      // A statement PGlite cannot run: the history's final state is unknown, never "no drift".
      const broken = migrationProject('rlsg-drift-', { ...HISTORY, '003_broken.sql': 'alter table documents add column x int references no_such_table (id);' });
      const strictIo = Object.assign(captureIo({ CI: 'true' }), { cwd: broken });
      await db.query('alter table documents enable row level security');
      expect(await probeCommand(['--url', url, '--migrations', join(broken, 'migrations')], strictIo)).toBe(1);
      expect(strictIo.out).toContain('INCONCLUSIVE: the comparison is not complete');
      expect(strictIo.out).toContain('003_broken.sql:1');
    });
  });
  it('--scratch-url applies the history to a database it creates on that server, and drops it', async () => {
    const dir = migrationProject('rlsg-drift-', {
      '001.sql': `create table items (id int primary key, tenant_id uuid not null);
        alter table items enable row level security;
        create policy items_tenant on items using (tenant_id = current_setting('app.current_tenant', true)::uuid);`,
    });
    await withScratchDatabase(async (db) => {
      await migrateLive(db, dir);
      await db.query('alter table items force row level security');
      const admin = testDatabaseUrl();
      const databasesBefore = (await db.query('select datname from pg_database order by 1')).rows.map((r) => r.datname);
      const io = Object.assign(captureIo({}), { cwd: dir });
      const code = await probeCommand(['--url', db.url, '--migrations', join(dir, 'migrations'), '--scratch-url', admin, '--format', 'json'], io);
      expect(io.err).toBe('');
      const report = JSON.parse(io.out);
      expect(report.drift).toMatchObject({ engine: 'postgres', status: 'compared', findings: [expect.objectContaining({ object: 'public.items', aspect: 'FORCE', migrations: 'off', live: 'on' })] });
      expect(code).toBe(1);
      expect(io.out).not.toContain(new URL(admin).password);
      expect((await db.query('select datname from pg_database order by 1')).rows.map((r) => r.datname)).toEqual(databasesBefore);
    });
  });
});
