/**
 * chart.js for the loss curves, loaded on first use (the Runs view paints without it) and registered with only
 * the parts the lab draws: lines on linear or logarithmic axes, tooltips, legend, decimation.
 */
import type { Chart as ChartType } from 'chart.js';
import type { MetricPoint } from '@shared/lab-api';

let loading: Promise<typeof ChartType> | null = null;

export function loadChartJs(): Promise<typeof ChartType> {
  loading ??= import('chart.js').then((m) => {
    m.Chart.register(m.LineController, m.LineElement, m.PointElement, m.LinearScale, m.LogarithmicScale, m.Tooltip, m.Legend, m.Decimation);
    return m.Chart;
  });
  return loading;
}

export type XKey = 'generation' | 'evaluations' | 'wallSeconds';
export type YKey = 'loss' | 'bestLoss' | 'eval40' | 'eval200';

export const X_AXES: { key: XKey; label: string }[] = [
  { key: 'generation', label: 'Generation / iteration' },
  { key: 'evaluations', label: 'Evaluations' },
  { key: 'wallSeconds', label: 'Wall time' },
];

export const Y_SERIES: { key: YKey; label: string; help: string }[] = [
  { key: 'loss', label: 'Training loss', help: 'ES: mean loss of the population; Adam: batch loss' },
  { key: 'eval40', label: 'Growth loss (40 steps)', help: 'loss after 40 steps from the seed, every "evaluate every" (the same test for ES and Adam)' },
];

export interface XY {
  x: number;
  y: number | null;
}

/** The points of one metric against one axis; rows without the metric are left out (sparse growth evaluations). */
export function pointsOf(rows: readonly MetricPoint[], x: XKey, y: YKey): XY[] {
  const out: XY[] = [];
  for (const r of rows) {
    const v = r[y];
    if (v === undefined) continue;
    out.push({ x: r[x], y: v === null || !(v > 0) ? null : v });
  }
  return out;
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled towards 0), computed
 * in log space, since the curves are drawn on a log axis. Gaps (null) are carried over, not averaged.
 */
export function smooth(points: readonly XY[], weight: number): XY[] {
  if (weight <= 0) return points.slice();
  let acc = 0;
  let n = 0;
  return points.map((p) => {
    if (p.y === null) return p;
    acc = acc * weight + (1 - weight) * Math.log(p.y);
    n++;
    return { x: p.x, y: Math.exp(acc / (1 - weight ** n)) };
  });
}

/** Run colours for overlays: distinct, readable on white, colour-blind aware (Okabe–Ito-like). */
export const RUN_COLOURS = ['#2f6fde', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6b4fbb', '#8c8c00'];

export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function formatAxisSeconds(value: number): string {
  if (value < 10 && !Number.isInteger(value)) return `${value.toFixed(1)} s`;
  if (value < 60) return `${Math.round(value)} s`;
  if (value < 3600) return `${(value / 60).toFixed(value < 600 ? 1 : 0)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}
