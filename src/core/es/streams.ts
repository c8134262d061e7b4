/**
 * Where every random number of an ES generation comes from (architecture.md, "Compute"; thesis Algorithm 2):
 * a Philox stream keyed by the run seed, with the generation and a (purpose, index) pair as the stream id.
 * Workers and the master rebuild the same numbers independently, so only fitness scalars cross processes,
 * a crashed worker's slice re-evaluates identically, and a resumed run retraces the same trajectory.
 */
import { Philox } from '../rng/philox';

export const enum StreamPurpose {
  Noise = 1,
  Steps = 2,
  Rollout = 3,
  Pool = 4,
  Eval = 5,
  Init = 6,
}

const INDEX_BITS = 24;

export function esStream(seed: number, generation: number, purpose: StreamPurpose, index: number): Philox {
  if (index >= 2 ** INDEX_BITS) throw new RangeError(`stream index ${index} exceeds 2^${INDEX_BITS}`);
  return new Philox(seed, generation, ((purpose << INDEX_BITS) | index) >>> 0);
}

/** The noise pair index and sign of member i (c.2: mirrored members 2k, 2k+1 use +z_k and −z_k). */
export function memberNoiseIndex(member: number, mirrored: boolean): { pair: number; sign: 1 | -1 } {
  if (!mirrored) return { pair: member, sign: 1 };
  return { pair: member >> 1, sign: member % 2 === 0 ? 1 : -1 };
}

/** z_k ~ N(0, I) of the given dimension (rebuilt on demand, never stored). */
export function noiseVector(seed: number, generation: number, pair: number, dim: number, out: Float64Array = new Float64Array(dim)): Float64Array {
  return esStream(seed, generation, StreamPurpose.Noise, pair).fillNormal(out) as Float64Array;
}
