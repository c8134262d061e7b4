/**
 * `nca-lab worker` leaves when told to, even when its Redis has gone away: with no job in hand it says so and
 * exits at once, instead of waiting on a Redis that does not answer (BullMQ's close and the announcement's
 * removal are bounded, and the connections dropped).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, redisServerPath, startRedis, startWorker, type Proc } from './cluster-helpers';

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
