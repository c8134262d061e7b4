/**
 * A line chart as data (the lab's figures: log₁₀ loss vs update steps, spec g), independent of how it is drawn.
 * `chartjs.ts` turns it into a chart.js configuration (PNG in Node on @napi-rs/canvas, and the screen);
 * `svg.ts` writes it as SVG. Both take the axes from `chartAxes`, so every format shows the same ticks.
 */
import { DIVERGED_LOSS } from '../divergence';
import { countAxis, countLabel, formatNumber, linearAxis, logAxis, secondsAxis, secondsText, type Axis } from './ticks';

export interface LineSeries {
  label: string;
  /** CSS colour */
  color: string;
  /** y at x = x0, x0 + 1, …; null for a gap */
  y: (number | null)[];
  /** x of the first value (default 0) */
  x0?: number;
  /** the x of every value, when they are not x0, x0 + 1, … (training curves: generations, evaluations, seconds) */
  x?: number[];
  /** shaded band (min–max over repeats) */
  band?: { lo: (number | null)[]; hi: (number | null)[] };
  /** dash pattern in points, e.g. [4, 2]; solid when absent */
  dash?: number[];
  /** a dot at every value (a scatter of measurements); with `line: false`, only the dots */
  points?: boolean;
  /** draw the line through the values (default true) */
  line?: boolean;
  /** list it in the legend (default true; dots that belong to a line's series are not listed twice) */
  legend?: boolean;
  /**
   * the raw values behind a smoothed line of the same run (TensorBoard's faint curve): drawn thinner in `color`
   * (already the lighter shade), never in the legend nor in a tooltip
   */
  faint?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  yScale: 'log' | 'linear';
  /**
   * What x counts, for its ticks: whole counts (generations, evaluations: never a tick between two) or seconds of
   * wall time (ticks at round durations, labelled with their unit); plain numbers when absent.
   */
  xUnit?: 'count' | 'seconds';
  series: LineSeries[];
  /** x range; default 0 .. the longest series' last x */
  xMin?: number;
  xMax?: number;
  /** vertical lines across the plot: the damage index (dotted grey, labelled), the replay's step and damage times */
  markers?: ChartMarker[];
  /**
   * How a log axis labels its ticks: powers of ten ("10⁻³", default) under a title such as "loss (log scale)", or
   * bare exponents ("−3") under a title that already says log₁₀ (the thesis's "log₁₀(loss)"): never both.
   */
  yTicks?: 'power' | 'exponent';
  /**
   * Labelled x positions instead of numeric ticks: categories (`es`, `adam`) at 0, 1, … or a setting's values on
   * a log scale (x = log₁₀ value, labelled with the value). The axis spans them with half a step to spare.
   */
  xTicks?: { value: number; label: string }[];
}

export interface ChartMarker {
  x: number;
  /** written beside the line's top (none when absent) */
  label?: string;
  /** CSS colour (default grey) */
  color?: string;
  /** dash pattern in points (default dotted [2, 2]; [] for a solid line) */
  dash?: number[];
}

export const MARKER_STYLE = { color: '#777777', dash: [2, 2], width: 0.8, text: '#555555' } as const;

/** Physical size of a rendered figure: inches and dots per inch (matplotlib's 6.4 × 4.8 in by default). */
export interface FigureSize {
  widthIn: number;
  heightIn: number;
  dpi: number;
}

export const DEFAULT_FIGURE_SIZE: FigureSize = { widthIn: 6.4, heightIn: 4.8, dpi: 200 };

export const FIGURE_SIZE_LIMITS = { inches: { min: 1, max: 40 }, dpi: { min: 36, max: 1200 }, maxPixels: 80_000_000 } as const;

/** Refuses sizes that make no sense or no file, naming the field and the range. */
export function checkFigureSize(s: FigureSize): FigureSize {
  const { inches, dpi, maxPixels } = FIGURE_SIZE_LIMITS;
  for (const [k, v] of [['width', s.widthIn], ['height', s.heightIn]] as const) {
    if (!(v >= inches.min && v <= inches.max)) throw new RangeError(`figure ${k} must be ${inches.min}–${inches.max} inches, got ${v}`);
  }
  if (!(s.dpi >= dpi.min && s.dpi <= dpi.max)) throw new RangeError(`figure DPI must be ${dpi.min}–${dpi.max}, got ${s.dpi}`);
  if (pixelSize(s).width * pixelSize(s).height > maxPixels) throw new RangeError(`figure of ${s.widthIn}×${s.heightIn} in at ${s.dpi} DPI is over ${maxPixels / 1e6} Mpx`);
  return s;
}

/** Pixels of a figure: inches × DPI. */
export function pixelSize(s: FigureSize): { width: number; height: number } {
  return { width: Math.round(s.widthIn * s.dpi), height: Math.round(s.heightIn * s.dpi) };
}

export interface ChartAxes {
  x: Axis;
  y: Axis;
}

/** The axes of a chart: x linear over the steps, y log (or linear) around every value and band. */
export function chartAxes(spec: LineChartSpec): ChartAxes {
  if (spec.xTicks && spec.xTicks.length) return { x: labelledAxis(spec.xTicks), y: chartAxes({ ...spec, xTicks: undefined }).y };
  let lastX = 1;
  let firstX = 0;
  for (const s of spec.series) {
    const [lo, hi] = s.x ? extent(s.x) : [s.x0 ?? 0, (s.x0 ?? 0) + s.y.length - 1];
    firstX = Math.min(firstX, lo);
    lastX = Math.max(lastX, hi);
  }
  const xAxis = spec.xUnit === 'count' ? countAxis : spec.xUnit === 'seconds' ? secondsAxis : linearAxis;
  let x = xAxis(spec.xMin ?? firstX, spec.xMax ?? lastX);
  if (spec.xMax === undefined) {
    // 400 indices end at 399: show the axis to the round 400 (as the thesis's plots do) when it is that close
    const ticks = x.ticks;
    const step = ticks.length > 1 ? ticks[1].value - ticks[0].value : 1;
    const next = ticks[ticks.length - 1].value + step;
    if (next > lastX && next - lastX <= 0.02 * (lastX - x.min)) x = xAxis(x.min, next);
  }
  // every value and band, walked without copying (a long run's curve is more than a spread can take)
  const values = function* (): Generator<number | null> {
    for (const s of spec.series) {
      yield* s.y;
      if (s.band) {
        yield* s.band.lo;
        yield* s.band.hi;
      }
    }
  };
  if (spec.yScale === 'log') return { x, y: logAxis(mapIterable(values(), (v) => plottable(v, true)), 0.05, spec.yTicks ?? 'power') };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values()) {
    if (v === null || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  const pad = (hi - lo || 1) * 0.05;
  return { x, y: linearAxis(lo - pad, hi + pad) };
}

/** The smallest and the largest of the values (x values are never gaps), in one pass. */
function extent(xs: readonly number[]): [number, number] {
  if (xs.length === 0) return [0, 0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of xs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function* mapIterable<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}

/** An x value in words, as its axis counts it (a tooltip's title): "generation 120", "wall time 1.6 min". */
export function xValueText(spec: LineChartSpec, x: number): string {
  const labelled = spec.xTicks?.find((t) => t.value === x);
  const value = labelled ? labelled.label
    : spec.xUnit === 'seconds' ? secondsText(x) : spec.xUnit === 'count' ? countLabel(Math.round(x)) : formatNumber(x);
  return `${spec.xLabel} ${value}`;
}

/** An x axis of labelled positions, half the smallest gap (or 0.5) beyond the first and the last. */
function labelledAxis(ticks: { value: number; label: string }[]): Axis {
  const values = [...new Set(ticks.map((t) => t.value))].sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < values.length; i++) gap = Math.min(gap, values[i] - values[i - 1]);
  const pad = Number.isFinite(gap) ? gap / 2 : 0.5;
  return { min: values[0] - pad, max: values[values.length - 1] + pad, ticks: ticks.map((t) => ({ value: t.value, label: t.label, major: true })), log: false };
}

/**
 * Values a log axis can show (positive and finite); everything else becomes a gap. A log chart of losses also drops
 * diverged ones (core/divergence.ts), so the axis stays on the curves that mean something.
 */
export function plottable(v: number | null, log: boolean): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  if (log && v >= DIVERGED_LOSS) return null;
  return log && v <= 0 ? null : v;
}

/**
 * Keeps at most `max` points per series for drawing (min/max per bucket, so spikes such as the damage jump
 * survive). Curves of the thesis's length (≤ 2001 points) are kept whole.
 */
export function decimate(y: (number | null)[], x0: number, max = 4000, xs?: number[]): { x: number; y: number | null }[] {
  if (xs) {
    // explicit x (training curves): kept whole up to `max`, else every k-th point (the curves are smooth)
    const every = Math.max(1, Math.ceil(y.length / max));
    const out: { x: number; y: number | null }[] = [];
    for (let i = 0; i < y.length; i += every) out.push({ x: xs[i], y: y[i] });
    if (y.length > 0 && (y.length - 1) % every !== 0) out.push({ x: xs[y.length - 1], y: y[y.length - 1] });
    return out;
  }
  if (y.length <= max) return y.map((v, i) => ({ x: x0 + i, y: v }));
  const out: { x: number; y: number | null }[] = [];
  const bucket = Math.ceil(y.length / (max / 2));
  for (let s = 0; s < y.length; s += bucket) {
    let lo = -1;
    let hi = -1;
    for (let i = s; i < Math.min(y.length, s + bucket); i++) {
      const v = y[i];
      if (v === null) continue;
      if (lo < 0 || v < y[lo]!) lo = i;
      if (hi < 0 || v > y[hi]!) hi = i;
    }
    if (lo < 0) {
      out.push({ x: x0 + s, y: null });
      continue;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) if (out.length === 0 || out[out.length - 1].x !== x0 + i) out.push({ x: x0 + i, y: y[i] });
  }
  return out;
}
