/**
 * The training loop's metric log (services/training/training-log.ts): a due flush runs while the next step
 * computes, flush() waits for it (a checkpoint never has rows missing behind it), and a flush that failed in the
 * background fails the next step with its error, its rows kept for the failed-run path's retry.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrainingLog } from '../../../../src/services/training/training-log';
import type { LabStore } from '../../../../src/services/store/lab-store';
import type { MetricsAppend } from '../../../../src/services/store/metrics-log';
import type { TrainerContext } from '../../../../src/services/training/context';
import type { MetricRow } from '../../../../src/shared/run-record';
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

function log(store: LabStore): TrainingLog {
  const ctx = { runId: 'r', config: configFromPreset('es') } as TrainerContext;
  return new TrainingLog(store, ctx, { generation: 0, evaluations: 0, wallSeconds: 0, bestEval40: null, bestLoss: null });
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
});
