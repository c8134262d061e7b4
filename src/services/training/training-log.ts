/**
 * What the training loop does after every step (generation/iteration), in one place: keep the metric rows the
 * policy keeps, append them to the run's metrics in batches (at most one write a second, while the next step
 * computes, and before every checkpoint), emit progress events with throughput (the one throttle between a
 * trainer and the window or the CLI), and fold every row into the run's progress summary (shared/metrics.ts).
 */
import {
  BEST_FIELDS, foldProgress, metricPoint, PROGRESS_INTERVAL_MS, type MetricRow, type RunProgress, type RunProgressEvent,
} from '../../shared/metrics';
import type { LabStore } from '../store/lab-store';
import { METRICS_FILE } from '../store/metrics-log';
import { OPTIMIZERS } from '../../shared/optimizers';
import type { TrainerContext } from './context';

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

const FLUSH_INTERVAL_MS = 1000;

export class TrainingLog {
  private summary: RunProgress;
  private readonly wallBefore: number;
  private readonly sessionStart = performance.now();
  private pending: MetricRow[] = [];
  private lastFlush = performance.now();
  private lastEventAt = Number.NEGATIVE_INFINITY;
  /** the newest event not sent yet (inside the interval): sent at the next flush, so the last step always goes out */
  private held: RunProgressEvent | null = null;
  private window: { t: number; generation: number; evaluations: number };
  /** the log as this session knows it: its rows and its size after the last write (null until first read) */
  private written: { rows: MetricRow[]; bytes: number } | null = null;
  /** the due flush running while the next step computes, or null */
  private background: Promise<void> | null = null;
  /** what that flush failed with (null: nothing), thrown by the next record() or flush() */
  private backgroundError: unknown = null;

  constructor(private readonly store: LabStore, private readonly ctx: TrainerContext, start: RunProgress) {
    this.summary = start;
    this.wallBefore = start.wallSeconds;
    this.window = { t: performance.now(), generation: start.generation, evaluations: start.evaluations };
  }

  get evaluations(): number {
    return this.summary.evaluations;
  }

  /** Training wall time summed over sessions. */
  wall(): number {
    return this.wallBefore + (performance.now() - this.sessionStart) / 1000;
  }

  /** The run's progress summary: every row recorded so far folded in (shared/metrics.ts), the wall time now. */
  progress(): RunProgress {
    return { ...this.summary, wallSeconds: this.wall() };
  }

  /** The best values a checkpoint keeps (BEST_FIELDS), to resume the summary from. */
  bests(): Record<string, number | null> {
    return Object.fromEntries(BEST_FIELDS.map((f) => [f, this.summary[f]]));
  }

  /**
   * The row of the step just done: folded into the summary, kept by policy, sent as a progress event (at most every
   * PROGRESS_INTERVAL_MS, evaluations always; one inside the interval waits for the next flush or is replaced by a
   * newer one), and a flush when due.
   */
  async record(row: MetricRow, isEval: boolean): Promise<void> {
    this.throwBackgroundError();
    this.summary = foldProgress(this.summary, row);
    if (isEval || keepMetricRow(row.generation)) this.pending.push(row);
    const now = performance.now();
    if (this.ctx.onProgress) {
      const ev = this.event(row, now);
      if (isEval || now - this.lastEventAt >= PROGRESS_INTERVAL_MS) this.send(ev, now);
      else this.held = ev;
    }
    // a due flush (an append and an fsync: milliseconds, serial work of the step) runs while the next step
    // computes; flush() waits for it, so a checkpoint still never has rows missing behind it
    if (now - this.lastFlush >= FLUSH_INTERVAL_MS && this.background === null) {
      this.background = this.writePending().catch((err: unknown) => { this.backgroundError = err; }).finally(() => { this.background = null; });
    }
  }

  /** The event of a row: its wire form, and the throughput since the window began. */
  private event(row: MetricRow, now: number): RunProgressEvent {
    const ev: RunProgressEvent = { runId: this.ctx.runId, optimizer: this.ctx.config.optimizer, ...metricPoint(row) };
    const dt = (now - this.window.t) / 1000;
    const s = this.summary;
    if (dt > 0 && s.generation > this.window.generation) {
      const rate = OPTIMIZERS[this.ctx.config.optimizer].throughput;
      ev[rate.key] = (s.generation - this.window.generation) / dt;
      // ES: mutants/s, the rollouts of the window (Adam has none beside its iterations)
      if (rate.second) ev[rate.second.key] = (s.evaluations - this.window.evaluations) / dt;
    }
    return ev;
  }

  private send(ev: RunProgressEvent, now: number): void {
    this.held = null;
    this.lastEventAt = now;
    if ((now - this.window.t) / 1000 >= 1) this.window = { t: now, generation: this.summary.generation, evaluations: this.summary.evaluations };
    this.ctx.onProgress?.(ev);
  }

  /** Keeps a row whatever the policy (the diverged iteration of a failed run). */
  keep(row: MetricRow): void {
    this.pending.push(row);
  }

  /** Every row kept so far is on disk when this resolves (a flush still running is waited for); a held event goes out. */
  async flush(): Promise<void> {
    if (this.held) this.send(this.held, performance.now());
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
    this.written ??= await this.store.readMetricLog(this.ctx.runId);
    return this.written;
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
