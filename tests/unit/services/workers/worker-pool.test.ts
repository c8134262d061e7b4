/**
 * WorkerPool over real child processes (forkSpawner + tests/fixtures/test-worker.ts through tsx): results and
 * typed arrays, ordering, progress, job errors, crashes and kills mid-job, cancellation, init on replacements,
 * start failures and cleanup. No assertion depends on timing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  AbortError,
  WorkerCrashError,
  WorkerJobError,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerRestartInfo,
} from '../../../../src/services/workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner } from '../../../../src/services/workers/spawners';
import type { AnyJobMap, JobType } from '../../../../src/services/workers/protocol';
import type { TestInit, TestJobs } from '../../../fixtures/test-worker';
import type { LabJobs } from '../../../../src/services/workers/lab-jobs';
import { BACKEND_ON_DEMAND } from '../../../../src/worker/runtime';
import { evaluateEsSlice, type EsSliceRequest } from '../../../../src/core/es/slice';
import { THESIS_ES_MODEL, initParams } from '../../../../src/core/nca/config';
import { makeSeed } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';

const fixture = fileURLToPath(new URL('../../../fixtures/test-worker.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'nca-worker-pool-'));
const pools: WorkerPool<any, any>[] = [];

type PoolOptions = Omit<WorkerPoolOptions<TestInit>, 'spawn' | 'size'> & { size?: number; env?: NodeJS.ProcessEnv };

function testPool(options: PoolOptions = {}): { pool: WorkerPool<TestJobs, TestInit>; restarts: WorkerRestartInfo[] } {
  const restarts: WorkerRestartInfo[] = [];
  const { env, size = 1, ...rest } = options;
  const pool = new WorkerPool<TestJobs, TestInit>({
    size,
    spawn: forkSpawner({ entry: fixture, echoOutput: false, env: env ? { ...process.env, ...env } : undefined }),
    ...rest,
  });
  pool.onWorkerRestart((info) => restarts.push(info));
  pools.push(pool);
  return { pool, restarts };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function nextRestart(pool: WorkerPool<any, any>): Promise<WorkerRestartInfo> {
  return new Promise((resolve) => {
    const off = pool.onWorkerRestart((info) => {
      off();
      resolve(info);
    });
  });
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('WorkerPool: jobs', () => {
  it('returns results, with typed arrays intact, and reports size and backend', async () => {
    const { pool } = testPool({ size: 2 });
    await pool.start();
    expect(pool.size).toBe(2);
    expect(pool.backend).toBe('test-backend');
    expect(pool.pids).toHaveLength(2);

    const params = Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i) * 0.1);
    const sent = { params, seed: 12345n, pixels: new Uint8Array([0, 127, 255]), tags: new Map([['a', 1]]), nested: { x: [1, 'two', null] } };
    const back = (await pool.run('echo', sent)) as typeof sent;
    expect(back.params).toBeInstanceOf(Float32Array);
    expect(back.params.length).toBe(2048);
    expect(Array.from(back.params)).toEqual(Array.from(params));
    expect(back.seed).toBe(12345n);
    expect(back.pixels).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.pixels)).toEqual([0, 127, 255]);
    expect(back.tags.get('a')).toBe(1);
    expect(back.nested).toEqual({ x: [1, 'two', null] });

    const sum = await pool.run('checksum', new Float32Array([0.5, 1.5, -1, 4]));
    expect(sum).toBe(5);
  });

  it('maps 10 jobs over 2 workers and returns the results in payload order, using both workers', async () => {
    const { pool } = testPool({ size: 2 });
    await pool.start();
    // later payloads finish sooner, so completion order differs from payload order
    const payloads = Array.from({ length: 10 }, (_, i) => ({ ms: 5 * (10 - i), value: i * 10 }));
    const results = await pool.map('sleep', payloads);
    expect(results.map((r) => r.value)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(new Set(results.map((r) => r.pid))).toEqual(new Set(pool.pids));
  });

  it('delivers progress events in order, and tags them with the payload index in map', async () => {
    const { pool } = testPool({ size: 2 });
    await pool.start();
    const seen: number[] = [];
    const steps = await pool.run('progress', { steps: 5 }, { onProgress: (p) => seen.push(p.step) });
    expect(steps).toBe(5);
    expect(seen).toEqual([1, 2, 3, 4, 5]);

    const byIndex: number[][] = [[], [], []];
    await pool.map('progress', [{ steps: 2 }, { steps: 3 }, { steps: 1 }], { onProgress: (p, i) => byIndex[i].push(p.step) });
    expect(byIndex).toEqual([[1, 2], [1, 2, 3], [1]]);
  });

  it('rejects only the job whose handler throws; the worker lives on', async () => {
    const { pool, restarts } = testPool();
    await pool.start();
    const [pid] = pool.pids;
    const err = await pool.run('fail', { message: 'bad slice 3' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerJobError);
    expect((err as WorkerJobError).message).toBe('bad slice 3');
    expect((err as WorkerJobError).kind).toBe('fail');
    expect(await pool.run('echo', 7)).toBe(7);
    expect(pool.pids).toEqual([pid]);
    expect(restarts).toEqual([]);
  });

  it('rejects an unknown job kind with the kinds the worker knows', async () => {
    const { pool } = testPool();
    await pool.start();
    const untyped = pool as unknown as WorkerPool<AnyJobMap>;
    await expect(untyped.run('no-such-job', null)).rejects.toThrow(/unknown job kind "no-such-job" \(this worker runs: echo, noop, checksum/);
  });
});

describe('WorkerPool: crashes', () => {
  it('replaces a worker that calls process.exit mid-job and re-runs the job on the replacement', async () => {
    const { pool, restarts } = testPool();
    await pool.start();
    const [firstPid] = pool.pids;
    const counterFile = join(scratch, 'flaky-once');
    const result = await pool.run('flaky', { counterFile, crashes: 1, value: 21 });
    expect(result.value).toBe(42);
    expect(result.attempts).toBe(2);
    expect(result.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ slot: 0, pid: firstPid, code: 7, reason: 'crash', jobKind: 'flaky', jobCrashes: 1 });
  });

  it('replaces a worker killed with SIGKILL while a sleep job runs; the job still resolves', async () => {
    const { pool, restarts } = testPool({ size: 2 });
    await pool.start();
    let killed: number | null = null;
    const result = await pool.run(
      'sleep',
      { ms: 1500, value: 99 },
      {
        onProgress: ({ pid }) => {
          if (killed === null) {
            killed = pid;
            process.kill(pid, 'SIGKILL');
          }
        },
      },
    );
    expect(killed).not.toBeNull();
    expect(result.value).toBe(99);
    expect(result.pid).not.toBe(killed);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ pid: killed, signal: 'SIGKILL', reason: 'crash', jobKind: 'sleep' });
    expect(pool.pids).toHaveLength(2);
    expect(pool.pids).not.toContain(killed);
  });

  it('fails a job that always crashes its worker after maxRestartsPerJob re-runs, naming the job kind', async () => {
    const { pool, restarts } = testPool();
    await pool.start();
    const err = await pool.run('crash', { how: 'exit' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashError);
    expect((err as Error).message).toMatch(/^worker crashed 4 times running crash: exit code 3, exit code 3, exit code 3, exit code 3/);
    expect(restarts.map((r) => r.jobCrashes)).toEqual([1, 2, 3, 4]);
    // the pool itself carries on with a fresh worker
    expect(await pool.run('echo', 'still here')).toBe('still here');
  }, 120_000);

  it('says how the worker died: a signal, or an uncaught exception with its output', async () => {
    const { pool } = testPool({ maxRestartsPerJob: 1 });
    await pool.start();
    await expect(pool.run('crash', { how: 'kill' })).rejects.toThrow(/worker crashed 2 times running crash: signal SIGKILL, signal SIGKILL/);
    const err = (await pool.run('crash', { how: 'throw' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/worker crashed 2 times running crash: exit code 1, exit code 1/);
    expect(err.message).toMatch(/uncaught on purpose/);
  }, 120_000);
});

describe('WorkerPool: cancellation', () => {
  it('cancels cooperatively: the job rejects with AbortError and the same worker takes the next job', async () => {
    // a generous grace period: on a busy machine a slow answer must not turn into a kill
    const { pool, restarts } = testPool({ cancelGraceMs: 30_000 });
    await pool.start();
    const [pid] = pool.pids;
    const ac = new AbortController();
    const job = pool.run('sleep', { ms: 600_000, value: 1 }, { signal: ac.signal, onProgress: () => ac.abort() });
    const err = await job.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).name).toBe('AbortError');
    expect((await pool.run('get-init', null)).pid).toBe(pid);
    expect(restarts).toEqual([]);
  });

  it('kills and replaces a worker that ignores the cancel past the grace period', async () => {
    const { pool, restarts } = testPool({ cancelGraceMs: 300 });
    await pool.start();
    const [pid] = pool.pids;
    const ac = new AbortController();
    const restarted = nextRestart(pool);
    const job = pool.run('sleep', { ms: 600_000, value: 1, ignoreCancel: true }, { signal: ac.signal, onProgress: () => ac.abort() });
    await expect(job).rejects.toBeInstanceOf(AbortError);
    const info = await restarted;
    expect(info).toMatchObject({ pid, reason: 'cancel-timeout', signal: 'SIGKILL', jobKind: 'sleep' });
    expect(isAlive(pid)).toBe(false);
    const after = await pool.run('get-init', null);
    expect(after.pid).not.toBe(pid);
    expect(restarts).toHaveLength(1);
  });

  it('lets a graceful job stop and return its outcome, with the abort reason', async () => {
    // a generous grace period: on a busy machine a slow answer must not turn into a kill
    const { pool, restarts } = testPool({ cancelGraceMs: 30_000 });
    await pool.start();
    const ac = new AbortController();
    const result = await pool.run('stoppable', null, { signal: ac.signal, graceful: true, onProgress: () => ac.abort('pause') });
    expect(result).toEqual({ stoppedBy: 'pause' });
    expect(restarts).toEqual([]);
  });

  it('drops a queued job when its signal aborts, and refuses an already aborted signal', async () => {
    const { pool } = testPool();
    await pool.start();
    const ac = new AbortController();
    let queuedStarted = false;
    const first = pool.run('sleep', { ms: 200, value: 1 }, { onProgress: () => ac.abort() });
    const queued = pool.run('sleep', { ms: 10, value: 2 }, { signal: ac.signal, onProgress: () => (queuedStarted = true) });
    await expect(queued).rejects.toBeInstanceOf(AbortError);
    expect((await first).value).toBe(1);
    expect(queuedStarted).toBe(false);
    await expect(pool.run('echo', 1, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('cancels the rest of a map when one job fails, and throws that failure', async () => {
    // a generous grace period: on a busy machine a slow answer must not turn into a kill
    const { pool, restarts } = testPool({ cancelGraceMs: 30_000 });
    await pool.start();
    // one worker: slice 0 fails; slice 1 (ten minutes) must then be cancelled, or the echo below never runs
    const err = await pool
      .map('sleep', [{ ms: 1, value: 0, fail: 'slice 0 failed' }, { ms: 600_000, value: 1 }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerJobError);
    expect((err as Error).message).toBe('slice 0 failed');
    expect(await pool.run('echo', 'next generation')).toBe('next generation');
    expect(restarts).toEqual([]);
  });
});

describe('WorkerPool: init', () => {
  it('sends init to every worker, resends it on setInit, and to a replacement after a crash', async () => {
    const { pool } = testPool({ size: 1, init: { tag: 'first run' } });
    await pool.start();
    expect((await pool.run('get-init', null)).init).toEqual({ tag: 'first run' });

    await pool.setInit({ tag: 'second run' });
    const before = await pool.run('get-init', null);
    expect(before.init).toEqual({ tag: 'second run' });

    const restarted = nextRestart(pool);
    process.kill(before.pid, 'SIGKILL');
    await restarted;
    const after = await pool.run('get-init', null);
    expect(after.pid).not.toBe(before.pid);
    expect(after.init).toEqual({ tag: 'second run' });
  });

  it('passes a forced backend to the worker, which reports it in ready', async () => {
    const { pool } = testPool({ init: { backend: 'wasm' } });
    await pool.start();
    expect(pool.backend).toBe('wasm');
  });

  it('fails start() with the worker init error when the backend cannot load', async () => {
    const { pool } = testPool({ init: { backend: 'broken' } });
    await expect(pool.start()).rejects.toThrow(/worker 1 \(pid \d+\) failed to start: it could not apply its init: backend "broken" cannot load/);
    expect(pool.pids).toEqual([]);
  });

  it('fails start() with the worker output when the worker dies while loading', async () => {
    const { pool } = testPool({ size: 2, env: { TEST_WORKER_FAIL_AT_START: '1' } });
    const err = (await pool.start().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/failed to start: it ended \(exit code 1\) before it was ready/);
    expect(err.message).toMatch(/failing at start on purpose/);
    expect(pool.pids).toEqual([]);
  });
});

describe('WorkerPool: a worker that cannot be restarted', () => {
  it('stops respawning after maxRestartsPerJob failed starts and fails waiting jobs with the reason', async () => {
    const breakFile = join(scratch, 'break-restarts');
    const { pool, restarts } = testPool({ maxRestartsPerJob: 2, env: { TEST_WORKER_FAIL_AT_START_IF: breakFile } });
    await pool.start();
    const [pid] = pool.pids;
    writeFileSync(breakFile, '');
    const job = pool.run('sleep', { ms: 600_000, value: 1 }, { onProgress: () => process.kill(pid, 'SIGKILL') });
    const err = (await job.catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^could not restart worker 1 after 3 attempts: worker 1 \(pid \d+\) failed to start: it ended \(exit code 1\)/);
    expect(err.message).toMatch(/failing at start on purpose/);
    expect(restarts.map((r) => r.reason)).toEqual(['crash', 'start-failure', 'start-failure', 'start-failure']);
    await expect(pool.run('echo', 1)).rejects.toThrow(/could not restart worker 1/);
  });
});

describe('WorkerPool: close', () => {
  it('kills every worker, fails jobs in flight and queued, and leaves no child process', async () => {
    const { pool } = testPool({ size: 3 });
    await pool.start();
    const pids = pool.pids;
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    let started = 0;
    let allStarted!: () => void;
    const running = new Promise<void>((resolve) => (allStarted = resolve));
    const onProgress = () => {
      if (++started === 3) allStarted();
    };
    const jobs = [0, 1, 2].map((value) => pool.run('sleep', { ms: 600_000, value, ignoreCancel: true }, { onProgress }));
    const queued = pool.run('echo', 'never');
    await running;
    const outcomes = [...jobs, queued].map((job) => job.then(() => null, (e: unknown) => e));
    await pool.close();

    for (const outcome of await Promise.all(outcomes)) expect(String(outcome)).toMatch('the worker pool was closed');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await expect(pool.run('echo', 1)).rejects.toThrow('the worker pool is closed');
  });
});

describe('the real worker entry (src/worker/index.ts)', () => {
  it('starts from the sources (bundled, plain Node) with the default entry and reports a forced tfjs backend', async () => {
    const pool = new WorkerPool<LabJobs>({ size: 1, spawn: forkSpawner({ echoOutput: false }), init: { backend: 'cpu' } });
    pools.push(pool);
    await pool.start();
    expect(pool.backend).toBe('cpu');
    // a kind outside the table (the types refuse it; a stale caller could still send it)
    await expect((pool as unknown as WorkerPool<Record<string, JobType<null, unknown>>>).run('no-such-job', null)).rejects.toThrow(/unknown job kind "no-such-job" \(this worker runs: es-slice, /);
    const stats = await pool.run('worker-stats', {});
    expect(stats).toMatchObject({ pid: pool.pids[0], backend: 'cpu', tfjsLoaded: true });
  });

  it('an ES worker never loads tfjs: the backend is loaded on demand, and an ES slice runs without it', async () => {
    const pool = new WorkerPool<LabJobs>({ size: 1, spawn: forkSpawner({ echoOutput: false }), init: {}, nodeFlags: ES_WORKER_NODE_FLAGS });
    pools.push(pool);
    await pool.start();
    expect(pool.backend).toBe(BACKEND_ON_DEMAND);
    const cfg = THESIS_ES_MODEL;
    const rng = new Philox(1);
    const params = initParams(cfg, 'torch', () => rng.uniform());
    const req: EsSliceRequest = {
      cfg, params, seed: 3, generation: 1, memberStart: 0, memberEnd: 4, x0: makeSeed(9, 9), target: new Float32Array(81 * 4).fill(0.2),
      wantBest: false, sigma: 0.02, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
    };
    const remote = await pool.run('es-slice', req);
    expect(remote.losses).toEqual(evaluateEsSlice(req).losses);
    const stats = await pool.run('worker-stats', {});
    expect(stats).toMatchObject({ pid: pool.pids[0], backend: null, tfjsLoaded: false });
    // the pool's flags reach the process (a small young generation)
    expect(stats.nodeFlags).toEqual(expect.arrayContaining([...ES_WORKER_NODE_FLAGS]));
    expect(stats.rssBytes).toBeGreaterThan(0);
    expect(stats.maxRssBytes).toBeGreaterThanOrEqual(stats.rssBytes);
  });
});
