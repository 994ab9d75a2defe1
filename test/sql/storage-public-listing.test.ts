/**
 * storage-public-listing (warning): a public bucket's objects are served by URL to anyone; a SELECT
 * policy on storage.objects that admits every object of the bucket also lets every client list
 * the bucket. Buckets are the rows of storage.buckets the migrations insert (read from the AST).
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'storage-public-listing';
const SUPABASE = { preset: 'supabase', tenantColumns: ['user_id'] };
const hits = (sql: string, config = {}) => ruleHits(RULE, sql, { ...SUPABASE, ...config });
const PUBLIC = "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);";
const PRIVATE = "insert into storage.buckets (id, name) values ('docs', 'docs');";

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['a public bucket with no SELECT policy (URLs need none)', `${PUBLIC}\nselect 1;`],
      ['a public bucket whose SELECT policy keys objects by owner', `${PUBLIC}\ncreate policy "own avatars" on storage.objects for select using (bucket_id = 'avatars' and owner_id = (select auth.uid())::text);`],
      ['a public bucket whose SELECT policy keys objects by folder', `${PUBLIC}\ncreate policy "own folder" on storage.objects for select using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);`],
      ['a public bucket listing one folder only', `${PUBLIC}\ncreate policy "public folder" on storage.objects for select using (bucket_id = 'avatars' and (storage.foldername(name))[1] = 'public');`],
      ['a private bucket readable by bucket_id alone (no-fail-open-policy judges it)', `${PRIVATE}\ncreate policy "docs" on storage.objects for select using (bucket_id = 'docs');`],
      ['the SELECT policy is for another bucket', `${PUBLIC}\n${PRIVATE}\ncreate policy "docs" on storage.objects for select to authenticated using (bucket_id = 'docs' and owner_id = (select auth.uid())::text);`],
      ['a write policy, not a read', `${PUBLIC}\ncreate policy "upload" on storage.objects for insert to authenticated with check (bucket_id = 'avatars');`],
      ['a policy for a role that is not an app role', `${PUBLIC}\ncreate policy "admins" on storage.objects for select to service_role using (bucket_id = 'avatars');`],
      ['a restrictive policy keys every read by owner', `${PUBLIC}\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars');\ncreate policy "owner only" on storage.objects as restrictive for select using (owner_id = (select auth.uid())::text);`],
      ['made private by a later UPDATE', `${PUBLIC}\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars');\nupdate storage.buckets set public = false where id = 'avatars';`],
      ['deleted by a later DELETE', `${PUBLIC}\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars');\ndelete from storage.buckets where id = 'avatars';`],
      ['ON CONFLICT DO NOTHING keeps the bucket private', `${PRIVATE.replace('docs', 'avatars').replace('docs', 'avatars')}\ninsert into storage.buckets (id, name, public) values ('avatars', 'avatars', true) on conflict do nothing;\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars');`],
      ['public computed by an expression rls-guard cannot read', "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', random() > 0.5);\ncreate policy \"list\" on storage.objects for select using (bucket_id = 'avatars');"],
    ] as const)('%s', async (_name, sql) => {
      expect(await hits(sql)).toEqual([]);
    });
  });

  describe('warnings', () => {
    it('bucket_id alone: a warning at the policy, naming the bucket and the fix', async () => {
      const findings = (await checkSql(`${PUBLIC}\ncreate policy "Avatar images are publicly accessible." on storage.objects for select using (bucket_id = 'avatars');`, SUPABASE)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain("admits every object of the public bucket 'avatars', so every client it applies to can list every file in it");
      expect(findings[0]!.message).toContain("USING (bucket_id = 'avatars' AND owner_id = (SELECT auth.uid())::text)");
    });

    it.each([
      ['FOR ALL with bucket_id alone', `${PUBLIC}\ncreate policy "all" on storage.objects to anon using (bucket_id = 'avatars');`, ['001.sql:2']],
      ['USING (true) lists every public bucket, once per policy', `${PUBLIC}\ninsert into storage.buckets (id, name, public) values ('logos', 'logos', 'true');\ncreate policy "read" on storage.objects for select using (true);`, ['001.sql:3']],
      ['bucket_id IN (...) naming the public bucket', `${PUBLIC}\ncreate policy "read" on storage.objects for select using (bucket_id in ('avatars', 'logos'));`, ['001.sql:2']],
      ['a session condition does not narrow the objects', `${PUBLIC}\ncreate policy "signed in" on storage.objects for select to authenticated using (bucket_id = 'avatars' and auth.role() = 'authenticated');`, ['001.sql:2']],
      ['an OR branch that admits the bucket', `${PUBLIC}\ncreate policy "read" on storage.objects for select using (bucket_id = 'avatars' or owner_id = (select auth.uid())::text);`, ['001.sql:2']],
      ['made public by ON CONFLICT DO UPDATE', `${PRIVATE.replace('docs', 'avatars').replace('docs', 'avatars')}\ninsert into storage.buckets (id, name, public) values ('avatars', 'avatars', true) on conflict (id) do update set public = excluded.public;\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars');`, ['001.sql:3']],
      ['made public by a later UPDATE', `${PRIVATE}\ncreate policy "list" on storage.objects for select using (bucket_id = 'docs');\nupdate storage.buckets set public = true where id = 'docs';`, ['001.sql:2']],
      ['INSERT without a column list, in the table\'s column order', "insert into storage.buckets values ('avatars', 'avatars', null, true);\ncreate policy \"list\" on storage.objects for select using (bucket_id = 'avatars');", ['001.sql:2']],
      ['a policy changed by ALTER POLICY: reported at the ALTER', `${PUBLIC}\ncreate policy "list" on storage.objects for select using (bucket_id = 'avatars' and owner_id = (select auth.uid())::text);\nalter policy "list" on storage.objects using (bucket_id = 'avatars');`, ['001.sql:3']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(sql)).toEqual(expected);
    });

    it('without the preset, a bucket named storage.buckets is still read', async () => {
      const sql = "create schema storage; create table storage.buckets (id text primary key, name text, public boolean); create table storage.objects (id uuid, bucket_id text, name text, owner_id text); alter table storage.objects enable row level security;\ninsert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);\ncreate policy \"list\" on storage.objects for select using (bucket_id = 'avatars');";
      expect(await ruleHits(RULE, sql, {})).toEqual(['001.sql:3']);
    });
  });
});
