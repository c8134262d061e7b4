/**
 * Which runs train now and on how many cores. At most `maxConcurrent` runs of this lab train at once, and each
 * needs one of the workspace's training slots (training-slots.ts), shared with every process on the workspace;
 * more wait in a first-in-first-out queue. The cores are shared by worker-share.ts; when the shares change, an ES session
 * whose share shrank is restarted at once with its new worker count, and one whose share grew once it is
 * `minReshareAgeMs` old (so runs finishing one after another do not make the others restart each time). A
 * restart retraces the same trajectory: every random number derives from (seed, generation), not from the
 * worker count.
 *
 * The scheduler decides; the RunManager acts (launches sessions, asks them to pause).
 */
import { shareWorkers, type WorkerClaim } from './worker-share';
import { OPTIMIZERS } from '../../shared/optimizers';

/** What the scheduler needs to know of a training session. */
export interface ScheduledSession {
  runId: string;
  /** null until the session has read its run's config */
  claim: WorkerClaim | null;
  workers: number;
  startedAt: number;
  /** the session is ending: for good (user, quit) or to restart with a new share */
  leaving: 'for-good' | 'reshare' | null;
  /** the session has reported progress (its worker processes are up) */
  reporting: boolean;
}

export class RunScheduler {
  private readonly queue: string[] = [];

  constructor(
    readonly cores: number,
    private maxConcurrentRuns: number,
    private readonly minReshareAgeMs: number,
    private readonly now: () => number,
  ) {}

  get maxConcurrent(): number {
    return this.maxConcurrentRuns;
  }

  setMaxConcurrent(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`the number of runs at once must be an integer ≥ 1, got ${n}`);
    this.maxConcurrentRuns = n;
  }

  enqueue(runId: string): void {
    this.queue.push(runId);
  }

  /** Takes a run out of the queue; true when it was waiting. */
  remove(runId: string): boolean {
    const at = this.queue.indexOf(runId);
    if (at >= 0) this.queue.splice(at, 1);
    return at >= 0;
  }

  isQueued(runId: string): boolean {
    return this.queue.includes(runId);
  }

  /** 1-based place in the queue, or null. */
  positionOf(runId: string): number | null {
    const at = this.queue.indexOf(runId);
    return at >= 0 ? at + 1 : null;
  }

  queued(): string[] {
    return [...this.queue];
  }

  /** Empties the queue (the lab is closing) and returns what was waiting. */
  drain(): string[] {
    return this.queue.splice(0);
  }

  /**
   * Whether a queued run may look for a workspace training slot now (training-slots.ts): this lab trains at most
   * `maxConcurrent` runs, first in first out, so only the first `maxConcurrent - training` of its queue look.
   */
  mayClaim(runId: string, training: number): boolean {
    const at = this.queue.indexOf(runId);
    return at >= 0 && training + at < this.maxConcurrentRuns;
  }

  /** Workers per session: sessions that know their config and are not leaving for good share the cores. */
  shares(sessions: Iterable<ScheduledSession>): Map<string, number> {
    const claims = [...sessions].filter((s) => s.claim && s.leaving !== 'for-good').map((s) => s.claim!);
    return shareWorkers(this.cores, claims);
  }

  /** The ES sessions to restart with a new worker count (a session still starting its workers is left alone). */
  reshares(sessions: ScheduledSession[]): { runId: string; share: number; was: number }[] {
    const shares = this.shares(sessions);
    const out: { runId: string; share: number; was: number }[] = [];
    for (const s of sessions) {
      const share = shares.get(s.runId);
      if (share === undefined || !s.claim || !OPTIMIZERS[s.claim.optimizer].population || s.leaving || !s.reporting || share === s.workers) continue;
      if (share > s.workers && this.now() - s.startedAt < this.minReshareAgeMs) continue;
      out.push({ runId: s.runId, share, was: s.workers });
    }
    return out;
  }
}
