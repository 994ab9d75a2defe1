/**
 * What Supabase's live advisor reports about access, caught in the migrations and shown on
 * PostgreSQL with the Supabase preset's platform: a shared table with no RLS that anon writes
 * through the platform's default privileges, auth.users read through a view that runs as its
 * owner, and a policy keyed by user_metadata, which every user writes for themselves.
 */
import { describe, expect, it } from 'vitest';
import { supabase } from '../../src/presets/supabase.js';
import { checkSql } from '../support/check-sql.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { attempt, errors, lineOf } from './helpers.js';

const CONFIG = { preset: 'supabase' as const, tenantColumns: ['user_id'] };
const REVOKE = 'alter default privileges in schema public revoke truncate, references, trigger on tables from anon, authenticated;';
const USER_A = '00000000-0000-0000-0000-0000000000a1';
const USER_B = '00000000-0000-0000-0000-0000000000b1';

async function project(db: ScratchDatabase, sql: string): Promise<void> {
  await db.query(supabase.prelude);
  await db.query(sql);
  await db.query(`INSERT INTO auth.users (id, email) VALUES ('${USER_A}', 'a@example.com'), ('${USER_B}', 'b@example.com')`);
}

const claims = (sub: string, extra: object = {}) => ({ 'request.jwt.claims': JSON.stringify({ sub, role: 'authenticated', ...extra }) });
const hits = async (ruleId: string, sql: string) => (await checkSql(sql, CONFIG)).filter((f) => f.ruleId === ruleId).map((f) => f.location.line);

describe('the Supabase advisor\'s access lints, on PostgreSQL', () => {
  const SHARED = `${REVOKE}
create table public.feature_flags (name text primary key, enabled boolean not null default false);`;
  const SHARED_READ_ONLY = `${SHARED}
alter table public.feature_flags enable row level security;
create policy "flags are public" on public.feature_flags for select using (true);`;

  it('a shared table with no RLS, global or not: require-rls, and anon (the public API key) rewrites it', async () => {
    expect(await hits('require-rls', SHARED)).toEqual([lineOf(SHARED, 'create table')]);
    const global = (await checkSql(SHARED, { ...CONFIG, globalTables: ['public.feature_flags'] })).filter((f) => f.severity === 2);
    expect(global.map((f) => `${f.ruleId}:${f.location.line}`)).toEqual([`require-rls:${lineOf(SHARED, 'create table')}`]);
    await withScratchDatabase(async (db) => {
      await project(db, SHARED);
      await db.query(`INSERT INTO public.feature_flags VALUES ('billing', false)`);
      await db.asRole('anon', {}, async (c) => {
        expect(await attempt(c, `UPDATE public.feature_flags SET enabled = true`)).toMatchObject({ code: 'ok', rowCount: 1 });
        expect(await attempt(c, `DELETE FROM public.feature_flags`)).toMatchObject({ code: 'ok', rowCount: 1 });
      });
    });
  });

  it('the same table, listed as global, with RLS and a read-only policy: no error, anon reads and cannot write', async () => {
    expect(await errors(SHARED_READ_ONLY, { ...CONFIG, globalTables: ['public.feature_flags'] })).toEqual([]);
    await withScratchDatabase(async (db) => {
      await project(db, SHARED_READ_ONLY);
      await db.query(`INSERT INTO public.feature_flags VALUES ('billing', false)`);
      await db.asRole('anon', {}, async (c) => {
        expect(await attempt(c, 'SELECT name FROM public.feature_flags')).toMatchObject({ code: 'ok', rowCount: 1 });
        expect(await attempt(c, `UPDATE public.feature_flags SET enabled = true`)).toMatchObject({ code: 'ok', rowCount: 0 });
        expect(await attempt(c, `INSERT INTO public.feature_flags VALUES ('x', true)`)).toEqual({ code: '42501' });
      });
    });
  });

  it('write privileges revoked from the client roles: no require-rls without RLS either', async () => {
    const revoked = `${SHARED}\nrevoke insert, update, delete, truncate on public.feature_flags from anon, authenticated;`;
    expect(await hits('require-rls', revoked)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await project(db, revoked);
      await db.asRole('anon', {}, async (c) => {
        expect(await attempt(c, `INSERT INTO public.feature_flags VALUES ('x', true)`)).toEqual({ code: '42501' });
      });
    });
  });

  const DIRECTORY = `${REVOKE}
create view public.user_directory as select id, email from auth.users;`;

  it('a view over auth.users without security_invoker: view-security-invoker, and anon reads every user\'s email', async () => {
    expect(await hits('view-security-invoker', DIRECTORY)).toEqual([lineOf(DIRECTORY, 'create view')]);
    await withScratchDatabase(async (db) => {
      await project(db, DIRECTORY);
      await db.asRole('anon', {}, async (c) => {
        expect(await attempt(c, 'SELECT email FROM auth.users')).toEqual({ code: '42501' });
        expect(await attempt(c, 'SELECT email FROM public.user_directory ORDER BY email')).toMatchObject({ code: 'ok', rowCount: 2 });
      });
    });
  });

  it('the same view with security_invoker: no finding, and anon is refused', async () => {
    const invoker = DIRECTORY.replace('create view public.user_directory as', 'create view public.user_directory with (security_invoker = true) as');
    expect(await hits('view-security-invoker', invoker)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await project(db, invoker);
      await db.asRole('anon', {}, async (c) => {
        expect(await attempt(c, 'SELECT email FROM public.user_directory')).toEqual({ code: '42501' });
      });
    });
  });

  const METADATA = `${REVOKE}
create table public.org_docs (id int primary key, user_id uuid not null references auth.users (id), org text not null, body text);
alter table public.org_docs enable row level security;
create policy "org members read" on public.org_docs for select to authenticated
  using (org = (auth.jwt() -> 'user_metadata' ->> 'org'));`;

  it('a policy keyed by user_metadata: no-fail-open-policy saying the user writes it, and a user who claims another org reads its rows', async () => {
    const found = (await checkSql(METADATA, CONFIG)).filter((f) => f.ruleId === 'no-fail-open-policy');
    expect(found.map((f) => f.location.line)).toEqual([lineOf(METADATA, 'create policy')]);
    expect(found[0]!.message).toContain("user_metadata, which the user writes themselves");
    await withScratchDatabase(async (db) => {
      await project(db, METADATA);
      await db.query(`INSERT INTO public.org_docs VALUES (1, '${USER_A}', 'acme', 'a'), (2, '${USER_B}', 'globex', 'b')`);
      // User A belongs to acme; user_metadata is whatever A wrote with supabase.auth.updateUser().
      await db.asRole('authenticated', claims(USER_A, { user_metadata: { org: 'acme' } }), async (c) => {
        expect((await c.query('SELECT id FROM public.org_docs')).rows).toEqual([{ id: 1 }]);
      });
      await db.asRole('authenticated', claims(USER_A, { user_metadata: { org: 'globex' } }), async (c) => {
        expect((await c.query('SELECT id FROM public.org_docs')).rows).toEqual([{ id: 2 }]);
      });
    });
  });

  it('app_metadata (written only by the server) and auth.uid() pin: no error, and another user\'s rows stay hidden', async () => {
    const appMeta = METADATA.replace("using (org = (auth.jwt() -> 'user_metadata' ->> 'org'));", "using (user_id = (select auth.uid()) and org = (auth.jwt() -> 'app_metadata' ->> 'org'));");
    expect(await errors(appMeta, CONFIG)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await project(db, appMeta);
      await db.query(`INSERT INTO public.org_docs VALUES (1, '${USER_A}', 'acme', 'a'), (2, '${USER_B}', 'globex', 'b')`);
      await db.asRole('authenticated', claims(USER_A, { app_metadata: { org: 'globex' } }), async (c) => {
        expect((await c.query('SELECT id FROM public.org_docs')).rows).toEqual([]);
      });
    });
  });
});
