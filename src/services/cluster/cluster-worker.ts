/**
 * A machine's share of the cluster (`nca-lab worker --redis URL`, and "this computer's cores" of a cluster run):
 * takes the jobs of every kind the lab's job table sends to the cluster (workers/lab-jobs.ts: ES slices,
 * experiment jobs) of any run on that Redis whose floats it computes the same way
 * (compat.ts), runs them on its local WorkerPool (one process per core, so this process's Redis side never waits
 * for compute and renews its job locks on time), writes the answers where the run's master reads them
 * (protocol.ts), and announces itself every couple of seconds: host, cores, lab version, kernel, measured speed,
 * what it is doing. A run it must refuse gets told why (`nca-lab:run:<R>:refusals`), naming the difference.
 *
 * Jobs are data: a job names a run, a generation and members (or a payload key). The only code a worker runs is
 * the lab's own job kinds, from its job table.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker as BullWorker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis, ensureConnected, type ClusterAddress } from './redis-url';
import { blobWire, LAB_JOB_TABLE, type BlobJobKind } from '../workers/lab-jobs';
import { compatDifference, compatId as compatIdOf } from './compat';
import {
  BULL_PREFIX, DATA_TTL_S, HEARTBEAT_MS, LOCK_MS, STALLED_CHECK_MS, WORKER_GONE_MS, keys, pack, parseEsGeneration, parseEsSettings,
  parseBlobJobData, parseEsSliceJobData, parseRunAnnouncement, queueName, sliceRequestOf, sliceResultToWire, unpack,
  type Compat, type EsClusterGeneration, type EsClusterSettings, type WorkerAnnouncement,
  type JobExecutor,
} from './protocol';

export type { JobExecutor };

export interface ClusterWorkerOptions {
  addr: ClusterAddress;
  executor: JobExecutor;
  /** jobs at once (the local pool's size) */
  concurrency: number;
  cores: number;
  compat: Compat;
  mutantsPerSec: number;
  /** a line for the terminal: jobs taken and done, runs refused, Redis lost and found */
  onLine?: (line: string) => void;
  /** 'remote' for `nca-lab worker`, 'local' for a master's own cores (shown in the window) */
  label?: string;
}

const cacheLimit = 8;

export class ClusterWorkerNode {
  readonly id: string;
  readonly compatId: string;
  private readonly conn: Redis;
  private readonly bull: BullWorker[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly settingsCache = new Map<string, Promise<EsClusterSettings>>();
  private readonly generationCache = new Map<string, Promise<EsClusterGeneration>>();
  private readonly refused = new Map<string, string>();
  private readonly activity = new Map<string, string>();
  private jobsDone = 0;
  private readonly startedAt = Date.now();
  private unreachableSince: number | null = null;
  private closed = false;

  constructor(private readonly opts: ClusterWorkerOptions) {
    this.id = `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.compatId = compatIdOf(opts.compat);
    this.conn = connectRedis(opts.addr, { name: `nca-lab:worker:${this.id}`, blocking: true });
  }

  private line(text: string): void {
    this.opts.onLine?.(text);
  }

  async start(): Promise<void> {
    await ensureConnected(this.conn);
    this.conn.on('close', () => {
      if (this.closed || this.unreachableSince !== null) return;
      this.unreachableSince = Date.now();
      this.line(`redis ${this.opts.addr.display} unreachable since ${new Date(this.unreachableSince).toISOString()}; retrying`);
    });
    this.conn.on('ready', () => {
      if (this.unreachableSince === null) return;
      this.line(`redis ${this.opts.addr.display} reachable again after ${((Date.now() - this.unreachableSince) / 1000).toFixed(1)} s`);
      this.unreachableSince = null;
      // a restarted Redis without persistence forgot everything: announce again now rather than at the next beat
      void this.beat();
    });
    await this.beat();
    const common = {
      connection: this.conn, prefix: BULL_PREFIX, concurrency: this.opts.concurrency,
      lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS, maxStalledCount: 20,
      removeOnComplete: { count: 0 }, removeOnFail: { age: 3600, count: 1000 },
    };
    // one queue per kind the job table sends to the cluster, taken the way its records say it travels
    for (const record of LAB_JOB_TABLE) {
      if (!('cluster' in record)) continue;
      const take = record.cluster.via === 'es-generations' ? (job: Job) => this.esSlice(job) : (job: Job) => this.blobJob(record.kind as BlobJobKind, job);
      this.bull.push(new BullWorker(queueName(record.kind, this.compatId), take, common));
    }
    for (const w of this.bull) {
      // BullMQ reports connection trouble and lost locks here; the 'close'/'ready' lines above say what matters
      w.on('error', () => undefined);
      w.on('failed', (job, err) => {
        if (job) this.line(`job ${job.id} failed: ${err.message}`);
      });
    }
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.line(`worker ${this.id} on ${this.opts.addr.display}: ${this.opts.concurrency} at once, ${this.opts.cores} cores, ` +
      `lab ${this.opts.compat.labVersion}, kernel ${this.opts.compat.kernel}, probe ${this.opts.compat.probe}, ` +
      `${this.opts.mutantsPerSec.toFixed(0)} mutants/s (15×15 thesis ES); waiting for jobs`);
  }

  /** Jobs this machine is computing now. */
  get jobsInHand(): number {
    return this.activity.size;
  }

  announcement(): WorkerAnnouncement {
    return {
      id: this.id, host: hostname(), pid: process.pid, cores: this.opts.cores, concurrency: this.opts.concurrency,
      compat: this.opts.compat, compatId: this.compatId, node: process.version, mutantsPerSec: this.opts.mutantsPerSec,
      startedAt: this.startedAt, lastSeen: Date.now(), activity: this.activity.size ? [...this.activity.values()] : ['idle'],
      jobsDone: this.jobsDone,
    };
  }

  /** The heartbeat: announce, then tell any run this machine cannot join why. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    try {
      const now = Date.now();
      await this.conn.multi()
        .set(keys.worker(this.id), JSON.stringify({ ...this.announcement(), label: this.opts.label ?? 'remote' }), 'PX', WORKER_GONE_MS)
        .zadd(keys.workers, now, this.id)
        .exec();
      const runs = await this.conn.zrangebyscore(keys.runs, now - WORKER_GONE_MS, '+inf');
      for (const run of runs) {
        if (this.refused.has(run)) continue;
        const text = await this.conn.get(keys.run(run));
        if (!text) continue;
        const ann = parseRunAnnouncement(JSON.parse(text));
        if (ann.compatId === this.compatId) continue;
        const why = compatDifference(this.opts.compat, ann.compat) ?? `compatibility id ${this.compatId} here, ${ann.compatId} there`;
        this.refused.set(run, why);
        await this.conn.multi().hset(keys.refusals(run), this.id, `${hostname()}: ${why}`).expire(keys.refusals(run), DATA_TTL_S).exec();
        this.line(`refusing run ${ann.runId} from ${ann.host}: ${why}`);
      }
    } catch {
      // Redis is away: the 'close' line said so, and the next beat after 'ready' announces again
    }
  }

  private cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = load();
      map.set(key, p);
      p.catch(() => map.delete(key));
      if (map.size > cacheLimit) map.delete(map.keys().next().value!);
    }
    return p;
  }

  private async blob(key: string, what: string): Promise<unknown> {
    const buf = await this.conn.getBuffer(key);
    // the master is gone (its data expired) or Redis restarted: nothing to compute for
    if (!buf) throw new UnrecoverableError(`${what} is not in Redis (its run's master has gone, or Redis restarted)`);
    return unpack(buf, what);
  }

  private async esSlice(job: Job): Promise<{ ms: number }> {
    const data = parseEsSliceJobData(job.data);
    const t0 = performance.now();
    const tag = `es-slice ${data.run} g${data.generation} members ${data.memberStart}–${data.memberEnd - 1}`;
    this.activity.set(String(job.id), tag);
    this.line(`taking ${tag}`);
    try {
      const settings = await this.cached(this.settingsCache, data.run, async () => parseEsSettings(await this.blob(keys.settings(data.run), `settings of run ${data.run}`)));
      // θ travels once per machine and generation, however many of its slices land here
      const generation = await this.cached(this.generationCache, `${data.run}/${data.generation}`, async () => {
        const g = parseEsGeneration(await this.blob(keys.generation(data.run, data.generation), `generation ${data.generation} of run ${data.run}`));
        if (g.generation !== data.generation) throw new UnrecoverableError(`generation data says ${g.generation}, the job ${data.generation}`);
        return g;
      });
      const x0 = generation.x0;
      if (settings.target.length !== x0.height * x0.width * 4) {
        throw new UnrecoverableError(`run ${data.run}: its target has ${settings.target.length / 4} pixels, the start states ${x0.height}×${x0.width}`);
      }
      const result = await this.opts.executor.run('es-slice', sliceRequestOf(settings, generation, data));
      const wire = pack(sliceResultToWire(result, this.id));
      const res = keys.results(data.run, data.generation);
      const done = keys.done(data.run, data.generation);
      // first answer wins: a slice re-run after a stall (or a late duplicate) leaves the stored one as it is
      await this.conn.multi().hsetnx(res, String(data.slice), wire).expire(res, DATA_TTL_S).rpush(done, String(data.slice)).expire(done, DATA_TTL_S).exec();
      this.jobsDone++;
      const ms = performance.now() - t0;
      this.line(`done ${tag}: ${ms.toFixed(0)} ms`);
      return { ms };
    } finally {
      this.activity.delete(String(job.id));
    }
  }

  /** A job whose payload and result travel as one blob each (job-runner.ts), checked by its kind's record. */
  private async blobJob(kind: BlobJobKind, job: Job): Promise<{ ms: number }> {
    const data = parseBlobJobData(job.data, kind);
    const wire = blobWire(kind);
    const t0 = performance.now();
    const tag = `${kind} ${data.job}`;
    this.activity.set(String(job.id), tag);
    this.line(`taking ${tag}`);
    try {
      const what = `payload of ${kind} job ${data.job}`;
      const payload = wire.parsePayload(await this.blob(keys.jobPayload(data.job), what), what);
      const result = await this.opts.executor.run(kind, payload);
      const done = keys.jobDone(data.batch);
      await this.conn.multi().set(keys.jobResult(data.job), pack(result), 'EX', DATA_TTL_S, 'NX').rpush(done, data.job).expire(done, DATA_TTL_S).exec();
      this.jobsDone++;
      const ms = performance.now() - t0;
      this.line(`done ${tag}: ${ms.toFixed(0)} ms`);
      return { ms };
    } finally {
      this.activity.delete(String(job.id));
    }
  }

  /**
   * Leaves the cluster: finishes the jobs in hand (at most `waitMs`; or drops them at once with `force`: the
   * cluster hands a job whose lock lapses to another worker), then removes its announcement and disconnects.
   * With nothing in hand it leaves at once, and it never waits on a Redis that has gone away: every step that
   * talks to Redis is bounded, and the connections are dropped at the end whatever they were doing.
   */
  async close(force = false, waitMs = LEAVE_WAIT_MS): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const finish = !force && this.activity.size > 0;
    const closing = Promise.all(this.bull.map((w) => w.close(!finish).catch(() => undefined)));
    if (!(await within(closing, finish ? waitMs : REDIS_STEP_MS)) && finish) {
      this.line(`the jobs in hand did not finish within ${waitMs / 1000} s; leaving them to the cluster`);
    }
    // the announcement expires by itself when Redis cannot be told now
    if (this.conn.status === 'ready') {
      await within(this.conn.multi().del(keys.worker(this.id)).zrem(keys.workers, this.id).exec().catch(() => undefined), REDIS_STEP_MS);
    }
    for (const w of this.bull) void w.disconnect().catch(() => undefined);
    this.conn.disconnect();
  }
}

/** How long a leaving worker waits for the jobs in hand to finish (a slice takes seconds at most). */
export const LEAVE_WAIT_MS = 60_000;
/** How long one step of leaving waits on Redis (announcement removed, queues closed without a job in hand). */
const REDIS_STEP_MS = 2_000;

/** True when `p` settled within `ms`; it runs on either way. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
