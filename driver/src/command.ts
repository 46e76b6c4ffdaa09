// What every command of the executable's small CLI shares (cli.ts runs them, gc/ is one): its output streams, its
// exit codes and the error for a command line it cannot run. A leaf, so commands need not import the command table.

/** A command line the command cannot run: printed with a pointer to the usage, exit code 2. */
export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
