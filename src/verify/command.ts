/** `rls-guard verify [paths] [--url SCRATCH_URL] [--format json] [--config FILE]`. Returns the exit code. */
import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from '../config.js';
import { MigrationPathError } from '../migrations/discover.js';
import { configuredMaxFileBytes, FileSizeSettingError, parseFileSize } from '../migrations/read.js';
import { parseFormat, type CommandIo } from '../probe/command.js';
import { ProbeConnectionError } from '../probe/probe.js';
import { redactSecrets } from '../probe/redact.js';
import { formatVerifyReport } from './report.js';
import { runVerify } from './verify.js';

export const VERIFY_USAGE = `Usage: rls-guard verify [paths] [--url SCRATCH_URL] [--format text|json] [--config FILE] [--allow-empty] [--max-file-size N]
       [--create-database] [--cleanup|--no-cleanup]

Applies the migrations (found and ordered as \`check\` does) to an embedded PostgreSQL (PGlite), or
to an empty scratch database given by a superuser URL, as a non-superuser owner role; seeds two
tenants' rows into every tenant table; probes each table as each app role and as the owner; and
reports where the result disagrees with \`check\`. A migrations path that does not exist or holds
no migration is a usage error unless --allow-empty (an empty history on purpose). A migration
that cannot be read (a FIFO, a dangling link, over --max-file-size or RLS_GUARD_MAX_FILE_SIZE,
default 32m) is not applied and is a failure; a NUL byte or invalid UTF-8 is a failure at its
line. With --url, --create-database applies to a fresh database it creates on that server, and
--cleanup (the default with --create-database) drops what the run made: that database (or what
the run's roles own in the given one) and the roles it created. No migration statement runs as a
superuser. Exit 0: no leak; 1: a leak or a failed migration; 2: usage error.`;

const defaultIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

export async function verifyCommand(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  let url: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        format: { type: 'string' },
        config: { type: 'string' },
        'allow-empty': { type: 'boolean' },
        'max-file-size': { type: 'string' },
        'create-database': { type: 'boolean' },
        cleanup: { type: 'boolean' },
        'no-cleanup': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout(`${VERIFY_USAGE}\n`);
      return 0;
    }
    const format = parseFormat(values.format);
    if (!format) {
      io.stderr(`rls-guard verify: unknown --format "${values.format}" (expected text or json)\n`);
      return 2;
    }
    url = values.url;
    if (values.cleanup && values['no-cleanup']) {
      io.stderr('rls-guard verify: --cleanup and --no-cleanup contradict each other\n');
      return 2;
    }
    if (!url && (values['create-database'] || values.cleanup)) {
      io.stderr(`rls-guard verify: --${values.cleanup ? 'cleanup' : 'create-database'} needs --url (PGlite leaves nothing behind)\n`);
      return 2;
    }
    const cleanup = values.cleanup ? true : values['no-cleanup'] ? false : undefined;
    const maxFileBytes = values['max-file-size'] === undefined ? configuredMaxFileBytes() : parseFileSize(values['max-file-size'], '--max-file-size');
    const config = resolveConfig({ explicit: values.config, start: positionals[0] ?? io.cwd });
    const result = await runVerify({ paths: positionals, config, url, allowEmpty: values['allow-empty'] === true, maxFileBytes, createDatabase: values['create-database'] === true, cleanup });
    io.stdout(redactSecrets(formatVerifyReport(result, format), url));
    return result.ok ? 0 : 1;
  } catch (error) {
    // Configuration, paths, arguments, an unreachable or unsuitable database: all usage errors.
    const known = error instanceof ConfigError || error instanceof FileSizeSettingError || error instanceof ProbeConnectionError || error instanceof MigrationPathError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = redactSecrets(error instanceof Error ? error.message : String(error), url);
    io.stderr(`rls-guard verify: ${known ? '' : 'internal error: '}${message}\n`);
    return 2;
  }
}
