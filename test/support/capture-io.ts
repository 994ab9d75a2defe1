import type { CommandIo } from '../../src/probe/command.js';

/** A CommandIo that collects what a command writes (probe, verify), run inside the test process. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    cwd: process.cwd(),
    // In-process commands install no SIGINT/SIGTERM handlers on the test runner.
    signals: [] as NodeJS.Signals[],
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}
