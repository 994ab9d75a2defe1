/**
 * Supabase Storage on PostgreSQL: what storage-public-listing and no-fail-open-policy claim about
 * policies on storage.objects, tried with the Supabase preset's prelude as the platform.
 *
 * - a public bucket whose SELECT policy is `bucket_id = 'avatars'` lets `anon` list every file;
 *   keyed by owner, it lists none of them to anon and only the user's own to a user;
 * - a private bucket's policy that checks `auth.role()` instead of the owner lets user A read and
 *   overwrite user B's files; keyed by the first folder of the path, it does not.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { supabase } from '../../src/presets/supabase.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { attempt, errors, findings, lineOf } from './helpers.js';

const USER_A = '00000000-0000-0000-0000-0000000000a1';
const USER_B = '00000000-0000-0000-0000-0000000000b1';
const SUPABASE = { preset: 'supabase' as const, tenantColumns: ['user_id'] };

/** The prelude, `migration` (as postgres, like Supabase's migrations), and one file per user in `bucket`, under the user's folder. */
async function storageProject(db: ScratchDatabase, migration: string, bucket: string): Promise<void> {
  await db.query(supabase.prelude);
  await db.query(migration);
  await db.query(`INSERT INTO storage.objects (id, bucket_id, name, owner, owner_id) VALUES
    (gen_random_uuid(), '${bucket}', '${USER_A}/a.png', '${USER_A}', '${USER_A}'),
    (gen_random_uuid(), '${bucket}', '${USER_B}/b.png', '${USER_B}', '${USER_B}')`);
}

function asUser<T>(db: ScratchDatabase, user: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return db.asRole('authenticated', { 'request.jwt.claims': JSON.stringify({ sub: user, role: 'authenticated' }) }, fn);
}

const names = async (c: pg.Client, bucket: string): Promise<string[]> =>
  (await c.query<{ name: string }>('SELECT name FROM storage.objects WHERE bucket_id = $1', [bucket])).rows.map((r) => r.name).sort();

describe('Supabase Storage on PostgreSQL', () => {
  const AVATARS = "INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true) ON CONFLICT DO NOTHING;";

  it("a public bucket with bucket_id = 'avatars' as its SELECT policy: one storage-public-listing warning, and anon lists every file", async () => {
    const sql = `${AVATARS}
CREATE POLICY "Avatar images are publicly accessible." ON storage.objects
  FOR SELECT USING (bucket_id = 'avatars');`;
    expect(await findings('storage-public-listing', sql, SUPABASE)).toEqual([{ ruleId: 'storage-public-listing', at: `001.sql:${lineOf(sql, 'CREATE POLICY')}` }]);
    expect(await errors(sql, SUPABASE)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await storageProject(db, sql, 'avatars');
      await db.asRole('anon', {}, async (c) => {
        expect(await names(c, 'avatars')).toEqual([`${USER_A}/a.png`, `${USER_B}/b.png`]);
      });
    });
  });

  it('the same bucket with a SELECT policy keyed by owner: nothing reported, anon lists nothing, a user lists their own', async () => {
    const sql = `${AVATARS}
CREATE POLICY "Users list their own avatars." ON storage.objects
  FOR SELECT TO authenticated USING (bucket_id = 'avatars' AND owner_id = (SELECT auth.uid())::text);`;
    expect(await findings('storage-public-listing', sql, SUPABASE)).toEqual([]);
    expect(await errors(sql, SUPABASE)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await storageProject(db, sql, 'avatars');
      await db.asRole('anon', {}, async (c) => {
        expect(await names(c, 'avatars')).toEqual([]);
      });
      await asUser(db, USER_A, async (c) => {
        expect(await names(c, 'avatars')).toEqual([`${USER_A}/a.png`]);
      });
    });
  });

  const DOCS = "INSERT INTO storage.buckets (id, name) VALUES ('docs', 'docs');";

  it("a private bucket's policy that checks the role, not the owner: a no-fail-open-policy error, and user A reads and renames user B's file", async () => {
    const sql = `${DOCS}
CREATE POLICY "signed-in users use docs" ON storage.objects FOR ALL TO authenticated
  USING (bucket_id = 'docs' AND auth.role() = 'authenticated')
  WITH CHECK (bucket_id = 'docs' AND auth.role() = 'authenticated');`;
    expect(await errors(sql, SUPABASE)).toEqual([`no-fail-open-policy@001.sql:${lineOf(sql, 'CREATE POLICY')}`]);
    await withScratchDatabase(async (db) => {
      await storageProject(db, sql, 'docs');
      await asUser(db, USER_A, async (c) => {
        expect(await names(c, 'docs')).toEqual([`${USER_A}/a.png`, `${USER_B}/b.png`]);
        expect(await attempt(c, `UPDATE storage.objects SET name = 'stolen.png' WHERE name = '${USER_B}/b.png'`)).toMatchObject({ code: 'ok', rowCount: 1 });
      });
    });
  });

  it("a private bucket keyed by the first folder of the path: no errors, and user A neither reads nor writes into user B's folder", async () => {
    const sql = `${DOCS}
CREATE POLICY "own folder" ON storage.objects FOR ALL TO authenticated
  USING (bucket_id = 'docs' AND (storage.foldername(name))[1] = (SELECT auth.uid())::text)
  WITH CHECK (bucket_id = 'docs' AND (storage.foldername(name))[1] = (SELECT auth.uid())::text);`;
    expect(await errors(sql, SUPABASE)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await storageProject(db, sql, 'docs');
      await asUser(db, USER_A, async (c) => {
        expect(await names(c, 'docs')).toEqual([`${USER_A}/a.png`]);
        expect(await attempt(c, `INSERT INTO storage.objects (id, bucket_id, name) VALUES (gen_random_uuid(), 'docs', '${USER_B}/planted.pdf')`)).toEqual({ code: '42501' });
        expect(await attempt(c, `UPDATE storage.objects SET name = '${USER_B}/moved.png' WHERE name = '${USER_A}/a.png'`)).toEqual({ code: '42501' });
        expect(await attempt(c, `DELETE FROM storage.objects WHERE name = '${USER_B}/b.png'`)).toMatchObject({ code: 'ok', rowCount: 0 });
      });
    });
  });
});
