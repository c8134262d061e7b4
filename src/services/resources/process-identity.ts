/**
 * Telling one process of this machine from another over time: a pid alone is not enough, since the OS hands a
 * dead process's pid to a new one (quickly in a container, where pids start at 1 after every restart). Where the
 * OS shows it (Linux's /proc), a process is named by its pid together with its start time in clock ticks since
 * boot and the boot's id, which no later process shares. Elsewhere (macOS, Windows) only the pid is known, and a
 * live process with a reused pid reads as the old one: the safe side for a lock (a run refused, never shared).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Whether a process of this machine with that id is alive (a signal 0 probe; EPERM means it exists). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | null | undefined;

function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * `<boot id>/<start time in clock ticks>` of a live process, or null where the OS does not show it (no /proc, the
 * process is gone). The start time is field 22 of /proc/<pid>/stat, counted after the command name, which is in
 * parentheses and may itself hold spaces and parentheses (so the fields are read after its last ')').
 */
export function processStartToken(pid: number): string | null {
  const boot = readBootId();
  if (boot === null) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields[19]; // field 22; fields[0] is field 3 (the state)
  return start && /^\d+$/.test(start) ? `${boot}/${start}` : null;
}

/**
 * Whether the process has exited and only waits to be reaped by its parent (state Z, zombie, or X, dead): a signal
 * 0 probe still reaches it and /proc still shows its start time, but it runs nothing and holds nothing.
 */
function processExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** This process as another one can recognise it later. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** processStartToken of the process when it said who it is; null where the OS does not show it */
  start: string | null;
}

export function thisProcess(): ProcessIdentity {
  return { pid: process.pid, host: hostname(), start: processStartToken(process.pid) };
}

/**
 * What can be said about a process named earlier: `alive` (it runs), `gone` (no process has its pid, or the one
 * that has it started later: the pid was reused) or `unknown` (it ran on another machine, which cannot be asked).
 */
export function processState(p: ProcessIdentity): 'alive' | 'gone' | 'unknown' {
  if (p.host !== hostname()) return 'unknown';
  if (!processAlive(p.pid) || processExited(p.pid)) return 'gone';
  if (p.start === null) return 'alive';
  const now = processStartToken(p.pid);
  return now === null || now === p.start ? 'alive' : 'gone';
}
