/**
 * The master's side of a cluster run: a SliceRunner (training/es-evaluator.ts) whose slices are BullMQ jobs on
 * the cluster's Redis instead of messages to local processes. The trainer cannot tell the difference: it gets
 * the same EsSliceResults, and as every member's loss is a function of (θ, seed, generation, member) only, the
 * same trajectory as on one local worker (spec c.2, thesis Algorithm 2).
 *
 * Per generation: θ goes up once, one small job per slice, and the answers come back as the slices finish
 * (protocol.ts has the keys). The runner cuts twice as many slices as there are job slots on the cluster, so a
 * machine twice as fast takes twice the slices off the queue: the work spreads in proportion to speed without
 * anyone measuring it. Faults:
 *  - a worker dies mid-slice: BullMQ's stalled-job check gives its slice to another one; the first answer to
 *    arrive is kept and later duplicates are ignored, so no member is lost or counted twice;
 *  - Redis restarts (and forgets): whatever is missing is published again; jobs are keyed by (run, generation,
 *    slice), so publishing twice is harmless;
 *  - Redis stays away longer than `unreachableAfterMs`: map() throws EvaluationPaused, the trainer pauses after
 *    a checkpoint, and the session waits for Redis (waitReachable) to resume it;
 *  - no worker at all: it waits and says so (onWaiting), naming the workers that refused the run and why.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EsSliceRequest, EsSliceResult } from '../../core/es/slice';
import { EvaluationPaused, type SliceRunner } from '../training/es-evaluator';
import { connectRedis, ensureConnected, type ClusterAddress } from './redis-url';
import { compatId as compatIdOf } from './compat';
import { listWorkers, type ListedWorker } from './registry';
import {
  BULL_PREFIX, DATA_TTL_S, HEARTBEAT_MS, keys, pack, unpack, parseSliceResult, queueName, sliceJobId, splitSliceRequest,
  type Compat, type EsSliceJobData, type RunAnnouncement,
} from './protocol';
import { messageOf } from '../../shared/validate';
import { counted } from '../../shared/words';

export interface ClusterRunnerOptions {
  addr: ClusterAddress;
  runId: string;
  compat: Compat;
  onLog?: (line: string) => void;
  /** the run is waiting for workers (a reason) or no longer (null): for run.json's status line */
  onWaiting?: (reason: string | null) => void;
  /** how long Redis may be away before the run pauses (default 3 s) */
  unreachableAfterMs?: number;
  /** asked while waiting: a message to pause the run with (the user paused or stopped it), or null to go on */
  interrupt?: () => string | null;
  /** slices per job slot on the cluster (default 2) */
  slicesPerSlot?: number;
}

/** What one generation moved and waited for: `nca-lab bench cluster` prints these. */
export interface GenerationTraffic {
  generation: number;
  slices: number;
  /** bytes the master wrote (θ and x0 blob, settings when sent, job data) and read (slice answers) */
  bytesUp: number;
  bytesDown: number;
  /** master's time to publish θ and the jobs */
  publishMs: number;
  /** from publishing to the last answer */
  waitMs: number;
  /** which worker answered each slice */
  answeredBy: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clock = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

interface Outstanding {
  slice: number;
  jobId: string;
  data: EsSliceJobData;
}

export class ClusterSliceRunner implements SliceRunner {
  /**
   * the run's key on the cluster: its id and this session (answers from an earlier session never count). A new
   * one whenever the run's fixed part changes (workers cache it by this key).
   */
  runKey: string;
  private lastSettings: Buffer | null = null;
  readonly compatId: string;
  private conn: Redis;
  private blocking: Redis;
  private queue: Queue;
  private timer: NodeJS.Timeout | null = null;
  private slots = 0;
  private workersNow: ListedWorker[] = [];
  private readonly refusalsSeen = new Set<string>();
  private refusalTexts: string[] = [];
  private downSince: number | null = null;
  private downReason = '';
  /** bumped each time Redis comes back: what was published before may be gone */
  private epoch = 0;
  private settingsEpoch = -1;
  private waitingSaid = false;
  private closed = false;
  readonly traffic: GenerationTraffic[] = [];

  constructor(private readonly opts: ClusterRunnerOptions) {
    this.runKey = this.newRunKey();
    this.compatId = compatIdOf(opts.compat);
    this.conn = connectRedis(opts.addr, { name: `nca-lab:master:${this.runKey}`, blocking: false });
    this.blocking = connectRedis(opts.addr, { name: `nca-lab:master-wait:${this.runKey}`, blocking: false });
    this.queue = new Queue(queueName('es-slice', this.compatId), { connection: this.conn, prefix: BULL_PREFIX });
    this.queue.on('error', () => undefined);
  }

  private newRunKey(): string {
    return `${this.opts.runId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120)}~${randomBytes(4).toString('hex')}`;
  }

  /** Slices to cut this generation: `slicesPerSlot` per job slot of the compatible workers now (8 before any). */
  get size(): number {
    return this.slots > 0 ? this.slots * (this.opts.slicesPerSlot ?? 2) : 8;
  }

  /** The compatible workers seen at the last heartbeat. */
  get workers(): ListedWorker[] {
    return this.workersNow;
  }

  async open(): Promise<void> {
    this.conn.on('close', () => {
      if (this.closed || this.downSince !== null) return;
      this.downSince = Date.now();
    });
    this.conn.on('error', (err: Error) => { this.downReason = err.message; });
    this.conn.on('ready', () => {
      if (this.downSince === null) return;
      this.opts.onLog?.(`cluster ${this.opts.addr.display} reachable again after ${((Date.now() - this.downSince) / 1000).toFixed(1)} s`);
      this.downSince = null;
      this.epoch++;
    });
    try {
      await Promise.all([ensureConnected(this.conn), ensureConnected(this.blocking)]);
    } catch (err) {
      throw new Error(`cannot reach the cluster at ${this.opts.addr.display}: ${messageOf(err)}`, { cause: err });
    }
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), HEARTBEAT_MS);
  }

  /** Every couple of seconds: say the run is alive, count the workers, hear refusals. */
  private async refresh(): Promise<void> {
    if (this.closed || this.downSince !== null) return;
    try {
      const ann: RunAnnouncement = { run: this.runKey, runId: this.opts.runId, host: hostname(), compat: this.opts.compat, compatId: this.compatId };
      await this.conn.multi().set(keys.run(this.runKey), JSON.stringify(ann), 'PX', DATA_TTL_S * 1000).zadd(keys.runs, Date.now(), this.runKey)
        .zremrangebyscore(keys.runs, '-inf', Date.now() - DATA_TTL_S * 1000).exec();
      const all = await listWorkers(this.conn);
      this.workersNow = all.filter((w) => w.compatId === this.compatId);
      this.slots = this.workersNow.reduce((a, w) => a + w.concurrency, 0);
      const refusals = await this.conn.hgetall(keys.refusals(this.runKey));
      const live = new Set(all.map((w) => w.id));
      this.refusalTexts = Object.entries(refusals).filter(([id]) => live.has(id)).map(([, why]) => why);
      for (const [id, why] of Object.entries(refusals)) {
        if (this.refusalsSeen.has(id)) continue;
        this.refusalsSeen.add(id);
        this.opts.onLog?.(`worker ${id} refused this run: ${why}`);
      }
    } catch {
      // Redis is away: map() notices and decides
    }
  }

  private async publish(settingsBlob: Buffer, genKey: string, genBlob: Buffer, jobs: Outstanding[], traffic: GenerationTraffic): Promise<void> {
    const m = this.conn.multi();
    if (this.settingsEpoch !== this.epoch) {
      m.set(keys.settings(this.runKey), settingsBlob, 'EX', DATA_TTL_S);
      traffic.bytesUp += settingsBlob.length;
    }
    m.set(genKey, genBlob, 'EX', DATA_TTL_S);
    traffic.bytesUp += genBlob.length;
    await m.exec();
    this.settingsEpoch = this.epoch;
    if (jobs.length === 0) return;
    const bulk = jobs.map((j) => ({
      name: 'es-slice', data: j.data,
      opts: { jobId: j.jobId, removeOnComplete: true, removeOnFail: { age: 3600 }, attempts: 1 },
    }));
    traffic.bytesUp += bulk.reduce((a, j) => a + JSON.stringify(j.data).length, 0);
    await this.queue.addBulk(bulk);
  }

  /** settles when the current map's jobs are first published, or when that map ends without (see published()) */
  private publishedNow: Promise<void> = Promise.resolve();

  published(): Promise<void> {
    return this.publishedNow;
  }

  async map(payloads: EsSliceRequest[]): Promise<EsSliceResult[]> {
    let markPublished!: () => void;
    this.publishedNow = new Promise<void>((resolve) => { markPublished = resolve; });
    try {
      return await this.mapGeneration(payloads, markPublished);
    } finally {
      markPublished();
    }
  }

  private async mapGeneration(payloads: EsSliceRequest[], markPublished: () => void): Promise<EsSliceResult[]> {
    if (payloads.length === 0) return [];
    const t0 = performance.now();
    const g = payloads[0].generation;
    const { settings, generation } = splitSliceRequest(payloads[0]);
    const settingsBlob = pack(settings);
    if (this.lastSettings && !this.lastSettings.equals(settingsBlob)) {
      // another run's settings through the same runner (the bench does this): a new key, so no worker reuses the old
      await this.conn.multi().del(keys.run(this.runKey)).zrem(keys.runs, this.runKey).del(keys.settings(this.runKey)).exec().catch(() => undefined);
      this.runKey = this.newRunKey();
      this.settingsEpoch = -1;
      await this.refresh();
    }
    this.lastSettings = settingsBlob;
    const genBlob = pack(generation);
    const genKey = keys.generation(this.runKey, g);
    const resKey = keys.results(this.runKey, g);
    const doneKey = keys.done(this.runKey, g);
    const outstanding = new Map<number, Outstanding>();
    payloads.forEach((p, slice) => {
      outstanding.set(slice, {
        slice, jobId: sliceJobId(this.runKey, g, slice),
        data: { kind: 'es-slice', run: this.runKey, generation: g, slice, memberStart: p.memberStart, memberEnd: p.memberEnd },
      });
    });
    const results = new Map<number, EsSliceResult>();
    const traffic: GenerationTraffic = { generation: g, slices: payloads.length, bytesUp: 0, bytesDown: 0, publishMs: 0, waitMs: 0, answeredBy: [] };
    const answeredBy = new Map<number, string>();
    let publishedEpoch = -1;
    let lastCheck = performance.now();
    let waitingSince: number | null = null;

    /** Reads the answers of these slices in one round trip (late duplicates and strays are skipped). */
    const takeAll = async (slices: number[]): Promise<void> => {
      const wanted = [...new Set(slices)].filter((k) => outstanding.has(k) && !results.has(k));
      if (wanted.length === 0) return;
      const bufs = await this.conn.hmgetBuffer(resKey, ...wanted.map(String));
      wanted.forEach((slice, i) => {
        const buf = bufs[i];
        if (!buf) return;
        traffic.bytesDown += buf.length;
        const { result, worker } = parseSliceResult(unpackResult(buf, g, slice), outstanding.get(slice)!.data);
        results.set(slice, result);
        answeredBy.set(slice, worker);
        outstanding.delete(slice);
      });
    };
    const take = (slice: number) => takeAll([slice]);

    while (outstanding.size > 0) {
      if (this.closed) throw new Error('the cluster runner was closed');
      const interrupted = this.opts.interrupt?.();
      if (interrupted) {
        await this.withdraw([...outstanding.values()]);
        throw new EvaluationPaused(interrupted);
      }
      if (this.downSince !== null) {
        if (Date.now() - this.downSince >= (this.opts.unreachableAfterMs ?? 3_000)) {
          throw new EvaluationPaused(`cluster unreachable since ${clock(this.downSince)} (${this.opts.addr.display}${this.downReason ? `: ${this.downReason}` : ''}); ` +
            'the run resumes when it is back');
        }
        await sleep(100);
        continue;
      }
      try {
        if (publishedEpoch !== this.epoch) {
          const tp = performance.now();
          publishedEpoch = this.epoch;
          await this.publish(settingsBlob, genKey, genBlob, [...outstanding.values()], traffic);
          traffic.publishMs += performance.now() - tp;
          markPublished();
        }
        const popped = await this.blocking.blpop(doneKey, 0.5);
        if (popped) {
          // whatever else has finished meanwhile comes in the same turn: two round trips however many slices
          const more = (await this.conn.lpop(doneKey, 10_000)) ?? [];
          await takeAll([popped[1], ...more].map(Number));
        }
        if (performance.now() - lastCheck > 1_000) {
          lastCheck = performance.now();
          await this.checkJobs(outstanding, resKey, take);
          if (this.slots === 0 && outstanding.size > 0) {
            waitingSince ??= Date.now();
            if (!this.waitingSaid && Date.now() - waitingSince > 1_500) {
              this.waitingSaid = true;
              const why = `waiting for a worker since ${clock(waitingSince)}: none connected to ${this.opts.addr.display}` +
                (this.refusalTexts.length ? ` (refused: ${this.refusalTexts.join('; ')})` : ' (start one with nca-lab worker --redis …)');
              this.opts.onLog?.(why);
              this.opts.onWaiting?.(why);
            }
          } else if (this.waitingSaid) {
            this.waitingSaid = false;
            waitingSince = null;
            this.opts.onLog?.(`${counted(this.slots, 'job slot')} on the cluster; going on`);
            this.opts.onWaiting?.(null);
          }
        }
      } catch (err) {
        if (err instanceof SliceFailed) throw err;
        // a command failed because Redis went away: the next turn sees downSince (or the 'ready' epoch) and acts
        if (this.downSince === null) await sleep(100);
      }
    }
    traffic.waitMs = performance.now() - t0 - traffic.publishMs;
    traffic.answeredBy = payloads.map((_, k) => answeredBy.get(k) ?? '?');
    this.traffic.push(traffic);
    if (this.traffic.length > 1000) this.traffic.shift();
    // the generation is settled: its data can go (a late duplicate answer re-creates only a key that expires)
    this.conn.multi().del(genKey).del(resKey).del(doneKey).exec().catch(() => undefined);
    return payloads.map((_, k) => results.get(k)!);
  }

  /** Jobs Redis lost (a restart without persistence) are published again; a job a worker failed fails the run. */
  private async checkJobs(outstanding: Map<number, Outstanding>, resKey: string, take: (slice: number) => Promise<void>): Promise<void> {
    const lost: Outstanding[] = [];
    for (const job of [...outstanding.values()]) {
      const state = await this.queue.getJobState(job.jobId);
      if (state === 'failed') {
        const failed = await this.queue.getJob(job.jobId);
        const reason = failed?.failedReason ?? 'no reason given';
        if (/is not in Redis/.test(reason)) {
          // the worker came while Redis was being refilled: publish again
          await this.queue.remove(job.jobId).catch(() => undefined);
          lost.push(job);
          continue;
        }
        throw new SliceFailed(`slice ${job.slice} (members ${job.data.memberStart}–${job.data.memberEnd - 1}) of generation ${job.data.generation} failed on a worker: ${reason}`);
      }
      if (state === 'unknown') {
        if (await this.conn.hexists(resKey, String(job.slice))) await take(job.slice);
        else lost.push(job);
      }
    }
    if (lost.length > 0) this.epoch++; // the next turn publishes θ and the lost jobs again
  }

  /** Takes back jobs nobody has started (a running one finishes and its answer expires unread). */
  private async withdraw(jobs: Outstanding[]): Promise<void> {
    await Promise.all(jobs.map((j) => this.queue.remove(j.jobId).catch(() => undefined)));
  }

  /** After EvaluationPaused: resolves when Redis answers again (true), or when `stopped()` says to give up (false). */
  async waitReachable(stopped: () => boolean): Promise<boolean> {
    for (;;) {
      if (stopped() || this.closed) return false;
      if (this.downSince === null) {
        try {
          await this.conn.ping();
          return true;
        } catch {
          // not yet
        }
      }
      await sleep(250);
    }
  }

  /** Withdraws this run's waiting jobs and its announcement, and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      if (this.downSince === null) {
        await this.conn.multi().del(keys.run(this.runKey)).zrem(keys.runs, this.runKey).del(keys.settings(this.runKey)).del(keys.refusals(this.runKey)).exec();
      }
    } catch {
      // the data expires by itself
    }
    await this.queue.close().catch(() => undefined);
    this.conn.disconnect();
    this.blocking.disconnect();
  }
}

class SliceFailed extends Error {
  override name = 'SliceFailed';
}

function unpackResult(buf: Buffer, g: number, slice: number): unknown {
  return unpack(buf, `result of slice ${slice} of generation ${g}`);
}
