/** ES-specific random streams (see rng/run-streams.ts for where every random number of a run comes from). */
import { runStream, StreamPurpose } from '../rng/run-streams';

/** The noise pair index and sign of member i (c.2: mirrored members 2k, 2k+1 use +z_k and −z_k). */
export function memberNoiseIndex(member: number, mirrored: boolean): { pair: number; sign: 1 | -1 } {
  if (!mirrored) return { pair: member, sign: 1 };
  return { pair: member >> 1, sign: member % 2 === 0 ? 1 : -1 };
}

/** z_k ~ N(0, I) of the given dimension (rebuilt on demand, never stored). */
export function noiseVector(seed: number, generation: number, pair: number, dim: number, out: Float64Array = new Float64Array(dim)): Float64Array {
  return runStream(seed, generation, StreamPurpose.Noise, pair).fillNormal(out) as Float64Array;
}

/**
 * Normals per Philox block: Box-Muller turns each block's four uint32 into two pairs of normals (Philox.normal),
 * so z_k[j] depends on block ⌊j/4⌋ of its stream only.
 */
export const NORMALS_PER_BLOCK = 4;

/**
 * z_k[from, from + out.length) without the normals before it: the stream skips to block from/4 (`from` must be a
 * multiple of NORMALS_PER_BLOCK), so a worker rebuilds its range of every pair's noise (noise-sums.ts), bit for
 * bit the values of noiseVector.
 */
export function noiseRange(seed: number, generation: number, pair: number, from: number, out: Float64Array): Float64Array {
  if (!Number.isInteger(from) || from < 0 || from % NORMALS_PER_BLOCK !== 0) {
    throw new RangeError(`ES noise: a range must start on a multiple of ${NORMALS_PER_BLOCK}, got ${from}`);
  }
  const rng = runStream(seed, generation, StreamPurpose.Noise, pair);
  rng.claimBlocks(from / NORMALS_PER_BLOCK);
  return rng.fillNormal(out) as Float64Array;
}
