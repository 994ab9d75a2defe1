/** `rls-guard probe [--url URL] [--format json] [--table T ...] [--config FILE]`. Returns the exit code. */
import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from '../config.js';
import { ProbeAbortedError, ProbeConnectionError, ProbeUsageError, runProbe } from './probe.js';
import { redactSecrets } from './redact.js';
import { historyState } from './drift-history.js';
import { MigrationPathError } from '../migrations/discover.js';
import { FileSizeSettingError } from '../migrations/read.js';
import { formatProbeReport, type ProbeFormat } from './report.js';

export const PROBE_USAGE = `Usage: rls-guard probe [--url URL] [--format text|json] [--table T ...] [--config FILE] [--strict|--no-strict] [--timeout SECONDS] [--as-role ROLE]
       [--migrations DIR ...] [--scratch-url URL]

Connects as the application's role (URL, or the first set appUrlVars variable, DATABASE_APP_URL
by default) and checks that it obeys Row-Level Security: role attributes, ownership, RLS and FORCE
flags, policies, SECURITY DEFINER functions, and a cross-tenant probe whose writes are always
rolled back. Without a config file it infers the tenant columns, settings and functions from the
catalog's policies and prints them. --as-role ROLE runs every step as ROLE (SET LOCAL ROLE), as
Supabase's API does with authenticated when the URL's role is the platform owner. --migrations DIR
also compares the live catalog with the final state of that migration history (applied to PGlite,
or to a scratch database created on --scratch-url's server): tables, RLS and FORCE, policies,
functions' SECURITY DEFINER, search_path, grants and bodies, role attributes; each difference is
drift. Exit 0: no leak and no drift; 1: a leak, drift, an inert (superuser/BYPASSRLS) role, or with
--strict (the default when CI=true) a table or drift check the probe could not complete; 2: usage
error.`;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Signals that stop the run cleanly (default SIGINT and SIGTERM). */
  signals?: NodeJS.Signals[];
}

const defaultIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

export function parseFormat(value: string | undefined): ProbeFormat | null {
  if (value === undefined || value === 'text' || value === 'stylish') return 'text';
  if (value === 'json') return 'json';
  return null;
}

export async function probeCommand(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  let url: string | undefined;
  let scratchUrl: string | undefined;
  // Both URLs' passwords are hidden from everything printed.
  const redact = (text: string): string => redactSecrets(redactSecrets(text, url), scratchUrl);
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        format: { type: 'string' },
        table: { type: 'string', multiple: true },
        config: { type: 'string' },
        strict: { type: 'boolean' },
        timeout: { type: 'string' },
        'as-role': { type: 'string' },
        migrations: { type: 'string', multiple: true },
        'scratch-url': { type: 'string' },
        'no-strict': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    });
    if (values.help) {
      io.stdout(`${PROBE_USAGE}\n`);
      return 0;
    }
    const format = parseFormat(values.format);
    if (!format) {
      io.stderr(`rls-guard probe: unknown --format "${values.format}" (expected text or json)\n`);
      return 2;
    }
    const config = resolveConfig({ explicit: values.config, start: io.cwd });
    url = values.url;
    if (!url) {
      const variable = config.appUrlVars.find((name) => io.env[name]);
      url = variable ? io.env[variable] : undefined;
      if (!url) {
        io.stderr(`rls-guard probe: no database URL: pass --url or set ${config.appUrlVars.join(' or ')} (the application role's connection string)\n`);
        return 2;
      }
    }
    if (values.strict && values['no-strict']) {
      io.stderr('rls-guard probe: --strict and --no-strict contradict each other\n');
      return 2;
    }
    // Strict by default in CI: an inconclusive table is not a pass there.
    const strict = values.strict ? true : values['no-strict'] ? false : io.env.CI === 'true';
    let overallTimeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (!/^\d+(\.\d+)?$/.test(values.timeout.trim()) || !(seconds > 0)) {
        io.stderr(`rls-guard probe: --timeout must be a positive number of seconds (got ${JSON.stringify(values.timeout)})\n`);
        return 2;
      }
      overallTimeoutMs = seconds * 1000;
    }
    scratchUrl = values['scratch-url'];
    if (scratchUrl && !values.migrations) {
      io.stderr('rls-guard probe: --scratch-url needs --migrations (it is where the history is applied)\n');
      return 2;
    }
    // The history's final state first: a missing directory is a usage error before any connection.
    const drift = values.migrations ? await historyState({ paths: values.migrations, config, scratchUrl }) : undefined;
    // SIGINT/SIGTERM: roll back, close the connection, then exit 130/143.
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal while the first one is being handled: stop at once.
      if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      controller.abort(new ProbeAbortedError(`interrupted by ${signal}: the transaction was rolled back and the connection closed`, signal));
    };
    const signals: NodeJS.Signals[] = io.signals ?? ['SIGINT', 'SIGTERM'];
    for (const s of signals) process.on(s, onSignal);
    let result;
    try {
      // No config file: infer what it would say from the catalog (a config, when present, wins).
      const infer = config.configPath === null;
      result = await runProbe({ url, config, tables: values.table ?? [], strict, overallTimeoutMs, signal: controller.signal, infer, asRole: values['as-role'], drift, catalog: drift?.catalog, keyColumns: drift?.keyColumns, tenantTable: drift?.tenantTable });
    } finally {
      for (const s of signals) process.off(s, onSignal);
    }
    io.stdout(redact(formatProbeReport(result, format)));
    if (format === 'json') for (const missing of result.notFound) io.stderr(`rls-guard probe: --table ${missing}: not a tenant table the role can reach\n`);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ProbeAbortedError) {
      io.stderr(`rls-guard probe: ${redact(error.message)}\n`);
      return error.signal === 'SIGINT' ? 130 : error.signal === 'SIGTERM' ? 143 : 2;
    }
    if (error instanceof ProbeUsageError) {
      io.stderr(`rls-guard probe: ${redact(error.message)}\n`);
      return 2;
    }
    const usage = error instanceof ConfigError || error instanceof ProbeConnectionError || error instanceof MigrationPathError || error instanceof FileSizeSettingError;
    if (usage || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`rls-guard probe: ${redact((error as Error).message)}\n`);
      return 2;
    }
    io.stderr(`rls-guard probe: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    return 2;
  }
}
