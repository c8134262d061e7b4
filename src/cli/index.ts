/**
 * `nca-lab`: the lab without the window (docs/architecture.md, "The command line"). Dispatches to the commands
 * in commands/index.ts. Exit codes: 0 done, 1 the command failed (message as `nca-lab: …`), 2 the command
 * line was wrong (unknown command or flag, bad value).
 */
import { packageVersion } from '../services/resources/package-paths';
import { platformWorkspaceDir } from '../services/store/workspace-path';
import { processIo, UsageError, type CommandIo } from './command';
import { COMMANDS } from './commands/index';
import { messageOf } from '../shared/validate';

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(helpText());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(helpText());
      return 0;
    }
    if (!isCommand(topic)) return unknownCommand(topic, io);
    io.out(COMMANDS[topic].usage);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(packageVersion());
    return 0;
  }
  if (!isCommand(name)) return unknownCommand(name, io);

  const command = COMMANDS[name];
  if (asksForHelp(rest)) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`nca-lab ${name}: ${err.message}`);
      io.err(`Run 'nca-lab ${name} --help' for its flags.`);
      return 2;
    }
    io.err(`nca-lab: ${messageOf(err)}`);
    // Users get one line; developers set NCA_LAB_DEBUG=1 for the stack.
    if (process.env.NCA_LAB_DEBUG === '1' && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

function isCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

function unknownCommand(name: string, io: CommandIo): number {
  io.err(`nca-lab: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  io.err(`Run 'nca-lab --help' for usage.`);
  return 2;
}

/** `--help`/`-h` anywhere before a `--` terminator. */
function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `nca-lab ${packageVersion()}: train, grow, damage and compare Neural Cellular Automata without the window`,
    '',
    'Usage: nca-lab <command> [flags]        nca-lab help <command>  shows a command\'s flags',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`),
    '',
    'Every command takes --workspace DIR: where runs, checkpoints, models and experiment results live.',
    `Default: $NCA_LAB_WORKSPACE, else ${platformWorkspaceDir()} (the desktop app's folder).`,
    'Environment: NCA_LAB_BACKEND=tensorflow|wasm|cpu forces the tfjs backend; NCA_LAB_DEBUG=1 prints stack traces.',
  ].join('\n');
}
