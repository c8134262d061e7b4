/**
 * Where every random number of an Adam run comes from: a Philox stream keyed by the run seed, with the
 * iteration and a purpose as the stream id. Nothing random is carried between iterations, so a run resumed
 * from a checkpoint at iteration i draws exactly what the uninterrupted run drew from i + 1 on.
 *
 * The ids follow core/es/streams.ts ((purpose << 24) | index, with Init = 6 and Eval = 5), so an Adam and an
 * ES run with the same seed start from the same layer-1 weights and evaluate growth with the same fire masks.
 */
import { Philox } from '../rng/philox';

export const enum AdamStreamPurpose {
  /** the CA step count of the iteration */
  Steps = 2,
  /** fire masks of the rollout, consumed step by step in [n][y][x] order */
  FireMask = 3,
  /** which pool slots the batch is drawn from */
  Pool = 4,
  /** growth evaluation from the seed (c.2) */
  Eval = 5,
  /** initial parameters (iteration 0) */
  Init = 6,
  /** circle damage of the regenerating pool (d.4) */
  Damage = 7,
}

export function adamStream(seed: number, iteration: number, purpose: AdamStreamPurpose, index = 0): Philox {
  return new Philox(seed, iteration, ((purpose << 24) | index) >>> 0);
}
