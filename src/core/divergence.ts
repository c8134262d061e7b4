/**
 * Divergence, named: a model whose loss overflows or becomes NaN is *diverged* from that step on.
 * The lab's losses are RGBA mean squared errors against a target in [0, 1] (spec b.2), so a healthy one stays below
 * 1; a loss of a thousand means cells far outside [0, 1], on the way to overflowing float32. Charts leave such values
 * out (a gap), so one exploding model does not squash every other curve into the bottom of a 40-decade log axis.
 */

/** From this loss up (or a loss that is not finite) a model counts as diverged. */
export const DIVERGED_LOSS = 1e3;

export function isDivergedLoss(v: number | null | undefined): boolean {
  return v === null || v === undefined || !Number.isFinite(v) || v >= DIVERGED_LOSS;
}

/**
 * The first index whose loss is diverged, among values that were computed (`known`: index < known, default all);
 * null when the model never diverged. `null` entries count as non-finite (the metrics files store NaN/∞ as null).
 */
export function divergedAt(losses: ArrayLike<number | null>, known = losses.length): number | null {
  for (let i = 0; i < Math.min(known, losses.length); i++) if (isDivergedLoss(losses[i])) return i;
  return null;
}

/** A value a loss chart can draw: diverged values become a gap. */
export function saneLoss(v: number | null): number | null {
  return isDivergedLoss(v) ? null : v;
}
