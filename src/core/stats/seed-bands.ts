/**
 * Curves of runs that differ only in their seed, drawn as one: the mean with a min–max band over the seeds (the
 * band stays positive on a log axis, where ±std would not; core/experiments/stats.ts does the same for repeats
 * of an experiment). Training curves are sampled at different x (wall time, evaluations, or generations when the
 * runs evaluate at different steps), so each curve is first read on a common x grid by linear interpolation
 * between its own points; outside a curve's own x range it has no value there and does not count.
 */
import { repeatBand, type RepeatBand } from '../experiments/stats';

/** A curve: x ascending; y null for a gap (a diverged or missing value). */
export interface XYCurve {
  x: readonly number[];
  y: readonly (number | null)[];
}

/**
 * A common grid for the curves: the union of their x when it has at most `maxPoints` values (runs evaluated at
 * the same generations then share their points exactly), else `maxPoints` evenly spaced from the smallest x to the
 * largest.
 */
export function commonGrid(curves: readonly XYCurve[], maxPoints = 400): number[] {
  const all = new Set<number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of curves) {
    for (const x of c.x) {
      if (!Number.isFinite(x)) continue;
      if (all.size <= maxPoints) all.add(x);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (!Number.isFinite(lo)) return [];
  if (all.size <= maxPoints) return [...all].sort((a, b) => a - b);
  const n = Math.max(2, maxPoints);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}

/**
 * The curve's value at x: exact at one of its points, interpolated linearly between the two around x, null
 * outside its range or where a neighbour is a gap.
 */
export function valueAt(curve: XYCurve, x: number): number | null {
  const xs = curve.x;
  const n = xs.length;
  if (n === 0 || x < xs[0] || x > xs[n - 1]) return null;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (xs[lo] === x) return finite(curve.y[lo]);
  const a = finite(curve.y[lo - 1]);
  const b = finite(curve.y[lo]);
  if (a === null || b === null) return null;
  const t = (x - xs[lo - 1]) / (xs[lo] - xs[lo - 1]);
  return a + (b - a) * t;
}

function finite(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Mean, min and max over the curves at each x of the grid (null where no curve has a value). */
export function seedBand(curves: readonly XYCurve[], grid: readonly number[]): RepeatBand & { x: number[]; count: number[] } {
  const sampled = curves.map((c) => grid.map((x) => valueAt(c, x)));
  const band = repeatBand(sampled);
  const count = grid.map((_, i) => sampled.reduce((n, s) => n + (s[i] === null ? 0 : 1), 0));
  return { ...band, x: [...grid], count };
}
