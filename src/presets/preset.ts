/**
 * A platform preset: what a platform creates before a project's first migration runs (its roles,
 * schemas, tables, identity functions and default privileges), and the config values that follow
 * from it. Explicit keys in rls-guard.config.json override the preset's.
 */
import type { RlsGuardConfig } from '../config.js';

export interface PlatformPreset {
  name: string;
  /** Config defaults the platform implies (app roles, bypass roles, migration layout, migration role). */
  config: Partial<RlsGuardConfig>;
  /** SQL the platform has run before the first migration: replayed into the model, applied by verify. */
  prelude: string;
  /** The key column(s) of the platform's own tables (`auth.users` is keyed by `id` = `auth.uid()`). */
  platformKeys: Record<string, string[]>;
  /**
   * Roles any client can act as through the platform's API (Supabase: anon with the public key,
   * authenticated with any signed-up user's token), not only the project's server code: a table
   * they can write needs RLS even when it holds no tenant's rows.
   */
  clientRoles: string[];
  /**
   * The search_path the platform's database gives every session (Supabase: `"$user", public,
   * extensions`, so unqualified `gen_random_bytes()` finds pgcrypto in `extensions`). verify sets
   * it on the database it migrates.
   */
  searchPath?: string;
}
