/**
 * The identity model (docs/identity.md) through the rules that use it: which values pin a row to
 * the session (derived identity through subqueries and helper functions), when a membership table
 * lets the app bind itself to another tenant (membership trust), and which tables the app can reach
 * at all (reachability). Every case has a counterpart that must be reported.
 */
import { describe, expect, it } from 'vitest';
import { checkSql, ruleHits } from '../support/check-sql.js';

const TEAMS = `CREATE TABLE teams (id uuid PRIMARY KEY, name text);
CREATE TABLE members (team_id uuid NOT NULL REFERENCES teams (id), user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member', PRIMARY KEY (team_id, user_id));
CREATE TABLE docs (id int PRIMARY KEY, team_id uuid NOT NULL REFERENCES teams (id), body text);
ALTER TABLE teams ENABLE ROW LEVEL SECURITY; ALTER TABLE teams FORCE ROW LEVEL SECURITY;
ALTER TABLE members ENABLE ROW LEVEL SECURITY; ALTER TABLE members FORCE ROW LEVEL SECURITY;
ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON teams, members TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO app;
CREATE POLICY teams_read ON teams FOR SELECT USING (id IN (SELECT team_id FROM members WHERE user_id = current_setting('app.user_id')::uuid));
CREATE POLICY members_read ON members FOR SELECT USING (user_id = current_setting('app.user_id')::uuid);`;
/** Line of the first statement after TEAMS. */
const NEXT = TEAMS.split('\n').length + 1;
const CONFIG = { appRoles: ['app'], tenantColumns: ['team_id', 'user_id'], tenantSettings: ['app.user_id'] };
const ME = "current_setting('app.user_id')::uuid";
const withTeams = (...lines: string[]) => [TEAMS, ...lines].join('\n');
const openHits = (sql: string) => ruleHits('no-fail-open-policy', sql, CONFIG);

describe('derived identity', () => {
  it.each([
    ['IN a subquery keyed by the identity', `CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members WHERE user_id = ${ME}));`],
    ['= ANY (ARRAY(subquery))', `CREATE POLICY d ON docs USING (team_id = ANY (ARRAY(SELECT m.team_id FROM members m WHERE m.user_id = ${ME})));`],
    ['a correlated EXISTS', `CREATE POLICY d ON docs USING (EXISTS (SELECT 1 FROM members m WHERE m.team_id = docs.team_id AND m.user_id = ${ME}));`],
    ['a scalar subquery keyed by the identity', `CREATE POLICY d ON docs USING (team_id = (SELECT m.team_id FROM members m WHERE m.user_id = ${ME} LIMIT 1));`],
    ['a set-returning SQL helper', `CREATE FUNCTION my_teams() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT team_id FROM public.members WHERE user_id = ${ME} $$;
CREATE POLICY d ON docs USING (team_id IN (SELECT my_teams()));`],
    ['a PL/pgSQL membership test of its argument', `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.members m WHERE m.team_id = t AND m.user_id = ${ME});
END $$;
CREATE POLICY d ON docs USING (is_member(team_id));`],
    ['a membership test compared with true', `CREATE FUNCTION has_role_on(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.members WHERE team_id = t AND user_id = ${ME}) $$;
CREATE POLICY d ON docs USING (has_role_on(team_id) = true);`],
    ['a chain: identity helper, then the user\'s teams', `CREATE FUNCTION me() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT ${ME} $$;
CREATE FUNCTION my_teams() RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT team_id FROM public.members WHERE user_id = public.me() $$;
CREATE POLICY d ON docs USING (team_id IN (SELECT my_teams()));`],
  ] as const)('pins: %s', async (_name, policy) => {
    expect(await openHits(withTeams(policy))).toEqual([]);
  });

  it.each([
    ['IN a subquery keyed by nothing', 'CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members));'],
    ['an uncorrelated EXISTS (any member sees every team)', `CREATE POLICY d ON docs USING (EXISTS (SELECT 1 FROM members m WHERE m.user_id = ${ME}));`],
    ['a helper whose body returns every team', `CREATE FUNCTION all_teams() RETURNS SETOF uuid LANGUAGE sql STABLE AS $$ SELECT id FROM public.teams $$;
CREATE POLICY d ON docs USING (team_id IN (SELECT all_teams()));`],
    ['a membership test OR-ed with true', `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.team_id = t AND m.user_id = ${ME}) $$;
CREATE POLICY d ON docs USING (is_member(team_id) OR true);`],
    ['a membership test that ignores its argument', `CREATE FUNCTION is_member(t uuid) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = ${ME}) $$;
CREATE POLICY d ON docs USING (is_member(team_id));`],
    ['a setting nobody configured as identity', "CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members WHERE user_id = current_setting('app.whoever')::uuid));"],
  ] as const)('does not pin: %s', async (_name, policy) => {
    const lastLine = withTeams(policy).split('\n').length;
    expect(await openHits(withTeams(policy))).toEqual([`001.sql:${lastLine}`]);
  });

  it('a helper the analyzer cannot read says so instead of guessing', async () => {
    const sql = withTeams(
      "CREATE FUNCTION dyn_teams() RETURNS SETOF uuid LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN QUERY EXECUTE 'SELECT team_id FROM members'; END $$;",
      'CREATE POLICY d ON docs USING (team_id IN (SELECT dyn_teams()));',
    );
    const open = (await checkSql(sql, CONFIG)).filter((f) => f.ruleId === 'no-fail-open-policy');
    expect(open.map((f) => f.location.line)).toEqual([NEXT + 1]);
    expect(open[0]!.message).toMatch(/could not follow|dyn_teams/);
  });

  it('a chain deeper than the depth limit is reported with the reason', async () => {
    const fns = [`CREATE FUNCTION f0() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT ${ME} $$;`];
    for (let i = 1; i <= 12; i++) fns.push(`CREATE FUNCTION f${i}() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT public.f${i - 1}() $$;`);
    const shallow = withTeams(...fns, 'CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members WHERE user_id = f3()));');
    expect(await openHits(shallow)).toEqual([]);
    const deep = withTeams(...fns, 'CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members WHERE user_id = f12()));');
    const open = (await checkSql(deep, CONFIG)).filter((f) => f.ruleId === 'no-fail-open-policy');
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toMatch(/could not follow/i);
  });
});

describe('membership trust', () => {
  const DOCS = `CREATE POLICY d ON docs USING (team_id IN (SELECT team_id FROM members WHERE user_id = ${ME}));`;
  it('an INSERT policy that lets a user add themselves to any team: one finding there, naming the tables it opens', async () => {
    const sql = withTeams(DOCS, 'GRANT INSERT ON members TO app;', `CREATE POLICY join_any ON members FOR INSERT WITH CHECK (user_id = ${ME});`);
    const open = (await checkSql(sql, CONFIG)).filter((f) => f.ruleId === 'no-fail-open-policy');
    expect(open.map((f) => f.location.line)).toEqual([NEXT + 2]);
    expect(open[0]!.message).toContain('docs');
    expect(open[0]!.message).toContain('teams');
  });

  it('an UPDATE policy that lets a member move their own membership row to another team', async () => {
    const sql = withTeams(DOCS, 'GRANT UPDATE ON members TO app;', `CREATE POLICY move_own ON members FOR UPDATE USING (user_id = ${ME});`);
    expect(await openHits(sql)).toEqual([`001.sql:${NEXT + 2}`]);
  });

  it('only the team\'s owners may add members: no finding', async () => {
    const sql = withTeams(
      DOCS,
      'GRANT INSERT ON members TO app;',
      `CREATE FUNCTION is_owner(t uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$ SELECT EXISTS (SELECT 1 FROM public.members WHERE team_id = t AND user_id = ${ME} AND role = 'owner') $$;`,
      'CREATE POLICY owners_add ON members FOR INSERT WITH CHECK (is_owner(team_id));',
    );
    expect(await openHits(sql)).toEqual([]);
  });

  it('the same join policy without the INSERT privilege opens nothing', async () => {
    const sql = withTeams(DOCS, `CREATE POLICY join_any ON members FOR INSERT WITH CHECK (user_id = ${ME});`);
    expect(await openHits(sql)).toEqual([]);
    const revoked = withTeams(DOCS, 'GRANT INSERT ON members TO app;', `CREATE POLICY join_any ON members FOR INSERT WITH CHECK (user_id = ${ME});`, 'REVOKE INSERT ON members FROM app;');
    expect(await openHits(revoked)).toEqual([]);
  });
});

describe('reachability', () => {
  /** A tenant table with no RLS at all: reported by require-rls only when the app can reach it. */
  const BARE = 'CREATE TABLE secrets (id int PRIMARY KEY, tenant_id uuid NOT NULL, body text);';
  const config = { appRoles: ['app'] };
  const rls = (sql: string) => ruleHits('require-rls', sql, config);

  it.each([
    ['a direct grant', `${BARE}\nGRANT SELECT ON secrets TO app;`],
    ['a grant to PUBLIC', `${BARE}\nGRANT SELECT ON secrets TO PUBLIC;`],
    ['a grant to a role the app is a member of', `CREATE ROLE readers;\nGRANT readers TO app;\n${BARE}\nGRANT SELECT ON secrets TO readers;`],
    ['ON ALL TABLES IN SCHEMA', `${BARE}\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO app;`],
    ['default privileges', `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app;\n${BARE}`],
    ['a global default a per-schema REVOKE cannot take away', `ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app;\nALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM app;\n${BARE}`],
  ] as const)('reachable through %s: require-rls', async (_name, sql) => {
    expect(await rls(sql)).toEqual([`001.sql:${sql.split('\n').indexOf(BARE) + 1}`]);
  });

  it.each([
    ['no grant at all', BARE],
    ['a grant revoked again', `${BARE}\nGRANT SELECT ON secrets TO app;\nREVOKE SELECT ON secrets FROM app;`],
    ['a default privilege revoked before the table exists', `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app;\nALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM app;\n${BARE}`],
    ['a schema the app has no USAGE on', 'CREATE SCHEMA vault;\nCREATE TABLE vault.secrets (id int PRIMARY KEY, tenant_id uuid NOT NULL);\nGRANT SELECT ON vault.secrets TO app;'],
  ] as const)('unreachable with %s: no finding', async (_name, sql) => {
    expect(await rls(sql)).toEqual([]);
  });

  it('without app roles configured, every tenant table counts as reachable (the old behaviour)', async () => {
    expect(await ruleHits('require-rls', BARE, {})).toEqual(['001.sql:1']);
  });
});

describe('suggestions in the project\'s terms', () => {
  const message = async (sql: string, config: object) => (await checkSql(sql, config)).find((f) => f.ruleId === 'no-fail-open-policy')?.message ?? '';
  const SUPA = { preset: 'supabase', tenantColumns: ['team_id', 'user_id'] };
  const TEAM_TABLES = `CREATE TABLE public.teams (id uuid PRIMARY KEY);
CREATE TABLE public.members (team_id uuid NOT NULL REFERENCES public.teams (id), user_id uuid NOT NULL REFERENCES auth.users (id), PRIMARY KEY (team_id, user_id));
CREATE TABLE public.docs (id int PRIMARY KEY, team_id uuid NOT NULL REFERENCES public.teams (id));
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_memberships ON public.members FOR SELECT USING (user_id = (SELECT auth.uid()));`;

  it('a team table with a sibling policy that pins it: "as policy ... does", never team_id = auth.uid()', async () => {
    const text = await message(`${TEAM_TABLES}
CREATE POLICY "team docs" ON public.docs FOR SELECT USING (team_id IN (SELECT m.team_id FROM public.members m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY anyone_writes ON public.docs FOR INSERT WITH CHECK (true);`, SUPA);
    expect(text).toContain('Pin team_id to the session as policy "team docs" does');
    expect(text).not.toContain('auth.uid()))');
  });

  it('a team table pinned nowhere else but another table pins team_id: that policy is named', async () => {
    const text = await message(`${TEAM_TABLES}
CREATE TABLE public.files (id int PRIMARY KEY, team_id uuid NOT NULL REFERENCES public.teams (id));
ALTER TABLE public.files ENABLE ROW LEVEL SECURITY;
CREATE POLICY files_team ON public.files USING (team_id IN (SELECT m.team_id FROM public.members m WHERE m.user_id = (SELECT auth.uid())));
CREATE POLICY docs_open ON public.docs USING (true);`, SUPA);
    expect(text).toContain('Pin team_id to the session as policy files_team on public.files does');
  });

  it('a team table with no pinning policy anywhere: a membership lookup, not team_id = auth.uid()', async () => {
    const text = await message(`${TEAM_TABLES}\nCREATE POLICY docs_open ON public.docs USING (true);`, SUPA);
    expect(text).toContain('team_id IN (SELECT <the public.teams column> FROM <the membership table> WHERE <its user column> = (SELECT auth.uid()))');
  });

  it('a per-user table: user_id = (SELECT auth.uid())', async () => {
    const text = await message(`CREATE TABLE public.notes (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id));
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_open ON public.notes USING (true);`, SUPA);
    expect(text).toContain('e.g. user_id = (SELECT auth.uid())');
  });
});

describe('shapes from real Supabase projects', () => {
  const SUPA = { preset: 'supabase', tenantColumns: ['account_id', 'user_id'] };
  const REVOKE = 'alter default privileges in schema public revoke truncate, references, trigger on tables from anon, authenticated;';
  const errs = async (sql: string) => (await checkSql(`${REVOKE}\n${sql}`, SUPA)).filter((f) => f.severity === 2).map((f) => `${f.ruleId}:${f.location.line - 1}`);

  it('a profiles table whose id references auth.users, pinned by id = auth.uid(): keyed, no error', async () => {
    expect(await errs(`create table public.profiles (id uuid primary key references auth.users, full_name text);
alter table public.profiles enable row level security;
create policy own on public.profiles for all to authenticated using (auth.uid() = id) with check (auth.uid() = id);`)).toEqual([]);
  });

  it('a private mapping table keyed by a reference to auth.users, RLS on and no policy: no error', async () => {
    expect(await errs(`create table public.customers (id uuid primary key references auth.users, stripe_id text);
alter table public.customers enable row level security;`)).toEqual([]);
  });

  it('an owner column referencing auth.users compared with auth.uid(): pins', async () => {
    expect(await errs(`create table public.accounts (id uuid primary key default gen_random_uuid(), owner_user_id uuid not null references auth.users default auth.uid());
create table public.account_user (user_id uuid not null references auth.users, account_id uuid not null references public.accounts);
alter table public.accounts enable row level security;
alter table public.account_user enable row level security;
create policy own_memberships on public.account_user for select to authenticated using (user_id = auth.uid());
create policy owner_reads on public.accounts for select to authenticated using (owner_user_id = auth.uid());`)).toEqual([]);
  });

  it('a uuid primary key pinned to the identity keys the table; an int one does not', async () => {
    expect(await errs(`create table public.accounts (id uuid primary key default gen_random_uuid(), name text not null);
alter table public.accounts enable row level security;
create policy r on public.accounts for select to authenticated using ((select auth.uid()) = id);`)).toEqual([]);
    expect(await errs(`create table public.counters (id int primary key, n int);
alter table public.counters enable row level security;
create policy r on public.counters for select to authenticated using (id = 1);`)).toEqual(['require-tenant-column:1']);
  });

  it('creating a new tenant root row is not reaching another tenant; updating any root row is', async () => {
    const ROOT = `create table public.accounts (id uuid primary key default gen_random_uuid(), personal boolean not null default false);
create table public.account_user (user_id uuid not null references auth.users, account_id uuid not null references public.accounts);
alter table public.accounts enable row level security;
alter table public.account_user enable row level security;
create policy members_read on public.accounts for select to authenticated using (id in (select account_id from public.account_user where user_id = auth.uid()));
create policy own_memberships on public.account_user for select to authenticated using (user_id = auth.uid());`;
    expect(await errs(`${ROOT}\ncreate policy create_team on public.accounts for insert to authenticated with check (personal = false);`)).toEqual([]);
    expect(await errs(`${ROOT}\ncreate policy rename_any on public.accounts for update to authenticated using (true);`)).toEqual(['no-fail-open-policy:7']);
  });
});

describe('a row keyed by its uuid primary key with a nullable audit reference', () => {
  it('created_by references auth.users but the policies pin id: no nullable-tenant-column error', async () => {
    const sql = `alter default privileges in schema public revoke truncate, references, trigger on tables from anon, authenticated;
create table public.accounts (id uuid primary key, name text not null, created_by uuid references auth.users);
alter table public.accounts enable row level security;
create policy r on public.accounts for select to authenticated using ((select auth.uid()) = id);`;
    expect((await checkSql(sql, { preset: 'supabase', tenantColumns: ['account_id'] })).filter((f) => f.severity === 2)).toEqual([]);
  });

  it('with no policy pinning anything, the reference column is the key and must be NOT NULL', async () => {
    const sql = `alter default privileges in schema public revoke truncate, references, trigger on tables from anon, authenticated;
create table public.notes (id int primary key, created_by uuid references auth.users);
alter table public.notes enable row level security;`;
    expect(await ruleHits('require-tenant-column', sql, { preset: 'supabase', tenantColumns: ['account_id'] })).toEqual(['001.sql:2']);
  });
});
