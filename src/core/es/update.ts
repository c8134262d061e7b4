/**
 * The ES parameter update (spec c.4), in both forms:
 *  - 'thesis' (the code): θ ← θ + α/(n·σ)·Σ u_i·eps_i with eps_i = ±σ·z, i.e. θ ← θ + (α/n)·Σ u_i·(±z_i);
 *  - 'salimans' (textbook): θ ← θ + α/(n·σ)·Σ u_i·ε_i with ε_i = ±z ~ N(0, I), σ× larger for the same α.
 * Noise is rebuilt from (seed, generation, pair) — the same numbers the workers used.
 */
import { noiseVector } from './streams';
import { localNoiseSums } from './noise-sums';

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
 * All z_k of one generation, built in one go. Where the master sums the noise itself (an evaluator without
 * noise sums: a cluster), the trainer builds it right after sending the generation to the workers, so that work
 * overlaps theirs instead of following it.
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

/** θ ← θ + scale·Σ: c.4's step from the sum Σ_i u_i·(±z_i) (noise-sums.ts), in either form; `sum` becomes Δθ. */
export function applyEsStep(theta: Float32Array, sum: Float64Array, s: { population: number; lr: number; sigma: number; form: EsUpdateForm }): Float64Array {
  if (sum.length !== theta.length) throw new RangeError(`ES update: a sum of ${sum.length} values for ${theta.length} parameters`);
  const n = s.population;
  const scale = s.form === 'thesis' ? s.lr / n : s.lr / (n * s.sigma);
  for (let j = 0; j < theta.length; j++) {
    sum[j] *= scale;
    theta[j] += sum[j];
  }
  return sum;
}

/** Returns the step Δθ (float64) and applies it to `theta` in place. */
export function applyEsUpdate(req: EsUpdateRequest): Float64Array {
  const { theta, shaped, mirrored } = req;
  const dim = theta.length;
  const pre = req.noise;
  if (pre && (pre.seed !== req.seed || pre.generation !== req.generation || pre.dim !== dim)) {
    throw new Error(`ES update: noise was built for generation ${pre.generation}, not ${req.generation}`);
  }
  const z = new Float64Array(dim);
  const noise = { population: shaped.length, mirrored, dim, z: (k: number) => (pre && k < pre.pairs ? pre.z.subarray(k * dim, (k + 1) * dim) : noiseVector(req.seed, req.generation, k, dim, z)) };
  const [sum] = localNoiseSums(noise, [{ kind: 'sum', weights: shaped }]);
  return applyEsStep(theta, sum, { population: shaped.length, lr: req.lr, sigma: req.sigma, form: req.form });
}
