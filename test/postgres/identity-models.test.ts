/**
 * The identity model's "this is safe" claims, and its membership-trust leak, tried on PostgreSQL.
 *
 * Each way a policy can pin rows beyond `tenant_id = current_setting(...)` (a value derived from
 * an identity source through a subquery or a helper function's body, a membership table, a tenant
 * root's own key, `current_user` in a role-per-tenant database) is linted (no error findings) and
 * then attacked as the app: the other tenant's rows must be invisible and unwritable. The
 * membership trust chain is the opposite case: the finding the analyzer reports at the membership
 * table's write policy is the door, and the test walks through it.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { supabase } from '../../src/presets/supabase.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { attempt, errors, findings, lineOf } from './helpers.js';

const USER_A = '00000000-0000-0000-0000-0000000000a1';
const USER_B = '00000000-0000-0000-0000-0000000000b1';
const TEAM_A = '00000000-0000-0000-0000-00000000a000';
const TEAM_B = '00000000-0000-0000-0000-00000000b000';

const SUPABASE = { preset: 'supabase' as const, tenantColumns: ['team_id', 'user_id'] };

/** A Supabase team workspace: teams (the tenant root), members (the membership table), documents. */
function teamSchema(memberWrites: string): string {
  return `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM anon, authenticated;
CREATE TABLE public.teams (
  id uuid PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE public.members (
  team_id uuid NOT NULL REFERENCES public.teams (id),
  user_id uuid NOT NULL REFERENCES auth.users (id),
  role text NOT NULL DEFAULT 'member',
  PRIMARY KEY (team_id, user_id)
);
CREATE TABLE public.documents (
  id int PRIMARY KEY,
  team_id uuid NOT NULL REFERENCES public.teams (id),
  body text
);
ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;

CREATE SCHEMA private;
GRANT USAGE ON SCHEMA private TO authenticated;
CREATE FUNCTION private.user_team_ids() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $$ SELECT m.team_id FROM public.members m WHERE m.user_id = (SELECT auth.uid()) $$;
CREATE FUNCTION private.is_team_owner(team uuid) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
  AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM public.members m WHERE m.team_id = team AND m.user_id = auth.uid() AND m.role = 'owner');
END
$$;
REVOKE EXECUTE ON FUNCTION private.user_team_ids(), private.is_team_owner(uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION private.user_team_ids(), private.is_team_owner(uuid) TO authenticated;

CREATE POLICY teams_read ON public.teams FOR SELECT TO authenticated
  USING (id IN (SELECT private.user_team_ids()));
CREATE POLICY members_read ON public.members FOR SELECT TO authenticated
  USING (team_id IN (SELECT private.user_team_ids()));
${memberWrites}
CREATE POLICY documents_team ON public.documents TO authenticated
  USING (team_id IN (SELECT private.user_team_ids()))
  WITH CHECK (private.is_team_owner(team_id) OR team_id IN (SELECT m.team_id FROM public.members m WHERE m.user_id = auth.uid()));
`;
}

const OWNERS_ADD_MEMBERS = `CREATE POLICY members_owner_adds ON public.members FOR INSERT TO authenticated
  WITH CHECK (private.is_team_owner(team_id));`;
const ANYONE_JOINS = `CREATE POLICY members_self_join ON public.members FOR INSERT TO authenticated
  WITH CHECK (user_id = auth.uid());`;

/** Applies the Supabase preset's prelude and `migration` as the superuser (Supabase migrations run as `postgres`), then seeds two teams of one user each. */
async function supabaseProject(db: ScratchDatabase, migration: string): Promise<void> {
  await db.query(supabase.prelude);
  await db.query(migration);
  await db.query(`INSERT INTO auth.users (id) VALUES ('${USER_A}'), ('${USER_B}');
    INSERT INTO public.teams (id, name) VALUES ('${TEAM_A}', 'a'), ('${TEAM_B}', 'b');
    INSERT INTO public.members (team_id, user_id, role) VALUES ('${TEAM_A}', '${USER_A}', 'owner'), ('${TEAM_B}', '${USER_B}', 'owner');
    INSERT INTO public.documents (id, team_id, body) VALUES (1, '${TEAM_A}', 'a'), (2, '${TEAM_B}', 'b');`);
}

/** Runs `fn` as Supabase's API runs a request of `user`: role authenticated, the JWT claims transaction-local. */
function asUser<T>(db: ScratchDatabase, user: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return db.asRole('authenticated', { 'request.jwt.claims': JSON.stringify({ sub: user, role: 'authenticated' }) }, fn);
}

const column = async (c: pg.Client, sql: string): Promise<string[]> => (await c.query(sql)).rows.map((r) => String(Object.values(r)[0])).sort();

describe('identity models on PostgreSQL', () => {
  it('membership through helper functions, a tenant root pinned by its own key: no errors, and one team cannot reach the other', async () => {
    const sql = teamSchema(OWNERS_ADD_MEMBERS);
    expect(await errors(sql, SUPABASE)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await supabaseProject(db, sql);
      await asUser(db, USER_A, async (c) => {
        expect(await column(c, 'SELECT id FROM public.teams')).toEqual([TEAM_A]);
        expect(await column(c, 'SELECT team_id FROM public.members')).toEqual([TEAM_A]);
        expect(await column(c, 'SELECT id FROM public.documents')).toEqual(['1']);
        // Writes into team B: a document, a membership that would bind A to team B.
        expect(await attempt(c, `INSERT INTO public.documents (id, team_id) VALUES (3, '${TEAM_B}')`)).toEqual({ code: '42501' });
        expect(await attempt(c, `INSERT INTO public.members (team_id, user_id) VALUES ('${TEAM_B}', '${USER_A}')`)).toEqual({ code: '42501' });
        // Moving a document of its own to team B fails the check; team B's document is out of reach.
        expect(await attempt(c, `UPDATE public.documents SET team_id = '${TEAM_B}' WHERE id = 1`)).toEqual({ code: '42501' });
        expect(await attempt(c, 'UPDATE public.documents SET body = $1 WHERE id = 2', ['x'])).toMatchObject({ code: 'ok', rowCount: 0 });
        expect(await attempt(c, 'DELETE FROM public.documents WHERE id = 2')).toMatchObject({ code: 'ok', rowCount: 0 });
        // What the owner may do: add user B to its own team.
        expect(await attempt(c, `INSERT INTO public.members (team_id, user_id) VALUES ('${TEAM_A}', '${USER_B}')`)).toMatchObject({ code: 'ok', rowCount: 1 });
      });
      // anon has the platform's default privileges and no policy: nothing.
      await db.asRole('anon', {}, async (c) => {
        expect(await column(c, 'SELECT id FROM public.documents')).toEqual([]);
      });
    });
  });

  it('a membership table anyone can join: one finding at the join policy, and through it user A reads and writes team B', async () => {
    const sql = teamSchema(ANYONE_JOINS);
    const found = await findings('no-fail-open-policy', sql, SUPABASE);
    expect(found).toEqual([{ ruleId: 'no-fail-open-policy', at: `001.sql:${lineOf(sql, 'CREATE POLICY members_self_join')}` }]);
    expect(await errors(sql, SUPABASE)).toEqual([`no-fail-open-policy@001.sql:${lineOf(sql, 'CREATE POLICY members_self_join')}`]);
    await withScratchDatabase(async (db) => {
      await supabaseProject(db, sql);
      await asUser(db, USER_A, async (c) => {
        expect(await column(c, 'SELECT id FROM public.documents')).toEqual(['1']);
        expect(await attempt(c, `INSERT INTO public.members (team_id, user_id) VALUES ('${TEAM_B}', '${USER_A}')`)).toMatchObject({ code: 'ok', rowCount: 1 });
        expect(await column(c, 'SELECT id FROM public.documents')).toEqual(['1', '2']);
        expect(await column(c, 'SELECT id FROM public.teams')).toEqual([TEAM_A, TEAM_B].sort());
        expect(await attempt(c, 'UPDATE public.documents SET body = $1 WHERE id = 2', ['defaced'])).toMatchObject({ code: 'ok', rowCount: 1 });
      });
    });
  });

  // Role per tenant: each tenant logs in as its own role, a member of the app role; the policy
  // derives the tenant from current_user through a scalar subquery on the tenant root.
  const ROLE_TENANTS = `CREATE TABLE tenants (
  id int PRIMARY KEY,
  db_user name NOT NULL UNIQUE
);
CREATE TABLE invoices (
  id int PRIMARY KEY,
  tenant_id int NOT NULL REFERENCES tenants (id),
  amount int
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_self ON tenants FOR SELECT USING (db_user = current_user);
CREATE POLICY invoices_tenant ON invoices
  USING (tenant_id = (SELECT t.id FROM tenants t WHERE t.db_user = current_user))
  WITH CHECK (tenant_id = (SELECT t.id FROM tenants t WHERE t.db_user = current_user));
GRANT SELECT ON tenants TO tenant_users;
GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO tenant_users;
`;

  it('role per tenant, pinned by current_user through the tenant root: no errors, and each tenant role reaches only its rows', async () => {
    const config = { appRoles: ['tenant_users'], tenantColumns: ['tenant_id'] };
    expect(await errors(ROLE_TENANTS, config)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(`CREATE ROLE tenant_users NOLOGIN;
        CREATE ROLE acme LOGIN IN ROLE tenant_users;
        CREATE ROLE globex LOGIN IN ROLE tenant_users;
        GRANT USAGE ON SCHEMA public TO tenant_users;`);
      await db.query(ROLE_TENANTS);
      await db.query(`INSERT INTO tenants VALUES (1, 'acme'), (2, 'globex'); INSERT INTO invoices VALUES (10, 1, 100), (20, 2, 200);`);
      await db.asRole('acme', {}, async (c) => {
        expect(await column(c, 'SELECT id FROM tenants')).toEqual(['1']);
        expect(await column(c, 'SELECT id FROM invoices')).toEqual(['10']);
        expect(await attempt(c, 'INSERT INTO invoices VALUES (30, 2, 1)')).toEqual({ code: '42501' });
        expect(await attempt(c, 'UPDATE invoices SET tenant_id = 2 WHERE id = 10')).toEqual({ code: '42501' });
        expect(await attempt(c, 'DELETE FROM invoices WHERE id = 20')).toMatchObject({ code: 'ok', rowCount: 0 });
        // Setting a custom variable changes nothing: the identity is the login role.
        await c.query(`SELECT set_config('app.current_tenant', '2', true)`);
        expect(await column(c, 'SELECT id FROM invoices')).toEqual(['10']);
      });
      await db.asRole('globex', {}, async (c) => {
        expect(await column(c, 'SELECT id FROM invoices')).toEqual(['20']);
      });
    });
  });

  it('role per tenant, a key column compared with current_user directly: no errors, and the other role reaches nothing', async () => {
    const sql = `CREATE TABLE notes (
  id int PRIMARY KEY,
  owner_role name NOT NULL DEFAULT current_user,
  body text
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes USING (owner_role = current_user) WITH CHECK (owner_role = current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO tenant_users;
`;
    const config = { appRoles: ['tenant_users'], tenantColumns: ['owner_role'] };
    expect(await errors(sql, config)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(`CREATE ROLE tenant_users NOLOGIN;
        CREATE ROLE acme LOGIN IN ROLE tenant_users;
        CREATE ROLE globex LOGIN IN ROLE tenant_users;
        GRANT USAGE ON SCHEMA public TO tenant_users;`);
      await db.query(sql);
      await db.query(`INSERT INTO notes VALUES (1, 'acme', 'a'), (2, 'globex', 'g')`);
      await db.asRole('acme', {}, async (c) => {
        expect(await column(c, 'SELECT id FROM notes')).toEqual(['1']);
        expect(await attempt(c, `INSERT INTO notes VALUES (3, 'globex', 'planted')`)).toEqual({ code: '42501' });
        expect(await attempt(c, `UPDATE notes SET owner_role = 'globex' WHERE id = 1`)).toEqual({ code: '42501' });
        expect(await attempt(c, 'INSERT INTO notes (id, body) VALUES (4, $1)', ['mine'])).toMatchObject({ code: 'ok', rowCount: 1 });
      });
    });
  });

  // A chain: a session-token setting, a session lookup, the user's organizations (PostGraphile style).
  const SESSION_CHAIN = `CREATE SCHEMA app_public;
CREATE SCHEMA app_private;
GRANT USAGE ON SCHEMA app_public TO visitor;
CREATE TABLE app_public.organizations (id int PRIMARY KEY, name text);
CREATE TABLE app_private.sessions (uuid uuid PRIMARY KEY, user_id int NOT NULL);
CREATE TABLE app_public.organization_memberships (
  organization_id int NOT NULL REFERENCES app_public.organizations (id),
  user_id int NOT NULL,
  PRIMARY KEY (organization_id, user_id)
);
CREATE TABLE app_public.projects (
  id int PRIMARY KEY,
  organization_id int NOT NULL REFERENCES app_public.organizations (id),
  name text
);
CREATE FUNCTION app_public.current_session_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('jwt.claims.session_id', true), '')::uuid
$$;
CREATE FUNCTION app_public.current_user_id() RETURNS int LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, public, pg_temp AS $$
  SELECT user_id FROM app_private.sessions WHERE uuid = app_public.current_session_id()
$$;
CREATE FUNCTION app_public.current_user_member_organization_ids() RETURNS SETOF int LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, public, pg_temp AS $$
  SELECT organization_id FROM app_public.organization_memberships WHERE user_id = app_public.current_user_id()
$$;
ALTER TABLE app_public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_public.organization_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_public.organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE app_public.organization_memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE app_public.projects FORCE ROW LEVEL SECURITY;
CREATE POLICY select_member ON app_public.organizations FOR SELECT USING (id IN (SELECT app_public.current_user_member_organization_ids()));
CREATE POLICY select_member ON app_public.organization_memberships FOR SELECT USING (organization_id IN (SELECT app_public.current_user_member_organization_ids()));
CREATE POLICY manage_member ON app_public.projects
  USING (organization_id IN (SELECT app_public.current_user_member_organization_ids()))
  WITH CHECK (organization_id IN (SELECT app_public.current_user_member_organization_ids()));
GRANT SELECT ON app_public.organizations, app_public.organization_memberships TO visitor;
GRANT SELECT, INSERT, UPDATE, DELETE ON app_public.projects TO visitor;
`;

  it('a chain from a session setting through two helper functions: no errors, and a session reaches only its organization', async () => {
    const config = { appRoles: ['visitor'], tenantColumns: ['organization_id'], tenantSettings: ['jwt.claims.session_id'] };
    expect(await errors(SESSION_CHAIN, config)).toEqual([]);
    const S1 = '00000000-0000-0000-0000-000000000051';
    await withScratchDatabase(async (db) => {
      await db.query('CREATE ROLE visitor NOLOGIN');
      await db.query(SESSION_CHAIN);
      await db.query(`INSERT INTO app_public.organizations VALUES (1, 'one'), (2, 'two');
        INSERT INTO app_private.sessions VALUES ('${S1}', 100);
        INSERT INTO app_public.organization_memberships VALUES (1, 100), (2, 200);
        INSERT INTO app_public.projects VALUES (1, 1, 'p1'), (2, 2, 'p2');`);
      await db.asRole('visitor', { 'jwt.claims.session_id': S1 }, async (c) => {
        expect(await column(c, 'SELECT id FROM app_public.projects')).toEqual(['1']);
        expect(await column(c, 'SELECT id FROM app_public.organizations')).toEqual(['1']);
        expect(await attempt(c, `INSERT INTO app_public.projects VALUES (3, 2, 'planted')`)).toEqual({ code: '42501' });
        expect(await attempt(c, 'UPDATE app_public.projects SET organization_id = 2 WHERE id = 1')).toEqual({ code: '42501' });
      });
      // No session: nothing at all, not everything.
      await db.asRole('visitor', {}, async (c) => {
        expect(await column(c, 'SELECT id FROM app_public.projects')).toEqual([]);
      });
    });
  });

  const PROFILES = `ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM anon, authenticated;
CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users, full_name text);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_profile ON public.profiles FOR ALL TO authenticated USING (auth.uid() = id) WITH CHECK (auth.uid() = id);
CREATE TABLE public.accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_user_id uuid NOT NULL REFERENCES auth.users DEFAULT auth.uid(), name text);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_reads ON public.accounts FOR SELECT TO authenticated USING (owner_user_id = auth.uid());
CREATE POLICY owners_create ON public.accounts FOR INSERT TO authenticated WITH CHECK (owner_user_id = auth.uid());
`;

  it('a profile keyed by its uuid primary key, an owner column referencing auth.users: no errors, and B stays out of reach', async () => {
    expect(await errors(PROFILES, { preset: 'supabase', tenantColumns: ['user_id'] })).toEqual([]);
    await withScratchDatabase(async (db) => {
      await db.query(supabase.prelude);
      await db.query(PROFILES);
      await db.query(`INSERT INTO auth.users (id) VALUES ('${USER_A}'), ('${USER_B}');
        INSERT INTO public.profiles VALUES ('${USER_A}', 'a'), ('${USER_B}', 'b');
        INSERT INTO public.accounts (id, owner_user_id, name) VALUES ('${TEAM_A}', '${USER_A}', 'a'), ('${TEAM_B}', '${USER_B}', 'b');`);
      await asUser(db, USER_A, async (c) => {
        expect(await column(c, 'SELECT id FROM public.profiles')).toEqual([USER_A]);
        expect(await attempt(c, 'UPDATE public.profiles SET full_name = $1 WHERE id = $2', ['x', USER_B])).toMatchObject({ code: 'ok', rowCount: 0 });
        expect(await attempt(c, `INSERT INTO public.profiles VALUES ('${USER_B}', 'forged')`)).toEqual({ code: '42501' });
        expect(await column(c, 'SELECT id FROM public.accounts')).toEqual([TEAM_A]);
        // Its own new account is fine; one owned by B is refused, and an existing id cannot be taken.
        expect(await attempt(c, `INSERT INTO public.accounts (name) VALUES ('new team')`)).toMatchObject({ code: 'ok', rowCount: 1 });
        expect(await attempt(c, `INSERT INTO public.accounts (owner_user_id, name) VALUES ('${USER_B}', 'planted')`)).toEqual({ code: '42501' });
        expect((await attempt(c, `INSERT INTO public.accounts (id, owner_user_id, name) VALUES ('${TEAM_B}', '${USER_A}', 'taken')`)).code).toBe('23505');
      });
    });
  });

  it('creating a team (a tenant root row) with an open check: no error, and no insert reaches an existing team', async () => {
    const sql = teamSchema(OWNERS_ADD_MEMBERS) + `CREATE POLICY create_team ON public.teams FOR INSERT TO authenticated WITH CHECK (true);\n`;
    expect(await errors(sql, SUPABASE)).toEqual([]);
    await withScratchDatabase(async (db) => {
      await supabaseProject(db, sql);
      await asUser(db, USER_A, async (c) => {
        expect(await attempt(c, `INSERT INTO public.teams (id, name) VALUES (gen_random_uuid(), 'new')`)).toMatchObject({ code: 'ok', rowCount: 1 });
        expect((await attempt(c, `INSERT INTO public.teams (id, name) VALUES ('${TEAM_B}', 'hijack')`)).code).toBe('23505');
        expect((await attempt(c, `INSERT INTO public.teams (id, name) VALUES ('${TEAM_B}', 'hijack') ON CONFLICT (id) DO UPDATE SET name = 'hijack'`)).code).not.toBe('ok');
      });
    });
  });
});
