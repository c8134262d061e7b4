/**
 * Mean and band over repeats (the thesis plotted one stochastic rollout, g; with R > 1 the lab draws the mean
 * and the min–max band, which stays positive on a log axis where a ±std band would not).
 */

export interface RepeatBand {
  mean: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
}

/** Per index, over the repeats whose value is finite; null where none is. Curves may differ in length. */
export function repeatBand(curves: ArrayLike<number | null>[]): RepeatBand {
  const n = Math.max(0, ...curves.map((c) => c.length));
  const mean: (number | null)[] = new Array(n);
  const min: (number | null)[] = new Array(n);
  const max: (number | null)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    let sum = 0;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of curves) {
      const v = k < c.length ? c[k] : null;
      if (v === null || !Number.isFinite(v)) continue;
      sum += v;
      count++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mean[k] = count ? sum / count : null;
    min[k] = count ? lo : null;
    max[k] = count ? hi : null;
  }
  return { mean, min, max };
}

/** A loss for JSON: 8 significant digits (float32 states carry about 7), null when not finite. */
export function storedLoss(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toPrecision(8)) : null;
}
