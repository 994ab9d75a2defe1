#!/usr/bin/env node
/** The `rls-guard` command. */
import { probeCommand } from '../probe/command.js';
import { verifyCommand } from '../verify/command.js';
import { checkCommand } from './check-command.js';

const USAGE = `Usage: rls-guard <command> [options]

Commands:
  check [paths...]    lint migrations: replay them and report isolation defects (the CI gate)
  probe --url URL     connect as the app role and prove isolation on a live database (rolled back)
  verify [paths...]   apply the migrations to an embedded PostgreSQL and probe them as the app role

Run "rls-guard <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const io = {
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
    cwd: process.cwd(),
    color: !!process.stdout.isTTY && !process.env.NO_COLOR,
  };
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return checkCommand(rest, io);
    case 'probe':
      return probeCommand(rest, { ...io, env: process.env });
    case 'verify':
      return verifyCommand(rest, { ...io, env: process.env });
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
