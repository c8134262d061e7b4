/**
 * Adam learning-rate schedules (spec d.1, d.4).
 *
 * 'piecewise' is Keras's PiecewiseConstantDecay([boundary], [lr, after]) as M used it: the decay is evaluated at
 * the optimizer's step count *before* the update (0 for the first update), and the first value applies while
 * that step ≤ boundary. With iterations counted from 1 (iteration i applies update i, at step i − 1), M's
 * boundary 2000 gives 2e-3 to iterations 1..2001 and 2e-4 from iteration 2002 on.
 */
import type { AdamSettings } from './settings';

export function learningRateAt(adam: Pick<AdamSettings, 'lr' | 'schedule'>, iteration: number): number {
  if (!Number.isInteger(iteration) || iteration < 1) throw new RangeError(`iteration must be an integer ≥ 1, got ${iteration}`);
  const s = adam.schedule;
  if (s.kind === 'constant') return adam.lr;
  const step = iteration - 1;
  return step <= s.boundary ? adam.lr : s.after;
}
