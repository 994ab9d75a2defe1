import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { probeCommand } from '../../src/probe/command.js';
import { runProbe } from '../../src/probe/probe.js';
import { formatProbeReport } from '../../src/probe/report.js';
import type { ProbeResult, TableReport } from '../../src/probe/types.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { PASSWORDS, addDefects, checksum, createCleanSchema, roleUrl } from './scenario.js';
import { captureIo } from '../support/capture-io.js';

const config = { ...DEFAULT_CONFIG };

function table(result: ProbeResult, name: string): TableReport {
  const found = result.tables.find((t) => t.table === name);
  if (!found) throw new Error(`no report for ${name}: ${result.tables.map((t) => t.table).join(', ')}`);
  return found;
}

function status(report: TableReport, id: string): string[] {
  return report.checks.filter((c) => c.id === id).map((c) => c.status);
}

/** Runs the probe and proves, by checksums of every row, sequence and policy, that it changed nothing. */
async function probeUnchanged(db: ScratchDatabase, url: string, tables?: string[]): Promise<ProbeResult> {
  const before = await checksum(db);
  const result = await runProbe({ url, config, tables });
  expect(await checksum(db)).toBe(before);
  return result;
}

describe('rls-guard probe on a real PostgreSQL server', () => {
  it('passes an app role on a forced table with a pinned policy, and changes nothing', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      const result = await probeUnchanged(db, roleUrl(db, 'probe_app', PASSWORDS.app));
      expect(result.role).toMatchObject({ name: 'probe_app', superuser: false, bypassRls: false, inert: false, ownsTables: [], leaks: [] });
      const docs = table(result, 'public.docs');
      expect(docs.leaks).toEqual([]);
      expect(Object.fromEntries(docs.checks.map((c) => [c.id, c.status]))).toEqual({
        'rls-enabled': 'pass',
        'force-rls': 'pass',
        'policy-select': 'pass',
        'policy-insert': 'pass',
        'policy-update': 'pass',
        'policy-delete': 'pass',
        'select-no-context': 'pass',
        'select-empty-context': 'pass',
        'select-other-tenant': 'pass',
        'insert-other-tenant': 'pass',
        'update-other-tenant': 'pass',
        'delete-other-tenant': 'pass',
        'move-own-row': 'pass',
      });
      // No tenant setting: current_setting without missing_ok raises 42704 (SPEC behaviour 5).
      expect(docs.checks.find((c) => c.id === 'select-no-context')).toMatchObject({ sqlState: '42704' });
      expect(docs.checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({ sqlState: '42501' });
      expect(docs.checks.find((c) => c.id === 'move-own-row')).toMatchObject({ sqlState: '42501' });
      expect(result.ok).toBe(true);
    });
  });

  it('finds the fail-open policy, the view without security_invoker, the partition without RLS and TRUNCATE', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await addDefects(db);
      const result = await probeUnchanged(db, roleUrl(db, 'probe_app', PASSWORDS.app));
      expect(result.ok).toBe(false);
      expect(table(result, 'public.docs').leaks).toEqual([]);
      expect(result.tables.map((t) => t.table)).toEqual(['public.docs', 'public.events', 'public.events_1', 'public.events_2', 'public.notes']);

      const notes = table(result, 'public.notes');
      expect(status(notes, 'policy-select')).toEqual(['leak']);
      expect(notes.checks.find((c) => c.id === 'policy-select')!.message).toContain('policy "notes_tenant"');
      // The bypass switch the policy tests, tried with the value it compares with.
      expect(notes.checks.find((c) => c.id === 'select-bypass-setting')).toMatchObject({
        status: 'leak',
        rows: 2,
        message: "SELECT as a fresh tenant with app.bypass_rls = 'on' returned 2 rows of 2 other tenants",
      });
      expect(status(notes, 'select-other-tenant')).toEqual(['pass']);
      expect(status(notes, 'truncate')).toEqual(['leak']);
      expect(status(notes, 'view-security-invoker')).toEqual(['leak']);
      expect(notes.checks.find((c) => c.id === 'view-other-tenant')).toMatchObject({ status: 'leak', rows: 2 });
      // The role is not the owner: FORCE missing is hardening for it, not a leak.
      expect(status(notes, 'force-rls')).toEqual(['warn']);

      const docs = table(result, 'public.docs');
      // docs_view has security_invoker = true: no finding, and reading it shows nothing.
      expect(status(docs, 'view-security-invoker')).toEqual([]);
      expect(status(docs, 'view-other-tenant')).toEqual(['pass']);

      const events = table(result, 'public.events');
      expect(events.checks.find((c) => c.id === 'partition-rls')).toMatchObject({ status: 'leak', message: expect.stringContaining('public.events_2') });
      expect(status(events, 'select-other-tenant')).toEqual(['pass']);
      // Queried directly, the partition without RLS shows every row (SPEC behaviour 7).
      const events2 = table(result, 'public.events_2');
      expect(status(events2, 'rls-enabled')).toEqual(['leak']);
      expect(events2.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', rows: 2 });
      // A fresh tenant value is outside the partition's bound: PostgreSQL refuses it for that reason, not RLS.
      expect(events2.checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({ status: 'inconclusive', sqlState: '23514' });
      expect(table(result, 'public.events_1').leaks).toEqual([]);
    });
  });

  it('reports the owner connection: unforced tables are open to it, forced ones are not', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await addDefects(db);
      const result = await probeUnchanged(db, roleUrl(db, 'probe_owner', PASSWORDS.owner), ['docs', 'public.notes']);
      expect(result.role.ownsTables).toEqual(['public.docs', 'public.events', 'public.events_1', 'public.events_2', 'public.notes']);
      expect(result.notFound).toEqual([]);
      expect(result.tables.map((t) => t.table)).toEqual(['public.docs', 'public.notes']);
      // FORCE filters the owner too; only TRUNCATE, which the owner always holds, ignores RLS.
      expect(table(result, 'public.docs').leaks).toEqual([`role "probe_owner" holds TRUNCATE (as the owner): TRUNCATE ignores RLS and removes every tenant's rows`]);
      expect(status(table(result, 'public.docs'), 'force-rls')).toEqual(['pass']);
      expect(status(table(result, 'public.docs'), 'select-other-tenant')).toEqual(['pass']);
      expect(status(table(result, 'public.docs'), 'move-own-row')).toEqual(['pass']);
      const notes = table(result, 'public.notes');
      expect(notes.checks.find((c) => c.id === 'force-rls')).toMatchObject({ status: 'leak', message: expect.stringContaining('lacks FORCE ROW LEVEL SECURITY: owners bypass RLS') });
      expect(notes.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', rows: 2 });
      expect(notes.checks.find((c) => c.id === 'update-other-tenant')).toMatchObject({ status: 'leak', rows: 2 });
      expect(notes.checks.find((c) => c.id === 'delete-other-tenant')).toMatchObject({ status: 'leak', rows: 2 });
      expect(status(notes, 'insert-other-tenant')).toEqual(['leak']);
      expect(result.ok).toBe(false);
    });
  });

  it('says plainly that every policy is inert for a BYPASSRLS role and for a superuser', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      const bypass = await probeUnchanged(db, roleUrl(db, 'probe_bypass', PASSWORDS.bypass));
      expect(bypass.role).toMatchObject({ name: 'probe_bypass', bypassRls: true, superuser: false, inert: true });
      expect(bypass.role.leaks).toEqual([
        `role "probe_bypass" has BYPASSRLS: every RLS policy is inert for it (FORCE ROW LEVEL SECURITY included) and it reads and writes every tenant's rows`,
      ]);
      // FORCE does not stop it (SPEC behaviour 1).
      expect(table(bypass, 'public.docs').checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'leak', rows: 3 });
      expect(bypass.ok).toBe(false);

      const superuser = await probeUnchanged(db, db.url);
      expect(superuser.role).toMatchObject({ superuser: true, inert: true });
      expect(superuser.role.leaks[0]).toMatch(/^role "postgres" is a superuser: every RLS policy is inert for it/);
      expect(superuser.ok).toBe(false);
    });
  });

  it('reports membership in a BYPASSRLS role as a way out', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await db.query('GRANT probe_bypass TO probe_app');
      const result = await probeUnchanged(db, roleUrl(db, 'probe_app', PASSWORDS.app));
      expect(result.role.bypassMemberships).toEqual(['probe_bypass']);
      expect(result.role.leaks).toEqual([`role "probe_app" is a member of "probe_bypass", a BYPASSRLS role: one SET ROLE "probe_bypass" makes every policy inert`]);
      expect(result.ok).toBe(false);
    });
  });

  it('audits the search_path of SECURITY DEFINER functions the role can execute', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await db.query(`
        CREATE FUNCTION open_lookup() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
        CREATE FUNCTION pinned_lookup() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS 'SELECT 1';
        CREATE FUNCTION hidden_lookup() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
        REVOKE EXECUTE ON FUNCTION hidden_lookup() FROM PUBLIC;`);
      const result = await probeUnchanged(db, roleUrl(db, 'probe_app', PASSWORDS.app));
      expect(result.functions.map((f) => [f.function, f.checks.map((c) => `${c.id}:${c.status}`)])).toEqual([
        ['open_lookup()', ['definer-search-path:leak', 'definer-public-execute:warn']],
        ['pinned_lookup()', ['definer-search-path:pass', 'definer-public-execute:warn']],
      ]);
      expect(result.functions[0]!.leaks[0]).toContain('role "probe_app" can create temporary tables that shadow its unqualified names');
      expect(result.ok).toBe(false);
    });
  });

  it('reports a step that cannot conclude as inconclusive, never as safe', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await db.query(`
        -- WITH CHECK (true) lets the write past RLS; the CHECK constraint then refuses our sample row.
        CREATE TABLE ledgers (tenant_id int NOT NULL, amount int NOT NULL CHECK (amount < 0));
        ALTER TABLE ledgers ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ledgers FORCE ROW LEVEL SECURITY;
        CREATE POLICY l ON ledgers USING (tenant_id = current_setting('app.current_tenant')::int) WITH CHECK (true);
        -- A column type the probe cannot make a value for.
        CREATE TABLE shapes (tenant_id int NOT NULL, p point NOT NULL);
        ALTER TABLE shapes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY s ON shapes USING (tenant_id = current_setting('app.current_tenant')::int);
        GRANT SELECT, INSERT ON ledgers, shapes TO probe_app;`);
      const result = await probeUnchanged(db, roleUrl(db, 'probe_app', PASSWORDS.app));
      expect(table(result, 'public.ledgers').checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({ status: 'inconclusive', sqlState: '23514' });
      // The analyzer still sees the open WITH CHECK.
      expect(status(table(result, 'public.ledgers'), 'policy-insert')).toEqual(['leak']);
      expect(table(result, 'public.ledgers')).toMatchObject({ verdict: 'leaking', leakBasis: 'inferred', observedLeaks: [] });
      // shapes: the insert could not run, but the audit decides INSERT (pinned): not inconclusive.
      expect(table(result, 'public.shapes')).toMatchObject({ verdict: 'clean', leaks: [] });
      expect(table(result, 'public.shapes').checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({
        status: 'inconclusive',
        message: 'no value could be made for NOT NULL p (point)',
      });
    });
  });

  it('waits on no lock: a table locked by another session is inconclusive, not a hang, and fails --strict', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await db.query(`CREATE TABLE open_notes (tenant_id int NOT NULL, body text);
        GRANT SELECT ON open_notes TO probe_app;
        INSERT INTO open_notes VALUES (1, 'a'), (2, 'b');`);
      const { default: pg } = await import('pg');
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      const appUrl = roleUrl(db, 'probe_app', PASSWORDS.app);
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE docs IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        const result = await runProbe({ url: appUrl, config, lockTimeoutMs: 200 });
        expect(Date.now() - started).toBeLessThan(20_000);
        const docs = table(result, 'public.docs');
        expect(docs.checks.find((c) => c.id === 'catalog')).toMatchObject({ status: 'inconclusive', basis: 'inferred', message: expect.stringContaining('lock timeout') });
        expect(docs.checks.find((c) => c.id === 'select-other-tenant')).toMatchObject({ status: 'inconclusive', basis: 'observed', sqlState: '55P03' });
        expect(docs.checks.find((c) => c.id === 'insert-other-tenant')).toMatchObject({ status: 'inconclusive', sqlState: '55P03' });
        expect(docs.verdict).toBe('inconclusive');
        expect(docs.inconclusive[0]).toMatch(/^catalog: .*lock timeout/);
        expect(result.inconclusiveTables).toEqual(['public.docs']);
        // A table without RLS next to it leaks, by the catalog and by the rows the probe saw.
        expect(result).toMatchObject({ leaking: true, strict: false, ok: false });
        expect(table(result, 'public.open_notes')).toMatchObject({ verdict: 'leaking', leakBasis: 'both', inconclusive: [] });

        // --strict (and CI=true) fail on the inconclusive table; it is listed at the end.
        for (const [argv, env] of [
          [['--url', appUrl, '--table', 'docs', '--strict'], {}],
          [['--url', appUrl, '--table', 'docs', '--format', 'json'], { CI: 'true' }],
        ] as const) {
          const io = captureIo(env);
          expect(await probeCommand([...argv], io)).toBe(1);
          if (argv.includes('json')) {
            const json = JSON.parse(io.out);
            expect(json).toMatchObject({ strict: true, leaking: false, ok: false, inconclusiveTables: ['public.docs'] });
            expect(json.tables[0]).toMatchObject({ table: 'public.docs', verdict: 'inconclusive', leakBasis: null });
          } else {
            expect(io.out).not.toMatch(/\bOK\b|no leak found in/);
            expect(io.out).toContain('public.docs (tenant column tenant_id, RLS on, FORCE on): INCONCLUSIVE (not proven safe)');
            expect(io.out.trimEnd().split('\n').at(-1)).toBe('FAIL: no leak found, but 1 of 1 table(s) inconclusive');
            expect(io.out).toMatch(/INCONCLUSIVE: 1 table\(s\) could not be checked; they are NOT proven safe \(--strict: this fails the run\):\n  public\.docs\n    catalog: /);
          }
        }
        // Not strict: exit 0 (no leak), and still never "OK".
        const lax = captureIo({});
        expect(await probeCommand(['--url', appUrl, '--table', 'docs'], lax)).toBe(0);
        expect(lax.out.trimEnd().split('\n').at(-1)).toBe('NOT PROVEN: no leak found, but 1 of 1 table(s) inconclusive');
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      // Unlocked, the same table is clean under --strict.
      const io = captureIo({ CI: 'true' });
      expect(await probeCommand(['--url', appUrl, '--table', 'docs'], io)).toBe(0);
      expect(io.out).toContain('OK: no leak found in 1 table(s)');
    });
  });

  it('prints JSON of the documented shape, exits 1 on a leak and 0 when clean, and never prints the password', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      const appUrl = roleUrl(db, 'probe_app', PASSWORDS.app);
      const clean = captureIo({ DATABASE_APP_URL: appUrl });
      expect(await probeCommand(['--format', 'json'], clean)).toBe(0);
      const json = JSON.parse(clean.out);
      expect(json.ok).toBe(true);
      expect(json.role).toMatchObject({ name: 'probe_app', superuser: false, bypassRls: false });
      expect(json.tables[0]).toMatchObject({ table: 'public.docs', leaks: [] });
      expect(json.tables[0].checks.length).toBeGreaterThan(5);

      await addDefects(db);
      const leaky = captureIo();
      expect(await probeCommand(['--url', appUrl, '--table', 'notes'], leaky)).toBe(1);
      expect(leaky.out).toContain('public.notes (tenant column tenant_id, RLS on, FORCE off)');
      expect(leaky.out).toContain("LEAK  select-bypass-setting: SELECT as a fresh tenant with app.bypass_rls = 'on' returned 2 rows");
      expect(leaky.out).toMatch(/FAIL: \d+ leak\(s\)/);

      const bypass = captureIo();
      expect(await probeCommand(['--url', roleUrl(db, 'probe_bypass', PASSWORDS.bypass), '--format', 'json'], bypass)).toBe(1);
      expect(JSON.parse(bypass.out).role).toMatchObject({ bypassRls: true, inert: true });

      const badPassword = captureIo();
      expect(await probeCommand(['--url', roleUrl(db, 'probe_app', 'wrong-Secret-77')], badPassword)).toBe(2);
      expect(badPassword.err).toContain('cannot connect to postgres://probe_app:***@');
      for (const io of [clean, leaky, bypass, badPassword]) {
        for (const secret of [...Object.values(PASSWORDS), 'wrong-Secret-77', 'rls-guard-test']) {
          expect(io.out + io.err).not.toContain(secret);
        }
      }
    });
  });

  it('exits 2 with a clear, redacted message when the database is unreachable or no URL is given', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const io = captureIo();
    expect(await probeCommand(['--url', `postgres://app:Hunter2-secret@127.0.0.1:${port}/db`], io)).toBe(2);
    expect(io.err).toBe(`rls-guard probe: cannot connect to postgres://app:***@127.0.0.1:${port}/db: connect ECONNREFUSED 127.0.0.1:${port}\n`);

    const none = captureIo({});
    expect(await probeCommand([], none)).toBe(2);
    expect(none.err).toContain('no database URL: pass --url or set DATABASE_APP_URL');

    const badFormat = captureIo();
    expect(await probeCommand(['--format', 'xml', '--url', 'postgres://a@127.0.0.1/x'], badFormat)).toBe(2);
    expect(badFormat.err).toContain('unknown --format "xml"');
  });

  it('formats a readable report: inferred and observed apart, inconclusive tables last and never OK', () => {
    const base = { table: 'public.t', tenantColumn: 'tenant_id', rlsEnabled: true, forceRls: true, owned: false, leakBasis: null, leaks: [], observedLeaks: [], inferredLeaks: [], inconclusive: [] };
    const result: ProbeResult = {
      role: { name: 'app', superuser: false, bypassRls: false, bypassMemberships: [], ownsTables: [], canCreateTemp: true, inert: false, leaks: [] },
      identity: { models: ['settings app.current_tenant'], settings: ['app.current_tenant'], jwtClaims: false, rolePerTenant: false, asRole: null },
      inferred: null,
      drift: null,
      tables: [
        {
          ...base,
          verdict: 'clean',
          checks: [
            { id: 'policy-select', status: 'pass', basis: 'inferred', message: 'SELECT: pinned to the tenant context' },
            { id: 'select-other-tenant', status: 'pass', basis: 'observed', message: 'SELECT returned no rows', rows: 0 },
          ],
        },
      ],
      functions: [],
      notFound: [],
      inconclusive: 0,
      inconclusiveTables: [],
      strict: false,
      leaking: false,
      ok: true,
    };
    expect(formatProbeReport(result, 'text')).toBe(
      [
        'role app: superuser no, BYPASSRLS no, owns 0 tenant table(s)',
      'identity model probed: settings app.current_tenant',
        '',
        'public.t (tenant column tenant_id, RLS on, FORCE on): no leak',
        '  inferred from the catalog (policy audit):',
        '    ok    policy-select: SELECT: pinned to the tenant context',
        '  observed (statements run as this role, rolled back):',
        '    ok    select-other-tenant: SELECT returned no rows',
        '',
        'OK: no leak found in 1 table(s)',
        '',
      ].join('\n'),
    );
    const unsure: ProbeResult = {
      ...result,
      tables: [
        result.tables[0]!,
        {
          ...base,
          table: 'public.u',
          verdict: 'inconclusive',
          inconclusive: ['catalog: reading the catalog failed: canceling statement due to lock timeout'],
          checks: [{ id: 'catalog', status: 'inconclusive', basis: 'inferred', message: 'reading the catalog failed: canceling statement due to lock timeout' }],
        },
      ],
      inconclusive: 1,
      inconclusiveTables: ['public.u'],
    };
    const text = formatProbeReport(unsure, 'text');
    expect(text).not.toContain('OK');
    expect(text.trimEnd().split('\n').slice(-4)).toEqual([
      'INCONCLUSIVE: 1 table(s) could not be checked; they are NOT proven safe (exit 1 with --strict, the default when CI=true):',
      '  public.u',
      '    catalog: reading the catalog failed: canceling statement due to lock timeout',
      'NOT PROVEN: no leak found, but 1 of 2 table(s) inconclusive',
    ]);
  });
});
