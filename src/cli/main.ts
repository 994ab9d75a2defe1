#!/usr/bin/env node
/** The `rls-guard` command. */

const USAGE = `Usage: rls-guard <command> [options]

Commands:
  check [paths...]    lint migrations: replay them and report isolation defects (the CI gate)
  probe --url URL     connect as the app role and prove isolation on a live database (rolled back)
  verify [paths...]   apply the migrations to an embedded PostgreSQL and probe them as the app role

Run "rls-guard <command> --help" for a command's options, "rls-guard --version" for the version.
--debug (with any command) prints the stack of an internal error.`;

/** Set once the reader of stdout has gone (`| head`): the rest of the report has nowhere to go. */
let stdoutClosed = false;
/** Set when the report could not be written (a full disk): the run then exits 2. */
let outputFailed = false;

export async function main(argv: string[]): Promise<number> {
  const io = {
    stdout: (s: string) => void (stdoutClosed || outputFailed ? undefined : process.stdout.write(s)),
    stderr: (s: string) => void process.stderr.write(s),
    cwd: process.cwd(),
    color: !!process.stdout.isTTY && !process.env.NO_COLOR,
  };
  const [command, ...rest] = argv;
  switch (command) {
    // Each command loads only its own modules: check must not pay for pg and PGlite at start-up.
    case 'check':
      return (await import('./check-command.js')).checkCommand(rest, io);
    case 'probe':
      return (await import('../probe/command.js')).probeCommand(rest, { ...io, env: process.env });
    case 'verify':
      return (await import('../verify/command.js')).verifyCommand(rest, { ...io, env: process.env });
    case '--version':
    case '-v':
    case 'version': {
      const { PACKAGE_VERSION } = await import('../package-root.js');
      io.stdout(`${PACKAGE_VERSION}\n`);
      return 0;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.stdout(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`rls-guard: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

const debug = process.argv.includes('--debug');

/** One line, never a stack unless --debug: the exit code (2) tells CI, the line tells the reader. */
function reportInternalError(error: unknown): void {
  const summary = error instanceof Error ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message.split('\n')[0]}` : String(error);
  const detail = debug ? `\n${error instanceof Error ? error.stack : String(error)}` : ' (run with --debug for the stack)';
  process.stderr.write(`rls-guard: internal error: ${summary}${detail}\n`);
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (stdoutClosed || outputFailed) return;
  // The reader went away (`rls-guard check | head`): not a failure; the findings' exit code stands.
  if (error.code === 'EPIPE') {
    stdoutClosed = true;
    return;
  }
  outputFailed = true;
  process.stderr.write(`rls-guard: cannot write the report to stdout: ${error.code === 'ENOSPC' ? 'no space left on device' : error.message} (${error.code ?? 'error'})\n`);
  process.exitCode = 2;
});
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    reportInternalError(error);
    process.exit(2);
  });
}

main(process.argv.slice(2).filter((arg) => arg !== '--debug')).then(
  (code) => {
    process.exitCode = outputFailed ? 2 : code;
  },
  (error: unknown) => {
    reportInternalError(error);
    process.exitCode = 2;
  },
);
