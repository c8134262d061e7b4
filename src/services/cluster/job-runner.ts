/**
 * A batch of jobs of one blob kind (lab-jobs.ts: `cluster: { via: 'job-blobs' }`, such as an experiment suite's
 * jobs with `nca-lab experiment … --cluster URL`) computed by the cluster's workers. Each job is self-contained
 * data — an experiment job holds the model's config and parameters, its target's pixels, the protocols, a seed — so
 * any worker computes it exactly as this machine would. Payloads go up once, the answers come back through
 * `nca-lab:job:<id>:result` (first answer wins, checked by the kind's parseResult), and a worker that dies mid-job
 * has its job taken by another (BullMQ's stalled-job check). These jobs keep no checkpoint, so a Redis outage
 * longer than `unreachableAfterMs` fails the batch with "cluster unreachable since …".
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { connectRedis, ensureConnected, type ClusterAddress } from './redis-url';
import { compatId as compatIdOf, localCompat } from './compat';
import { listWorkers } from './registry';
import { BULL_PREFIX, DATA_TTL_S, keys, pack, queueName, unpack, type BlobJobData } from './protocol';
import { blobWire, type BlobJobKind, type LabJobs } from '../workers/lab-jobs';
import type { PayloadOf, ResultOf } from '../workers/protocol';
import { messageOf } from '../../shared/validate';
import { counted } from '../../shared/words';

export interface ClusterJobsOptions<K extends BlobJobKind> {
  addr: ClusterAddress;
  signal?: AbortSignal;
  /** job `index` has its answer */
  onResult: (index: number, result: ResultOf<LabJobs, K>) => void;
  onLog?: (line: string) => void;
  unreachableAfterMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `payloads` as jobs of `kind` on the cluster; resolves once every one has its answer (opts.onResult). */
export async function runJobsOnCluster<K extends BlobJobKind>(kind: K, payloads: PayloadOf<LabJobs, K>[], opts: ClusterJobsOptions<K>): Promise<void> {
  const wire = blobWire(kind);
  const compat = localCompat();
  const compatId = compatIdOf(compat);
  const batch = `${kind}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const conn = connectRedis(opts.addr, { name: `nca-lab:jobs:${batch}`, blocking: false });
  const blocking = connectRedis(opts.addr, { name: `nca-lab:jobs-wait:${batch}`, blocking: false });
  const queue = new Queue(queueName(kind, compatId), { connection: conn, prefix: BULL_PREFIX });
  queue.on('error', () => undefined);
  let downSince: number | null = null;
  conn.on('close', () => { downSince ??= Date.now(); });
  conn.on('ready', () => { downSince = null; });
  const jobs = payloads.map((payload, index) => ({ index, payload, id: `${batch}.j${index}` }));
  const pending = new Map(jobs.map((j) => [j.id, j]));
  const publish = async (list: typeof jobs) => {
    const m = conn.multi();
    for (const j of list) m.set(keys.jobPayload(j.id), pack(j.payload), 'EX', DATA_TTL_S);
    await m.exec();
    await queue.addBulk(list.map((j) => ({
      name: kind, data: { kind, job: j.id, batch } satisfies BlobJobData,
      opts: { jobId: j.id, removeOnComplete: true, removeOnFail: { age: 3600 }, attempts: 1 },
    })));
  };
  try {
    try {
      await Promise.all([ensureConnected(conn), ensureConnected(blocking)]);
    } catch (err) {
      throw new Error(`cannot reach the cluster at ${opts.addr.display}: ${messageOf(err)}`, { cause: err });
    }
    await publish(jobs);
    opts.onLog?.(`${counted(jobs.length, `${kind} job`)} on the cluster ${opts.addr.display} (compatibility ${compatId})`);
    let lastCheck = performance.now();
    let saidWaiting = false;
    while (pending.size > 0) {
      opts.signal?.throwIfAborted();
      if (downSince !== null) {
        if (Date.now() - downSince > (opts.unreachableAfterMs ?? 3_000)) {
          throw new Error(`cluster unreachable since ${new Date(downSince).toISOString()} (${opts.addr.display}); nothing of this batch was kept`);
        }
        await sleep(100);
        continue;
      }
      try {
        const popped = await blocking.blpop(keys.jobDone(batch), 0.5);
        const take = async (id: string) => {
          const j = pending.get(id);
          if (!j) return; // a late duplicate
          const buf = await conn.getBuffer(keys.jobResult(id));
          if (!buf) return;
          const what = `result of ${kind} job ${id}`;
          const result = wire.parseResult(unpack(buf, what), what);
          pending.delete(id);
          opts.onResult(j.index, result);
        };
        if (popped) await take(popped[1]);
        if (performance.now() - lastCheck > 1_000) {
          lastCheck = performance.now();
          const lost: typeof jobs = [];
          for (const j of [...pending.values()]) {
            const state = await queue.getJobState(j.id);
            if (state === 'failed') {
              const failed = await queue.getJob(j.id);
              throw new ClusterJobFailed(`${kind} job ${j.index + 1} failed on a worker: ${failed?.failedReason ?? 'no reason given'}`);
            }
            if (state === 'unknown') {
              if (await conn.exists(keys.jobResult(j.id))) await take(j.id);
              else lost.push(j); // Redis restarted and forgot it
            }
          }
          if (lost.length) await publish(lost);
          const workers = (await listWorkers(conn)).filter((w) => w.compatId === compatId);
          if (workers.length === 0 && !saidWaiting) {
            saidWaiting = true;
            opts.onLog?.(`waiting for a worker: none connected to ${opts.addr.display} computes like this machine`);
          } else if (workers.length > 0) {
            saidWaiting = false;
          }
        }
      } catch (err) {
        if (err instanceof ClusterJobFailed || (err as Error).name === 'AbortError') throw err;
        if (downSince === null) await sleep(100);
      }
    }
  } finally {
    await Promise.all([...pending.keys()].map((id) => queue.remove(id).catch(() => undefined)));
    const m = conn.multi();
    for (const j of jobs) m.del(keys.jobPayload(j.id)).del(keys.jobResult(j.id));
    m.del(keys.jobDone(batch));
    await m.exec().catch(() => undefined);
    await queue.close().catch(() => undefined);
    conn.disconnect();
    blocking.disconnect();
  }
}

class ClusterJobFailed extends Error {
  override name = 'ClusterJobFailed';
}
