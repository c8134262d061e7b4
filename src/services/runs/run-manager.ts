/**
 * RunManager: the runs of one workspace, as the desktop app and `nca-lab serve` drive them (no Electron import:
 * architecture.md, "Testing without Electron"). It creates, starts, pauses, resumes, stops, deletes and forks
 * runs over LabStore, trains them with runTrainingSession, and enforces the status machine of
 * shared/run-status.ts.
 *
 * Scheduling: at most `maxConcurrent` runs train at once (default: one per core); more wait `queued`, first in,
 * first out. The cores are shared by worker-share.ts: when a run starts or ends, an ES run whose share changed is
 * re-launched with its new worker count (pause → checkpoint → resume, which retraces the same trajectory: every
 * random number derives from (seed, generation), not from the worker count). Growing a share waits until the
 * session is `minReshareAgeMs` old, so runs finishing one after another do not make the others restart each time.
 *
 * Events: `status` (a run's record or session changed), `progress` (at most one per `progressIntervalMs` per run,
 * growth evaluations always), `deleted`, `log`. Start-up (`init`) turns runs found `running` into `interrupted`
 * (resumable from their last checkpoint) and runs found `queued` into `paused`. `stopAll` (app quit) pauses every
 * session with a checkpoint first.
 */
import { availableParallelism } from 'node:os';
import { paramCount } from '../../core/nca/config';
import type {
  CheckpointSummary, CreateRunRequest, ForkRunRequest, MetricPoint, ModelParams, RunInfo, RunListing, RunProgressEvent,
} from '../../shared/lab-api';
import { encodeFloat32Base64 } from '../../shared/float32-base64';
import type { MetricRow, RunProgress, RunRecord } from '../../shared/run-record';
import { actionRefusal, type RunAction } from '../../shared/run-status';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import type { Target } from '../../core/targets/target';
import type { ProgressEvent, StopRequest, TrainOutcome } from '../training/context';
import type { TrainingSessionOptions } from '../training/run-training';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import { LabStore } from '../store/lab-store';
import { lowPrioritySpawner } from '../workers/worker-priority';
import { shareWorkers, type WorkerClaim } from './worker-share';

/** Trains one session of a stored run (runTrainingSession; tests pass a fake). */
export type TrainSessionFn = (opts: TrainingSessionOptions) => Promise<TrainOutcome>;

export type RunManagerEvent =
  | { type: 'status'; run: RunInfo }
  | { type: 'progress'; progress: RunProgressEvent }
  | { type: 'deleted'; runId: string }
  | { type: 'log'; runId: string; line: string };

export interface RunManagerOptions {
  workspace: string;
  store?: LabStore;
  /** default: runTrainingSession, loaded on first use (it pulls in the trainers) */
  train?: TrainSessionFn;
  /** cores to share between runs (default: availableParallelism()) */
  cores?: number;
  /** runs training at once (default: `cores`) */
  maxConcurrent?: number;
  /** how worker processes are started (Electron passes a utilityProcess spawner; default: Node's fork) */
  spawn?: WorkerSpawner;
  /** run the worker processes at below-normal OS priority so the UI stays responsive (default true) */
  lowPriorityWorkers?: boolean;
  /** force the workers' tfjs backend */
  backend?: string;
  /** the shortest time between two progress events of one run (default 100 ms: ≤ 10 a second) */
  progressIntervalMs?: number;
  /** a session must be this old before it is restarted to take more cores (default 10 s) */
  minReshareAgeMs?: number;
  now?: () => number;
}

/** Why a session is being ended early. */
type Ending =
  | { kind: 'user'; action: 'pause' | 'stop' }
  | { kind: 'reshare' }
  | { kind: 'quit' };

interface Session {
  runId: string;
  /** null until the session has read its run's config */
  claim: WorkerClaim | null;
  /** resolves once `claim` is set (or the session failed before) */
  claimed: Promise<void>;
  workers: number;
  control: StopRequest;
  startedAt: number;
  startedIso: string;
  ending: Ending | null;
  done: Promise<void>;
  latest: RunProgressEvent | null;
  bestLoss: number | null;
  lastEmit: number;
  pending: RunProgressEvent | null;
  timer: ReturnType<typeof setTimeout> | null;
  announcedCheckpoint: number;
  checkpointEvery: number;
  backendAnnounced: boolean;
}

/** A request that the status machine or the lab's state refuses; the message says why and what to do instead. */
export class RunActionError extends Error {
  override name = 'RunActionError';
}

export class RunManager {
  readonly store: LabStore;
  readonly workspace: string;
  readonly cores: number;
  private maxConcurrentRuns: number;
  private readonly trainFn: TrainSessionFn | undefined;
  private readonly spawn: WorkerSpawner | undefined;
  private readonly lowPriorityWorkers: boolean;
  private readonly backend: string | undefined;
  private readonly progressIntervalMs: number;
  private readonly minReshareAgeMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(event: RunManagerEvent) => void>();
  private readonly sessions = new Map<string, Session>();
  private readonly queue: string[] = [];
  private readonly locks = new Map<string, Promise<unknown>>();
  private closing = false;

  constructor(options: RunManagerOptions) {
    this.workspace = options.workspace;
    this.store = options.store ?? new LabStore(options.workspace);
    this.cores = Math.max(1, Math.floor(options.cores ?? availableParallelism()));
    this.maxConcurrentRuns = Math.max(1, Math.floor(options.maxConcurrent ?? this.cores));
    this.trainFn = options.train;
    this.spawn = options.spawn;
    this.lowPriorityWorkers = options.lowPriorityWorkers ?? true;
    this.backend = options.backend;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.minReshareAgeMs = options.minReshareAgeMs ?? 10_000;
    this.now = options.now ?? (() => Date.now());
  }

  // ---- lifecycle ----

  /**
   * At start-up: runs whose record says `running` were cut off (the lab crashed or was killed) and become
   * `interrupted`; runs still `queued` had no session and become `paused`. Returns both lists of ids.
   */
  async init(): Promise<{ interrupted: string[]; unqueued: string[] }> {
    const interrupted = await this.store.markInterrupted();
    const unqueued: string[] = [];
    const { runs } = await this.store.scanRuns();
    for (const r of runs) {
      if (r.status === 'queued' && !this.queue.includes(r.id) && !this.sessions.has(r.id)) {
        await this.store.updateRun(r.id, { status: 'paused', statusReason: 'was waiting in the queue when the lab last closed; resume to start it' });
        unqueued.push(r.id);
      }
    }
    return { interrupted, unqueued };
  }

  /**
   * For quitting: pauses every training session (each writes a checkpoint and its model first) and every queued
   * run, and waits until all have ended. New requests to train are refused from here on.
   */
  async stopAll(): Promise<string[]> {
    this.closing = true;
    const ids: string[] = [];
    for (const id of this.queue.splice(0)) {
      await this.store.updateRun(id, { status: 'paused', statusReason: 'was waiting in the queue when the lab closed; resume to start it' }).catch(() => undefined);
      ids.push(id);
    }
    const sessions = [...this.sessions.values()];
    for (const s of sessions) {
      if (!s.ending || s.ending.kind === 'reshare') s.ending = { kind: 'quit' };
      if (s.control.requested !== 'stop') s.control.requested = 'pause';
      ids.push(s.runId);
    }
    await Promise.all(sessions.map((s) => s.done));
    return ids;
  }

  on(listener: (event: RunManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Ids of the runs training or waiting to train (the quit dialog asks about these). */
  activeRunIds(): string[] {
    return [...this.sessions.keys(), ...this.queue];
  }

  get maxConcurrent(): number {
    return this.maxConcurrentRuns;
  }

  /** A higher limit starts queued runs at once; a lower one lets running sessions finish (nothing is cut off). */
  setMaxConcurrent(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`the number of runs at once must be an integer ≥ 1, got ${n}`);
    this.maxConcurrentRuns = n;
    this.schedule();
  }

  /** The number of worker processes each training session uses now. */
  workerShares(): Map<string, number> {
    return new Map([...this.sessions.values()].map((s) => [s.runId, s.workers]));
  }

  // ---- reading ----

  async list(): Promise<RunListing> {
    const { runs, problems } = await this.store.scanRuns();
    return { runs: runs.map((r) => this.info(r)), problems: problems.map((p) => ({ id: p.id, message: p.message })) };
  }

  async get(runId: string): Promise<RunInfo> {
    return this.info(await this.store.getRun(runId));
  }

  /** The stored metrics, thinned evenly to about `maxPoints` rows (growth-evaluation rows and the last row are kept). */
  async metrics(runId: string, maxPoints?: number): Promise<MetricPoint[]> {
    const rows = await this.store.readMetrics(runId);
    return thinRows(rows, maxPoints).map(metricPoint);
  }

  async checkpoints(runId: string): Promise<CheckpointSummary[]> {
    return (await this.store.listCheckpoints(runId)).map((c) => ({ generation: c.generation, bytes: c.bytes }));
  }

  /**
   * A run's parameters: a given checkpoint; else its newest checkpoint (while it trains, the most recent
   * parameters on disk); else its model.
   */
  async modelParams(runId: string, generation?: number): Promise<ModelParams> {
    const record = await this.store.getRun(runId);
    const { size, padding } = record.config.target;
    const canvas = { height: size + 2 * padding, width: size + 2 * padding };
    const nca = ncaConfigOf(record.config);
    if (generation !== undefined) {
      const ckpt = await this.store.readCheckpoint(runId, generation);
      return { runId, generation, source: 'checkpoint', nca, paramsF32Base64: encodeFloat32Base64(ckpt.params), ...canvas };
    }
    const latest = await this.store.readLatestCheckpoint(runId);
    if (latest) {
      return { runId, generation: latest.generation, source: 'checkpoint', nca, paramsF32Base64: encodeFloat32Base64(latest.params), ...canvas };
    }
    let model;
    try {
      model = await this.store.loadModel(runId);
    } catch {
      const unit = record.optimizer === 'es' ? 'generations' : 'iterations';
      throw new RunActionError(`run "${runId}" has no parameters on disk yet: they appear with its first checkpoint (every ${record.config.checkpointEvery} ${unit}, and whenever it is paused or stopped)`);
    }
    return {
      runId, generation: record.progress.generation, source: 'model', nca: model.nca,
      paramsF32Base64: encodeFloat32Base64(model.params), ...canvas,
    };
  }

  async target(runId: string): Promise<Target> {
    return this.store.loadRunTarget(runId);
  }

  // ---- changing ----

  /** Creates a run (the config is validated by the store) and queues it unless `start` is false. */
  async create(request: CreateRunRequest, target?: Target): Promise<RunInfo> {
    this.refuseWhenClosing();
    const record = await this.store.createRun(request.config, {
      name: request.name, tags: request.tags, notes: request.notes, backend: null, ...(target ? { target } : {}),
    });
    if (request.start === false) {
      await this.store.updateRun(record.id, { status: 'paused', statusReason: 'created; not started yet' });
    } else {
      this.queue.push(record.id);
    }
    const info = await this.get(record.id);
    this.emit({ type: 'status', run: info });
    this.schedule();
    return this.get(record.id);
  }

  /** A paused, stopped, failed or interrupted run goes back into the queue and continues from its newest checkpoint. */
  resume(runId: string): Promise<RunInfo> {
    return this.locked(runId, async () => {
      this.refuseWhenClosing();
      const record = await this.store.getRun(runId);
      if (this.sessions.has(runId) || this.queue.includes(runId)) {
        throw new RunActionError(`run "${runId}" cannot be resumed: it is already ${this.sessions.has(runId) ? 'training' : 'waiting for a training slot'}`);
      }
      this.check('resume', record);
      await this.store.updateRun(runId, { status: 'queued', statusReason: null });
      this.queue.push(runId);
      this.emit({ type: 'status', run: await this.get(runId) });
      this.schedule();
      return this.get(runId);
    });
  }

  /** Pauses a training run (after its checkpoint) or takes a queued run out of the queue. */
  pause(runId: string): Promise<RunInfo> {
    return this.endOrDequeue(runId, 'pause');
  }

  /** Stops a run: a training one after its checkpoint and model; a queued, paused or interrupted one at once. */
  stop(runId: string): Promise<RunInfo> {
    return this.endOrDequeue(runId, 'stop');
  }

  delete(runId: string): Promise<void> {
    return this.locked(runId, async () => {
      if (this.sessions.has(runId)) throw new RunActionError(`run "${runId}" is training; stop it before deleting it`);
      const queued = this.queue.indexOf(runId);
      if (queued >= 0) this.queue.splice(queued, 1);
      await this.store.deleteRun(runId);
      this.emit({ type: 'deleted', runId });
      this.announceQueue();
    });
  }

  /**
   * A new run that continues from checkpoint `generation` of another: same optimizer, model and target canvas;
   * stop conditions and hyperparameters may differ (ES takes α and its decay stage from the checkpoint). The
   * source's metrics up to the checkpoint are copied, so the new run's curves start where the source's were.
   */
  async fork(request: ForkRunRequest): Promise<RunInfo> {
    this.refuseWhenClosing();
    const source = await this.store.getRun(request.runId);
    const ckpt = await this.store.readCheckpoint(source.id, request.generation);
    const config: RunConfig = structuredClone(request.config ?? source.config);
    checkForkable(source.config, config);
    const target = config.target.name === source.config.target.name ? await this.store.loadRunTarget(source.id) : undefined;
    const record = await this.store.createRun(config, {
      name: request.name ?? `${source.name} · fork @${request.generation}`,
      tags: request.tags ?? source.tags,
      notes: '',
      backend: null,
      forkedFrom: { runId: source.id, generation: request.generation },
      ...(target ? { target } : {}),
    });
    try {
      await this.store.writeCheckpoint(record.id, ckpt);
      const rows = (await this.store.readMetrics(source.id)).filter((r) => r.generation <= request.generation);
      if (rows.length > 0) await this.store.appendMetrics(record.id, rows);
      const start = request.start !== false;
      await this.store.updateRun(record.id, {
        progress: progressFrom(ckpt, rows),
        status: start ? 'queued' : 'paused',
        statusReason: start ? null : `forked from ${source.id} at generation ${request.generation}; not started yet`,
      });
      if (start) this.queue.push(record.id);
    } catch (err) {
      await this.store.deleteRun(record.id, { force: true }).catch(() => undefined);
      throw err;
    }
    this.emit({ type: 'status', run: await this.get(record.id) });
    this.schedule();
    return this.get(record.id);
  }

  rename(runId: string, name: string): Promise<RunInfo> {
    return this.patch(runId, { name });
  }

  setTags(runId: string, tags: string[]): Promise<RunInfo> {
    return this.patch(runId, { tags });
  }

  setNotes(runId: string, notes: string): Promise<RunInfo> {
    return this.patch(runId, { notes });
  }

  // ---- internals ----

  private async patch(runId: string, patch: { name?: string; tags?: string[]; notes?: string }): Promise<RunInfo> {
    return this.locked(runId, async () => {
      const record = await this.store.updateRun(runId, patch);
      const info = this.info(record);
      this.emit({ type: 'status', run: info });
      return info;
    });
  }

  private endOrDequeue(runId: string, action: 'pause' | 'stop'): Promise<RunInfo> {
    return this.locked(runId, async () => {
      const session = this.sessions.get(runId);
      if (session) {
        if (session.ending?.kind !== 'user' || (action === 'stop' && session.ending.action === 'pause')) {
          session.ending = { kind: 'user', action };
          session.control.requested = action;
          this.emit({ type: 'status', run: await this.get(runId) });
        }
        await session.done;
        return this.get(runId);
      }
      const record = await this.store.getRun(runId);
      const queued = this.queue.indexOf(runId);
      if (queued >= 0) {
        this.queue.splice(queued, 1);
      } else {
        if (record.status === 'running') {
          throw new RunActionError(`run "${runId}" is marked running but is not training in this lab; another process (nca-lab train?) may be training it: ${action} it there`);
        }
        this.check(action, record);
      }
      const reason = action === 'pause'
        ? (queued >= 0 ? 'paused while waiting in the queue' : record.statusReason)
        : `stopped by the user at generation ${record.progress.generation}`;
      const updated = await this.store.updateRun(runId, { status: action === 'pause' ? 'paused' : 'stopped', statusReason: reason });
      this.emit({ type: 'status', run: this.info(updated) });
      if (queued >= 0) this.announceQueue();
      return this.info(updated);
    });
  }

  private check(action: RunAction, record: RunRecord): void {
    const refusal = actionRefusal(action, record.status);
    if (refusal) throw new RunActionError(`run "${record.id}": ${refusal}`);
  }

  private refuseWhenClosing(): void {
    if (this.closing) throw new RunActionError('the lab is closing: no new training starts');
  }

  /** Operations on one run happen one after another (a delete never races a resume). */
  private locked<T>(runId: string, job: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(runId) ?? Promise.resolve();
    const next = previous.then(job, job);
    const settled = next.catch(() => undefined);
    this.locks.set(runId, settled);
    void settled.then(() => {
      if (this.locks.get(runId) === settled) this.locks.delete(runId);
    });
    return next;
  }

  private emit(event: RunManagerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error('nca-lab: a run event listener failed:', err);
      }
    }
  }

  private info(record: RunRecord): RunInfo {
    const session = this.sessions.get(record.id);
    const place = this.queue.indexOf(record.id);
    const info: RunInfo = { ...record, live: null, queuePosition: place >= 0 ? place + 1 : null };
    if (!session) return info;
    const p = session.latest;
    if (p && p.generation >= record.progress.generation) {
      info.progress = {
        ...record.progress,
        generation: p.generation,
        evaluations: p.evaluations,
        wallSeconds: p.wallSeconds,
        lastLoss: p.loss,
        bestLoss: minOrNull(record.progress.bestLoss, session.bestLoss),
        ...(p.eval40 !== undefined ? { lastEval40: p.eval40, bestEval40: minOrNull(record.progress.bestEval40, p.eval40) } : {}),
        ...(p.eval200 !== undefined ? { lastEval200: p.eval200 } : {}),
      };
    }
    if (record.status === 'queued' || record.status === 'paused') info.status = 'running';
    info.live = {
      workers: session.workers,
      sessionStartedAt: session.startedIso,
      requested: session.ending?.kind === 'user' ? session.ending.action : session.ending?.kind === 'quit' ? 'pause' : null,
      generationsPerSec: p?.generationsPerSec ?? null,
      mutantsPerSec: p?.mutantsPerSec ?? null,
      iterationsPerSec: p?.iterationsPerSec ?? null,
    };
    return info;
  }

  /** Fills free slots from the queue, first in first out. */
  private schedule(): void {
    if (this.closing) return;
    let launched = false;
    while (this.sessions.size < this.maxConcurrentRuns && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      this.launch(runId);
      launched = true;
    }
    if (launched) this.announceQueue();
    this.reshare();
  }

  /** Tells the renderer the new places of runs still waiting. */
  private announceQueue(): void {
    for (const id of this.queue) {
      void this.get(id).then((info) => this.emit({ type: 'status', run: info }), () => undefined);
    }
  }

  private launch(runId: string): void {
    let claimed!: () => void;
    const session: Session = {
      runId,
      claim: null,
      claimed: new Promise<void>((resolve) => (claimed = resolve)),
      workers: 1,
      control: { requested: null },
      startedAt: this.now(),
      startedIso: new Date().toISOString(),
      ending: null,
      done: Promise.resolve(),
      latest: null,
      bestLoss: null,
      lastEmit: 0,
      pending: null,
      timer: null,
      announcedCheckpoint: 0,
      checkpointEvery: Number.POSITIVE_INFINITY,
      backendAnnounced: false,
    };
    this.sessions.set(runId, session);
    session.done = this.runSession(session, claimed);
  }

  /** The claims the cores are shared between: sessions that know their config and are not leaving for good. */
  private shares(): Map<string, number> {
    const claims = [...this.sessions.values()]
      .filter((s) => s.claim && (!s.ending || s.ending.kind === 'reshare'))
      .map((s) => s.claim!);
    return shareWorkers(this.cores, claims);
  }

  /**
   * Gives every session its share of the cores (worker-share.ts). A session whose share is smaller than what it
   * runs with now is restarted at once; one whose share grew, once it has run `minReshareAgeMs`.
   */
  private reshare(): void {
    if (this.closing) return;
    const shares = this.shares();
    for (const s of this.sessions.values()) {
      const share = shares.get(s.runId);
      // a session still starting its workers is left to finish starting: it re-shares at its first progress
      if (share === undefined || s.claim?.optimizer !== 'es' || s.ending || !s.latest || share === s.workers) continue;
      if (share > s.workers && this.now() - s.startedAt < this.minReshareAgeMs) continue;
      s.ending = { kind: 'reshare' };
      s.control.requested = 'pause';
      this.emit({ type: 'log', runId: s.runId, line: `re-sharing the cores: restarting with ${share} worker${share === 1 ? '' : 's'} (was ${s.workers})` });
    }
  }

  private async runSession(session: Session, claimed: () => void): Promise<void> {
    const { runId } = session;
    let outcome: TrainOutcome;
    try {
      let record: RunRecord;
      try {
        record = await this.store.getRun(runId);
      } finally {
        claimed();
      }
      const cfg = record.config;
      session.claim = {
        id: runId,
        optimizer: cfg.optimizer,
        cap: cfg.optimizer === 'es' ? Math.min(cfg.es.workers || Number.POSITIVE_INFINITY, cfg.es.population) : 1,
      };
      session.checkpointEvery = cfg.checkpointEvery;
      session.announcedCheckpoint = record.checkpointGeneration ?? 0;
      // runs launched together share from the start (rather than the first taking every core and restarting)
      await Promise.all([...this.sessions.values()].map((s) => s.claimed));
      session.workers = this.shares().get(runId) ?? 1;
      this.reshare();
      const started = await this.store.updateRun(runId, { status: 'running', statusReason: null });
      this.emit({ type: 'status', run: this.info(started) });
      const train = this.trainFn ?? (await import('../training/run-training')).runTrainingSession;
      const spawn = this.lowPriorityWorkers ? lowPrioritySpawner(this.spawn ?? forkSpawner()) : this.spawn;
      outcome = await train({
        workspace: this.store.workspace,
        runId,
        control: session.control,
        workers: session.workers,
        ...(this.backend ? { backend: this.backend } : {}),
        ...(spawn ? { spawn } : {}),
        onProgress: (ev) => this.onProgress(session, ev),
        onLog: (line) => this.emit({ type: 'log', runId, line }),
      });
    } catch (err) {
      outcome = { status: 'failed', reason: err instanceof Error ? err.message : String(err), generation: session.latest?.generation ?? 0, bestEval40: null };
    }
    this.flushProgress(session);
    this.sessions.delete(runId);

    if (session.ending?.kind === 'reshare' && outcome.status === 'paused' && !this.closing) {
      // same slot, new share: straight back to training
      this.launch(runId);
      return;
    }
    let { status } = outcome;
    let reason = outcome.reason;
    const ending = session.ending;
    if (ending?.kind === 'user' && (status === 'paused' || status === 'stopped')) {
      status = ending.action === 'pause' ? 'paused' : 'stopped';
      reason = `${ending.action === 'pause' ? 'paused' : 'stopped'} by the user at generation ${outcome.generation}`;
    } else if ((ending?.kind === 'quit' || (ending?.kind === 'reshare' && this.closing)) && status === 'paused') {
      reason = `paused when the lab closed, at generation ${outcome.generation}; resume to continue`;
    } else if (status === 'paused' && !ending) {
      status = 'failed';
      reason = `the trainer ended the session unasked (${reason})`;
    }
    try {
      const record = await this.store.getRun(runId);
      const final = record.status === status && record.statusReason === reason
        ? record
        : await this.store.updateRun(runId, { status, statusReason: reason });
      this.emit({ type: 'status', run: this.info(final) });
    } catch (err) {
      // the run folder vanished under us (deleted by hand): nothing left to record
      this.emit({ type: 'log', runId, line: `could not record the end of the session: ${err instanceof Error ? err.message : String(err)}` });
    }
    this.schedule();
  }

  private onProgress(session: Session, ev: ProgressEvent): void {
    const p = progressEvent(ev);
    session.latest = p;
    if (p.bestLoss !== null) session.bestLoss = minOrNull(session.bestLoss, p.bestLoss);
    const now = this.now();
    if (p.eval40 !== undefined || now - session.lastEmit >= this.progressIntervalMs) {
      this.emitProgress(session, p);
    } else {
      session.pending = p;
      session.timer ??= setTimeout(() => this.flushProgress(session), this.progressIntervalMs - (now - session.lastEmit));
    }
    // the backend is on disk once the trainer reports; a checkpoint before this generation is too
    const ckpt = Math.floor((p.generation - 1) / session.checkpointEvery) * session.checkpointEvery;
    if (!session.backendAnnounced || ckpt > session.announcedCheckpoint) {
      session.backendAnnounced = true;
      session.announcedCheckpoint = Math.max(session.announcedCheckpoint, ckpt);
      void this.get(session.runId).then((info) => {
        if (this.sessions.get(session.runId) === session) this.emit({ type: 'status', run: info });
      }, () => undefined);
    }
    // the first progress of a session shows its worker processes are up: a good moment to re-share
    if (!session.ending && session.claim?.optimizer === 'es') this.reshare();
  }

  private emitProgress(session: Session, p: RunProgressEvent): void {
    if (session.timer) clearTimeout(session.timer);
    session.timer = null;
    session.pending = null;
    session.lastEmit = this.now();
    this.emit({ type: 'progress', progress: p });
  }

  private flushProgress(session: Session): void {
    if (session.pending) this.emitProgress(session, session.pending);
    else if (session.timer) {
      clearTimeout(session.timer);
      session.timer = null;
    }
  }
}

/** A fork must be able to load the checkpoint: same optimizer, same model shape, same canvas. */
function checkForkable(source: RunConfig, config: RunConfig): void {
  if (config.optimizer !== source.optimizer) {
    throw new RunActionError(`a fork keeps the optimizer: the source is an ${source.optimizer} run, the new config is ${config.optimizer}`);
  }
  const a = ncaConfigOf(source);
  const b = ncaConfigOf(config);
  if (a.channels !== b.channels || a.hidden !== b.hidden || a.bias1 !== b.bias1 || a.bias2 !== b.bias2 || paramCount(a) !== paramCount(b)) {
    throw new RunActionError(`a fork keeps the model's shape (channels ${a.channels}, hidden ${a.hidden}, biases ${a.bias1}/${a.bias2}): the checkpoint's parameters must fit`);
  }
  if (config.target.size !== source.target.size || config.target.padding !== source.target.padding) {
    throw new RunActionError(`a fork keeps the target canvas (${source.target.size} px, padding ${source.target.padding}): the checkpoint's states must fit`);
  }
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null || !Number.isFinite(a)) return b;
  if (b === null || !Number.isFinite(b)) return a;
  return Math.min(a, b);
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

/** A trainer's event as it crosses to the renderer: non-finite losses as null (JSON has no NaN). */
export function progressEvent(ev: ProgressEvent): RunProgressEvent {
  const out: RunProgressEvent = { runId: ev.runId, optimizer: ev.optimizer, ...metricPoint(ev) };
  if (ev.generationsPerSec !== undefined) out.generationsPerSec = ev.generationsPerSec;
  if (ev.mutantsPerSec !== undefined) out.mutantsPerSec = ev.mutantsPerSec;
  if (ev.iterationsPerSec !== undefined) out.iterationsPerSec = ev.iterationsPerSec;
  return out;
}

export function metricPoint(r: MetricRow): MetricPoint {
  const out: MetricPoint = {
    generation: r.generation,
    evaluations: r.evaluations,
    wallSeconds: r.wallSeconds,
    loss: finiteOrNull(r.loss),
    bestLoss: finiteOrNull(r.bestLoss),
    lr: finiteOrNull(r.lr),
  };
  if (r.gradNorm !== undefined) out.gradNorm = finiteOrNull(r.gradNorm);
  if (r.eval40 !== undefined) out.eval40 = finiteOrNull(r.eval40);
  if (r.eval200 !== undefined) out.eval200 = finiteOrNull(r.eval200);
  return out;
}

/** Every k-th row so that about `maxPoints` remain, plus every growth-evaluation row and the last row. */
export function thinRows(rows: MetricRow[], maxPoints?: number): MetricRow[] {
  if (maxPoints === undefined || rows.length <= maxPoints) return rows;
  const k = Math.ceil(rows.length / maxPoints);
  return rows.filter((r, i) => i % k === 0 || i === rows.length - 1 || r.eval40 !== undefined);
}

/** A fork's progress as of its checkpoint: counters from the checkpoint, losses from the copied metrics. */
function progressFrom(ckpt: { generation: number; evaluations: number; wallSeconds: number; scalars: Record<string, unknown> }, rows: MetricRow[]): RunProgress {
  const last = rows.at(-1);
  const evals = rows.filter((r) => r.eval40 !== undefined);
  const lastEval = evals.at(-1);
  const finite = (xs: number[]) => xs.filter(Number.isFinite);
  const best = finite(rows.map((r) => r.bestLoss));
  const best40 = finite(evals.map((r) => r.eval40!));
  const scalarBest = typeof ckpt.scalars.bestEval40 === 'number' ? ckpt.scalars.bestEval40 : null;
  return {
    generation: ckpt.generation,
    evaluations: ckpt.evaluations,
    wallSeconds: ckpt.wallSeconds,
    bestLoss: best.length ? Math.min(...best) : null,
    lastLoss: last ? last.loss : null,
    bestEval40: scalarBest ?? (best40.length ? Math.min(...best40) : null),
    lastEval40: lastEval?.eval40 ?? null,
    lastEval200: lastEval?.eval200 ?? null,
  };
}
