/**
 * What the training loop does after every step (generation/iteration), in one place: keep the metric rows the
 * policy keeps, append them to the run's metrics in batches (at most one write a second, while the next step
 * computes, and before every checkpoint), emit throttled progress events with throughput, and track the run's
 * progress summary.
 */
import { evaluationVerdict, type MetricRow, type RunProgress } from '../../shared/run-record';
import type { LabStore } from '../store/lab-store';
import { METRICS_FILE } from '../store/metrics-log';
import { OPTIMIZERS } from '../../shared/optimizers';
import type { ProgressEvent, TrainerContext } from './context';

/**
 * Rows kept in metrics: every generation/iteration up to 1000, then every 10th to 100k, then every 100th; all
 * evaluation rows. ES and Adam keep the same rows, so their curves have the same density.
 */
export function keepMetricRow(generation: number): boolean {
  return generation <= 1000 || (generation <= 100_000 ? generation % 10 === 0 : generation % 100 === 0);
}

/**
 * The generation of the last metrics row a run keeps up to `generation` (0 when none): what the log must reach
 * for a checkpoint at `generation` to have all its rows (LabStore.prepareResume). Evaluation rows (generation 1
 * and every `evalEvery`-th) are always kept.
 */
export function lastKeptRowAtOrBefore(generation: number, evalEvery: number): number {
  for (let g = generation; g >= 1; g--) {
    if (g === 1 || g % evalEvery === 0 || keepMetricRow(g)) return g;
  }
  return 0;
}

/** Progress events at most this often, except evaluation rows, which always go out. */
const EVENT_INTERVAL_MS = 200;
const FLUSH_INTERVAL_MS = 1000;

export interface TrainingLogStart {
  generation: number;
  evaluations: number;
  /** training time of earlier sessions */
  wallSeconds: number;
  bestEval40: number | null;
  bestLoss: number | null;
}

/** An evaluation's growth losses; eval1000 absent in rows from before evaluations looked 1000 steps ahead. */
type GrowthLosses = { eval40: number; eval200: number; eval1000?: number };

export class TrainingLog {
  generation: number;
  evaluations: number;
  bestLoss: number | null;
  lastLoss: number | null = null;
  bestEval40: number | null;
  lastEval: GrowthLosses | null = null;
  private readonly wallBefore: number;
  private readonly sessionStart = performance.now();
  private pending: MetricRow[] = [];
  private lastFlush = performance.now();
  private lastEventAt = 0;
  private window: { t: number; generation: number; evaluations: number };
  /** the log as this session knows it: its rows and its size after the last write (null until first read) */
  private written: { rows: MetricRow[]; bytes: number } | null = null;
  private readonly startGeneration: number;
  /** the due flush running while the next step computes, or null */
  private background: Promise<void> | null = null;
  /** what that flush failed with (null: nothing), thrown by the next record() or flush() */
  private backgroundError: unknown = null;

  constructor(private readonly store: LabStore, private readonly ctx: TrainerContext, start: TrainingLogStart) {
    this.generation = start.generation;
    this.evaluations = start.evaluations;
    this.wallBefore = start.wallSeconds;
    this.bestEval40 = start.bestEval40;
    this.bestLoss = start.bestLoss;
    this.window = { t: performance.now(), generation: start.generation, evaluations: start.evaluations };
    this.startGeneration = start.generation;
  }

  /** Training wall time summed over sessions. */
  wall(): number {
    return this.wallBefore + (performance.now() - this.sessionStart) / 1000;
  }

  progress(): RunProgress {
    return {
      generation: this.generation, evaluations: this.evaluations, wallSeconds: this.wall(), bestLoss: this.bestLoss,
      lastLoss: this.lastLoss, bestEval40: this.bestEval40,
      lastEval40: this.lastEval?.eval40 ?? null, lastEval200: this.lastEval?.eval200 ?? null,
      lastEval1000: this.lastEval?.eval1000 ?? null, verdict: this.lastEval ? evaluationVerdict(this.lastEval) : null,
    };
  }

  /** A generation/iteration is done: its loss (ES: population mean), its best loss, and how many rollouts it took. */
  advance(generation: number, rollouts: number, loss: number, best: number): void {
    this.generation = generation;
    this.evaluations += rollouts;
    this.lastLoss = loss;
    this.bestLoss = this.bestLoss === null ? best : Math.min(this.bestLoss, best);
  }

  noteEval(e: GrowthLosses): void {
    this.lastEval = e;
    if (Number.isFinite(e.eval40)) this.bestEval40 = this.bestEval40 === null ? e.eval40 : Math.min(this.bestEval40, e.eval40);
  }

  /** The row of the generation just done (kept by policy), a throttled progress event, a flush when due. */
  async record(row: MetricRow, isEval: boolean): Promise<void> {
    this.throwBackgroundError();
    if (isEval || keepMetricRow(row.generation)) this.pending.push(row);
    const now = performance.now();
    if (this.ctx.onProgress && (isEval || now - this.lastEventAt >= EVENT_INTERVAL_MS)) {
      const dt = (now - this.window.t) / 1000;
      const ev: ProgressEvent = { runId: this.ctx.runId, optimizer: this.ctx.config.optimizer, ...row };
      if (dt > 0 && this.generation > this.window.generation) {
        const perSec = (this.generation - this.window.generation) / dt;
        const rate = OPTIMIZERS[this.ctx.config.optimizer].throughput;
        ev[rate.key] = perSec;
        // ES: mutants/s, the rollouts of the window (Adam has none beside its iterations)
        if (rate.second) ev[rate.second.key] = (this.evaluations - this.window.evaluations) / dt;
      }
      if (dt >= 1) this.window = { t: now, generation: this.generation, evaluations: this.evaluations };
      this.lastEventAt = now;
      this.ctx.onProgress(ev);
    }
    // a due flush (an append and an fsync: milliseconds, serial work of the step) runs while the next step
    // computes; flush() waits for it, so a checkpoint still never has rows missing behind it
    if (now - this.lastFlush >= FLUSH_INTERVAL_MS && this.background === null) {
      this.background = this.writePending().catch((err: unknown) => { this.backgroundError = err; }).finally(() => { this.background = null; });
    }
  }

  /** Keeps a row whatever the policy (the diverged iteration of a failed run). */
  keep(row: MetricRow): void {
    this.pending.push(row);
  }

  /** Every row kept so far is on disk when this resolves (a flush still running is waited for). */
  async flush(): Promise<void> {
    if (this.background) await this.background;
    this.throwBackgroundError();
    await this.writePending();
  }

  /** A background flush that failed fails the step after it (its rows are pending again: the failed-run path retries). */
  private throwBackgroundError(): void {
    const err = this.backgroundError;
    if (err === null) return;
    this.backgroundError = null;
    throw err;
  }

  /**
   * The rows the log holds as this session knows them (those it continued from, then every row it appended) and
   * the log's size after its last write; read before the first write.
   */
  private async onDisk(): Promise<{ rows: MetricRow[]; bytes: number }> {
    if (this.written) return this.written;
    const log = await this.store.readMetricLog(this.ctx.runId);
    this.written = log;
    // a resumed session's last growth losses are those of the last evaluation row it continues from (otherwise
    // run.json would lose lastEval40 until the next evaluation)
    if (this.lastEval === null && this.startGeneration > 0) {
      const row = log.rows.findLast((r) => r.generation <= this.startGeneration && r.eval40 !== undefined);
      if (row && row.eval40 !== undefined) {
        this.lastEval = { eval40: row.eval40, eval200: row.eval200 ?? Number.NaN, ...(row.eval1000 !== undefined ? { eval1000: row.eval1000 } : {}) };
      }
    }
    return log;
  }

  private async writePending(): Promise<void> {
    const written = await this.onDisk();
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const expected = written.bytes;
    let append;
    try {
      // fsynced (metrics-log.ts): a checkpoint written after this flush never has rows missing behind it
      append = await this.store.appendMetrics(this.ctx.runId, rows);
    } catch (err) {
      // the append left the log as it was: keep the rows for the next flush (the failed-run path retries once)
      this.pending = rows.concat(this.pending);
      throw err;
    }
    written.rows.push(...rows);
    written.bytes = append.sizeAfter ?? expected;
    // The log is this process's to write while it trains the run. One that is not as this session left it
    // (deleted, cut or edited meanwhile) has lost rows the run's checkpoints stand on: it is rewritten from the
    // rows the run holds, and the run says so.
    if (append.sizeBefore !== null && append.sizeBefore !== expected) {
      written.bytes = await this.store.rewriteMetrics(this.ctx.runId, written.rows);
      const unit = OPTIMIZERS[this.ctx.config.optimizer].unit;
      const note = `${METRICS_FILE} was deleted or changed while the run trained: before ${unit} ${rows[0]!.generation} it held ${append.sizeBefore} bytes, ` +
        `not the ${expected} the run had written; it was rewritten from the ${written.rows.length} rows the run holds (up to ${unit} ${rows[rows.length - 1]!.generation})`;
      await this.store.appendRunLog(this.ctx.runId, note);
      this.ctx.onLog?.(note);
    }
    this.lastFlush = performance.now();
  }
}
