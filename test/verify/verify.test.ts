import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { verifyCommand } from '../../src/verify/command.js';
import { compareWithCheck, runVerify, type VerifyResult, type VerifyTable } from '../../src/verify/verify.js';
import { withScratchDatabase } from '../support/pg.js';
import { captureIo } from '../support/capture-io.js';

const demo = join(process.cwd(), 'fixtures/probe/verify-demo');
const dynamic = join(process.cwd(), 'fixtures/probe/verify-dynamic');
const supabaseProject = join(process.cwd(), 'fixtures/probe/verify-supabase');

function table(result: VerifyResult, name: string): VerifyTable {
  const found = result.tables.find((t) => t.table === name);
  if (!found) throw new Error(`no ${name} in ${result.tables.map((t) => t.table).join(', ')}`);
  return found;
}

function expectDemoVerdict(result: VerifyResult): void {
  // 004_broken.sql line 3 names a table that does not exist; the statement after it still ran.
  expect(result.migrations.failures).toEqual([
    { file: join(demo, 'migrations/004_broken.sql'), line: 3, column: 1, message: 'relation "no_such_table" does not exist', sqlState: '42P01' },
  ]);
  expect(result.seed).toEqual([
    expect.objectContaining({ table: 'public.documents', seeded: true }),
    expect.objectContaining({ table: 'public.comments', seeded: true }),
  ]);
  expect(result.roles.map((r) => r.path)).toEqual(['app role app_user', 'owner rls_guard_owner']);
  expect(result.role).toMatchObject({ name: 'app_user', superuser: false, bypassRls: false, inert: false });

  const documents = table(result, 'public.documents');
  expect(documents.leaks).toEqual([]);
  for (const path of ['app role app_user', 'owner rls_guard_owner']) {
    const steps = Object.fromEntries(documents.checks.filter((c) => c.path === path).map((c) => [c.id, c.status]));
    expect(steps).toMatchObject({ 'select-other-tenant': 'pass', 'insert-other-tenant': 'pass', 'update-other-tenant': 'pass', 'delete-other-tenant': 'pass', 'move-own-row': 'pass' });
  }

  const comments = table(result, 'public.comments');
  expect(comments.leaks).toContain("app role app_user: SELECT as a fresh tenant with app.bypass_rls = 'on' returned 2 rows of 2 other tenants");
  expect(comments.leaks).toContain(`owner rls_guard_owner: the role has the owner's privileges (owner "rls_guard_owner") and the table lacks FORCE ROW LEVEL SECURITY: owners bypass RLS`);
  expect(comments.leaks).toContain('owner rls_guard_owner: UPDATE as a fresh tenant touched 2 rows of other tenants');
  // The app role's own writes are refused: the policy's USING is reused as the check.
  expect(comments.checks.find((c) => c.path === 'app role app_user' && c.id === 'move-own-row')).toMatchObject({ status: 'pass', sqlState: '42501' });
  expect(result.ok).toBe(false);
}

describe('rls-guard verify', () => {
  it('applies the migrations to PGlite as a non-superuser owner, seeds two tenants and probes every path', async () => {
    const result = await runVerify({ paths: [], config: resolveConfig({ start: demo }) });
    expect(result.engine).toBe('pglite');
    expectDemoVerdict(result);
    // check reports the fail-open policy and the missing FORCE too: no disagreement on these tables.
    expect(result.disagreements).toEqual([]);
  });

  it('with the supabase preset: creates the platform first, runs the migrations as a BYPASSRLS owner like postgres, and sees the view leak check reports', async () => {
    const result = await runVerify({ paths: [], config: resolveConfig({ start: supabaseProject }) });
    // auth.users, auth.uid() and the API roles exist before the migration: it applies cleanly.
    expect(result.migrations.failures).toEqual([]);
    expect(result.roles.map((r) => r.path)).toEqual(['app role anon', 'app role authenticated']);
    expect(result.ownerNotProbed).toMatch(/BYPASSRLS, as postgres has on supabase/);
    // Platform tables are the platform's: not probed as the project's.
    expect(result.tables.map((t) => t.table)).toEqual(['public.notes']);
    const notes = table(result, 'public.notes');
    expect(notes.seeded).toBe(true);
    // The platform's default privileges reach the new table (copied to the owner the migrations run as).
    expect(notes.checks.find((c) => c.path === 'app role authenticated' && c.id === 'select-other-tenant')).toMatchObject({ status: 'pass' });
    expect(notes.leaks).toContain('app role anon: SELECT through view public.note_counts as a fresh tenant returned 2 rows of other tenants: the view bypasses the table\'s policies');
    expect(result.disagreements).toEqual([]);
    expect(result.ok).toBe(false);
  });

  it('reports what check could not see: FORCE turned off by dynamic SQL', async () => {
    const result = await runVerify({ paths: [], config: resolveConfig({ start: dynamic }) });
    const documents = table(result, 'public.documents');
    expect(documents.forceRls).toBe(false);
    expect(documents.leaks).toContain('owner rls_guard_owner: UPDATE as a fresh tenant touched 2 rows of other tenants');
    expect(documents.leaks.some((l) => l.startsWith('app role'))).toBe(false);
    expect(result.disagreements).toEqual([
      { table: 'public.documents', kind: 'check-missed', message: expect.stringMatching(/^verify observed a leak that check reports no error for: owner rls_guard_owner: /) },
    ]);
  });

  it('applies to a scratch database by URL and gives the same verdict', async () => {
    await withScratchDatabase(async (db) => {
      const result = await runVerify({ paths: [], config: resolveConfig({ start: demo }), url: db.url });
      expect(result.engine).toBe('postgres');
      expectDemoVerdict(result);
      // A database that is not empty is refused (exit 2), the password redacted.
      const io = captureIo();
      expect(await verifyCommand([demo, '--url', db.url], io)).toBe(2);
      expect(io.err).toContain('the database is not empty');
      expect(io.err).toContain(':***@');
      expect(io.err).not.toContain('rls-guard-test');
    });
  });

  it('prints JSON and exits 1 on a leak; exits 2 on a missing path', async () => {
    const io = captureIo();
    expect(await verifyCommand([demo, '--format', 'json'], io)).toBe(1);
    const json = JSON.parse(io.out);
    expect(json.ok).toBe(false);
    expect(json.tables.map((t: { table: string }) => t.table)).toEqual(['public.comments', 'public.documents']);
    expect(json.tables[0].leaks.length).toBeGreaterThan(0);

    const text = captureIo();
    expect(await verifyCommand([demo], text)).toBe(1);
    expect(text.out).toContain(`FAILED ${join(demo, 'migrations/004_broken.sql')}:3:1: relation "no_such_table" does not exist (42P01)`);
    expect(text.out).toMatch(/LEAK {2}\[app role app_user\] select-bypass-setting/);

    const missing = captureIo();
    expect(await verifyCommand([join(demo, 'nope')], missing)).toBe(2);
    expect(missing.err).toContain('no such file or directory');
  });

  it('names both directions of a disagreement', () => {
    const t = (name: string, leaks: string[]): VerifyTable => ({ table: name, tenantColumn: 'tenant_id', rlsEnabled: true, forceRls: false, seeded: true, leaks, checks: [] });
    const finding = (ruleId: string, message: string) => ({ ruleId, severity: 2 as const, message, location: { file: 'm.sql', line: 4, column: 1, endLine: 4, endColumn: 9 } });
    expect(
      compareWithCheck(
        [t('public.a', ['app role app: SELECT ... returned 2 rows']), t('public.b', []), t('public.ab', [])],
        [finding('require-force-rls', 'Tenant table public.b enables RLS without FORCE ROW LEVEL SECURITY')],
        true,
      ),
    ).toEqual([
      { table: 'public.a', kind: 'check-missed', message: 'verify observed a leak that check reports no error for: app role app: SELECT ... returned 2 rows' },
      { table: 'public.b', kind: 'not-observed', message: 'check reports require-force-rls (m.sql:4) but verify observed no leak on the owner path' },
    ]);
  });
});
