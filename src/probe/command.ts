/** `rls-guard probe [--url URL] [--format json] [--table T ...] [--config FILE]`. Returns the exit code. */
import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from '../config.js';
import { ProbeAbortedError, ProbeConnectionError, ProbeUsageError, runProbe } from './probe.js';
import { redactSecrets } from './redact.js';
import { formatProbeReport, type ProbeFormat } from './report.js';

export const PROBE_USAGE = `Usage: rls-guard probe [--url URL] [--format text|json] [--table T ...] [--config FILE] [--strict|--no-strict] [--timeout SECONDS] [--as-role ROLE]

Connects as the application's role (URL, or the first set appUrlVars variable, DATABASE_APP_URL
by default) and checks that it obeys Row-Level Security: role attributes, ownership, RLS and FORCE
flags, policies, SECURITY DEFINER functions, and a cross-tenant probe whose writes are always
rolled back. Without a config file it infers the tenant columns, settings and functions from the
catalog's policies and prints them. --as-role ROLE runs every step as ROLE (SET LOCAL ROLE), as
Supabase's API does with authenticated when the URL's role is the platform owner. Exit 0: no
leak; 1: a leak, an inert (superuser/BYPASSRLS) role, or with --strict (the default when CI=true)
a table the probe could not check; 2: usage error.`;

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
      result = await runProbe({ url, config, tables: values.table ?? [], strict, overallTimeoutMs, signal: controller.signal, infer, asRole: values['as-role'] });
    } finally {
      for (const s of signals) process.off(s, onSignal);
    }
    io.stdout(redactSecrets(formatProbeReport(result, format), url));
    if (format === 'json') for (const missing of result.notFound) io.stderr(`rls-guard probe: --table ${missing}: not a tenant table the role can reach\n`);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ProbeAbortedError) {
      io.stderr(`rls-guard probe: ${redactSecrets(error.message, url)}\n`);
      return error.signal === 'SIGINT' ? 130 : error.signal === 'SIGTERM' ? 143 : 2;
    }
    if (error instanceof ProbeUsageError) {
      io.stderr(`rls-guard probe: ${redactSecrets(error.message, url)}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof ProbeConnectionError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`rls-guard probe: ${redactSecrets((error as Error).message, url)}\n`);
      return 2;
    }
    io.stderr(`rls-guard probe: ${redactSecrets(error instanceof Error ? error.message : String(error), url)}\n`);
    return 2;
  }
}
