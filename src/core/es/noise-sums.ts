/**
 * The two sums every gradient-estimating ES strategy forms from one generation's noise (strategy.ts):
 * member i's unit perturbation is s_i = sign_i·z_pair(i) (mirrored pairs share z with opposite signs, c.2), so
 * sums over members are folded per pair first and each z is read once.
 */
import type { PopulationNoise } from './strategy';

function pairTotals(noise: PopulationNoise, w: ArrayLike<number>, signed: boolean): Map<number, number> {
  if (w.length !== noise.population) throw new RangeError(`ES noise: ${w.length} weights for ${noise.population} members`);
  const totals = new Map<number, number>();
  for (let i = 0; i < noise.population; i++) {
    const { pair, sign } = noise.memberIndex(i);
    totals.set(pair, (totals.get(pair) ?? 0) + (signed ? sign : 1) * w[i]);
  }
  return totals;
}

/** Σ_i w_i·s_i */
export function weightedNoiseSum(noise: PopulationNoise, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(noise.dim);
  for (const [pair, t] of pairTotals(noise, w, true)) {
    if (t === 0) continue;
    const z = noise.z(pair);
    for (let j = 0; j < out.length; j++) out[j] += t * z[j];
  }
  return out;
}

/** Σ_i w_i·(s_i² − 1): the sign drops out of the square */
export function weightedNoiseSquares(noise: PopulationNoise, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(noise.dim);
  for (const [pair, t] of pairTotals(noise, w, false)) {
    if (t === 0) continue;
    const z = noise.z(pair);
    for (let j = 0; j < out.length; j++) out[j] += t * (z[j] * z[j] - 1);
  }
  return out;
}

/** A float32 array of a checkpointed strategy state, checked for presence and length. */
export function stateArray(state: { arrays: Record<string, Float32Array> }, key: string, length: number): Float32Array {
  const a = state.arrays[key];
  if (!(a instanceof Float32Array)) throw new Error(`the checkpoint has no ES strategy array "${key}"`);
  if (a.length !== length) throw new Error(`the checkpoint's ES strategy array "${key}" has ${a.length} values, expected ${length}`);
  return a.slice();
}

export function stateNumber(state: { scalars: Record<string, unknown> }, key: string): number {
  const x = state.scalars[key];
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`the checkpoint has no ES strategy scalar "${key}"`);
  return x;
}

/** F̄ as c.5 reads it: −(mean loss), the mean of the losses negated (the thesis strategy's order of operations). */
export function meanFitness(fitness: readonly number[]): number {
  let sum = 0;
  for (const f of fitness) sum += -f;
  return -(sum / fitness.length);
}
