/**
 * A number measured over seeds, summarised: the median and the spread (min and max; with the handful of seeds a
 * sweep runs, quartiles would be the extremes anyway). Values that are missing count as "not reached" when the
 * measure is a time to a goal: they lie above every measured value, so the median of 3 seeds of which 2 never
 * reached the goal is "not reached", and one that did not reach shows as the max.
 */

export interface Spread {
  /** how many values were summarised (reached or not) */
  n: number;
  /** how many were finite (reached the goal, did not diverge) */
  finite: number;
  /** null: fewer than half the values are finite (the median is "not reached" / not finite) */
  median: number | null;
  /** null when none is finite */
  min: number | null;
  /** null when any value is not finite (the spread reaches "not reached"), or none is */
  max: number | null;
}

/**
 * Median and spread of values where null / NaN / ±∞ mean "beyond every finite value" (not reached, diverged).
 * The median of an even count is the mean of the middle two (null when either is beyond).
 */
export function spreadOf(values: readonly (number | null)[]): Spread {
  const sorted = values.map((v) => (v === null || !Number.isFinite(v) ? Infinity : v)).sort((a, b) => a - b);
  const n = sorted.length;
  const fin = sorted.filter(Number.isFinite);
  if (n === 0) return { n: 0, finite: 0, median: null, min: null, max: null };
  const mid = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    n,
    finite: fin.length,
    median: Number.isFinite(mid) ? mid : null,
    min: fin.length ? fin[0] : null,
    max: fin.length === n ? fin[n - 1] : null,
  };
}
