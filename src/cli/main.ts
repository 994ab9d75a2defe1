#!/usr/bin/env node
/** The `rls-guard` command. */

const USAGE = `Usage: rls-guard <command> [options]

Commands:
  check [paths...]    lint migrations: replay them and report isolation defects (the CI gate)
  probe --url URL     connect as the app role and prove isolation on a live database (rolled back)
  verify [paths...]   apply the migrations to an embedded PostgreSQL and probe them as the app role

Run "rls-guard <command> --help" for a command's options, "rls-guard --version" for the version.`;

export async function main(argv: string[]): Promise<number> {
  const io = {
    stdout: (s: string) => void process.stdout.write(s),
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`rls-guard: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
