/**
 * Who trains a run now, for every process on the workspace: the live owner
 * of the run's lock (run-lock.ts), described so that a refusal can name it ("process 4711 (nca-lab train) on
 * host lab-1"). A run whose lock owner is alive is running, whatever its run.json says and whichever process
 * asks; only a run with no live owner can be marked interrupted, deleted, resumed or forked at its head.
 */
import { basename } from 'node:path';
import { readRunLockOwner } from './run-lock';
import { thisProcess } from '../resources/process-identity';

export interface RunOwner {
  pid: number;
  host: string;
  /** what the process is, in the lab's words: "nca-lab train", "nca-lab serve", "the NCA Lab app"; null: unknown */
  command: string | null;
  /** the owner is this very process */
  self: boolean;
  /** ISO 8601: when it took the run */
  since: string;
}

/** The live process that holds the run's lock, or null when none does (the run is not training anywhere). */
export async function liveRunOwner(runDir: string): Promise<RunOwner | null> {
  const owner = await readRunLockOwner(runDir);
  if (!owner?.alive) return null;
  const me = thisProcess();
  return {
    pid: owner.pid, host: owner.host, command: commandOf(owner.command.split(' ')),
    self: owner.local && owner.pid === me.pid && owner.host === me.host, since: owner.startedAt,
  };
}

/** "process 4711 (nca-lab train) on host lab-1", or "this process (nca-lab serve)". */
export function describeRunOwner(owner: RunOwner): string {
  const what = owner.command ? ` (${owner.command})` : '';
  return owner.self ? `this process${what}` : `process ${owner.pid}${what} on host ${owner.host}`;
}

/** The refusal of an action on a run another process trains: names the owner, then why and what to do instead. */
export function ownedRunRefusal(runId: string, owner: RunOwner, why: string): string {
  return `run "${runId}" is being trained by ${describeRunOwner(owner)}: ${why}`;
}

/**
 * How another process's pause or stop reaches a `nca-lab train` or `nca-lab resume` that trains the run
 * (follow-training.ts answers them as it answers Ctrl-C: a checkpoint and the model first, then the end).
 */
export const SESSION_SIGNALS = { stop: 'SIGINT', pause: 'SIGTERM' } as const satisfies Record<'stop' | 'pause', NodeJS.Signals>;

/** The owner answers SESSION_SIGNALS: a command-line training on this host. */
export function takesSessionSignals(owner: RunOwner): boolean {
  return !owner.self && owner.host === thisProcess().host && (owner.command === 'nca-lab train' || owner.command === 'nca-lab resume');
}

/** This process's command in the lab's words. */
export function thisCommand(): string | null {
  return commandOf(process.argv);
}

/**
 * A command line in the lab's words: `node …/bin/nca-lab.js train …` (or the lock's shortened `nca-lab.js train …`)
 * → "nca-lab train", an Electron binary → "the NCA Lab app", anything else its program's name.
 */
export function commandOf(argv: string[]): string | null {
  const at = argv.findIndex((a) => /^nca-lab(\.js)?$/.test(basename(a)));
  if (at >= 0) {
    // the command comes first (src/cli/index.ts)
    const sub = argv[at + 1];
    return sub && !sub.startsWith('-') ? `nca-lab ${sub}` : 'nca-lab';
  }
  if (argv.some((a) => /electron|nca[- ]lab/i.test(basename(a)))) return 'the NCA Lab app';
  return argv.length > 0 ? basename(argv[0]) : null;
}
