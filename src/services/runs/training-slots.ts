/**
 * "Runs at once" for the whole workspace, across processes (the window, `nca-lab serve`, every `nca-lab train`
 * and `resume`, a sweep): a session trains only while it holds one of the workspace's training slots, and waits
 * its turn otherwise, first come first served whichever process it is in. The limit is the workspace's setting
 * (settings.json `lab.maxConcurrentRuns`, the Runs page's "Runs at once"; default one run per core, as the
 * window's), read again at every look, so a change in the window reaches every waiting process.
 *
 * On disk, under `<workspace>/slots/`:
 *   `<i>/`             slot i: a claim folder of the run lock's kind (training/run-lock.ts), its owner record
 *                      naming the run it trains. Taking a slot is that lock's atomic claim, so two processes never
 *                      both hold one, and a slot whose process is gone (a SIGKILL) is taken over, not lost.
 *   `queue/<ticket>`   a session waiting for a slot, holding its process's identity; tickets sort by the time
 *                      they were taken, and a session may take a free slot only when fewer waiters are ahead of it
 *                      than slots are free. A ticket whose process is gone is removed by whoever sees it.
 * A slot of index ≥ the limit (the limit was lowered) still counts while its run trains: nothing is cut off.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LAB_SETTINGS_LIMITS } from '../../shared/lab-api';
import { isRecord, messageOf } from '../../shared/validate';
import { isDiskFull } from '../store/atomic-file';
import { makeFolder } from '../store/writable-dir';
import { processState, thisProcess, type ProcessIdentity } from '../resources/process-identity';
import { readSettingsKey } from '../store/settings-file';
import { acquireClaim, readClaimOwner, RunLockedError, type RunLock } from '../training/run-lock';
import { commandOf } from '../training/run-owner';
import { counted } from '../../shared/words';

export const SLOTS_DIR = 'slots';
const QUEUE_DIR = 'queue';
const SLOT_NAME = /^\d{1,6}$/;
/** How often a waiting session looks at the slots: a killed holder says nothing, so it is looked for. */
const POLL_MS = 250;

/** A process that trains a run in one of the slots. */
export interface SlotHolder {
  runId: string;
  pid: number;
  host: string;
  /** in the lab's words ("nca-lab train", "the NCA Lab app"), null when unknown */
  command: string | null;
}

/** Why a session waits: the limit, who holds the slots, and its place among the waiters (1: next). */
export interface SlotWait {
  limit: number;
  holders: SlotHolder[];
  place: number;
}

export interface TrainingSlot {
  index: number;
  /** frees the slot (once; later calls do nothing) and wakes this process's waiters */
  release(): Promise<void>;
}

export interface ClaimSlotOptions {
  workspace: string;
  runId: string;
  /** the wait ends without a slot once this returns true (the run was paused or stopped, the lab closes) */
  cancelled?: () => boolean;
  /** told when the session starts waiting and whenever why it waits changes (awaited before it looks again) */
  onWait?: (wait: SlotWait) => void | Promise<void>;
}

/** The workspace's "Runs at once": its saved setting, else one run per core (the window's default). */
export function workspaceRunsAtOnce(workspace: string): number {
  const lab = readSettingsKey(workspace, 'lab');
  const saved = isRecord(lab) ? lab.maxConcurrentRuns : undefined;
  const { min, max } = LAB_SETTINGS_LIMITS.maxConcurrentRuns;
  return typeof saved === 'number' && Number.isInteger(saved) && saved >= min && saved <= max ? saved : availableParallelism();
}

// A slot freed in this process wakes its own waiters at once; other processes' waiters see it at their next look.
const wakers = new Set<() => void>();

/** Wakes this process's waiting sessions to look at the slots now (a slot was freed, the limit changed). */
export function wakeSlotWaiters(): void {
  for (const wake of [...wakers]) wake();
}

function nap(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      wakers.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    wakers.add(wake);
  });
}

/** The slots a live process holds now (on another machine: counted, since it cannot be asked). */
export async function slotHolders(workspace: string): Promise<(SlotHolder & { index: number })[]> {
  const dir = join(workspace, SLOTS_DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => SLOT_NAME.test(n));
  const out: (SlotHolder & { index: number })[] = [];
  for (const name of names) {
    const owner = await readClaimOwner(join(dir, name)).catch(() => null);
    if (!owner?.alive || owner.subject === null) continue;
    out.push({
      index: Number(name), runId: owner.subject, pid: owner.pid, host: owner.host, command: commandOf(owner.command.split(' ')),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

let ticketCount = 0;

/** A ticket's name sorts by when it was taken (then by order within this process). */
function ticketName(): string {
  ticketCount += 1;
  return `${String(Date.now()).padStart(15, '0')}-${String(ticketCount).padStart(9, '0')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function parseIdentity(text: string): ProcessIdentity | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (!isRecord(v) || !Number.isSafeInteger(v.pid) || typeof v.host !== 'string' || !(v.start === null || typeof v.start === 'string')) return null;
    return { pid: v.pid as number, host: v.host, start: v.start };
  } catch {
    return null;
  }
}

/** The tickets of live waiters, oldest first; one whose process is gone is removed (it will never take a slot). */
async function liveTickets(queue: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(queue).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort()) {
    const text = await readFile(join(queue, name), 'utf8').catch(() => null);
    if (text === null) continue; // taken back meanwhile
    const who = parseIdentity(text);
    if (who && processState(who) !== 'gone') out.push(name);
    else if (who) await rm(join(queue, name), { force: true });
  }
  return out;
}

/** Tries the free slots below the limit in order; the first whose claim succeeds is ours. */
async function takeFreeSlot(dir: string, limit: number, taken: Set<number>, runId: string): Promise<TrainingSlot | null> {
  for (let index = 0; index < limit; index++) {
    if (taken.has(index)) continue;
    let lock: RunLock;
    try {
      lock = await acquireClaim(join(dir, String(index)), runId);
    } catch (err) {
      if (err instanceof RunLockedError) continue; // another process took it since we looked
      throw err;
    }
    let released = false;
    return {
      index,
      release: async () => {
        if (released) return;
        released = true;
        await lock.release();
        wakeSlotWaiters();
      },
    };
  }
  return null;
}

/**
 * Takes a training slot for the run, waiting in the workspace's queue while every slot is held. Resolves with the
 * slot, or with null once `cancelled` says so while it waits.
 */
export async function claimTrainingSlot(opts: ClaimSlotOptions): Promise<TrainingSlot | null> {
  const dir = join(opts.workspace, SLOTS_DIR);
  const queue = join(dir, QUEUE_DIR);
  const ticket = ticketName();
  await makeFolder(queue, 'the queue of training slots');
  try {
    await writeFile(join(queue, ticket), JSON.stringify(thisProcess()) + '\n', { flag: 'wx' });
  } catch (err) {
    await rm(join(queue, ticket), { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot wait for a training slot: ${isDiskFull(err) ? `the disk is full (${code})` : messageOf(err)} writing ${join(queue, ticket)}; nothing was trained`, { cause: err });
  }
  let told = '';
  try {
    for (;;) {
      if (opts.cancelled?.()) return null;
      const limit = workspaceRunsAtOnce(opts.workspace);
      const holders = await slotHolders(opts.workspace);
      const ahead = (await liveTickets(queue)).indexOf(ticket);
      const free = limit - holders.length;
      if (free > Math.max(0, ahead)) {
        const slot = await takeFreeSlot(dir, limit, new Set(holders.map((h) => h.index)), opts.runId);
        if (slot) return slot;
        continue; // every free slot was taken meanwhile: look again
      }
      const wait: SlotWait = { limit, holders: holders.map((h) => ({ runId: h.runId, pid: h.pid, host: h.host, command: h.command })), place: Math.max(1, ahead + 1 - Math.max(0, free)) };
      const text = slotWaitText(wait);
      if (text !== told) {
        told = text;
        await opts.onWait?.(wait);
      }
      await nap(POLL_MS);
    }
  } finally {
    await rm(join(queue, ticket), { force: true });
  }
}

/**
 * "waiting for a slot: 2 of 2 runs at once are training (run a in nca-lab serve, process 12; run b in nca-lab
 * train, process 40)", then the place in line when others wait first. Said the same way by every process (it is
 * kept in the waiting run's status reason, which every process reads).
 */
export function slotWaitText(wait: SlotWait): string {
  const me = thisProcess();
  const who = wait.holders.map((h) => `run ${h.runId} in ${h.command ?? 'a process'}, process ${h.pid}${h.host === me.host ? '' : ` on ${h.host}`}`);
  const n = wait.holders.length;
  const line = `waiting for a slot: ${n} of ${counted(wait.limit, 'run')} at once ${n === 1 ? 'is' : 'are'} training` +
    (who.length ? ` (${who.join('; ')})` : '');
  return wait.place > 1 ? `${line}; ${wait.place - 1} waiting before this one` : line;
}
