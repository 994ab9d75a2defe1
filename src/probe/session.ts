/**
 * The one database session a probe runs on: a `pg` client connected as the app role (`probe`), or
 * a superuser PGlite / scratch session that switches role per transaction (`verify`).
 */
import pg from 'pg';
import { redactSecrets } from './redact.js';

/** The database cannot be reached (or is not what the command needs): exit code 2. */
export class ProbeConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeConnectionError';
  }
}

export interface QueryOutcome<R> {
  rows: R[];
  /** Rows written by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export interface ProbeSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryOutcome<R>>;
}

/** The SQLSTATE and message of a database error (pg and PGlite both carry `code`). */
export interface SqlError {
  sqlState: string | null;
  message: string;
}

export function toSqlError(error: unknown): SqlError {
  const e = error as { code?: unknown; message?: unknown };
  const sqlState = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  return { sqlState, message: typeof e?.message === 'string' ? e.message : String(error) };
}

export function pgSession(client: pg.Client | pg.PoolClient): ProbeSession {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      const result = await client.query<R>(sql, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * Opens a node-postgres connection for probe and verify. A failure becomes a ProbeConnectionError
 * whose message never shows the password in `url`.
 */
export async function connectRedacted(url: string, applicationName: string, connectTimeoutMs = 10_000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: applicationName });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new ProbeConnectionError(redactSecrets(`cannot connect to ${url}: ${toSqlError(error).message}`, url));
  }
  return client;
}

/**
 * The run was stopped before it finished: an overall `--timeout`, a query that outlived its
 * client-side timeout, or SIGINT/SIGTERM. By the time it is thrown the transaction was rolled back
 * (or the server aborted it) and the connection closed.
 */
export class ProbeAbortedError extends Error {
  constructor(
    message: string,
    /** The signal that stopped the run, when one did. */
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(message);
    this.name = 'ProbeAbortedError';
  }
}

export interface GuardOptions {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** Client-side: a query that has not answered after this long stops the run. */
  queryTimeoutMs: number;
  /** Aborting it (an overall timeout, a signal) stops the run; its reason should be a ProbeAbortedError. */
  signal?: AbortSignal;
}

export interface GuardedSession extends ProbeSession {
  /** Rolls back, closes the connection; idempotent. */
  close(): Promise<void>;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

/**
 * A probe session on a live database, bounded in time: `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout` on the session (server side: a probe that dies mid-step
 * leaves no transaction open longer than that), `client_connection_check_interval` where the
 * server has it (a dead client's query is stopped), and a client-side timeout per query. On abort
 * (or a query timeout) the running query is cancelled (`pg_cancel_backend` from a second
 * connection), the transaction rolled back and the connection closed, then ProbeAbortedError is
 * thrown to the caller.
 */
export async function guardedSession(client: pg.Client, url: string, options: GuardOptions): Promise<GuardedSession> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await client.query(`SET statement_timeout = ${Math.trunc(options.statementTimeoutMs)}`);
  await client.query(`SET lock_timeout = ${Math.trunc(options.lockTimeoutMs)}`);
  await client.query(`SET idle_in_transaction_session_timeout = ${Math.trunc(options.idleInTransactionTimeoutMs)}`);
  const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  if (version >= 140000) await client.query('SET client_connection_check_interval = 1000');

  let inFlight: Promise<unknown> | null = null;
  let closing: Promise<void> | null = null;
  let stopped: ProbeAbortedError | null = null;

  const cancelRunning = async () => {
    const other = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, application_name: 'rls-guard probe (cancel)' });
    other.on('error', () => {});
    try {
      await within(
        (async () => {
          await other.connect();
          await other.query('SELECT pg_cancel_backend($1)', [pid]);
        })(),
        3000,
      );
    } finally {
      await within(other.end(), 1000);
    }
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // A query still running is cancelled; once it has answered (with the cancel error), the
      // transaction is rolled back on this connection before it is closed, so the server holds
      // no transaction for it even for the moment the backend takes to exit.
      let answered = true;
      const running = inFlight;
      if (running) {
        await cancelRunning();
        answered = (await within(running.then(() => true, () => true), 2000)) === true;
      }
      // If the query never came back, the connection is closed under it: the server then aborts the transaction.
      if (answered) await within(client.query('ROLLBACK'), 1000);
      await within(client.end(), 1000);
      (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
    })();
    return closing;
  };

  const stop = async (error: ProbeAbortedError): Promise<never> => {
    stopped ??= error;
    await close();
    throw stopped;
  };

  const onAbort = () => {
    const reason = options.signal?.reason;
    void stop(reason instanceof ProbeAbortedError ? reason : new ProbeAbortedError('the probe was aborted')).catch(() => {});
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    async query<R extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      if (stopped) throw stopped;
      if (options.signal?.aborted) return stop(options.signal.reason instanceof ProbeAbortedError ? options.signal.reason : new ProbeAbortedError('the probe was aborted'));
      let timer: NodeJS.Timeout | undefined;
      const running = client.query<R>(sql, params as unknown[] | undefined);
      inFlight = running;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.queryTimeoutMs);
      });
      try {
        const result = await Promise.race([running, timedOut]);
        if (result === 'timeout') {
          return await stop(new ProbeAbortedError(`a query did not answer within the client-side timeout of ${options.queryTimeoutMs} ms (statement_timeout is ${options.statementTimeoutMs} ms): the probe stopped`));
        }
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } catch (error) {
        if (stopped) throw stopped;
        throw error;
      } finally {
        clearTimeout(timer);
        if (inFlight === running) inFlight = null;
      }
    },
    async close() {
      options.signal?.removeEventListener('abort', onAbort);
      await close();
    },
  };
}
