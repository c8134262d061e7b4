// @vitest-environment happy-dom
/**
 * Training curves that read and export like TensorBoard's: the tooltip's point per run at the
 * hovered x, the curves as a figure spec and as CSV, hyperparameter columns chosen and kept; and the log axis' title
 * and ticks agreeing.
 */
import { describe, expect, it } from 'vitest';
import { chartAxes } from '../../../../src/core/figures/line-chart';
import { lineChartSvg } from '../../../../src/core/figures/svg';
import { nearestPerDataset } from '../../../../src/renderer/lib/charts/chart';
import { HYPER_COLUMNS_KEY, hyperValue, loadHyperColumns, saveHyperColumns } from '../../../../src/renderer/lib/runs/hyper-columns';
import type { MetricPoint } from '../../../../src/shared/lab-api';
import { configFromPreset } from '../../../../src/shared/training-config';
import { trainingCurveChart, trainingCurveCsv } from '../../../../src/shared/training-charts';

const rows = (n: number, dt: number): MetricPoint[] => Array.from({ length: n }, (_, i) => ({
  generation: i + 1, evaluations: (i + 1) * 6, wallSeconds: (i + 1) * dt, loss: 0.1 / (i + 1), bestLoss: 0.1 / (i + 1), lr: 0.01,
}));

describe('the tooltip lists every run at the hovered x', () => {
  it('takes each curve\'s point nearest the x, skipping gaps and hidden curves', () => {
    const a = { data: [{ x: 0, y: 1 }, { x: 10, y: 2 }, { x: 20, y: 3 }] };
    const b = { data: [{ x: 0, y: 1 }, { x: 7, y: null }, { x: 14, y: 5 }, { x: 30, y: 6 }] };
    const c = { data: [{ x: 12, y: 1 }] };
    expect(nearestPerDataset([a, b, c], 12, () => true)).toEqual([{ datasetIndex: 0, index: 1 }, { datasetIndex: 1, index: 2 }, { datasetIndex: 2, index: 0 }]);
    expect(nearestPerDataset([a, b, c], 8, (i) => i !== 2)).toEqual([{ datasetIndex: 0, index: 1 }, { datasetIndex: 1, index: 2 }]);
  });
});

describe('training curves as a figure and as CSV', () => {
  const curves = [{ label: 'es run', colour: '#2f6fde', rows: rows(5, 2) }, { label: 'adam, fast', colour: '#d55e00', rows: rows(3, 1) }];

  it('draws the smoothed curve over the raw one, at the rows\' own x, titled as a log axis with powers of ten', () => {
    const spec = trainingCurveChart(curves, { x: 'wallSeconds', y: 'loss', smoothing: 0.5, scale: 'log' });
    expect(spec.series.map((s) => s.label)).toEqual(['es run (raw)', 'es run', 'adam, fast (raw)', 'adam, fast']);
    expect(spec.series[0].x).toEqual([2, 4, 6, 8, 10]);
    expect(spec.series[0].y[4]).toBeCloseTo(0.02, 12);
    expect(spec.series[1].y[0]).toBeCloseTo(0.1, 12); // debiased: the first smoothed point is the first raw one
    expect(spec.yLabel).toBe('training loss (log scale)');
    expect(spec.xLabel).toBe('wall time');
    expect(spec.xUnit).toBe('seconds');
    const axes = chartAxes(spec);
    expect(axes.x.max).toBe(10);
    expect(axes.y.ticks.filter((t) => t.label).every((t) => /10|×/.test(t.label))).toBe(true);
    const svg = lineChartSvg(spec);
    expect(svg).toContain('>training loss (log scale)</text>');
    expect(svg).not.toContain('log₁₀');
  });

  it('writes a linear axis titled without "log"', () => {
    const spec = trainingCurveChart(curves, { x: 'generation', y: 'loss', smoothing: 0, scale: 'linear' });
    expect([spec.yScale, spec.yLabel, spec.series.length]).toEqual(['linear', 'training loss', 2]);
  });

  it('writes one CSV row per point with the raw and the smoothed value', () => {
    const csv = trainingCurveCsv(curves, { x: 'generation', y: 'loss', smoothing: 0.5 }).trimEnd().split('\n');
    expect(csv[0]).toBe('run,generation,loss,loss_smoothed');
    expect(csv).toHaveLength(1 + 5 + 3);
    expect(csv[1]).toBe('es run,1,0.1,0.1');
    expect(csv[6]).toMatch(/^"adam, fast",1,0\.1,0\.1$/);
    const [, , raw, sm] = csv[2].split(',');
    expect(Number(raw)).toBeCloseTo(0.05, 12);
    expect(Number(sm)).toBeGreaterThan(0.05);
  });
});

describe('hyperparameter columns of the Runs table', () => {
  it('shows a run\'s config values, – for the other optimizer\'s fields, and keeps the choice', () => {
    const es = configFromPreset('thesis-es');
    expect(hyperValue(es, 'es.population')).toBe('6');
    expect(hyperValue(es, 'adam.lr')).toBe('–');
    const adam = configFromPreset('thesis-adam');
    expect(hyperValue(adam, 'adam.lr')).toBe(adam.optimizer === 'adam' ? String(adam.adam.lr) : 'not adam');
    saveHyperColumns(['es.population', 'nonsense', 'seed']);
    expect(localStorage.getItem(HYPER_COLUMNS_KEY)).toBe('["es.population","seed"]');
    expect(loadHyperColumns()).toEqual(['es.population', 'seed']);
    localStorage.setItem(HYPER_COLUMNS_KEY, '{broken');
    expect(loadHyperColumns()).toEqual([]);
  });
});
