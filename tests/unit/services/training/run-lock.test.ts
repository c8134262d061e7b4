/**
 * The run lock is exclusive: 200 claims racing from 8 processes give exactly one owner, on a fresh run, over a
 * lock left by a SIGKILLed owner and over one whose pid a later process reuses; a live owner, an owner on another
 * machine and an earlier lab's lock file are honoured, each refusal naming the process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { acquireRunLock, readRunLockOwner, RUN_LOCK, runLockOwner } from '../../../../src/services/training/run-lock';
import { processStartToken, thisProcess } from '../../../../src/services/resources/process-identity';

const PROCESSES = 8;
const CLAIMS_EACH = 25; // 8 × 25 = 200 simultaneous claims

let base: string;
let claimer: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'nca-run-lock-'));
  claimer = join(base, 'lock-claimer.mjs');
  await build({ entryPoints: [join(__dirname, 'lock-claimer.ts')], bundle: true, platform: 'node', format: 'esm', outfile: claimer, logLevel: 'silent' });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let runs = 0;
function freshRun(): string {
  const dir = join(base, `run-${++runs}`);
  mkdirSync(dir);
  return dir;
}

function once<T>(child: ChildProcess, accept: (m: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      const v = accept(m);
      if (v !== undefined) {
        child.off('message', onMessage);
        resolve(v);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code, signal) => reject(new Error(`claimer exited early (${code ?? signal})`)));
  });
}

interface Report { pid: number; won: number; refusals: string[] }

/** 8 processes, each making 25 claims at the same moment; returns what each got, then lets them release and exit. */
async function race(runDir: string): Promise<{ reports: Report[]; ownerSeen: Awaited<ReturnType<typeof readRunLockOwner>> }> {
  const children = Array.from({ length: PROCESSES }, () => fork(claimer, [runDir, String(CLAIMS_EACH)], { stdio: 'ignore' }));
  try {
    await Promise.all(children.map((c) => once(c, (m) => (m === 'ready' ? true : undefined))));
    const reports = Promise.all(children.map((c) => once(c, (m) => (typeof m === 'object' && m && 'won' in m ? (m as Report) : undefined))));
    for (const c of children) c.send('go');
    const got = await reports;
    const ownerSeen = await readRunLockOwner(runDir);
    await Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.send('done'); })));
    return { reports: got, ownerSeen };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

function expectOneOwner({ reports, ownerSeen }: Awaited<ReturnType<typeof race>>): void {
  const won = reports.reduce((n, r) => n + r.won, 0);
  const refusals = reports.flatMap((r) => r.refusals);
  expect(won).toBe(1);
  expect(refusals).toHaveLength(PROCESSES * CLAIMS_EACH - 1);
  const winner = reports.find((r) => r.won === 1)!.pid;
  // every refusal names the one owner
  for (const text of refusals) expect(text).toMatch(new RegExp(`^RunLockedError: run race is being trained by process ${winner} \\(.*lock-claimer.*, since .*\\); stop it there first$`));
  expect(ownerSeen).toMatchObject({ pid: winner, alive: true, local: true });
}

describe('200 simultaneous claims give exactly one owner', () => {
  it('on a run nobody holds', async () => {
    const dir = freshRun();
    expectOneOwner(await race(dir));
    // released: nobody owns it, and it can be claimed again
    expect(await readRunLockOwner(dir)).toBeNull();
    const again = await acquireRunLock(dir, 'race');
    expect(again.tookOver).toBeNull();
    await again.release();
  });

  it('over the lock of an owner killed with SIGKILL', async () => {
    const dir = freshRun();
    const holder = fork(claimer, [dir, '1', 'hold'], { stdio: 'ignore' });
    const pid = await once(holder, (m) => (typeof m === 'object' && m && 'held' in m ? (m as { held: number }).held : undefined));
    expect(await runLockOwner(dir)).toBe(pid);
    await new Promise((r) => { holder.once('exit', r); holder.kill('SIGKILL'); });
    expect(await readRunLockOwner(dir)).toMatchObject({ pid, alive: false, local: true });
    expect(await runLockOwner(dir)).toBeNull();
    expectOneOwner(await race(dir));
    // the winner removed the stale claim: one claim is left, released
    expect(readdirSync(join(dir, RUN_LOCK)).filter((n) => n.startsWith('claim-'))).toHaveLength(1);
  });

  it('over a lock whose pid now belongs to a later process (a reused pid)', async () => {
    const dir = freshRun();
    const me = thisProcess();
    // this test process is alive, but the claim says it started at another time: another process had the pid
    mkdirSync(join(dir, RUN_LOCK));
    writeFileSync(join(dir, RUN_LOCK, 'claim-7'), JSON.stringify({ ...me, start: `${me.start}0`, startedAt: '2026-01-01T00:00:00.000Z', command: 'nca-lab train', nonce: 'ab', released: false }));
    expect(await readRunLockOwner(dir)).toMatchObject({ pid: me.pid, alive: me.start === null, local: true });
    if (me.start === null) return; // no /proc: a reused pid cannot be told from its first owner (the safe side)
    expectOneOwner(await race(dir));
  });
});

describe('a held lock is honoured', () => {
  it('a second claim in the same process is refused; release frees it', async () => {
    const dir = freshRun();
    const lock = await acquireRunLock(dir, 'r1');
    await expect(acquireRunLock(dir, 'r1')).rejects.toThrow(new RegExp(`run r1 is being trained by process ${process.pid} \\(`));
    await lock.release();
    await lock.release(); // twice is harmless
    const next = await acquireRunLock(dir, 'r1');
    await next.release();
  });

  it('an owner on another machine is refused with how to clear the lock', async () => {
    const dir = freshRun();
    mkdirSync(join(dir, RUN_LOCK));
    writeFileSync(join(dir, RUN_LOCK, 'claim-3'), JSON.stringify({ pid: 4242, host: 'lab-pc-2', start: 'x/1', startedAt: '2026-01-01T00:00:00.000Z', command: 'nca-lab train --preset thesis-es', nonce: 'cd', released: false }));
    expect(await readRunLockOwner(dir)).toEqual({ pid: 4242, host: 'lab-pc-2', startedAt: '2026-01-01T00:00:00.000Z', command: 'nca-lab train --preset thesis-es', alive: true, local: false, subject: null });
    await expect(acquireRunLock(dir, 'r2')).rejects.toThrow(
      `run r2 is locked by process 4242 (nca-lab train --preset thesis-es, since 2026-01-01T00:00:00.000Z) on the machine "lab-pc-2", which cannot be asked from here whether it still runs; if it has stopped, delete ${join(dir, RUN_LOCK)} and try again`,
    );
    rmSync(join(dir, RUN_LOCK), { recursive: true });
    await (await acquireRunLock(dir, 'r2')).release();
  });

  it('an earlier lab\'s lock file: honoured while its pid runs, replaced once it is gone', async () => {
    const dir = freshRun();
    const sleeper = fork(claimer, [dir, '0'], { stdio: 'ignore' }); // any live process that is not this one
    try {
      await once(sleeper, (m) => (m === 'ready' ? true : undefined));
      writeFileSync(join(dir, RUN_LOCK), String(sleeper.pid));
      expect(await runLockOwner(dir)).toBe(sleeper.pid);
      await expect(acquireRunLock(dir, 'r3')).rejects.toThrow(`run r3 is being trained by process ${sleeper.pid} (an earlier version of NCA Lab`);
    } finally {
      await new Promise((r) => { sleeper.once('exit', r); sleeper.kill('SIGKILL'); });
    }
    expect(await runLockOwner(dir)).toBeNull();
    const lock = await acquireRunLock(dir, 'r3');
    expect(await readRunLockOwner(dir)).toMatchObject({ pid: process.pid, alive: true });
    await lock.release();
  });

  it('an unreadable claim is no owner and is taken over', async () => {
    const dir = freshRun();
    mkdirSync(join(dir, RUN_LOCK));
    writeFileSync(join(dir, RUN_LOCK, 'claim-2'), '{"pid": 12');
    expect(await readRunLockOwner(dir)).toBeNull();
    const lock = await acquireRunLock(dir, 'r4');
    expect(readdirSync(join(dir, RUN_LOCK)).sort()).toEqual(['claim-3']);
    await lock.release();
  });

  it('a process is told by its start, not its pid alone', () => {
    const start = processStartToken(process.pid);
    if (start !== null) expect(start).toMatch(/^[0-9a-f-]+\/\d+$/);
    expect(processStartToken(2 ** 22 + 1)).toBeNull(); // above Linux's largest pid: never a process
  });
});
