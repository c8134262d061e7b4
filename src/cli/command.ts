/**
 * What a `nca-lab` subcommand is. Commands are registered in one map (commands/index.ts); adding one is a
 * new file plus one line there.
 */

/** Where a command writes: one call per line (the newline is added). Tests pass their own to read the output. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  /** one line for `nca-lab --help` */
  summary: string;
  /** the full help for `nca-lab help NAME` / `nca-lab NAME --help`: synopsis line first, then the flags */
  usage: string;
  /** runs the command with the arguments after its name; resolves to the process exit code */
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** A mistake in how the command was called (unknown flag, bad value): exit code 2 and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const processIo: CommandIo = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
};
