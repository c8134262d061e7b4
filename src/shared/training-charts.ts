/**
 * Training curves as data (issue 14, point 3): the points of a run's metric against generations, evaluations or wall
 * time, TensorBoard's smoothing, and the same curves as a LineChartSpec (core/figures), so a run page's or the
 * Overlay's chart exports as PNG at a size and DPI and as SVG through the very code Compare's figures and the Node
 * figure writer use, and as CSV with the raw and the smoothed values side by side.
 */
import { divergedAt, saneLoss } from '../core/divergence';
import type { LineChartSpec, LineSeries } from '../core/figures/line-chart';
import type { MetricPoint } from './lab-api';

export type XKey = 'generation' | 'evaluations' | 'wallSeconds';
export type YKey = 'loss' | 'bestLoss' | 'eval40' | 'eval200' | 'eval1000';

/** The growth losses: measured at evaluations only, so drawn unsmoothed. */
export function isGrowthLoss(y: YKey): boolean {
  return y === 'eval40' || y === 'eval200' || y === 'eval1000';
}

export interface XY {
  x: number;
  y: number | null;
}

/**
 * The points of one metric against one axis; rows without the metric are left out (sparse growth evaluations), and
 * diverged losses (core/divergence.ts) are gaps, so the axis stays sane.
 */
export function pointsOf(rows: readonly MetricPoint[], x: XKey, y: YKey): XY[] {
  const out: XY[] = [];
  for (const r of rows) {
    const v = r[y];
    if (v === undefined) continue;
    out.push({ x: r[x], y: v === null || !(v > 0) ? null : saneLoss(v) });
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

/** Where a run's training loss diverged (overflowed or NaN), as the row's generation / iteration, or null. */
export function runDivergence(rows: readonly MetricPoint[]): number | null {
  const at = divergedAt(rows.map((r) => r.loss));
  return at === null ? null : rows[at].generation;
}

export const X_TITLES: Record<XKey, string> = {
  generation: 'generation / iteration',
  evaluations: 'evaluations (rollouts)',
  wallSeconds: 'wall time (s)',
};

export const Y_TITLES: Record<YKey, string> = {
  loss: 'training loss',
  bestLoss: 'best training loss',
  eval40: '40-step growth loss',
  eval200: '200-step growth loss',
  eval1000: '1000-step growth loss',
};

export interface CurveInput {
  label: string;
  colour: string;
  rows: readonly MetricPoint[];
}

export interface CurveChartOptions {
  x: XKey;
  y: YKey;
  /** 0 … 0.99, as on screen */
  smoothing: number;
  scale: 'log' | 'linear';
  title?: string;
}

/** The y axis' title: "loss (log scale)" on a log axis (the ticks are powers of ten), "loss" on a linear one. */
export function curveYTitle(y: YKey, scale: 'log' | 'linear'): string {
  return scale === 'log' ? `${Y_TITLES[y]} (log scale)` : Y_TITLES[y];
}

function lighter(hex: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.65).toString(16).padStart(2, '0');
  return `#${mix((n >> 16) & 255)}${mix((n >> 8) & 255)}${mix(n & 255)}`;
}

/** The curves as a figure: with smoothing, the smoothed line and the raw one lighter behind it (as on screen). */
export function trainingCurveChart(curves: readonly CurveInput[], opts: CurveChartOptions): LineChartSpec {
  const series: LineSeries[] = [];
  const sparse = isGrowthLoss(opts.y);
  for (const c of curves) {
    const raw = pointsOf(c.rows, opts.x, opts.y);
    const smoothOn = opts.smoothing > 0 && !sparse;
    if (smoothOn) series.push({ label: `${c.label} (raw)`, color: lighter(c.colour), x: raw.map((p) => p.x), y: raw.map((p) => p.y) });
    const shown = smoothOn ? smooth(raw, opts.smoothing) : raw;
    series.push({ label: c.label, color: c.colour, x: shown.map((p) => p.x), y: shown.map((p) => p.y) });
  }
  return {
    title: opts.title ?? '',
    xLabel: X_TITLES[opts.x],
    yLabel: curveYTitle(opts.y, opts.scale),
    yScale: opts.scale,
    series,
  };
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per point: run, x, the raw value and the smoothed one (empty for a gap). */
export function trainingCurveCsv(curves: readonly CurveInput[], opts: Omit<CurveChartOptions, 'scale' | 'title'>): string {
  const lines = [`run,${opts.x},${opts.y},${opts.y}_smoothed`];
  const sparse = isGrowthLoss(opts.y);
  for (const c of curves) {
    const raw = pointsOf(c.rows, opts.x, opts.y);
    const sm = opts.smoothing > 0 && !sparse ? smooth(raw, opts.smoothing) : raw;
    // 12 significant digits: the values' own precision, without float noise in the smoothed column
    const num = (v: number | null) => (v === null ? '' : String(Number(v.toPrecision(12))));
    raw.forEach((p, i) => lines.push(`${csvField(c.label)},${p.x},${num(p.y)},${num(sm[i].y)}`));
  }
  return lines.join('\n') + '\n';
}
