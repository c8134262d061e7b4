/**
 * The ES parameter update (spec c.4), in both forms:
 *  - 'thesis' (the code): θ ← θ + α/(n·σ)·Σ u_i·eps_i with eps_i = ±σ·z, i.e. θ ← θ + (α/n)·Σ u_i·(±z_i);
 *  - 'salimans' (textbook): θ ← θ + α/(n·σ)·Σ u_i·ε_i with ε_i = ±z ~ N(0, I), σ× larger for the same α.
 * Noise is rebuilt from (seed, generation, pair) — the same numbers the workers used.
 */
import { memberNoiseIndex, noiseVector } from './streams';

export type EsUpdateForm = 'thesis' | 'salimans';

export interface EsUpdateRequest {
  theta: Float32Array;
  /** shaped fitness per member (c.3) */
  shaped: ArrayLike<number>;
  seed: number;
  generation: number;
  mirrored: boolean;
  lr: number;
  sigma: number;
  form: EsUpdateForm;
  /** the generation's noise, built ahead (while the workers evaluate); rebuilt here when absent */
  noise?: GenerationNoise;
}

/**
 * All z_k of one generation, built in one go. The trainer builds it right after sending the generation to
 * the workers, so the master's share of the work overlaps theirs instead of following it.
 */
export class GenerationNoise {
  readonly z: Float64Array;
  constructor(readonly seed: number, readonly generation: number, readonly pairs: number, readonly dim: number) {
    this.z = new Float64Array(pairs * dim);
    for (let k = 0; k < pairs; k++) noiseVector(seed, generation, k, dim, this.z.subarray(k * dim, (k + 1) * dim));
  }

  static forPopulation(seed: number, generation: number, population: number, mirrored: boolean, dim: number): GenerationNoise {
    return new GenerationNoise(seed, generation, mirrored ? Math.ceil(population / 2) : population, dim);
  }
}

/** Returns the step Δθ (float64) and applies it to `theta` in place. */
export function applyEsUpdate(req: EsUpdateRequest): Float64Array {
  const { theta, shaped, mirrored } = req;
  const n = shaped.length;
  const dim = theta.length;
  const grad = new Float64Array(dim);
  const z = new Float64Array(dim);
  // Σ u_i·sign_i·z_pair(i); mirrored pairs share z, so combine their weights first
  const weights = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const { pair, sign } = memberNoiseIndex(i, mirrored);
    weights.set(pair, (weights.get(pair) ?? 0) + sign * shaped[i]);
  }
  const pre = req.noise;
  if (pre && (pre.seed !== req.seed || pre.generation !== req.generation || pre.dim !== dim)) {
    throw new Error(`ES update: noise was built for generation ${pre.generation}, not ${req.generation}`);
  }
  for (const [pair, w] of weights) {
    if (w === 0) continue;
    const zk = pre && pair < pre.pairs ? pre.z.subarray(pair * dim, (pair + 1) * dim) : noiseVector(req.seed, req.generation, pair, dim, z);
    for (let j = 0; j < dim; j++) grad[j] += w * zk[j];
  }
  const scale = req.form === 'thesis' ? req.lr / n : req.lr / (n * req.sigma);
  for (let j = 0; j < dim; j++) {
    grad[j] *= scale;
    theta[j] += grad[j];
  }
  return grad;
}
