/**
 * The training loop's metric log (services/training/training-log.ts): a due flush runs while the next step
 * computes, flush() waits for it (a checkpoint never has rows missing behind it), and a flush that failed in the
 * background fails the next step with its error, its rows kept for the failed-run path's retry; progress events
 * go out at most once per interval (the newest held, evaluations at once, the held one on flush), and the
 * summary folds every row.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrainingLog } from '../../../../src/services/training/training-log';
import type { LabStore } from '../../../../src/services/store/lab-store';
import type { MetricsAppend } from '../../../../src/services/store/metrics-log';
import type { TrainerContext } from '../../../../src/services/training/context';
import { emptyProgress, type MetricRow, type RunProgressEvent } from '../../../../src/shared/metrics';
import { configFromPreset } from '../../../../src/shared/training-config';

afterEach(() => { vi.restoreAllMocks(); });

const row = (generation: number): MetricRow => ({ generation, evaluations: generation, wallSeconds: generation, loss: 0.1, bestLoss: 0.1, lr: 0.01 });

/** A store whose appends wait until the test lets them finish (or fail). */
function slowStore() {
  const written: number[] = [];
  const appends: { rows: MetricRow[]; finish(): void; fail(err: Error): void }[] = [];
  // the log's size, one byte a row here: what each append finds and leaves
  const size = () => written.length;
  const store = {
    readMetricLog: async () => ({ rows: [], bytes: 0 }),
    appendMetrics: (_id: string, rows: MetricRow[]) => new Promise<MetricsAppend>((resolve, reject) => {
      appends.push({ rows, finish: () => { const sizeBefore = size(); written.push(...rows.map((r) => r.generation)); resolve({ sizeBefore, sizeAfter: size() }); }, fail: reject });
    }),
  };
  return { store: store as unknown as LabStore, written, appends };
}

function log(store: LabStore, onProgress?: (ev: RunProgressEvent) => void): TrainingLog {
  const ctx = { runId: 'r', config: configFromPreset('es'), onProgress } as TrainerContext;
  return new TrainingLog(store, ctx, emptyProgress());
}

/** The macrotask after every pending microtask: a background append has been asked for by then. */
const settle = () => new Promise((r) => setImmediate(r));

describe('TrainingLog', () => {
  it('flushes in the background once a second; flush() waits for it and writes the rest', async () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const { store, written, appends } = slowStore();
    const l = log(store);
    await l.record(row(1), false);
    expect(appends).toHaveLength(0); // not due yet
    now = 1500;
    await l.record(row(2), false); // due: the append starts, and record() does not wait for it
    await settle();
    expect(appends.map((a) => a.rows.map((r) => r.generation))).toEqual([[1, 2]]);
    await l.record(row(3), false); // one flush at a time
    await settle();
    expect(appends).toHaveLength(1);
    const flushed = l.flush();
    await settle();
    expect(appends).toHaveLength(1); // flush() waits for the running append first
    appends[0].finish();
    await settle();
    expect(appends.map((a) => a.rows.map((r) => r.generation))).toEqual([[1, 2], [3]]);
    appends[1].finish();
    await flushed;
    expect(written).toEqual([1, 2, 3]);
  });

  it('a background flush that fails fails the next step; its rows are written first by the retry', async () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const { store, written, appends } = slowStore();
    const l = log(store);
    now = 1500;
    await l.record(row(1), false);
    await settle();
    appends[0].fail(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await settle();
    await expect(l.record(row(2), false)).rejects.toThrow(/ENOSPC/);
    // the failed-run path: keep the failing step's row and flush once more
    l.keep(row(2));
    const retry = l.flush();
    await settle();
    expect(appends[1].rows.map((r) => r.generation)).toEqual([1, 2]);
    appends[1].finish();
    await retry;
    expect(written).toEqual([1, 2]);
  });

  it('sends one progress event per interval, evaluations at once, the held one on flush; the summary folds every row', async () => {
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const sent: RunProgressEvent[] = [];
    const l = log(slowStore().store, (ev) => sent.push(ev));
    const at = (g: number, over: Partial<MetricRow> = {}) => ({ ...row(g), ...over });
    await l.record(at(1), false);
    now += 10; await l.record(at(2, { bestLoss: 0.01 }), false);
    now += 10; await l.record(at(3), false);
    expect(sent.map((e) => e.generation)).toEqual([1]);
    now += 10; await l.record(at(4, { eval40: 0.05, eval200: 0.2 }), true);
    expect(sent.map((e) => e.generation)).toEqual([1, 4]);
    now += 10; await l.record(at(5, { loss: Number.NaN, bestLoss: Number.NaN }), false);
    const flushed = l.flush();
    expect(sent.map((e) => e.generation)).toEqual([1, 4, 5]);
    // the wire form: a loss that is not finite is null
    expect(sent[2]).toMatchObject({ runId: 'r', optimizer: 'es', loss: null, bestLoss: null });
    now += 200; await l.record(at(6), false);
    expect(sent.map((e) => e.generation)).toEqual([1, 4, 5, 6]);
    // the best of a step whose event was held (2) is kept; a diverged loss is the last, never the best
    expect(l.progress()).toMatchObject({ generation: 6, bestLoss: 0.01, lastLoss: 0.1, bestEval40: 0.05, lastEval40: 0.05, lastEval200: 0.2 });
    void flushed;
  });
});
