/**
 * The training sessions of the RunManager: a session reads its run's config, claims its share of the cores
 * (run-scheduler.ts), trains (runTrainingSession, or a test's fake), relays the trainer's progress events
 * (throttled where they are made, training-log.ts) and records its end (session-outcome.ts). An ES session whose share changes is asked to
 * pause and is launched again with its new worker count.
 */
import type { RunInfo } from '../../shared/lab-api';
import { emptyProgress, foldProgress, metricPoint, type RunProgressEvent } from '../../shared/metrics';
import type { RunRecord } from '../../shared/run-record';
import { messageOf } from '../../shared/validate';
import type { StopRequest, TrainOutcome } from '../training/context';
import type { TrainingSessionOptions } from '../training/run-training';
import type { LabStore } from '../store/lab-store';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import { lowPrioritySpawner } from '../workers/worker-priority';
import type { WorkerClaim } from './worker-share';
import type { RunScheduler, ScheduledSession } from './run-scheduler';
import { settleSession } from './session-outcome';
import type { LiveSession } from './run-info';
import type { ComputeSettings } from '../../shared/lab-api';
import { OPTIMIZERS, optimizerOf } from '../../shared/optimizers';
import type { TrainingSlot } from './training-slots';
import { counted } from '../../shared/words';

/** Trains one session of a stored run (runTrainingSession; tests pass a fake). */
export type TrainSessionFn = (opts: TrainingSessionOptions) => Promise<TrainOutcome>;

/** What the sessions need from the lab around them. */
export interface SessionDeps {
  store: LabStore;
  scheduler: RunScheduler;
  train: TrainSessionFn | undefined;
  spawn: WorkerSpawner | undefined;
  lowPriorityWorkers: boolean;
  backend: string | undefined;
  now: () => number;
  emit(event: { type: 'status'; run: RunInfo } | { type: 'progress'; progress: RunProgressEvent } | { type: 'log'; runId: string; line: string }): void;
  info(record: RunRecord): RunInfo;
  get(runId: string): Promise<RunInfo>;
  isClosing(): boolean;
  /** a session ended for good: fill its slot */
  onSessionEnded(): void;
  /** Settings → Compute now */
  compute(): ComputeSettings;
}

/** One training session of a run (launch → the trainer's outcome → the recorded end). */
export interface Session extends LiveSession {
  /** this lab's own session: its share of the cores is always known */
  workers: number;
  owner: null;
  runId: string;
  /** null until the session has read its run's config */
  claim: WorkerClaim | null;
  /** resolves once `claim` is set (or the session failed before) */
  claimed: Promise<void>;
  control: StopRequest;
  startedAt: number;
  done: Promise<void>;
  announcedCheckpoint: number;
  checkpointEvery: number;
  backendAnnounced: boolean;
  /** the workspace's training slot it holds (training-slots.ts): kept across a re-share, freed at its end */
  slot: TrainingSlot | null;
}

export class TrainingSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly deps: SessionDeps) {}

  get size(): number {
    return this.sessions.size;
  }

  has(runId: string): boolean {
    return this.sessions.has(runId);
  }

  of(runId: string): Session | undefined {
    return this.sessions.get(runId);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  /** Starts a training session of a run (it has left the queue holding `slot`). */
  launch(runId: string, slot: TrainingSlot | null): void {
    let claimed!: () => void;
    const session: Session = {
      runId,
      claim: null,
      claimed: new Promise<void>((resolve) => (claimed = resolve)),
      workers: 1,
      owner: null,
      control: { requested: null },
      startedAt: this.deps.now(),
      startedIso: new Date().toISOString(),
      ending: null,
      done: Promise.resolve(),
      latest: null,
      summary: emptyProgress(),
      announcedCheckpoint: 0,
      checkpointEvery: Number.POSITIVE_INFINITY,
      backendAnnounced: false,
      slot,
    };
    this.sessions.set(runId, session);
    session.done = this.runSession(session, claimed);
  }

  /** The sessions as the scheduler sees them. */
  scheduled(): ScheduledSession[] {
    return [...this.sessions.values()].map((s) => ({
      runId: s.runId, claim: s.claim, workers: s.workers, startedAt: s.startedAt, reporting: s.latest !== null,
      leaving: !s.ending ? null : s.ending.kind === 'reshare' ? 'reshare' : 'for-good',
    }));
  }

  /** Restarts the ES sessions whose share of the cores changed (run-scheduler.ts says which). */
  reshare(): void {
    if (this.deps.isClosing()) return;
    for (const { runId, share, was } of this.deps.scheduler.reshares(this.scheduled())) {
      const s = this.sessions.get(runId)!;
      s.ending = { kind: 'reshare' };
      s.control.requested = 'pause';
      this.deps.emit({ type: 'log', runId, line: `re-sharing the cores: restarting with ${counted(share, 'worker')} (was ${was})` });
    }
  }

  private async runSession(session: Session, claimed: () => void): Promise<void> {
    const { runId } = session;
    let outcome: TrainOutcome;
    try {
      let record: RunRecord;
      try {
        record = await this.deps.store.getRun(runId);
      } finally {
        claimed();
      }
      const cfg = record.config;
      session.claim = {
        id: runId,
        optimizer: cfg.optimizer,
        cap: optimizerOf(cfg).workerCap(cfg),
      };
      session.checkpointEvery = cfg.checkpointEvery;
      session.announcedCheckpoint = record.checkpointGeneration ?? 0;
      // runs launched together share from the start (rather than the first taking every core and restarting)
      await Promise.all([...this.sessions.values()].map((s) => s.claimed));
      session.workers = this.deps.scheduler.shares(this.scheduled()).get(runId) ?? 1;
      this.reshare();
      const started = await this.deps.store.updateRun(runId, { status: 'running', statusReason: null });
      this.deps.emit({ type: 'status', run: this.deps.info(started) });
      const train = this.deps.train ?? (await import('../training/run-training')).runTrainingSession;
      const spawn = this.deps.lowPriorityWorkers ? lowPrioritySpawner(this.deps.spawn ?? forkSpawner()) : this.deps.spawn;
      // an ES run on the cluster: its slices go to the cluster's workers, and this computer's share of the cores
      // joins them when "this computer's cores" is on too
      const compute = this.deps.compute();
      const onCluster = optimizerOf(cfg).population && compute.cluster !== null;
      outcome = await train({
        workspace: this.deps.store.workspace,
        store: this.deps.store,
        runId,
        control: session.control,
        workers: onCluster && !compute.localCores ? 0 : session.workers,
        ...(onCluster ? { cluster: compute.cluster! } : {}),
        ...(this.deps.backend ? { backend: this.deps.backend } : {}),
        ...(spawn ? { spawn } : {}),
        onProgress: (ev) => this.onProgress(session, ev),
        onLog: (line) => this.deps.emit({ type: 'log', runId, line }),
      });
    } catch (err) {
      outcome = { status: 'failed', reason: messageOf(err), generation: session.latest?.generation ?? 0, bestEval40: null };
    }
    this.sessions.delete(runId);

    const settled = settleSession(outcome, session.ending, this.deps.isClosing(), session.claim?.optimizer);
    if (settled.relaunch) {
      this.launch(runId, session.slot);
      return;
    }
    const { status, reason } = settled;
    try {
      const record = await this.deps.store.getRun(runId);
      const final = record.status === status && record.statusReason === reason
        ? record
        : await this.deps.store.updateRun(runId, { status, statusReason: reason });
      this.deps.emit({ type: 'status', run: this.deps.info(final) });
    } catch (err) {
      // the run folder vanished under us (deleted by hand): nothing left to record
      this.deps.emit({ type: 'log', runId, line: `could not record the end of the session: ${messageOf(err)}` });
    }
    // a paused or stopped run lets go of its slot as a finished one does: the next waiter, in any process, trains
    await session.slot?.release().catch((err: unknown) => this.deps.emit({ type: 'log', runId, line: `could not free its training slot: ${messageOf(err)}` }));
    this.deps.onSessionEnded();
  }

  /** A trainer's event (throttled where it is made, training-log.ts): kept for the run's live view and relayed. */
  private onProgress(session: Session, event: RunProgressEvent): void {
    // the wire form whatever the trainer sent (a non-finite loss as null): the event crosses IPC and the bridge
    const p: RunProgressEvent = { ...event, ...metricPoint(event) };
    session.latest = p;
    session.summary = foldProgress(session.summary, p);
    this.deps.emit({ type: 'progress', progress: p });
    // the backend is on disk once the trainer reports; a checkpoint before this generation is too
    const ckpt = Math.floor((p.generation - 1) / session.checkpointEvery) * session.checkpointEvery;
    if (!session.backendAnnounced || ckpt > session.announcedCheckpoint) {
      session.backendAnnounced = true;
      session.announcedCheckpoint = Math.max(session.announcedCheckpoint, ckpt);
      void this.deps.get(session.runId).then((info) => {
        if (this.sessions.get(session.runId) === session) this.deps.emit({ type: 'status', run: info });
      }, () => undefined);
    }
    // the first progress of a session shows its worker processes are up: a good moment to re-share
    if (!session.ending && session.claim && OPTIMIZERS[session.claim.optimizer].population) this.reshare();
  }}
