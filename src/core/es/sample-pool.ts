/**
 * Sample pools for ES (spec e, c.2). The pool is a StateBatch of `size` samples, initialised to seeds.
 *  - 'thesis': choose B distinct indices, sort the chosen samples by loss descending, put the seed in slot 0
 *    (with B = 1 the input is always the seed: the pool is written but never read, h.1); after the generation,
 *    commit only the best member's final states, each only if alive (any alpha > 0.1).
 *  - 'mordvintsev': the same selection; all of the best member's final states are written back, no alive check.
 */
import type { StateBatch } from '../nca/state';
import { sampleIsAlive } from '../nca/state';
import { rgbaMsePerSample } from '../nca/loss';
import type { Philox } from '../rng/philox';

export type EsPoolVariant = 'thesis' | 'mordvintsev';

export interface PoolDraw {
  /** pool indices, in the order of the batch slots */
  indices: number[];
  /** the batch to evaluate */
  x0: StateBatch;
}

function sampleSize(s: StateBatch): number {
  return s.height * s.width * s.channels;
}

/** Draws B samples, sorts them by loss (worst first) and replaces the worst with the seed. */
export function drawFromPool(pool: StateBatch, batch: number, seed: StateBatch, target: Float32Array, rng: Philox): PoolDraw {
  if (batch > pool.n) throw new RangeError(`batch ${batch} is larger than the pool (${pool.n})`);
  const size = sampleSize(pool);
  const chosen = rng.choose(pool.n, batch);
  const picked: StateBatch = { ...pool, n: batch, data: new Float32Array(batch * size) };
  chosen.forEach((p, b) => picked.data.set(pool.data.subarray(p * size, (p + 1) * size), b * size));
  const losses = rgbaMsePerSample(picked, target);
  const order = chosen.map((_, b) => b).sort((a, b) => losses[b] - losses[a] || a - b);
  const indices = order.map((b) => chosen[b]);
  const x0: StateBatch = { ...pool, n: batch, data: new Float32Array(batch * size) };
  order.forEach((b, slot) => x0.data.set(picked.data.subarray(b * size, (b + 1) * size), slot * size));
  x0.data.set(seed.data.subarray(0, size), 0);
  return { indices, x0 };
}

/** Writes the best member's final states back into the pool; returns how many slots were written. */
export function commitToPool(pool: StateBatch, indices: number[], finals: StateBatch, variant: EsPoolVariant, aliveThreshold = 0.1): number {
  const size = sampleSize(pool);
  let written = 0;
  indices.forEach((p, b) => {
    if (variant === 'thesis' && !sampleIsAlive(finals, b, aliveThreshold)) return;
    pool.data.set(finals.data.subarray(b * size, (b + 1) * size), p * size);
    written++;
  });
  return written;
}
