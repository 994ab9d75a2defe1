/** `rls-guard probe [--url URL] [--format json] [--table T ...] [--config FILE]`. Returns the exit code. */
import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from '../config.js';
import { ProbeConnectionError, runProbe } from './probe.js';
import { redactSecrets } from './redact.js';
import { formatProbeReport, type ProbeFormat } from './report.js';

export const PROBE_USAGE = `Usage: rls-guard probe [--url URL] [--format text|json] [--table T ...] [--config FILE]

Connects as the application's role (URL, or the first set appUrlVars variable, DATABASE_APP_URL
by default) and checks that it obeys Row-Level Security: role attributes, ownership, RLS and FORCE
flags, policies, SECURITY DEFINER functions, and a cross-tenant probe whose writes are always
rolled back. Exit 0: no leak; 1: a leak or an inert (superuser/BYPASSRLS) role; 2: usage error.`;

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
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
    const result = await runProbe({ url, config, tables: values.table ?? [] });
    io.stdout(redactSecrets(formatProbeReport(result, format), url));
    if (format === 'json') for (const missing of result.notFound) io.stderr(`rls-guard probe: --table ${missing}: not a tenant table the role can reach\n`);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ProbeConnectionError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`rls-guard probe: ${redactSecrets((error as Error).message, url)}\n`);
      return 2;
    }
    io.stderr(`rls-guard probe: ${redactSecrets(error instanceof Error ? error.message : String(error), url)}\n`);
    return 2;
  }
}
