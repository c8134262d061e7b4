/**
 * Axis ranges and ticks for the lab's line charts, computed once and used by both renderers (chart.js for PNG
 * and the screen, the SVG writer for vector figures) so a figure's axes are the same in every format.
 * The log axis follows matplotlib's conventions (the thesis's plots, spec g): major ticks at powers of ten,
 * minor ticks at 2..9 × 10ⁿ, and minor ticks labelled too when the data spans less than a decade.
 */

export interface AxisTick {
  value: number;
  /** empty for an unlabelled (minor) tick */
  label: string;
  major: boolean;
}

export interface Axis {
  min: number;
  max: number;
  ticks: AxisTick[];
  log: boolean;
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
};

/** 10⁻³ */
export function powerOfTen(exponent: number): string {
  return `10${String(exponent).split('').map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/** An exponent as a tick label under a "log₁₀ …" title: −3, −2.7 (a real minus sign). */
export function exponentLabel(e: number): string {
  const text = Number.isInteger(e) ? String(e) : e.toFixed(1);
  return text.replace('-', '−');
}

/** A plain number label without floating-point noise: 0.1 + 0.2 → "0.3", 1000 → "1000". */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(1).replace('e', '×10^');
  return String(Number(v.toPrecision(6)));
}

/** Linear ticks at 1, 2, 2.5 or 5 × 10ⁿ, at most `maxTicks`, covering [min, max] (which are kept). */
export function linearAxis(min: number, max: number, maxTicks = 9): Axis {
  if (!(max > min)) max = min + 1;
  const span = max - min;
  const raw = span / Math.max(1, maxTicks - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= maxTicks - 1) ?? 10 * mag;
  return { min, max, ticks: stepTicks(min, max, step, formatNumber), log: false };
}

/** "12.5k", "250k", "1.5M": a count on a tick, short enough for the axis; below 10 000 the number itself. */
export function countLabel(v: number): string {
  const abs = Math.abs(v);
  if (abs < 10_000) return formatNumber(v);
  if (abs < 1e6) return `${Number((v / 1e3).toPrecision(abs < 1e5 ? 3 : 4))}k`;
  return `${Number((v / 1e6).toPrecision(3))}M`;
}

/**
 * Ticks on whole counts (generations, iterations, evaluations): the step is never below 1, so the first seconds of
 * a run (x from 0 to 2) do not get ticks at 0.25, 0.5, … that read as "0 0 1 1 1 2" once labelled as counts.
 */
export function countAxis(min: number, max: number, maxTicks = 9): Axis {
  const hi = Math.max(max, min + 1);
  const axis = linearAxis(min, hi, maxTicks);
  const step = axis.ticks.length > 1 ? axis.ticks[1].value - axis.ticks[0].value : 1;
  if (step >= 1 && Number.isInteger(step)) return { ...axis, ticks: axis.ticks.map((t) => ({ ...t, label: countLabel(t.value) })) };
  // a step of 0.5, 2.5, …: the next whole step that fits (1, 2, 5 × 10ⁿ, as linearAxis picks them)
  const whole = [1, 2, 5, 10, 20, 50, 100].find((s) => s >= step && (hi - min) / s <= maxTicks - 1) ?? Math.ceil(step);
  return { min, max: hi, ticks: stepTicks(min, hi, whole, countLabel), log: false };
}

/** A time unit of a wall-time axis: its size in seconds and its label. */
const TIME_UNITS = [
  { seconds: 1, label: 's', steps: [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30] },
  { seconds: 60, label: 'min', steps: [0.5, 1, 2, 5, 10, 15, 20, 30] },
  { seconds: 3600, label: 'h', steps: [0.5, 1, 2, 3, 6, 12, 24, 48, 72, 120, 240, 480, 1200, 2400] },
] as const;

/**
 * Ticks on wall time at round durations: every 10 s, 30 s, 1 min, 5 min, 1 h … (never at 100 s shown as "1.7 min").
 * The unit is the axis' extent's: seconds under 2 minutes, minutes under 2 hours, hours beyond; every label carries
 * it ("30 s", "1.5 min", "6 h").
 */
export function secondsAxis(min: number, max: number, maxTicks = 9): Axis {
  if (!(max > min)) max = min + 1;
  const unit = timeUnit(Math.max(Math.abs(min), Math.abs(max)));
  const span = (max - min) / unit.seconds;
  const inUnit = unit.steps.find((s) => span / s <= maxTicks - 1) ?? unit.steps[unit.steps.length - 1];
  return { min, max, ticks: stepTicks(min, max, inUnit * unit.seconds, (v) => secondsLabel(v, unit)), log: false };
}

function timeUnit(extent: number): (typeof TIME_UNITS)[number] {
  return extent < 120 ? TIME_UNITS[0] : extent < 7200 ? TIME_UNITS[1] : TIME_UNITS[2];
}

/** A duration in the axis' unit: "0", "45 s", "1.5 min", "12 h". */
function secondsLabel(v: number, unit: { seconds: number; label: string }): string {
  if (v === 0) return '0';
  return `${formatNumber(Number((v / unit.seconds).toPrecision(6)))} ${unit.label}`;
}

/** A wall time in words for a tooltip, in the unit its size calls for: "7.5 s", "95 s", "1.6 min", "2.3 h". */
export function secondsText(v: number): string {
  const unit = timeUnit(Math.abs(v));
  const n = v / unit.seconds;
  return `${formatNumber(Number(n.toFixed(Math.abs(n) < 10 || unit.seconds > 1 ? 1 : 0)))} ${unit.label}`;
}

/** Ticks at every multiple of `step` in [min, max], labelled by `label`. */
function stepTicks(min: number, max: number, step: number, label: (v: number) => string): AxisTick[] {
  const ticks: AxisTick[] = [];
  const first = Math.ceil(min / step - 1e-9) * step;
  for (let v = first; v <= max + step * 1e-9; v += step) {
    const value = Number(v.toPrecision(12));
    ticks.push({ value, label: label(value), major: true });
  }
  return ticks;
}

/**
 * A log axis around the finite positive values: the data range widened by `margin` of its log span on each
 * side (matplotlib's 5 %), at least a factor of 2 tall.
 */
export function logAxis(values: Iterable<number | null>, margin = 0.05, style: 'power' | 'exponent' = 'power'): Axis {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !(v > 0) || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) {
    lo = 1e-3;
    hi = 1;
  }
  let a = Math.log10(lo);
  let b = Math.log10(hi);
  if (b - a < Math.log10(2)) {
    const mid = (a + b) / 2;
    a = mid - Math.log10(2) / 2;
    b = mid + Math.log10(2) / 2;
  }
  const pad = (b - a) * margin;
  a -= pad;
  b += pad;
  const min = 10 ** a;
  const max = 10 ** b;
  const ticks: AxisTick[] = [];
  const majors: number[] = [];
  // over many decades minor ticks are clutter, and every decade's label would collide: thin them out
  const decades = b - a;
  const minors = decades <= 6;
  // at most ≈ 10 labelled decades (a diverged model's loss can span 80): every 1, 2, 5, 10, 20 … decades
  const labelEvery = [1, 2, 5, 10, 20, 50, 100].find((k) => decades / k <= 10) ?? 200;
  for (let e = Math.floor(a); e <= Math.ceil(b); e++) {
    for (let m = 1; m <= (minors ? 9 : 1); m++) {
      const value = m * 10 ** e;
      if (value < min * (1 - 1e-12) || value > max * (1 + 1e-12)) continue;
      const labelled = e % labelEvery === 0;
      // beyond ≈ 20 decades, a grid line per decade is a grey wash: keep the labelled ones only
      if (m === 1 && !labelled && decades > 20) continue;
      if (m === 1) majors.push(e);
      ticks.push({ value, label: m === 1 && labelled ? (style === 'exponent' ? exponentLabel(e) : powerOfTen(e)) : '', major: m === 1 });
    }
  }
  // less than two labelled decades in view: label the minor ticks as m×10ⁿ (matplotlib does the same)
  if (majors.length < 2) {
    const minor = ticks.filter((t) => !t.major);
    const every = minor.length > 6 ? 2 : 1;
    minor.forEach((t, i) => {
      if (i % every !== 0) return;
      const e = Math.floor(Math.log10(t.value) + 1e-12);
      const m = Math.round(t.value / 10 ** e);
      // under a log₁₀ title the label is the value's log₁₀ ("−2.7"), as matplotlib's would be of log10(loss)
      t.label = style === 'exponent' ? exponentLabel(Math.log10(t.value)) : `${m}×${powerOfTen(e)}`;
    });
  }
  return { min, max, ticks, log: true };
}

/** Where a value sits on an axis, 0 at min and 1 at max. */
export function axisFraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}
