/**
 * What a Supabase project's database holds before its first migration runs
 * (https://supabase.com/docs/guides/database/postgres/roles,
 * https://supabase.com/docs/guides/database/postgres/row-level-security):
 *
 * - the API roles `anon` and `authenticated` (what PostgREST switches to for every request) and
 *   `service_role` (BYPASSRLS, for trusted servers);
 * - migrations run as `postgres`, which has BYPASSRLS: it owns the tables migrations create, so
 *   FORCE ROW LEVEL SECURITY binds no owner, and a view without security_invoker reads every row;
 * - default privileges: ALL on tables, sequences and functions created in `public` to anon,
 *   authenticated and service_role, so every new table is reachable through the API;
 * - `auth.users` and the identity functions `auth.uid()`, `auth.jwt()`, `auth.role()`, which read
 *   the request's JWT claims from `request.jwt.claims` / `request.jwt.claim.<name>`;
 * - Storage's `storage.buckets` and `storage.objects`;
 * - pgcrypto and uuid-ossp installed in the `extensions` schema, which every session's search_path
 *   includes (`"$user", public, extensions`).
 *
 * The prelude is SQL, replayed into the schema model before the migrations and applied by
 * `rls-guard verify` before it applies them, so both see the same platform.
 */
import type { PlatformPreset } from './preset.js';

const PRELUDE = `
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;
ALTER ROLE postgres BYPASSRLS;

CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;

CREATE TABLE auth.users (
  id uuid PRIMARY KEY,
  email text,
  role text,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  created_at timestamptz
);
GRANT ALL ON auth.users TO service_role;

CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true), (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')), '')::uuid
$$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.role', true), (current_setting('request.jwt.claims', true)::jsonb ->> 'role')), '')::text
$$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.jwt() TO anon, authenticated, service_role;

CREATE TABLE storage.buckets (
  id text PRIMARY KEY,
  name text NOT NULL,
  owner uuid,
  public boolean DEFAULT false
);
CREATE TABLE storage.objects (
  id uuid PRIMARY KEY,
  bucket_id text REFERENCES storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  metadata jsonb
);
-- Storage's path helpers, as policies call them: 'a/b/c.png' has folders {a,b}.
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1]
$$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)]
$$;
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT ALL ON storage.buckets, storage.objects TO anon, authenticated, service_role;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
`;

export const supabase: PlatformPreset = {
  name: 'supabase',
  config: {
    migrations: ['supabase/migrations'],
    appRoles: ['anon', 'authenticated'],
    allowBypassRoles: ['service_role', 'postgres', 'supabase_admin'],
    migrationRole: 'postgres',
  },
  prelude: PRELUDE,
  searchPath: '"$user", public, extensions',
  clientRoles: ['anon', 'authenticated'],
  platformKeys: {
    'auth.users': ['id'],
    // Objects are keyed by their owner, or by the first folder of their path named after the user.
    'storage.objects': ['owner', 'owner_id', 'storage.foldername(name)[1]'],
  },
};
