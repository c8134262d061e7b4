/**
 * The metric table (src/shared/metrics.ts): the row, its line on disk and its wire form follow from it, one fold
 * makes the progress summary from rows or events, and every metric reaches the CSV, the curves and the CLI.
 */
import { describe, expect, it } from 'vitest';
import {
  AXIS_KEYS, CLI_METRICS, CURVE_KEYS, emptyProgress, foldProgress, GROWTH_EVAL_STEPS, GROWTH_METRICS, growthMetrics, isGrowthRow,
  mergeProgress, METRIC_KEYS, metricColumn, metricDef, metricPoint, metricRowToJson, parseMetricRow, parseRunProgress, progressAt,
  runProgressToJson, stepMetricsOf, thinRows, type MetricRow,
} from '../../../src/shared/metrics';
import { RecordFormatError } from '../../../src/shared/record-format';
import { trainingCurveChart, trainingCurveCsv, X_AXES, Y_SERIES } from '../../../src/shared/training-charts';

const row = (generation: number, over: Partial<MetricRow> = {}): MetricRow => ({
  generation, evaluations: generation * 8, wallSeconds: generation / 10, loss: 0.5 / generation, bestLoss: 0.4 / generation, lr: 1e-3, ...over,
});

describe('the metric table', () => {
  it('declares every metric once, with the x axes, curves, growth steps and CLI labels derived from it', () => {
    expect(METRIC_KEYS).toEqual(['generation', 'evaluations', 'wallSeconds', 'loss', 'bestLoss', 'lr', 'gradNorm', 'eval40', 'eval200', 'eval1000']);
    expect(AXIS_KEYS).toEqual(['generation', 'evaluations', 'wallSeconds']);
    expect(X_AXES.map((a) => a.key)).toEqual(AXIS_KEYS);
    expect(Y_SERIES.map((s) => s.key)).toEqual(CURVE_KEYS);
    expect(CURVE_KEYS).toContain('gradNorm');
    // spec c.2: 41 and 201 steps from the seed, and 1001 for persistence: one rollout of the longest
    expect(GROWTH_METRICS).toEqual([{ key: 'eval40', steps: 41 }, { key: 'eval200', steps: 201 }, { key: 'eval1000', steps: 1001 }]);
    expect(GROWTH_EVAL_STEPS).toBe(1001);
    expect(growthMetrics([0.1, 0.2, 0.3])).toEqual({ eval40: 0.1, eval200: 0.2, eval1000: 0.3 });
    expect(CLI_METRICS.map((k) => metricDef(k).cli)).toEqual(['loss', 'best', '40-step']);
    expect(METRIC_KEYS.map(metricColumn)).toEqual(['generation', 'evaluations', 'wall_seconds', 'loss', 'best_loss', 'lr', 'grad_norm', 'eval40', 'eval200', 'eval1000']);
  });

  it('takes every step metric from a step result and nothing else', () => {
    const step = { kind: 'done', loss: 0.2, bestLoss: 0.1, lr: 0.01, gradNorm: 3, rollouts: 16 };
    expect(stepMetricsOf(step)).toEqual({ loss: 0.2, bestLoss: 0.1, lr: 0.01, gradNorm: 3 });
  });

  it('writes a row as a metrics line and reads it back, non-finite numbers as strings; names a bad field', () => {
    const r = row(3, { loss: Number.NaN, bestLoss: Number.POSITIVE_INFINITY, gradNorm: 2.5, eval40: 0.01, eval200: 0.02 });
    const line = JSON.parse(JSON.stringify(metricRowToJson(r)));
    expect(line).toMatchObject({ loss: 'NaN', bestLoss: 'Infinity', gradNorm: 2.5 });
    const back = parseMetricRow(line);
    expect(back.loss).toBeNaN();
    expect(back).toEqual({ ...r, loss: back.loss });
    expect(() => parseMetricRow({ ...line, evaluations: -1 })).toThrow(new RecordFormatError('evaluations', 'must be an integer ≥ 0, got -1'));
    expect(() => parseMetricRow({ ...line, eval40: 'x' })).toThrow(/eval40: must be a number \(or "NaN"/);
    expect(() => parseMetricRow({ generation: 1 })).toThrow(/evaluations: must be an integer/);
  });

  it('sends a row to the window with non-finite values as null and the optional metrics only where present', () => {
    expect(metricPoint(row(2, { loss: Number.NaN, gradNorm: Number.NEGATIVE_INFINITY }))).toEqual({
      generation: 2, evaluations: 16, wallSeconds: 0.2, loss: null, bestLoss: 0.2, lr: 1e-3, gradNorm: null,
    });
    // an event's extra fields (run, throughput) are not metrics
    expect(Object.keys(metricPoint({ ...metricPoint(row(1)), runId: 'r', generationsPerSec: 3 } as MetricRow))).toEqual(['generation', 'evaluations', 'wallSeconds', 'loss', 'bestLoss', 'lr']);
  });
});

describe('the progress summary', () => {
  it('is one fold: the newest counts, each last value where the row has it, the lowest finite best', () => {
    const rows = [row(1, { eval40: 0.3, eval200: 0.6, eval1000: 0.5 }), row(2, { bestLoss: Number.NaN }), row(3), row(4, { eval40: 0.4, eval200: Number.NaN, eval1000: 2 })];
    const p = rows.reduce(foldProgress, emptyProgress());
    expect(p).toMatchObject({
      generation: 4, evaluations: 32, wallSeconds: 0.4, lastLoss: 0.125, bestLoss: 0.1, lastEval40: 0.4, bestEval40: 0.3, lastEval1000: 2, verdict: 'diverges',
    });
    expect(rows.slice(0, 3).reduce(foldProgress, emptyProgress()).verdict).toBe('persists');
    expect(p.lastEval200).toBeNaN();
    // the same fold over the wire form (the window's live events)
    expect(rows.map(metricPoint).reduce(foldProgress, emptyProgress())).toEqual({ ...p, lastEval200: null });
  });

  it('merges a record on disk with a live session: the newer counts and last values, the lower bests', () => {
    const disk = { ...emptyProgress(), generation: 10, bestLoss: 0.05, bestEval40: 0.2, lastEval40: 0.2 };
    const live = foldProgress({ ...disk, bestLoss: 0.09, bestEval40: null }, row(12, { bestLoss: 0.07 }));
    expect(mergeProgress(disk, live)).toMatchObject({ generation: 12, bestLoss: 0.05, bestEval40: 0.2, lastEval40: 0.2, lastLoss: 0.5 / 12 });
  });

  it('starts at a checkpoint from its counts and bests, the last values from the rows up to it', () => {
    const rows = [row(1, { eval40: 0.3, eval200: 0.6 }), row(2), row(3, { eval40: 0.2, eval200: 0.5 }), row(4)];
    const ckpt = { generation: 3, evaluations: 24, wallSeconds: 7, scalars: { bestLoss: 0.001, bestEval40: null } };
    expect(progressAt(ckpt, rows)).toEqual({
      generation: 3, evaluations: 24, wallSeconds: 7, lastLoss: 0.5 / 3, bestLoss: 0.001, lastEval40: 0.2, bestEval40: null, lastEval200: 0.5,
      lastEval1000: null, verdict: null,
    });
    // a checkpoint from before a best was kept: from the rows
    expect(progressAt({ ...ckpt, scalars: {} }, rows).bestEval40).toBe(0.2);
    expect(progressAt(null, rows)).toEqual(emptyProgress());
  });

  it('reads run.json progress, a summary field of a metric added since as null, non-finite losses encoded', () => {
    const p = { ...emptyProgress(), generation: 5, lastLoss: Number.NaN };
    const json = JSON.parse(JSON.stringify(runProgressToJson(p)));
    expect(json.lastLoss).toBe('NaN');
    expect(parseRunProgress(json).lastLoss).toBeNaN();
    delete json.lastEval1000;
    delete json.verdict;
    expect(parseRunProgress(json)).toMatchObject({ lastEval1000: null, verdict: null });
    expect(() => parseRunProgress({ ...json, verdict: 'grows' })).toThrow(/progress.verdict: must be null or one of persists, overgrows, diverges/);
    expect(() => parseRunProgress({ ...json, wallSeconds: -1 })).toThrow(/progress.wallSeconds: must be a number ≥ 0/);
  });
});

describe('rows for the charts', () => {
  it('thins long curves and keeps every growth evaluation and the last row', () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(i + 1, (i + 1) % 7 === 0 ? { eval40: 0.1, eval200: 0.2 } : {}));
    const thin = thinRows(rows, 10);
    expect(thin.filter(isGrowthRow)).toHaveLength(14);
    expect(thin.at(-1)!.generation).toBe(100);
    expect(thin.length).toBeLessThan(30);
  });

  it('draws and exports every curve of the table: growth metrics as sparse dots, never smoothed', () => {
    const rows = [row(1, { eval40: 0.3, eval200: 0.6, eval1000: 0.4, gradNorm: 2 }), row(2, { gradNorm: 1 }), row(3, { eval40: 0.2, eval200: 0.5, eval1000: 0.3, gradNorm: 0.5 })].map(metricPoint);
    for (const y of CURVE_KEYS) {
      const spec = trainingCurveChart([{ label: 'a', colour: '#123456', rows }], { x: 'generation', y, smoothing: 0.6, scale: 'log' });
      expect(spec.yLabel).toBe(`${metricDef(y).label} (log scale)`);
      const sparse = y.startsWith('eval');
      expect(spec.series.map((s) => s.label)).toEqual(sparse ? ['a'] : ['a (raw)', 'a']);
      expect(spec.series.at(-1)!.y).toHaveLength(sparse ? 2 : 3);
      const csv = trainingCurveCsv([{ label: 'a', colour: '#123456', rows }], { x: 'generation', y, smoothing: 0.6 }).trim().split('\n');
      expect(csv[0]).toBe(`run,generation,${y},${y}_smoothed`);
    }
  });
});
