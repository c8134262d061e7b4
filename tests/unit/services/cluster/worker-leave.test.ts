/**
 * `nca-lab worker` leaves when told to, even when its Redis has gone away: with no job in hand it says so and
 * exits at once, instead of waiting on a Redis that does not answer (BullMQ's close and the announcement's
 * removal are bounded, and the connections dropped); with a job in hand that cannot finish it waits at most its
 * bound, says so, and leaves the job to the cluster.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, redisServerPath, startRedis, startWorker, type Proc } from './cluster-helpers';
import { ClusterWorkerNode } from '../../../../src/services/cluster/cluster-worker';
import { runJobsOnCluster } from '../../../../src/services/cluster/job-runner';
import { parseClusterUrl } from '../../../../src/services/cluster/redis-url';
import { localCompat } from '../../../../src/services/cluster/compat';
import type { ExperimentJobPayload } from '../../../../src/core/experiments/job';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { suiteProtocols } from '../../../../src/core/experiments/protocols';

const redisBinary = redisServerPath();
const started: Proc[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
});

describe.skipIf(redisBinary === null)('a worker whose Redis has gone away', () => {
  it('answers SIGTERM with no job in hand by leaving, and exits', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    started.push(redis);
    const worker = startWorker(`redis://127.0.0.1:${port}`);
    started.push(worker);
    await worker.waitFor(/waiting for jobs/, 120_000);
    redis.kill('SIGKILL');
    await redis.exited;
    await worker.waitFor(/unreachable since/);
    worker.kill('SIGTERM');
    await worker.waitFor(/no job in hand: leaving/);
    // it exits by itself: no second signal, no SIGKILL
    expect(await worker.exited).toBe(0);
    expect(worker.lines.join('\n')).toMatch(/left the cluster/);
  }, 240_000);
});

describe.skipIf(redisBinary === null)('a worker with a job in hand', () => {
  it('leaves within its bound when the job cannot finish (Redis gone), naming what it left behind', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    started.push(redis);
    const addr = parseClusterUrl(`redis://127.0.0.1:${port}`);
    const lines: string[] = [];
    let taken!: () => void;
    const jobTaken = new Promise<void>((resolve) => { taken = resolve; });
    // a computation that never ends: the job stays in hand whatever Redis does
    const node = new ClusterWorkerNode({
      addr, concurrency: 1, cores: 1, compat: localCompat(), mutantsPerSec: 1, onLine: (l) => lines.push(l),
      executor: { run: () => { taken(); return new Promise<never>(() => undefined); } },
    });
    await node.start();
    const payload: ExperimentJobPayload = {
      cfg: THESIS_ES_MODEL, params: new Float32Array([0.5]), target: { name: 'carrot-9', size: 9, padding: 0, rgbaU8: new Uint8Array(9 * 9 * 4) },
      protocols: suiteProtocols('erase-3x3'), seed: 1, keepFrames: false, animate: [],
    };
    const master = new AbortController();
    const batch = runJobsOnCluster('experiment', [payload], { addr, onResult: () => undefined, signal: master.signal }).catch((e: unknown) => e);
    await jobTaken;
    expect(node.jobsInHand).toBe(1);
    redis.kill('SIGKILL');
    await redis.exited;
    // without a bound this would wait forever on the job and on Redis: the test's timeout is the failure
    await node.close(false, 500);
    expect(lines.join('\n')).toMatch(/the jobs in hand did not finish within 0\.5 s; leaving them to the cluster/);
    master.abort();
    await batch;
  }, 120_000);
});
