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
