/**
 * no-fail-open-policy: for every command, the effective predicate of the policies that apply to the
 * app (permissive OR-ed, restrictive AND-ed) pins the tenant column to the tenant context. A policy
 * that admits other tenants' rows is reported where it was last created or changed.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const RULE = 'no-fail-open-policy';
const hits = (sql: string | Record<string, string>, config = {}) => ruleHits(RULE, sql, config);
/** Line 1: a forced tenant table. Each case's policy is on line 2. */
const TABLE = 'CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, owner_id uuid); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;';
const CTX = "current_setting('app.current_tenant')::uuid";
const PIN = `tenant_id = ${CTX}`;
const on = (...lines: string[]) => [TABLE, ...lines].join('\n');
/** With app roles configured, only what they hold privileges on is reachable (SPEC section 3). */
const APP_GRANT = 'GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO app;';

describe(RULE, () => {
  describe('ok', () => {
    it.each([
      ['pinned USING and WITH CHECK', `CREATE POLICY p ON docs USING (${PIN}) WITH CHECK (${PIN});`],
      ['USING reused as the check (ALL without WITH CHECK)', `CREATE POLICY p ON docs USING (${PIN});`],
      // The pin raises first in every state the other branch needs: unset (42704), '' and 'all' (22P02).
      ['an IS NULL branch after a pin that raises when unset', `CREATE POLICY p ON docs USING (${PIN} OR current_setting('app.current_tenant', true) IS NULL);`],
      ["a magic literal after a pin whose cast raises on it", `CREATE POLICY p ON docs USING (${PIN} OR current_setting('app.current_tenant') IN ('all', ''));`],
      ['an IS NULL test of a setting read without missing_ok', `CREATE POLICY p ON docs USING (current_setting('app.current_tenant') IS NULL OR ${PIN});`],
      ['missing_ok: NULL when unset admits nothing', "CREATE POLICY p ON docs USING (tenant_id = current_setting('app.current_tenant', true)::uuid);"],
      ['cast on the column side', "CREATE POLICY p ON docs USING (tenant_id::text = current_setting('app.current_tenant'));"],
      ['cast with CAST()', "CREATE POLICY p ON docs USING (tenant_id = CAST(current_setting('app.current_tenant', true) AS uuid));"],
      ['(SELECT ...) wrapper', "CREATE POLICY p ON docs USING (tenant_id = (SELECT current_setting('app.current_tenant', true)::uuid));"],
      ['reversed operands', `CREATE POLICY p ON docs USING (${CTX} = tenant_id);`],
      ['qualified column', `CREATE POLICY p ON docs USING (docs.tenant_id = ${CTX});`],
      ['NULLIF(setting, \'\')', "CREATE POLICY p ON docs USING (tenant_id = nullif(current_setting('app.current_tenant', true), '')::uuid);"],
      ['pinned AND another condition', `CREATE POLICY p ON docs USING (${PIN} AND owner_id IS NOT NULL);`],
      ['OR of two pinned branches', `CREATE POLICY p ON docs USING (${PIN} OR (${PIN} AND id > 0));`],
      ['restrictive pinned + permissive true', "CREATE POLICY open ON docs USING (true);\nCREATE POLICY pin ON docs AS RESTRICTIVE USING (" + PIN + ") WITH CHECK (" + PIN + ');'],
      ['per-command policies, all pinned', `CREATE POLICY s ON docs FOR SELECT USING (${PIN});\nCREATE POLICY i ON docs FOR INSERT WITH CHECK (${PIN});\nCREATE POLICY u ON docs FOR UPDATE USING (${PIN}) WITH CHECK (${PIN});\nCREATE POLICY d ON docs FOR DELETE USING (${PIN});`],
      ['WITH CHECK (false) admits nothing', `CREATE POLICY p ON docs USING (${PIN}) WITH CHECK (false);`],
      ['an open policy fixed by ALTER POLICY', `CREATE POLICY p ON docs USING (true);\nALTER POLICY p ON docs USING (${PIN}) WITH CHECK (${PIN});`],
      ['an open policy dropped', `CREATE POLICY open ON docs USING (true);\nCREATE POLICY p ON docs USING (${PIN});\nDROP POLICY open ON docs;`],
      ['no policy at all admits nothing', 'SELECT 1;'],
    ] as const)('%s', async (_name, policy) => {
      expect(await hits(on(policy))).toEqual([]);
    });

    it("Supabase's auth.uid() is an identity source without any configuration", async () => {
      expect(await hits(on('CREATE POLICY p ON docs USING (tenant_id = auth.uid()) WITH CHECK (tenant_id = (SELECT auth.uid()));'))).toEqual([]);
    });

    it('tenantFunctions: auth.uid()-style tenant function', async () => {
      expect(await hits(on('CREATE POLICY p ON docs USING (tenant_id = auth.uid()) WITH CHECK (tenant_id = (SELECT auth.uid()));'), { tenantFunctions: ['auth.uid'] })).toEqual([]);
    });

    it('tenantSettings: a configured setting name', async () => {
      expect(await hits(on("CREATE POLICY p ON docs USING (tenant_id = current_setting('app.tenant')::uuid);"), { tenantSettings: ['app.tenant'] })).toEqual([]);
    });

    it('an open policy TO another role does not apply to the app roles', async () => {
      expect(await hits(on(`CREATE POLICY app_tenant ON docs TO app USING (${PIN});`, 'CREATE POLICY admin_all ON docs TO admin USING (true);'), { appRoles: ['app'] })).toEqual([]);
    });

    it('a global table may be open', async () => {
      expect(await hits('CREATE TABLE plans (id bigint, tenant_id uuid); ALTER TABLE plans ENABLE ROW LEVEL SECURITY;\nCREATE POLICY read_all ON plans USING (true);', { globalTables: ['plans'] })).toEqual([]);
    });
  });

  describe('errors', () => {
    it('USING (true): error at the policy, naming every command it opens and why', async () => {
      const findings = (await checkSql(on('CREATE POLICY p ON docs USING (true);'))).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { file: '001.sql', line: 2, column: 1 } });
      expect(findings[0]!.message).toContain(
        "Policy p on public.docs lets the app reach other tenants' rows for SELECT, INSERT (WITH CHECK), UPDATE (rows it can reach), UPDATE (new rows), DELETE: `true` admits every row.",
      );
    });

    it('WITH CHECK (true) with a pinned USING opens the writes only', async () => {
      const [finding] = (await checkSql(on(`CREATE POLICY p ON docs USING (${PIN}) WITH CHECK (true);`))).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain("lets the app reach other tenants' rows for INSERT (WITH CHECK), UPDATE (new rows): `true` admits every row");
    });

    it('a SELECT policy (true) next to pinned write policies opens SELECT only', async () => {
      const findings = (await checkSql(on('CREATE POLICY s ON docs FOR SELECT USING (true);', `CREATE POLICY u ON docs FOR UPDATE USING (${PIN}) WITH CHECK (${PIN});`))).filter((f) => f.ruleId === RULE);
      expect(findings.map((f) => f.location.line)).toEqual([2]);
      expect(findings[0]!.message).toContain("Policy s on public.docs lets the app reach other tenants' rows for SELECT: `true` admits every row.");
    });

    it('a literal tenant value is named as such', async () => {
      const [finding] = (await checkSql(on(`CREATE POLICY p ON docs USING (${PIN} OR tenant_id = '00000000-0000-0000-0000-000000000000');`))).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('an OR branch opens it: tenant_id is compared with a literal value');
    });

    it.each([
      ['bypass setting OR-ed in', `CREATE POLICY p ON docs USING (${PIN} OR current_setting('app.bypass_rls', true) = 'on');`],
      ['OR current_setting(...) IS NULL', "CREATE POLICY p ON docs USING (tenant_id = current_setting('app.current_tenant', true)::uuid OR current_setting('app.current_tenant', true) IS NULL);"],
      ["OR current_setting(...) = '' after a text comparison", "CREATE POLICY p ON docs USING (tenant_id::text = current_setting('app.current_tenant') OR current_setting('app.current_tenant') = '');"],
      ["an opener first, before the branch that raises", "CREATE POLICY p ON docs USING (current_setting('app.current_tenant') = 'all' OR tenant_id = current_setting('app.current_tenant')::uuid);"],
      ['coalesce(..., true)', "CREATE POLICY p ON docs USING (coalesce(tenant_id = current_setting('app.current_tenant', true)::uuid, true));"],
      ['OR true', `CREATE POLICY p ON docs USING (${PIN} OR true);`],
      ['an unrelated predicate', 'CREATE POLICY p ON docs USING (owner_id IS NOT NULL);'],
      ['another setting', "CREATE POLICY p ON docs USING (tenant_id = current_setting('app.current_user')::uuid);"],
      ['a function that is not a tenant function (and not defined by the migrations)', 'CREATE POLICY p ON docs USING (tenant_id = app.some_tenant());'],
      ['the tenant column compared with itself', 'CREATE POLICY p ON docs USING (tenant_id = tenant_id);'],
      ['WITH CHECK (true)', `CREATE POLICY p ON docs FOR INSERT WITH CHECK (true);`],
      ['UPDATE that reaches every row', `CREATE POLICY p ON docs FOR UPDATE USING (true) WITH CHECK (${PIN});`],
      ['restrictive that does not pin + permissive true', `CREATE POLICY p ON docs USING (true);\nCREATE POLICY r ON docs AS RESTRICTIVE USING (owner_id IS NOT NULL);`],
      ['a pinned policy OR-ed with an open one: the open one is reported', `CREATE POLICY p ON docs USING (true);\nCREATE POLICY q ON docs USING (${PIN});`],
    ] as const)('%s', async (_name, policy) => {
      expect(await hits(on(policy))).toEqual(['001.sql:2']);
    });

    it.each([
      ['ALTER POLICY opening it: reported at the ALTER', `CREATE POLICY p ON docs USING (${PIN});\nALTER POLICY p ON docs USING (${PIN} OR current_setting('app.bypass_rls', true) = 'on');`, ['001.sql:3']],
      ['DROP + CREATE replacing a pinned policy', { '001_a.sql': on(`CREATE POLICY p ON docs USING (${PIN});`), '002_b.sql': 'DROP POLICY p ON docs;\nCREATE POLICY p ON docs USING (true);' }, ['002_b.sql:2']],
      ['RENAME keeps the finding at the statement that opened it', `CREATE POLICY p ON docs USING (true);\nALTER POLICY p ON docs RENAME TO q;`, ['001.sql:2']],
    ] as const)('%s', async (_name, sql, expected) => {
      expect(await hits(typeof sql === 'string' ? on(sql) : sql)).toEqual(expected);
    });

    it('a renamed policy is named by its final name', async () => {
      const [finding] = (await checkSql(on('CREATE POLICY p ON docs USING (true);\nALTER POLICY p ON docs RENAME TO q;'))).filter((f) => f.ruleId === RULE);
      expect(finding!.message).toContain('Policy q on public.docs');
    });

    it.each([
      ['TO the app role', on('CREATE POLICY p ON docs TO app USING (true);'), ['001.sql:2']],
      ['TO PUBLIC', on('CREATE POLICY p ON docs TO PUBLIC USING (true);'), ['001.sql:2']],
      ['with no TO (PUBLIC)', on('CREATE POLICY p ON docs USING (true);'), ['001.sql:2']],
      ['moved TO the app role by ALTER POLICY', on('CREATE POLICY p ON docs TO admin USING (true);', 'ALTER POLICY p ON docs TO app;'), ['001.sql:3']],
    ] as const)('an open policy %s applies to the app (appRoles: app)', async (_name, sql, expected) => {
      expect(await hits(`${sql}\n${APP_GRANT}`, { appRoles: ['app'] })).toEqual(expected);
    });

    it('a restrictive policy FOR SELECT does not close the writes of a permissive ALL (true)', async () => {
      const [finding] = (await checkSql(on(`CREATE POLICY p ON docs USING (true) WITH CHECK (true);`, `CREATE POLICY r ON docs AS RESTRICTIVE FOR SELECT USING (${PIN});`))).filter((f) => f.ruleId === RULE);
      expect(finding).toMatchObject({ location: { line: 2 } });
      expect(finding!.message).toContain("rows for INSERT (WITH CHECK), UPDATE (rows it can reach), UPDATE (new rows), DELETE: `true` admits every row");
    });

    it('an open policy TO a role the app is a member of', async () => {
      expect(await hits(on('CREATE ROLE readers; GRANT readers TO app;', 'CREATE POLICY p ON docs TO readers USING (true);', 'GRANT SELECT ON docs TO readers;'), { appRoles: ['app'] })).toEqual(['001.sql:3']);
    });

    it('schema-qualified table in a schema created by the migration', async () => {
      expect(await hits("CREATE SCHEMA app;\nCREATE TABLE app.docs (tenant_id uuid NOT NULL); ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY p ON app.docs USING (true);")).toEqual(['001.sql:3']);
    });

    // Fixed: the tenant column is matched case-insensitively, but a quoted "Tenant_Id" is a different
    // column from tenant_id in PostgreSQL: this policy pins "Tenant_Id" and leaves tenant_id open.
    it('a quoted "Tenant_Id" is not the tenant column tenant_id', async () => {
      expect(await hits('CREATE TABLE docs (tenant_id uuid NOT NULL, "Tenant_Id" uuid); ALTER TABLE docs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\n' + `CREATE POLICY p ON docs USING ("Tenant_Id" = ${CTX}) WITH CHECK ("Tenant_Id" = ${CTX});`)).toEqual(['001.sql:2']);
    });
  });

  describe('exact semantics', () => {
    const T = 'CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL, n_tenant int, body text); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY; GRANT SELECT, INSERT, UPDATE, DELETE ON t TO app;';
    const cfg = { appRoles: ['app'], migrationRole: 'owner_role' };
    const OK_CTX = "current_setting('app.current_tenant', true)";
    it.each([
      ["a uuid column as text is never 'all'", `CREATE POLICY p ON t TO app USING (tenant_id::text = ${OK_CTX} OR tenant_id::text = 'all');`],
      ["a uuid column as text is never a non-uuid literal, either side", `CREATE POLICY p ON t TO app USING (tenant_id::text = ${OK_CTX} OR 'servicetenant' = tenant_id::text);`],
      ['an UPDATE check open where USING reaches nothing', `CREATE POLICY s ON t FOR SELECT TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY u ON t FOR UPDATE TO app USING (false) WITH CHECK (true);`],
      ['an UPDATE check open under a restrictive USING (false)', `CREATE POLICY s ON t FOR SELECT TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY u ON t FOR UPDATE TO app USING (true) WITH CHECK (true);\nCREATE POLICY r ON t AS RESTRICTIVE FOR UPDATE TO app USING (false);`],
      // USING and the check judged in one state: USING reaches every row only with the tenant
      // empty, where the check (NULLIF -> NULL) accepts no new row.
      ['UPDATE USING open only when the tenant is empty, where the check accepts nothing', `CREATE POLICY s ON t FOR SELECT TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY u ON t FOR UPDATE TO app USING (coalesce(${OK_CTX}, '') = '') WITH CHECK (tenant_id = nullif(${OK_CTX}, '')::uuid);`],
      ['UPDATE check open only with a bypass setting, under which USING reaches nothing', `CREATE POLICY s ON t FOR SELECT TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY u ON t FOR UPDATE TO app USING (tenant_id = ${OK_CTX}::uuid AND current_setting('app.bypass', true) IS NULL) WITH CHECK (current_setting('app.bypass', true) = 'on');`],
      ['a policy for another role only (not the owner, not the app)', `CREATE POLICY a ON t TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY other ON t TO auditor USING (true);`],
    ] as const)('no finding: %s', async (_name, policy) => {
      expect(await hits(`${T}\n${policy}`, cfg)).toEqual([]);
    });

    it.each([
      ["a text column can be 'all'", "CREATE TABLE t (id int PRIMARY KEY, tenant_id text NOT NULL); ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY; GRANT SELECT ON t TO app;\n" + `CREATE POLICY p ON t TO app USING (tenant_id = ${OK_CTX} OR tenant_id = 'all');`],
      ['an int column compared with a number literal', `${T}\nCREATE POLICY p ON t TO app USING (tenant_id = ${OK_CTX}::uuid OR n_tenant = 0);`],
      // A pooled connection holds '' for a setting some transaction set locally: NOT ('' = 'on') is true.
      ["a negated bypass test: '' on a pooled connection is not 'on'", `${T}\nCREATE POLICY p ON t TO app USING (${OK_CTX} = 'all' AND NOT (current_setting('app.bypass', true) = 'on'));`],
      ["a bypass setting negated as a boolean: 'off' opens it", `${T}\nCREATE POLICY p ON t TO app USING (tenant_id = ${OK_CTX}::uuid OR NOT current_setting('app.bypass', true)::boolean);`],
      ['an UPDATE check open where USING reaches own rows (they move to any tenant)', `${T}\nCREATE POLICY s ON t FOR SELECT TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY u ON t FOR UPDATE TO app USING (tenant_id = ${OK_CTX}::uuid) WITH CHECK (true);`],
    ] as const)('reported: %s', async (_name, sql) => {
      expect(await hits(sql, cfg)).toEqual([`001.sql:${sql.split('\n').length}`]);
    });

    it('an open policy for the owner under FORCE: reported naming the owner', async () => {
      const sql = `${T}\nCREATE POLICY a ON t TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY own ON t TO owner_role USING (true);`;
      const found = (await checkSql(sql, cfg)).filter((f) => f.ruleId === RULE);
      expect(found.map((f) => f.location.line)).toEqual([3]);
      expect(found[0]!.message).toContain("lets the table's owner owner_role reach other tenants' rows");
    });

    it('the same policy TO PUBLIC without FORCE is the app\'s finding; a bypassing owner gets none', async () => {
      const noForce = T.replace(' ALTER TABLE t FORCE ROW LEVEL SECURITY;', '');
      expect(await hits(`${noForce}\nCREATE POLICY a ON t TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY own ON t TO owner_role USING (true);`, cfg)).toEqual([]);
      const bypassing = `CREATE ROLE owner_role BYPASSRLS;\n${T}\nCREATE POLICY a ON t TO app USING (tenant_id = ${OK_CTX}::uuid);\nCREATE POLICY own ON t TO owner_role USING (true);`;
      expect(await hits(bypassing, cfg)).toEqual([]);
    });
  });
});

describe(`${RULE}: Supabase Storage (storage.objects, keyed by owner or by an identity folder)`, () => {
  const SUPABASE = { preset: 'supabase', tenantColumns: ['user_id'] };
  const storageHits = (sql: string) => hits(sql, SUPABASE);
  const PRIVATE = "insert into storage.buckets (id, name, public) values ('docs', 'docs', false);";
  const PUBLIC = "insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);";

  describe('ok', () => {
    it.each([
      ['keyed by owner', `create policy "own" on storage.objects for all to authenticated using (bucket_id = 'docs' and owner = (select auth.uid())) with check (bucket_id = 'docs' and owner = (select auth.uid()));`],
      ['keyed by owner_id (text)', `create policy "own" on storage.objects for select to authenticated using (bucket_id = 'docs' and owner_id = (select auth.uid())::text);`],
      ['keyed by the first folder', `create policy "own folder" on storage.objects for select to authenticated using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text);`],
      ['keyed by the first folder, reversed and wrapped', `create policy "own folder" on storage.objects for insert to authenticated with check (bucket_id = 'docs' and (select auth.uid()::text) = (storage.foldername(name))[1]);`],
      ['a public bucket readable by anyone (storage-public-listing reports listing)', `${PUBLIC}\ncreate policy "avatars" on storage.objects for select using (bucket_id = 'avatars');`],
      ['anyone may upload to a public bucket', `${PUBLIC}\ncreate policy "upload" on storage.objects for insert with check (bucket_id = 'avatars');`],
      ['a policy for service_role, which bypasses RLS anyway', `create policy "server" on storage.objects for all to service_role using (true);`],
    ] as const)('%s', async (_name, policy) => {
      expect(await storageHits(`${PRIVATE}\n${policy}`)).toEqual([]);
    });
  });

  describe('errors', () => {
    it('a private bucket readable by bucket_id alone: error at the policy, suggesting the owner pin', async () => {
      const findings = (await checkSql(`${PRIVATE}\ncreate policy "team docs" on storage.objects for select to authenticated using (bucket_id = 'docs');`, SUPABASE)).filter((f) => f.ruleId === RULE);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 2, location: { line: 2 } });
      expect(findings[0]!.message).toContain('Policy team docs on storage.objects lets the app reach other tenants\' rows for SELECT');
      expect(findings[0]!.message).toContain('owner = (SELECT auth.uid())');
    });

    it.each([
      ['signed in is not an owner', `create policy "signed in" on storage.objects for select to authenticated using (bucket_id = 'docs' and auth.role() = 'authenticated');`, ['001.sql:2']],
      ['a folder compared with a literal', `create policy "shared" on storage.objects for select to authenticated using (bucket_id = 'docs' and (storage.foldername(name))[1] = 'shared');`, ['001.sql:2']],
      ['the second folder is not a key the preset knows', `create policy "second" on storage.objects for select to authenticated using (bucket_id = 'docs' and (storage.foldername(name))[2] = auth.uid()::text);`, ['001.sql:2']],
      ['a folder from user_metadata, which the user writes', `create policy "meta" on storage.objects for select to authenticated using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.jwt() -> 'user_metadata' ->> 'org');`, ['001.sql:2']],
      ['uploads into any folder of a private bucket', `create policy "upload" on storage.objects for insert to authenticated with check (bucket_id = 'docs');`, ['001.sql:2']],
      ['a policy with no bucket at all', `create policy "everything" on storage.objects for select using (true);`, ['001.sql:2']],
      ['anyone may delete every avatar of a public bucket', `${PUBLIC}\ncreate policy "delete avatars" on storage.objects for delete using (bucket_id = 'avatars');`, ['001.sql:3']],
    ] as const)('%s', async (_name, policy, expected) => {
      expect(await storageHits(`${PRIVATE}\n${policy}`)).toEqual(expected);
    });
  });
});
