/**
 * multiple-permissive-policies (warning, opt-in): more than one permissive policy for the same
 * role and command on a table; each is evaluated for every row. Off unless turned on.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'multiple-permissive-policies';
const ON = { rules: { [RULE]: 'warn' as const } };
const hits = (sql: string, config = {}) => ruleHits(RULE, sql, { ...ON, ...config });
const TABLE = 'CREATE TABLE docs (id bigint, tenant_id uuid NOT NULL, published boolean); ALTER TABLE docs ENABLE ROW LEVEL SECURITY;';
const PIN = "tenant_id = (SELECT current_setting('app.current_tenant', true))::uuid";
const on = (...policies: string[]) => [TABLE, ...policies].join('\n');

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['one policy per command', `CREATE POLICY s ON docs FOR SELECT USING (${PIN});`, `CREATE POLICY i ON docs FOR INSERT WITH CHECK (${PIN});`],
      ['one permissive and one restrictive', `CREATE POLICY p ON docs USING (${PIN});`, `CREATE POLICY r ON docs AS RESTRICTIVE USING (${PIN});`],
      ['the same command for different roles', `CREATE POLICY a ON docs FOR SELECT TO app USING (${PIN});`, `CREATE POLICY b ON docs FOR SELECT TO reporting USING (${PIN});`],
      ['the ORed conditions in one policy', `CREATE POLICY s ON docs FOR SELECT USING (${PIN} OR published);`],
    ] as const)('%s', async (_name, ...policies) => {
      expect(await hits(on(...policies))).toEqual([]);
    });

    it('is off unless turned on', async () => {
      expect(await ruleHits(RULE, on(`CREATE POLICY a ON docs FOR SELECT USING (${PIN});`, 'CREATE POLICY b ON docs FOR SELECT USING (published);'))).toEqual([]);
    });

    it('a policy for a role that is not an app role does not count', async () => {
      expect(await hits(on(`CREATE POLICY a ON docs FOR SELECT TO app USING (${PIN});`, 'CREATE POLICY b ON docs FOR SELECT TO admin USING (true);', 'GRANT SELECT ON docs TO app;'), { appRoles: ['app'] })).toEqual([]);
    });

    it('roles that bypass RLS are never filtered', async () => {
      expect(await hits(on('CREATE ROLE admin BYPASSRLS;', 'CREATE POLICY a ON docs FOR SELECT TO admin USING (true);', 'CREATE POLICY b ON docs FOR SELECT TO admin USING (published);'))).toEqual([]);
    });

    it("the platform's tables (one Storage policy per bucket is Supabase's pattern)", async () => {
      const sql = "create policy \"a\" on storage.objects for select to authenticated using (bucket_id = 'a' and owner_id = (select auth.uid())::text);\ncreate policy \"b\" on storage.objects for select to authenticated using (bucket_id = 'b' and owner_id = (select auth.uid())::text);";
      expect(await hits(sql, { preset: 'supabase', tenantColumns: ['user_id'] })).toEqual([]);
    });
  });

  describe('warnings', () => {
    it('two SELECT policies: one warning at the later one, naming role, command and policies', async () => {
      const findings = (await checkSql(on(`CREATE POLICY tenant ON docs FOR SELECT USING (${PIN});`, 'CREATE POLICY published ON docs FOR SELECT USING (published);'), ON)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 1, location: { file: '001.sql', line: 3 } });
      expect(findings[0]!.message).toBe('Table public.docs has 2 permissive policies for public on SELECT (tenant, published): PostgreSQL evaluates every one of them for each row. Merge them into one policy per command whose USING / WITH CHECK ORs their conditions.');
    });

    it.each([
      ['FOR ALL overlaps a FOR SELECT policy', [`CREATE POLICY tenant ON docs USING (${PIN}) WITH CHECK (${PIN});`, 'CREATE POLICY published ON docs FOR SELECT USING (published);'], ['001.sql:3']],
      ['two FOR ALL policies: one finding for the four commands', [`CREATE POLICY a ON docs USING (${PIN});`, `CREATE POLICY b ON docs USING (${PIN});`], ['001.sql:3']],
      ['a PUBLIC policy overlaps one for a named role', [`CREATE POLICY a ON docs FOR SELECT TO app USING (${PIN});`, 'CREATE POLICY b ON docs FOR SELECT USING (published);'], ['001.sql:3']],
      ['two overlaps on one table, each reported', [`CREATE POLICY s1 ON docs FOR SELECT USING (${PIN});`, 'CREATE POLICY s2 ON docs FOR SELECT USING (published);', `CREATE POLICY i1 ON docs FOR INSERT WITH CHECK (${PIN});`, `CREATE POLICY i2 ON docs FOR INSERT WITH CHECK (${PIN});`], ['001.sql:3', '001.sql:5']],
    ] as const)('%s', async (_name, policies, expected) => {
      expect(await hits(on(...policies))).toEqual(expected);
    });

    it('app roles: a policy for a group the app role inherits from counts', async () => {
      const sql = on('CREATE ROLE app_users NOLOGIN; CREATE ROLE app LOGIN IN ROLE app_users; GRANT SELECT ON docs TO app;', `CREATE POLICY a ON docs FOR SELECT TO app USING (${PIN});`, 'CREATE POLICY b ON docs FOR SELECT TO app_users USING (published);');
      expect(await hits(sql, { appRoles: ['app'] })).toEqual(['001.sql:4']);
    });

    it("Supabase: 'authenticated' with two INSERT policies (the message names the role)", async () => {
      const sql = 'create table public.members (team_id uuid not null, user_id uuid not null);\nalter table public.members enable row level security;\ncreate policy "owners add" on public.members for insert to authenticated with check (team_id is not null);\ncreate policy "join" on public.members for insert to authenticated with check (user_id = (select auth.uid()));';
      const [finding] = (await checkSql({ 'supabase/migrations/1.sql': sql }, { preset: 'supabase', tenantColumns: ['team_id'], ...ON })).filter((f) => f.ruleId === RULE);
      expect(finding).toMatchObject({ location: { line: 4 } });
      expect(finding!.message).toContain('2 permissive policies for authenticated on INSERT (owners add, join)');
    });
  });
});
