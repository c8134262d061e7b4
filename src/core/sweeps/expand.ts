/**
 * A sweep's settings as points: the axes (a list of values, or a numeric range drawn linearly or on a log scale)
 * expanded into a grid (every combination, the first axis outermost) or a random sample (each point draws every
 * axis independently from a Philox stream keyed by the sweep's sample seed, so the same request always gives the
 * same points). Pure: which config field an axis names, and whether its values fit, is the caller's business
 * (shared/sweep.ts).
 */
import { Philox } from '../rng/philox';
import { settingsKey } from '../stats/groups';

export type SweepValue = number | string | boolean;

export type SweepAxis =
  | { path: string; kind: 'list'; values: SweepValue[] }
  | {
    path: string;
    kind: 'range';
    min: number;
    max: number;
    scale: 'linear' | 'log';
    /** grid points from min to max, both included (a random sample ignores it) */
    points: number;
    /** round every value to an integer (an integer field) */
    integer: boolean;
  };

/** One point: a value for every axis, by the axis' path, in the axes' order. */
export type SweepPoint = Record<string, SweepValue>;

/** Points a range gives in a grid when the request does not say. */
export const DEFAULT_RANGE_POINTS = 3;

/** Stream id of the sample (the sweep's own stream: no run draws from it). */
const SAMPLE_STREAM = 0x5357_4550; // "SWEP"

function roundIf(v: number, integer: boolean): number {
  // 12 significant digits: 0.01·(0.04/0.01)^0.5 is 0.02, not 0.019999999999999997
  return integer ? Math.round(v) : Number(v.toPrecision(12));
}

/** A range's grid values: `points` evenly spaced (geometrically on a log scale), duplicates after rounding removed. */
export function rangeValues(axis: Extract<SweepAxis, { kind: 'range' }>): number[] {
  const { min, max, points, scale, integer } = axis;
  if (points === 1 || min === max) return [roundIf(min, integer)];
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const t = i / (points - 1);
    const v = scale === 'log' ? min * (max / min) ** t : min + (max - min) * t;
    const r = roundIf(i === points - 1 ? max : v, integer);
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** The values an axis takes in a grid. */
export function axisValues(axis: SweepAxis): SweepValue[] {
  return axis.kind === 'list' ? [...axis.values] : rangeValues(axis);
}

/** Number of grid points, without building them (a request is refused before it allocates a million points). */
export function gridSize(axes: readonly SweepAxis[]): number {
  return axes.reduce((n, a) => n * axisValues(a).length, 1);
}

/** Every combination of the axes' values, the first axis outermost; one empty point when there are no axes. */
export function expandGrid(axes: readonly SweepAxis[]): SweepPoint[] {
  let points: SweepPoint[] = [{}];
  for (const axis of axes) {
    const values = axisValues(axis);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [axis.path]: v })));
  }
  return points;
}

function drawAxis(axis: SweepAxis, rng: Philox): SweepValue {
  if (axis.kind === 'list') return axis.values[rng.int(0, axis.values.length)];
  const u = rng.uniform();
  const v = axis.scale === 'log' ? axis.min * (axis.max / axis.min) ** u : axis.min + (axis.max - axis.min) * u;
  return roundIf(v, axis.integer);
}

/**
 * `samples` draws of every axis from the sweep's seeded stream; a draw equal to an earlier one is the same
 * configuration and is kept once (`drawn` says how many were drawn, `points` the distinct ones in draw order).
 */
export function sampleRandom(axes: readonly SweepAxis[], samples: number, seed: number): { points: SweepPoint[]; drawn: number } {
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be an integer ≥ 1, got ${samples}`);
  const rng = new Philox(seed, 0, SAMPLE_STREAM);
  const seen = new Set<string>();
  const points: SweepPoint[] = [];
  for (let i = 0; i < samples; i++) {
    const p: SweepPoint = {};
    for (const axis of axes) p[axis.path] = drawAxis(axis, rng);
    const key = settingsKey(p);
    if (seen.has(key)) continue;
    seen.add(key);
    points.push(p);
  }
  return { points, drawn: samples };
}
