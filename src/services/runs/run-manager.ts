/**
 * RunManager: the runs of one workspace, as the desktop app and `nca-lab serve` drive them (no Electron import:
 * docs/architecture.md, "Testing without Electron"). It carries out the run commands (create, resume, pause,
 * stop, delete, fork, rename, tag, note) under the status machine of shared/run-status.ts, and runs each
 * training session (runTrainingSession) to its recorded end. The rest is delegated, one job each:
 *   run-scheduler.ts     the queue and how the cores are shared (which runs train now, on how many workers);
 *   training-slots.ts    "Runs at once" across every process on the workspace (a queued run trains once it
 *                        holds one of the workspace's slots);
 *   session-outcome.ts   how a session's end is recorded, read against why the lab asked it to end;
 *   fork.ts, run-params.ts   what a fork may change; a run's parameters.
 * Progress events are throttled where a trainer makes them (training-log.ts) and relayed as they come.
 *
 * Events: `status` (a run's record or session changed), `progress`, `deleted`, `log`. Start-up (`init`) turns
 * runs found `running` into `interrupted` (resumable from their last checkpoint) and runs found `queued` into
 * `paused`. `stopAll` (app quit) pauses every session with a checkpoint first.
 */
import { availableParallelism } from 'node:os';
import type {
  CheckpointSummary, CreateRunRequest, EvaluationStrip, ForkRunRequest, MetricPoint, ModelParams, RunInfo, RunListing, RunProgressEvent,
} from '../../shared/lab-api';
import { stepWord, type RunRecord } from '../../shared/run-record';
import { EVALUATION_FRAMES } from '../../core/nca/growth-eval';
import { evaluationStripGenerations, readEvaluationStrip } from '../store/evaluation-strips';
import { actionRefusal, type RunAction } from '../../shared/run-status';
import type { Target } from '../../core/targets/target';
import type { WorkerSpawner } from '../workers/spawners';
import type { ComputeSettings } from '../../shared/lab-api';
import { cutOffReason, LabStore } from '../store/lab-store';
import { RunScheduler } from './run-scheduler';
import { createFork } from './fork';
import { prepareStart } from '../models/start-model';
import { followedSession, liveRunInfo } from './run-info';
import { readRunParams } from './run-params';
import { metricPoint, thinRows } from '../../shared/metrics';
import { TrainingSessions, type TrainSessionFn } from './training-sessions';
import { liveRunOwner, ownedRunRefusal, SESSION_SIGNALS, takesSessionSignals, type RunOwner } from '../training/run-owner';
import { messageOf } from '../../shared/validate';
import { acquireRunLock, RunLockedError } from '../training/run-lock';
import { claimTrainingSlot, slotWaitText, wakeSlotWaiters, type TrainingSlot } from './training-slots';

export { thinRows, metricPoint } from '../../shared/metrics';
export type { TrainSessionFn } from './training-sessions';

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
  /** a session must be this old before it is restarted to take more cores (default 10 s) */
  minReshareAgeMs?: number;
  /** Settings → Compute, read at each session's start (default: this computer's cores only) */
  compute?: () => ComputeSettings;
  now?: () => number;
}


/** How often a process that was asked to end a run it trains is looked at until it has let go of the run. */
const OWNER_POLL_MS = 200;

/** A request that the status machine or the lab's state refuses; the message says why and what to do instead. */
export class RunActionError extends Error {
  override name = 'RunActionError';
}

export class RunManager {
  readonly store: LabStore;
  readonly workspace: string;
  private readonly scheduler: RunScheduler;
  private readonly trainFn: TrainSessionFn | undefined;
  private readonly spawn: WorkerSpawner | undefined;
  private readonly lowPriorityWorkers: boolean;
  private readonly backend: string | undefined;
  private readonly now: () => number;
  private readonly listeners = new Set<(event: RunManagerEvent) => void>();
  private readonly sessions: TrainingSessions;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** queued runs looking for a workspace training slot now */
  private readonly claiming = new Set<string>();
  private closing = false;

  constructor(options: RunManagerOptions) {
    this.workspace = options.workspace;
    this.store = options.store ?? new LabStore(options.workspace);
    const cores = Math.max(1, Math.floor(options.cores ?? availableParallelism()));
    this.now = options.now ?? (() => Date.now());
    this.scheduler = new RunScheduler(cores, Math.max(1, Math.floor(options.maxConcurrent ?? cores)), options.minReshareAgeMs ?? 10_000, this.now);
    this.trainFn = options.train;
    this.spawn = options.spawn;
    this.lowPriorityWorkers = options.lowPriorityWorkers ?? true;
    this.backend = options.backend;
    this.sessions = new TrainingSessions({
      store: this.store, scheduler: this.scheduler, train: this.trainFn, spawn: this.spawn,
      lowPriorityWorkers: this.lowPriorityWorkers, backend: this.backend, now: this.now,
      emit: (event) => this.emit(event), info: (record) => this.info(record), get: (runId) => this.get(runId),
      isClosing: () => this.closing, onSessionEnded: () => this.schedule(),
      compute: options.compute ?? (() => ({ localCores: true, cluster: null })),
    });
  }

  get cores(): number {
    return this.scheduler.cores;
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
      // a run another process holds (waiting there for a training slot) is that process's
      if (r.status === 'queued' && !this.scheduler.isQueued(r.id) && !this.sessions.has(r.id) && !(await this.ownerElsewhere(r.id))) {
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
    wakeSlotWaiters(); // the runs waiting for a slot give up at once
    const ids: string[] = [];
    for (const id of this.scheduler.drain()) {
      await this.store.updateRun(id, { status: 'paused', statusReason: 'was waiting in the queue when the lab closed; resume to start it' }).catch(() => undefined);
      ids.push(id);
    }
    const sessions = this.sessions.all();
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
    return [...this.sessions.ids(), ...this.scheduler.queued()];
  }

  get maxConcurrent(): number {
    return this.scheduler.maxConcurrent;
  }

  /** A higher limit starts queued runs at once; a lower one lets running sessions finish (nothing is cut off). */
  setMaxConcurrent(n: number): void {
    this.scheduler.setMaxConcurrent(n);
    this.schedule();
    wakeSlotWaiters();
  }

  /** The number of worker processes each training session uses now. */
  workerShares(): Map<string, number> {
    return new Map(this.sessions.all().map((s) => [s.runId, s.workers]));
  }

  // ---- reading ----

  async list(): Promise<RunListing> {
    const { runs, problems } = await this.store.scanRuns();
    return { runs: await Promise.all(runs.map((r) => this.describe(r))), problems: problems.map((p) => ({ id: p.id, message: p.message })) };
  }

  async get(runId: string): Promise<RunInfo> {
    return this.describe(await this.store.getRun(runId));
  }

  /**
   * A run as every process on the workspace sees it: with this lab's own session, or else with the session of the
   * process that holds its lock, followed through its files (run.json, the newest metrics rows). A record that
   * says `running` while no process holds it was cut off, and is shown interrupted (as start-up would make it).
   */
  private async describe(record: RunRecord): Promise<RunInfo> {
    const own = this.info(record);
    if (own.live || own.queuePosition !== null) return own;
    const owner = await liveRunOwner(this.store.runDir(record.id));
    if (!owner) return record.status === 'running' ? { ...own, status: 'interrupted', statusReason: cutOffReason(record) } : own;
    // held by a process that waits for a training slot (its statusReason says for which runs): queued there
    if (record.status === 'queued') return own;
    const tail = await this.store.readLastMetrics(record.id).catch(() => []);
    return liveRunInfo(record, followedSession(record, owner, tail), null);
  }

  /** The stored metrics, thinned evenly to about `maxPoints` rows (growth-evaluation rows and the last row are kept). */
  async metrics(runId: string, maxPoints?: number): Promise<MetricPoint[]> {
    const rows = await this.store.readMetrics(runId);
    return thinRows(rows, maxPoints).map(metricPoint);
  }

  /** A growth evaluation's strip (the newest without `generation`), or null before the first evaluation. */
  async evaluationStrip(runId: string, generation?: number): Promise<EvaluationStrip | null> {
    const record = await this.store.getRun(runId);
    const dir = this.store.runDir(runId);
    const generations = await evaluationStripGenerations(dir);
    const at = generation ?? generations.at(-1);
    if (at === undefined) return null;
    if (!generations.includes(at)) throw new Error(`run ${runId} has no growth evaluation at ${stepWord(record.optimizer)} ${at} (it has ${generations.length ? generations.join(', ') : 'none'})`);
    const png = await readEvaluationStrip(dir, at);
    return { generations, generation: at, columns: EVALUATION_FRAMES.map((f) => f.label), pngBase64: png.toString('base64') };
  }

  async checkpoints(runId: string): Promise<CheckpointSummary[]> {
    return (await this.store.listCheckpoints(runId)).map((c) => ({ generation: c.generation, bytes: c.bytes }));
  }

  /**
   * A run's parameters: a given checkpoint; else its newest checkpoint (while it trains, the most recent
   * parameters on disk); else its model.
   */
  async modelParams(runId: string, generation?: number): Promise<ModelParams> {
    return readRunParams(this.store, runId, generation);
  }

  async target(runId: string): Promise<Target> {
    return this.store.loadRunTarget(runId);
  }

  // ---- changing ----

  /**
   * Creates a run (the config is validated by the store) and queues it unless `start` is false. A config that
   * starts from a model has it resolved and its parameters copied into the run first (models/start-model.ts).
   * A sweep's run records the sweep and its place in it (`sweep`: the lab's own, never from a request).
   */
  async create(request: CreateRunRequest, target?: Target, made: { sweep?: { id: string; index: number } } = {}): Promise<RunInfo> {
    this.refuseWhenClosing();
    const { config, startModel } = await prepareStart(this.store, request.config);
    const record = await this.store.createRun(config, {
      name: request.name, tags: request.tags, notes: request.notes, backend: null, ...(target ? { target } : {}),
      ...(startModel ? { startModel } : {}), ...(made.sweep ? { sweep: made.sweep } : {}),
    });
    if (request.start === false) {
      await this.store.updateRun(record.id, { status: 'paused', statusReason: 'created; not started yet' });
    } else {
      this.scheduler.enqueue(record.id);
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
      if (this.sessions.has(runId) || this.scheduler.isQueued(runId)) {
        throw new RunActionError(`run "${runId}" cannot be resumed: it is already ${this.sessions.has(runId) ? 'training' : 'waiting for a training slot'}`);
      }
      await this.refuseWhenOwnedElsewhere(runId, 'it is training there already; stop it there to resume it here');
      // a run left `running` by a process that is gone was cut off: it resumes like an interrupted one
      this.check('resume', record.status === 'running' ? { ...record, status: 'interrupted' } : record);
      await this.store.updateRun(runId, { status: 'queued', statusReason: null });
      this.scheduler.enqueue(runId);
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
      await this.refuseWhenOwnedElsewhere(runId, 'it cannot be deleted while it trains; stop it there first');
      this.scheduler.remove(runId);
      // held while the folder goes, so no process starts training it meanwhile; a `running` record without a
      // live owner was cut off (its process is gone) and may go
      const lock = await acquireRunLock(this.store.runDir(runId), runId).catch(async (err: unknown) => {
        if (err instanceof RunLockedError) throw new RunActionError(err.message);
        await this.store.getRun(runId); // no such run: RunNotFoundError says so
        throw err;
      });
      try {
        await this.store.deleteRun(runId, { force: true });
      } finally {
        await lock.release();
      }
      this.emit({ type: 'deleted', runId });
      this.announceQueue();
      this.schedule();
    });
  }

  /**
   * A new run that continues from checkpoint `generation` of another: same optimizer, model and target canvas;
   * stop conditions and hyperparameters may differ (ES takes α and its decay stage from the checkpoint). The
   * source's metrics up to the checkpoint are copied, so the new run's curves start where the source's were.
   */
  async fork(request: ForkRunRequest): Promise<RunInfo> {
    this.refuseWhenClosing();
    const { record, start } = await createFork(this.store, request, (refusal) => new RunActionError(refusal));
    if (start) this.scheduler.enqueue(record.id);
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
      const session = this.sessions.of(runId);
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
      const queued = this.scheduler.remove(runId);
      if (!queued) {
        const owner = await this.ownerElsewhere(runId);
        if (owner && takesSessionSignals(owner)) return this.routeToOwner(runId, owner, action);
        if (owner) throw new RunActionError(ownedRunRefusal(runId, owner, `${action} it there`));
        // a `running` record without a live owner was cut off: it is stopped or paused like an interrupted one
        this.check(action, record.status === 'running' ? { ...record, status: 'interrupted' } : record);
      }
      const reason = action === 'pause'
        ? (queued ? 'paused while waiting in the queue' : record.statusReason)
        : `stopped by the user at ${stepWord(record.optimizer)} ${record.progress.generation}`;
      const updated = await this.store.updateRun(runId, { status: action === 'pause' ? 'paused' : 'stopped', statusReason: reason });
      this.emit({ type: 'status', run: this.info(updated) });
      if (queued) {
        this.announceQueue();
        this.schedule(); // the run behind it may look for a slot now
      }
      return this.info(updated);
    });
  }

  private check(action: RunAction, record: RunRecord): void {
    const refusal = actionRefusal(action, record.status);
    if (refusal) throw new RunActionError(`run "${record.id}": ${refusal}`);
  }

  /**
   * A pause or stop of a run a `nca-lab train` (or `resume`) trains goes to that process, which answers it as it
   * answers Ctrl-C: a checkpoint and the model first. Resolves once it has let go of the run.
   */
  private async routeToOwner(runId: string, owner: RunOwner, action: 'pause' | 'stop'): Promise<RunInfo> {
    try {
      process.kill(owner.pid, SESSION_SIGNALS[action]);
    } catch (err) {
      throw new RunActionError(ownedRunRefusal(runId, owner, `it could not be asked to ${action} (${messageOf(err)}); ${action} it there`));
    }
    while ((await liveRunOwner(this.store.runDir(runId)))?.pid === owner.pid) await new Promise((r) => setTimeout(r, OWNER_POLL_MS));
    return this.get(runId);
  }

  /** Refuses an action on a run that another process trains now (its lock's live owner), naming that process. */
  private async refuseWhenOwnedElsewhere(runId: string, why: string): Promise<void> {
    const owner = await this.ownerElsewhere(runId);
    if (owner) throw new RunActionError(ownedRunRefusal(runId, owner, why));
  }

  /** The live process that trains the run outside this manager's sessions, or null. */
  async ownerElsewhere(runId: string): Promise<RunOwner | null> {
    if (this.sessions.has(runId)) return null;
    return liveRunOwner(this.store.runDir(runId));
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
    return liveRunInfo(record, this.sessions.of(record.id) ?? null, this.scheduler.positionOf(record.id));
  }


  /**
   * The queued runs this lab may train next (first in first out, up to its limit) look for a workspace training
   * slot; each launches once it holds one. Then the cores are re-shared.
   */
  private schedule(): void {
    if (this.closing) return;
    for (const runId of this.scheduler.queued()) {
      if (!this.claiming.has(runId) && this.scheduler.mayClaim(runId, this.sessions.size)) void this.claimSlot(runId);
    }
    this.sessions.reshare();
  }

  /**
   * Waits for a workspace training slot for a queued run (training-slots.ts), saying in its status reason whose
   * runs hold the slots meanwhile, then launches its session. The wait ends without a slot when the run leaves
   * the queue (pause, stop, delete), falls behind this lab's own limit, or the lab closes.
   */
  private async claimSlot(runId: string): Promise<void> {
    this.claiming.add(runId);
    let slot: TrainingSlot | null = null;
    try {
      slot = await claimTrainingSlot({
        workspace: this.workspace, runId,
        cancelled: () => this.closing || !this.scheduler.mayClaim(runId, this.sessions.size),
        onWait: (wait) => this.locked(runId, async () => {
          if (!this.scheduler.isQueued(runId)) return;
          this.emit({ type: 'status', run: this.info(await this.store.updateRun(runId, { statusReason: slotWaitText(wait) })) });
        }).catch(() => undefined),
      });
    } catch (err) {
      // the slots cannot be read or written (a read-only workspace): the run trains under this lab's limit only
      this.emit({ type: 'log', runId, line: `could not take a training slot of the workspace (${messageOf(err)}); training under this lab's limit only` });
    } finally {
      this.claiming.delete(runId);
    }
    if (this.closing || !this.scheduler.isQueued(runId)) {
      await slot?.release();
      return;
    }
    if (!slot && !this.scheduler.mayClaim(runId, this.sessions.size)) return; // fell behind the limit: schedule() looks again
    this.scheduler.remove(runId);
    this.sessions.launch(runId, slot);
    this.announceQueue();
    this.sessions.reshare();
  }

  /** Tells the renderer the new places of runs still waiting. */
  private announceQueue(): void {
    for (const id of this.scheduler.queued()) {
      void this.get(id).then((info) => this.emit({ type: 'status', run: info }), () => undefined);
    }
  }
}
