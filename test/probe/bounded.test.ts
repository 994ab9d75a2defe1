/**
 * The probe is bounded in time and harmless on a live database: session timeouts, a client-side
 * timeout per query, an overall --timeout, a clean stop on SIGTERM, sequences set back, and a
 * --table that names nothing refused. All on the real test server.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { probeCommand } from '../../src/probe/command.js';
import { ProbeAbortedError, runProbe } from '../../src/probe/probe.js';
import { withScratchDatabase, type ScratchDatabase } from '../support/pg.js';
import { PASSWORDS, checksum, createCleanSchema, roleUrl } from './scenario.js';
import { captureIo } from '../support/capture-io.js';

const config = { ...DEFAULT_CONFIG };
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

/** A table whose policy sleeps `seconds` per row: every read of it is slow. */
async function addSlowTable(db: ScratchDatabase, seconds: number): Promise<void> {
  await db.query(`
    CREATE FUNCTION public.slow() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${seconds}); RETURN false; END $$;
    CREATE TABLE slow_docs (id int PRIMARY KEY, tenant_id int NOT NULL);
    ALTER TABLE slow_docs ENABLE ROW LEVEL SECURITY;
    ALTER TABLE slow_docs FORCE ROW LEVEL SECURITY;
    CREATE POLICY slow_tenant ON slow_docs USING (tenant_id = current_setting('app.current_tenant', true)::int OR public.slow());
    GRANT SELECT ON slow_docs TO probe_app;
    INSERT INTO slow_docs VALUES (1, 1);`);
}

/** Sessions the probe left behind: open transactions, and any lock they hold. */
async function leftovers(db: ScratchDatabase): Promise<{ states: string[]; locks: number }> {
  const states = await db.query<{ state: string }>(`SELECT state FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rls-guard probe' AND state LIKE 'idle in transaction%'`);
  const locks = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = 'rls-guard probe' AND l.locktype <> 'virtualxid'`,
  );
  return { states: states.rows.map((r) => r.state), locks: locks.rows[0]!.n };
}

async function waitFor(predicate: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('rls-guard probe is bounded in time and harmless', () => {
  it('sets statement_timeout, lock_timeout and idle_in_transaction_session_timeout on its session', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      // A policy that fails with the session's settings in its message: select-no-context shows them.
      await db.query(`
        CREATE FUNCTION public.tell() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN
          RAISE EXCEPTION 'settings %/%/%', current_setting('statement_timeout'), current_setting('lock_timeout'), current_setting('idle_in_transaction_session_timeout');
        END $$;
        CREATE TABLE told (tenant_id int NOT NULL);
        ALTER TABLE told ENABLE ROW LEVEL SECURITY;
        CREATE POLICY t ON told USING (public.tell());
        GRANT SELECT ON told TO probe_app;
        INSERT INTO told VALUES (1);`);
      const result = await runProbe({ url: roleUrl(db, 'probe_app', PASSWORDS.app), config, tables: ['told'], statementTimeoutMs: 4000, lockTimeoutMs: 300, idleInTransactionTimeoutMs: 7000 });
      const check = result.tables[0]!.checks.find((c) => c.id === 'select-no-context')!;
      expect(check.message).toContain('settings 4s/300ms/7s');
    });
  });

  it('stops on the client-side query timeout and on --timeout, leaving no transaction or lock behind', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await addSlowTable(db, 3);
      const url = roleUrl(db, 'probe_app', PASSWORDS.app);
      const started = Date.now();
      await expect(runProbe({ url, config, tables: ['slow_docs'], queryTimeoutMs: 500 })).rejects.toThrow(ProbeAbortedError);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await leftovers(db)).toEqual({ states: [], locks: 0 });

      const io = captureIo();
      const t0 = Date.now();
      expect(await probeCommand(['--url', url, '--table', 'slow_docs', '--timeout', '1'], io)).toBe(2);
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(io.err).toBe('rls-guard probe: the probe did not finish within --timeout 1 s: it stopped, rolled back and closed its connection\n');
      expect(io.out).toBe('');
      expect(await leftovers(db)).toEqual({ states: [], locks: 0 });

      const bad = captureIo();
      expect(await probeCommand(['--url', url, '--timeout', 'soon'], bad)).toBe(2);
      expect(bad.err).toBe('rls-guard probe: --timeout must be a positive number of seconds (got "soon")\n');
    });
  });

  it('on SIGTERM mid-run rolls back and closes: no idle-in-transaction session, no lock left', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await addSlowTable(db, 3);
      const child = spawn(process.execPath, [cli, 'probe', '--url', roleUrl(db, 'probe_app', PASSWORDS.app)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Mid-run: the probe's session is inside a step, reading the slow table (a transaction holding locks).
      const inStep = await waitFor(async () => {
        const r = await db.query(`SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
                                    WHERE a.application_name = 'rls-guard probe' AND a.state = 'active' AND a.query LIKE '%slow_docs%' AND l.relation = 'slow_docs'::regclass`);
        return r.rows.length > 0;
      }, 15_000);
      expect(inStep).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toContain('rls-guard probe: interrupted by SIGTERM: the transaction was rolled back and the connection closed');
      expect(await leftovers(db)).toEqual({ states: [], locks: 0 });
      expect(await waitFor(async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'rls-guard probe'`)).rows.length === 0, 3000)).toBe(true);
    });
  });

  it('sets back a sequence a trigger advanced, and says when it cannot', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      await db.query(`
        CREATE SEQUENCE audit_seq;
        CREATE SEQUENCE audit_seq_usage_only;
        SELECT nextval('audit_seq');
        CREATE FUNCTION public.bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('public.audit_seq'); RETURN NEW; END $$;
        CREATE TRIGGER docs_bump BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION public.bump();
        GRANT USAGE, UPDATE ON SEQUENCE audit_seq TO probe_app;
        GRANT USAGE ON SEQUENCE audit_seq_usage_only TO probe_app;`);
      const url = roleUrl(db, 'probe_app', PASSWORDS.app);
      const before = await checksum(db);
      const result = await runProbe({ url, config, tables: ['docs'] });
      expect(await checksum(db)).toBe(before);
      const docs = result.tables[0]!;
      expect(docs.checks.find((c) => c.id === 'sequences')).toMatchObject({ status: 'pass', message: expect.stringContaining('public.audit_seq 1 → 2') });
      expect(docs.leaks).toEqual([]);

      // Without UPDATE on the sequence, setval is refused: the gap is reported, not hidden.
      await db.query(`CREATE OR REPLACE FUNCTION public.bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('public.audit_seq_usage_only'); RETURN NEW; END $$;`);
      const second = await runProbe({ url, config, tables: ['docs'] });
      expect(second.tables[0]!.checks.find((c) => c.id === 'sequences')).toMatchObject({
        status: 'warn',
        message: expect.stringContaining('public.audit_seq_usage_only (never used) → 1 (not restored: the role lacks UPDATE on it (setval))'),
      });
    });
  });

  it('exits 2 when --table names no table', async () => {
    await withScratchDatabase(async (db) => {
      await createCleanSchema(db);
      const io = captureIo();
      expect(await probeCommand(['--url', roleUrl(db, 'probe_app', PASSWORDS.app), '--table', 'docs', '--table', 'dcos'], io)).toBe(2);
      expect(io.err).toBe(
        'rls-guard probe: --table "dcos" matches no table role "probe_app" can see (a table or partitioned table, by name or schema.name, in a schema it has USAGE on)\n',
      );
      expect(io.out).toBe('');
    });
  });
});
