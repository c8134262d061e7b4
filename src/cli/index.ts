/**
 * `nca-lab`: the lab without the window (docs/architecture.md, "The command line"). Dispatches to the commands
 * in commands/index.ts (`dispatch` to any table of them: the GPU bench pack's program has two). Exit codes: 0
 * done, 1 the command failed (message as `nca-lab: …`), 2 the command line was wrong (unknown command or flag,
 * bad value).
 */
import { packageVersion } from '../services/resources/package-paths';
import { platformWorkspaceDir } from '../services/store/workspace-path';
import { processIo, UsageError, type Command, type CommandIo } from './command';
import { messageOf } from '../shared/validate';

type Commands = Readonly<Record<string, Command>>;

/** `nca-lab ARGV` with every command of the lab. */
export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { COMMANDS } = await import('./commands/index');
  return dispatch(COMMANDS, argv, io);
}

/** `nca-lab ARGV` with the commands of this table. */
export async function dispatch(commands: Commands, argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(helpText(commands));
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(helpText(commands));
      return 0;
    }
    if (!Object.hasOwn(commands, topic)) return unknownCommand(commands, topic, io);
    io.out(commands[topic].usage);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(packageVersion());
    return 0;
  }
  if (!Object.hasOwn(commands, name)) return unknownCommand(commands, name, io);

  const command = commands[name];
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

function unknownCommand(commands: Commands, name: string, io: CommandIo): number {
  io.err(`nca-lab: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
  io.err(`Run 'nca-lab --help' for usage.`);
  return 2;
}

/** `--help`/`-h` anywhere before a `--` terminator. */
function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function helpText(commands: Commands): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `nca-lab ${packageVersion()}: train, grow, damage and compare Neural Cellular Automata without the window`,
    '',
    'Usage: nca-lab <command> [flags]        nca-lab help <command>  shows a command\'s flags',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`),
    '',
    'Every command takes --workspace DIR: where runs, checkpoints, models and experiment results live.',
    `Default: $NCA_LAB_WORKSPACE, else ${platformWorkspaceDir()} (the desktop app's folder).`,
    'Environment: NCA_LAB_BACKEND=tensorflow|wasm|cpu forces the tfjs backend; NCA_LAB_DEBUG=1 prints stack traces.',
  ].join('\n');
}
