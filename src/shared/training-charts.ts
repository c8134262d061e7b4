/**
 * Training curves as data: the points of a run's metric against generations, evaluations or wall
 * time, TensorBoard's smoothing, and the same curves as a LineChartSpec (core/figures), so a run page's or the
 * Overlay's chart exports as PNG at a size and DPI and as SVG through the very code Compare's figures and the Node
 * figure writer use, and as CSV with the raw and the smoothed values side by side.
 */
import { divergedAt, saneLoss } from '../core/divergence';
import type { LineChartSpec, LineSeries } from '../core/figures/line-chart';
import { commonGrid, seedBand, type XYCurve } from '../core/stats/seed-bands';
import { AXIS_KEYS, CURVE_KEYS, isSparse, metricDef, type AxisKey, type CurveKey, type MetricPoint } from './metrics';

/** The x axes (the loop's counts) and the curves (the metrics with a `curve` label), from the metric table. */
export type XKey = AxisKey;
export type YKey = CurveKey;

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
    const v = r[y] as number | null | undefined;
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

export const X_TITLES = Object.fromEntries(AXIS_KEYS.map((k) => [k, metricDef(k).label])) as Record<XKey, string>;
export const Y_TITLES = Object.fromEntries(CURVE_KEYS.map((k) => [k, metricDef(k).label])) as Record<YKey, string>;

/** The x axes and curves a chart's pickers offer: their names and what they measure. */
export const X_AXES: { key: XKey; label: string }[] = AXIS_KEYS.map((key) => ({ key, label: metricDef(key).axis! }));
export const Y_SERIES: { key: YKey; label: string; help: string }[] = CURVE_KEYS.map((key) => ({ key, label: metricDef(key).curve!, help: metricDef(key).help }));

/**
 * The curves' colours, in order: a run's on its page, the Overlay's runs, a sweep's configurations, the Playground's
 * models (colour-blind aware, Okabe–Ito-like, readable on white).
 */
export const CURVE_COLOURS = ['#2f6fde', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6b4fbb', '#8c8c00', '#000000', '#b2182b'];

export interface CurveInput {
  label: string;
  colour: string;
  rows: readonly MetricPoint[];
  /** the optimizer's dash pattern (shared/optimizers.ts `mark`); solid when absent */
  dash?: number[];
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

/**
 * The axes of every training-curve chart (a run's, the Overlay's, a sweep's grouped curves): the titles from the
 * metric table, x ticks on whole counts or round durations (the metric's kind), y log or linear.
 */
export function curveAxes(x: XKey, y: YKey, scale: 'log' | 'linear'): Pick<LineChartSpec, 'xLabel' | 'xUnit' | 'yLabel' | 'yScale'> {
  return { xLabel: X_TITLES[x], xUnit: metricDef(x).kind === 'seconds' ? 'seconds' : 'count', yLabel: curveYTitle(y, scale), yScale: scale };
}

/** Sparse curves (growth evaluations) get a dot per value while there are few enough to tell apart. */
const MAX_DOTS = 200;

function lighter(hex: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.65).toString(16).padStart(2, '0');
  return `#${mix((n >> 16) & 255)}${mix((n >> 8) & 255)}${mix(n & 255)}`;
}

/**
 * One curve's points as every view of it shows them: the raw points, and the drawn ones, smoothed when the chart
 * smooths (a sparse curve, growth evaluations, never is). The chart, its CSV and the seed bands all take them here.
 */
export function curvePoints(rows: readonly MetricPoint[], opts: Pick<CurveChartOptions, 'x' | 'y' | 'smoothing'>): { raw: XY[]; shown: XY[]; smoothed: boolean } {
  const raw = pointsOf(rows, opts.x, opts.y);
  const smoothed = opts.smoothing > 0 && !isSparse(opts.y);
  return { raw, shown: smoothed ? smooth(raw, opts.smoothing) : raw, smoothed };
}

/**
 * The curves as a chart, the one the run page and the Overlay draw and export (PNG, SVG): with smoothing, the
 * smoothed line over the raw one, faint behind it (TensorBoard's); a sparse curve (growth evaluations) is never
 * smoothed, and gets a dot per value.
 */
export function trainingCurveChart(curves: readonly CurveInput[], opts: CurveChartOptions): LineChartSpec {
  const series: LineSeries[] = [];
  const sparse = isSparse(opts.y);
  for (const c of curves) {
    const { raw, shown, smoothed } = curvePoints(c.rows, opts);
    if (smoothed) series.push({ label: `${c.label} (raw)`, color: lighter(c.colour), x: raw.map((p) => p.x), y: raw.map((p) => p.y), faint: true });
    series.push({
      label: c.label, color: c.colour, x: shown.map((p) => p.x), y: shown.map((p) => p.y),
      ...(c.dash ? { dash: c.dash } : {}), ...(sparse && raw.length < MAX_DOTS ? { points: true } : {}),
    });
  }
  return { title: opts.title ?? '', ...curveAxes(opts.x, opts.y, opts.scale), series };
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per point: run, x, the raw value and the smoothed one (empty for a gap). */
export function trainingCurveCsv(curves: readonly CurveInput[], opts: Omit<CurveChartOptions, 'scale' | 'title'>): string {
  const lines = [`run,${opts.x},${opts.y},${opts.y}_smoothed`];
  for (const c of curves) {
    const { raw, shown: sm } = curvePoints(c.rows, opts);
    // 12 significant digits: the values' own precision, without float noise in the smoothed column
    const num = (v: number | null) => (v === null ? '' : String(Number(v.toPrecision(12))));
    raw.forEach((p, i) => lines.push(`${csvField(c.label)},${p.x},${num(p.y)},${num(sm[i].y)}`));
  }
  return lines.join('\n') + '\n';
}

/** Runs that differ only in their seed (shared/seed-groups.ts), drawn as one curve: each member's rows. */
export interface CurveGroupInput {
  label: string;
  colour: string;
  dash?: number[];
  members: readonly (readonly MetricPoint[])[];
}

/** Each member's curve as the chart draws it (smoothed when the chart smooths), ready for a band. */
function memberCurves(g: CurveGroupInput, opts: Omit<CurveChartOptions, 'scale' | 'title'>): XYCurve[] {
  return g.members.map((rows) => {
    const { shown } = curvePoints(rows, opts);
    return { x: shown.map((p) => p.x), y: shown.map((p) => p.y) };
  }).filter((c) => c.x.length > 0);
}

/**
 * A group's line: the mean over its members on a common x grid, the min–max band shaded when it has several
 * (core/stats/seed-bands.ts; the sweeps' grouped curves are drawn by it too). Null when no member has points.
 */
export function seedBandSeries(label: string, colour: string, curves: readonly XYCurve[], dash?: number[]): LineSeries | null {
  if (curves.length === 0) return null;
  const band = seedBand(curves, commonGrid(curves, 400));
  const s: LineSeries = { label: `${label} (${curves.length} seed${curves.length === 1 ? '' : 's'})`, color: colour, x: band.x, y: band.mean };
  if (curves.length > 1) s.band = { lo: band.min, hi: band.max };
  if (dash) s.dash = dash;
  return s;
}

/** Grouped curves as a figure: per group the mean over its seeds with the min–max band. */
export function groupedCurveChart(groups: readonly CurveGroupInput[], opts: CurveChartOptions): LineChartSpec {
  const series: LineSeries[] = [];
  for (const g of groups) {
    const s = seedBandSeries(g.label, g.colour, memberCurves(g, opts), g.dash);
    // a run alone in its group is drawn as itself, under its own name
    if (s && g.members.length === 1) s.label = g.label;
    if (s) series.push(s);
  }
  return { title: opts.title ?? '', ...curveAxes(opts.x, opts.y, opts.scale), series };
}

/** One row per group and grid point: the group, x, the mean, min and max over its seeds and how many had a value. */
export function groupedCurveCsv(groups: readonly CurveGroupInput[], opts: Omit<CurveChartOptions, 'scale' | 'title'>): string {
  const lines = [`group,seeds,${opts.x},${opts.y}_mean,${opts.y}_min,${opts.y}_max,count`];
  const num = (v: number | null) => (v === null ? '' : String(Number(v.toPrecision(12))));
  for (const g of groups) {
    const curves = memberCurves(g, opts);
    if (curves.length === 0) continue;
    const band = seedBand(curves, commonGrid(curves, 400));
    band.x.forEach((x, i) => lines.push(`${csvField(g.label)},${curves.length},${x},${num(band.mean[i])},${num(band.min[i])},${num(band.max[i])},${band.count[i]}`));
  }
  return lines.join('\n') + '\n';
}

/**
 * A model without a training curve (a gallery or imported model) as a level across the chart: two rows at the
 * ends of the runs' range on every x axis (0 … 1 without runs) holding its growth losses, no training loss.
 */
export function levelRows(levels: { eval40: number | null; eval200: number | null; eval1000: number | null }, runs: readonly (readonly MetricPoint[])[]): MetricPoint[] {
  const ends = (key: XKey): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const rows of runs) for (const r of rows) { lo = Math.min(lo, r[key]); hi = Math.max(hi, r[key]); }
    return Number.isFinite(lo) ? [lo, hi] : [0, 1];
  };
  const [g, e, w] = [ends('generation'), ends('evaluations'), ends('wallSeconds')];
  return [0, 1].map((i) => ({
    generation: g[i], evaluations: e[i], wallSeconds: w[i], loss: null, bestLoss: null, lr: null,
    eval40: levels.eval40, eval200: levels.eval200, eval1000: levels.eval1000,
  }));
}
