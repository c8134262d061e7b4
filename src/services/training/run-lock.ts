/**
 * One training session per run at a time, across processes (the CLI, the desktop app, a bridge server, on this
 * machine or another one sharing the workspace): `runs/<id>/train.lock/` is the run's lock.
 *
 * The lock is a folder of numbered claims, `claim-<n>`, each a JSON owner record (pid, host, the process's start,
 * when it claimed the run, its command line, a random nonce). The claim with the highest number says who owns the
 * run; a released lock's highest claim says `released`. Claiming is a compare-and-swap on that number, so exactly
 * one of any number of processes racing for the run wins:
 *
 *   1. write our owner record, complete, to a private file in the folder;
 *   2. read the highest claim n: if its owner runs (same pid and same process start), the run is refused, naming
 *      that process; if it ran on another machine, whether it still runs cannot be told, and the refusal says how
 *      to clear the lock; otherwise (released, its process gone or its pid reused by a later process, unreadable)
 *      the run is free;
 *   3. hard-link our record to `claim-<n+1>`: creating a name is exclusive, so one racer gets n+1, the others
 *      start again from 2 and find it owned;
 *   4. re-check: the claim counts only if no higher one exists (a racer that read a number from before a cleanup
 *      may create a lower one, finds a higher one and takes its own back).
 *
 * A stale lock (its owner killed) is thus taken over without ever deleting a claim that might be live: the
 * winner removes only the claims below its own. Release rewrites our claim as `released` (rename over it), so
 * the highest number never goes down. A lock written by an earlier lab (`train.lock` a file holding a pid) is
 * honoured while that pid runs and replaced otherwise.
 *
 * The same claim folder holds anything else only one process may hold at a time: a workspace's training slots
 * (runs/training-slots.ts) are such folders, each claim naming the run it trains (`subject`).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { processAlive, processState, thisProcess, type ProcessIdentity } from '../resources/process-identity';
import { isRecord, messageOf } from '../../shared/validate';
import { isDiskFull } from '../store/atomic-file';

export const RUN_LOCK = 'train.lock';
const CLAIM = /^claim-(\d{1,15})$/;
const PENDING = /^\.pending-(\d+)-[0-9a-f]+$/;
/** Rounds of steps 2–4 before giving up; a round is lost only to a racer that won, so a few suffice. */
const MAX_ROUNDS = 64;

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

/** Who owns a run's lock, as `readRunLockOwner` tells it. */
export interface RunLockOwner {
  pid: number;
  host: string;
  /** when it claimed the run (ISO 8601) */
  startedAt: string;
  /** its command line, shortened */
  command: string;
  /** false only when the process is known to be gone; an owner on another machine counts as alive */
  alive: boolean;
  /** whether the owner runs on this machine (only then is `alive` known rather than assumed) */
  local: boolean;
  /** what the claim is for, where the folder says (a training slot: the run it trains); null for a run's lock */
  subject: string | null;
}

interface ClaimRecord extends ProcessIdentity {
  startedAt: string;
  command: string;
  nonce: string;
  released: boolean;
  subject: string | null;
}

export interface RunLock {
  release(): Promise<void>;
  /** the owner of a stale lock this claim replaced (its process was gone), for the run's log; else null */
  tookOver: RunLockOwner | null;
}

function commandLine(): string {
  const words = [basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(' ');
  return words.length > 200 ? `${words.slice(0, 199)}…` : words;
}

function parseClaim(text: string): ClaimRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(v)) return null;
  const { pid, host, start, startedAt, command, nonce, released, subject } = v;
  if (!Number.isSafeInteger(pid) || typeof host !== 'string' || !(start === null || typeof start === 'string')) return null;
  if (typeof startedAt !== 'string' || typeof command !== 'string' || typeof nonce !== 'string' || typeof released !== 'boolean') return null;
  // claims written before claims named their subject have none
  return { pid: pid as number, host, start, startedAt, command, nonce, released, subject: typeof subject === 'string' ? subject : null };
}

function ownerOf(c: Pick<ClaimRecord, keyof ProcessIdentity | 'startedAt' | 'command'> & { subject?: string | null }): RunLockOwner {
  const state = processState(c);
  return {
    pid: c.pid, host: c.host, startedAt: c.startedAt, command: c.command, alive: state !== 'gone', local: state !== 'unknown', subject: c.subject ?? null,
  };
}

async function claimNumbers(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((err) => ((err as NodeJS.ErrnoException).code === 'ENOENT' ? [] : Promise.reject(err)));
  return names.map((n) => CLAIM.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
}

const claimFile = (dir: string, n: number) => join(dir, `claim-${n}`);

/** The highest claim and its record (null: unreadable), or null when there is none. */
async function topClaim(dir: string): Promise<{ n: number; record: ClaimRecord | null } | null> {
  for (let tries = 0; ; tries++) {
    const n = (await claimNumbers(dir)).pop();
    if (n === undefined) return null;
    try {
      return { n, record: parseClaim(await readFile(claimFile(dir, n), 'utf8')) };
    } catch (err) {
      // removed meanwhile by a winner's cleanup: a higher claim exists now
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || tries > 8) throw err;
    }
  }
}

/** The owner named by a lock of an earlier lab (`train.lock` a file holding the pid), or null. */
async function legacyOwner(file: string): Promise<RunLockOwner | null> {
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) return null;
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  const alive = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid);
  return { pid, host: thisProcess().host, startedAt: st.mtime.toISOString(), command: 'an earlier version of NCA Lab', alive, local: true, subject: null };
}

/**
 * Who holds the run's lock and whether that process still runs; null when nobody holds it (never claimed, or
 * released). A dead owner (killed, crashed) is returned with `alive: false`: its run was cut off.
 */
export async function readRunLockOwner(runDir: string): Promise<RunLockOwner | null> {
  const dir = join(runDir, RUN_LOCK);
  const legacy = await legacyOwner(dir);
  if (legacy) return legacy;
  return readClaimOwner(dir);
}

/** Who holds a claim folder (a run's lock, a training slot), alive or not; null when nobody does. */
export async function readClaimOwner(dir: string): Promise<RunLockOwner | null> {
  const top = await topClaim(dir);
  return top?.record && !top.record.released ? ownerOf(top.record) : null;
}

/**
 * The pid of the live process training the run (its lock's owner), or null when no live process holds the lock:
 * a record that says `running` without one was cut off (a kill, a crash, a full disk that refused the final
 * run.json) and resumes like an interrupted run.
 */
export async function runLockOwner(runDir: string): Promise<number | null> {
  const owner = await readRunLockOwner(runDir);
  return owner?.alive ? owner.pid : null;
}

function refusal(runId: string, dir: string, owner: RunLockOwner): RunLockedError {
  const who = `process ${owner.pid} (${owner.command}, since ${owner.startedAt})`;
  return new RunLockedError(owner.local
    ? `run ${runId} is being trained by ${who}; stop it there first`
    : `run ${runId} is locked by ${who} on the machine "${owner.host}", which cannot be asked from here whether it still runs; ` +
      `if it has stopped, delete ${dir} and try again`);
}

/** Makes the lock folder, replacing an earlier lab's lock file whose process is gone. */
async function lockFolder(runDir: string, runId: string): Promise<string> {
  const dir = join(runDir, RUN_LOCK);
  const legacy = await legacyOwner(dir);
  if (legacy?.alive) throw refusal(runId, dir, legacy);
  if (legacy) await rm(dir, { force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** After winning claim n: the claims below it and the private files of processes that are gone. */
async function cleanUp(dir: string, n: number): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const claim = CLAIM.exec(name);
    const pending = PENDING.exec(name);
    if ((claim && Number(claim[1]) < n) || (pending && !processAlive(Number(pending[1])))) {
      await rm(join(dir, name), { force: true });
    }
  }
}

/** Claims the run for this process, or refuses (RunLockedError) naming the process that holds it. */
export async function acquireRunLock(runDir: string, runId: string): Promise<RunLock> {
  const dir = await lockFolder(runDir, runId);
  return claimFolder(dir, null, (owner) => refusal(runId, dir, owner));
}

/**
 * Claims a claim folder other than a run's lock (a training slot) for this process, naming what it holds it for;
 * refuses (RunLockedError) while a live process holds it. A claim whose process is gone is taken over.
 */
export async function acquireClaim(dir: string, subject: string): Promise<RunLock> {
  await mkdir(dir, { recursive: true });
  return claimFolder(dir, subject, (owner) => new RunLockedError(`${dir} is held by process ${owner.pid} (${owner.command}) on "${owner.host}"`));
}

/** Steps 1–4 of the module's comment. */
async function claimFolder(dir: string, subject: string | null, refuse: (owner: RunLockOwner) => Error): Promise<RunLock> {
  const me: ClaimRecord = {
    ...thisProcess(), startedAt: new Date().toISOString(), command: commandLine(), nonce: randomBytes(8).toString('hex'), released: false, subject,
  };
  const pending = join(dir, `.pending-${me.pid}-${me.nonce}`);
  try {
    await writeFile(pending, JSON.stringify(me), { flag: 'wx' });
  } catch (err) {
    await rm(pending, { force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot claim ${dir}: ${isDiskFull(err) ? `the disk is full (${code}); free some space and try again` : messageOf(err)}`, { cause: err });
  }
  try {
    let tookOver: RunLockOwner | null = null;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const top = await topClaim(dir);
      if (top?.record && !top.record.released) {
        const owner = ownerOf(top.record);
        if (owner.alive) throw refuse(owner);
        tookOver = owner;
      }
      const n = (top?.n ?? 0) + 1;
      try {
        await link(pending, claimFile(dir, n));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // a racer took n first
        throw err;
      }
      if ((await claimNumbers(dir)).pop() === n) {
        await cleanUp(dir, n);
        return { release: () => release(dir, n, me), tookOver };
      }
      await rm(claimFile(dir, n), { force: true }); // n was below a claim made meanwhile: not ours to keep
    }
    throw new RunLockedError(`could not claim ${dir}: ${MAX_ROUNDS} claims were each overtaken by another process`);
  } finally {
    await rm(pending, { force: true });
  }
}

/**
 * Marks our claim released (only while it is still ours: a lock cleared by hand is not re-created). Where the
 * released record cannot be written (a full disk), the claim is removed instead: a lock this live process still
 * seemed to hold would refuse the run until the process ends.
 */
async function release(dir: string, n: number, me: ClaimRecord): Promise<void> {
  const file = claimFile(dir, n);
  const current = parseClaim(await readFile(file, 'utf8').catch(() => ''));
  if (current?.nonce !== me.nonce) return;
  const tmp = join(dir, `.pending-${me.pid}-${randomBytes(8).toString('hex')}`);
  try {
    await writeFile(tmp, JSON.stringify({ ...me, released: true }), { flag: 'wx' });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
    await rm(file, { force: true }).catch(() => undefined);
  }
}
