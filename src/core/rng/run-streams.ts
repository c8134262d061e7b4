/**
 * Where every random number of a training run comes from (docs/architecture.md, "Compute"; thesis Algorithm 2):
 * a Philox stream keyed by the run seed, with the generation (ES) or iteration (Adam) and a (purpose, index)
 * pair as the stream id. Nothing random is carried from one generation to the next, so:
 *  - ES workers and the master rebuild the same noise independently and only fitness scalars cross processes;
 *  - a crashed worker's slice re-evaluates identically;
 *  - a run resumed from a checkpoint at step i draws exactly what the uninterrupted run drew from i + 1 on.
 * ES and Adam share the ids, so runs with the same seed start from the same layer-1 weights (Init) and evaluate
 * growth with the same fire masks (Eval).
 */
import { Philox } from './philox';

export const enum StreamPurpose {
  /** ES perturbation z_k (index: the noise pair) */
  Noise = 1,
  /** the CA step count (ES index: the member, or its pair under common random numbers) */
  Steps = 2,
  /** fire masks of a rollout, consumed step by step in [n][y][x] order */
  FireMasks = 3,
  /** which pool slots the batch is drawn from */
  Pool = 4,
  /** growth evaluation from the seed (c.2) */
  Eval = 5,
  /** initial parameters (step 0) */
  Init = 6,
  /** circle damage of M's regenerating pool (d.4) */
  Damage = 7,
}

const INDEX_BITS = 24;

export function runStream(seed: number, step: number, purpose: StreamPurpose, index = 0): Philox {
  if (index >= 2 ** INDEX_BITS) throw new RangeError(`stream index ${index} exceeds 2^${INDEX_BITS}`);
  return new Philox(seed, step, ((purpose << INDEX_BITS) | index) >>> 0);
}
