/**
 * The weighted sums of one generation's noise that every gradient-estimating ES update reads (c.4 and the
 * strategies of strategy.ts): member i's unit perturbation is s_i = sign_i·z_pair(i) (mirrored pairs share z with
 * opposite signs, c.2), and a strategy asks for
 *   'sum':     Σ_i w_i·s_i
 *   'squares': Σ_i w_i·(s_i² − 1)   (the sign drops out of the square)
 * Member weights are folded per pair first (t_k), then each parameter j sums t_k·z_k[j] over the pairs in
 * ascending order, skipping pairs whose t_k is 0. That order is the arithmetic every run has used, so the sums
 * come out bit for bit the same wherever they are computed: here from a generation's whole z_k (the master), or
 * over a range of parameters per worker (evaluateNoiseSums), each worker rebuilding only z_k[from, to) of every
 * pair from its Philox counter (streams.ts noiseRange). Each parameter's sum is the same chain of float64 operations
 * either way, so splitting by parameters (never by members) leaves every trajectory as it was.
 */
import { memberNoiseIndex, noiseRange, NORMALS_PER_BLOCK } from './streams';

export type NoiseSumKind = 'sum' | 'squares';

/** A generation's noise as this process holds it: z_k of each pair (PopulationNoise in strategy.ts). */
export interface NoiseSource {
  readonly population: number;
  readonly mirrored: boolean;
  readonly dim: number;
  /** z_k; may be a view or a buffer reused by the next call */
  z(pair: number): ArrayLike<number>;
}

/** One weighted sum a strategy's update needs: `weights` has one entry per member. */
export interface NoiseSumRequest {
  kind: NoiseSumKind;
  weights: ArrayLike<number>;
}

/** The member weights of a request folded per noise pair: t_k = Σ_{i in pair k} (sign_i)·w_i, in member order. */
export function pairWeights(population: number, mirrored: boolean, req: NoiseSumRequest): Float64Array {
  const w = req.weights;
  if (w.length !== population) throw new RangeError(`ES noise: ${w.length} weights for ${population} members`);
  const signed = req.kind === 'sum';
  const t = new Float64Array(mirrored ? Math.ceil(population / 2) : population);
  for (let i = 0; i < population; i++) {
    const { pair, sign } = memberNoiseIndex(i, mirrored);
    t[pair] = t[pair] + (signed ? sign : 1) * w[i];
  }
  return t;
}

/**
 * out_q[j] = Σ_k t_qk·f_q(z_k[j]) for j < length, pairs in ascending order, pairs with t_qk = 0 skipped;
 * `zOf(k)` gives z_k over the range (read before the next call).
 */
function sumOverPairs(weights: readonly Float64Array[], kinds: readonly NoiseSumKind[], length: number, zOf: (pair: number) => ArrayLike<number>): Float64Array[] {
  const out = weights.map(() => new Float64Array(length));
  const pairs = weights.length > 0 ? weights[0].length : 0;
  for (let k = 0; k < pairs; k++) {
    let z: ArrayLike<number> | null = null;
    for (let q = 0; q < weights.length; q++) {
      const t = weights[q][k];
      if (t === 0) continue;
      z ??= zOf(k);
      const o = out[q];
      if (kinds[q] === 'sum') for (let j = 0; j < length; j++) o[j] += t * z[j];
      else for (let j = 0; j < length; j++) o[j] += t * (z[j] * z[j] - 1);
    }
  }
  return out;
}

/** The sums of `requests` over every parameter, from the generation's noise in this process. */
export function localNoiseSums(noise: NoiseSource, requests: readonly NoiseSumRequest[]): Float64Array[] {
  const weights = requests.map((r) => pairWeights(noise.population, noise.mirrored, r));
  return sumOverPairs(weights, requests.map((r) => r.kind), noise.dim, (k) => noise.z(k));
}

/** Σ_i w_i·s_i */
export function weightedNoiseSum(noise: NoiseSource, w: ArrayLike<number>): Float64Array {
  return localNoiseSums(noise, [{ kind: 'sum', weights: w }])[0];
}

/** Σ_i w_i·(s_i² − 1) */
export function weightedNoiseSquares(noise: NoiseSource, w: ArrayLike<number>): Float64Array {
  return localNoiseSums(noise, [{ kind: 'squares', weights: w }])[0];
}

/** A worker's share of a generation's noise sums: parameters [from, to) of every request. */
export interface NoiseSumsRequest {
  seed: number;
  generation: number;
  /** the parameter count (z_k's length) */
  dim: number;
  /** a multiple of NORMALS_PER_BLOCK (a Philox block boundary), so z_k[from] starts a block */
  from: number;
  to: number;
  kinds: NoiseSumKind[];
  /** per request, the pair weights (pairWeights) */
  pairWeights: Float64Array[];
}

export interface NoiseSumsResult {
  from: number;
  /** per request, the sums over [from, to) */
  sums: Float64Array[];
}

/** What a worker computes for NoiseSumsRequest: the same numbers as localNoiseSums over [from, to). */
export function evaluateNoiseSums(req: NoiseSumsRequest): NoiseSumsResult {
  const { seed, generation, dim, from, to } = req;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= dim)) {
    throw new RangeError(`ES noise sums: parameters [${from}, ${to}) are not a range of the ${dim}`);
  }
  if (req.kinds.length !== req.pairWeights.length) throw new RangeError(`ES noise sums: ${req.kinds.length} kinds for ${req.pairWeights.length} weight vectors`);
  const z = new Float64Array(to - from);
  return { from, sums: sumOverPairs(req.pairWeights, req.kinds, to - from, (k) => noiseRange(seed, generation, k, from, z)) };
}

/** Splits [0, dim) into at most `parts` ranges of near-equal size that start on Philox block boundaries. */
export function noiseSumRanges(dim: number, parts: number): [number, number][] {
  const blocks = Math.ceil(dim / NORMALS_PER_BLOCK);
  const n = Math.max(1, Math.min(parts, blocks));
  const out: [number, number][] = [];
  for (let p = 0; p < n; p++) {
    const from = Math.floor((p * blocks) / n) * NORMALS_PER_BLOCK;
    const to = Math.min(dim, Math.floor(((p + 1) * blocks) / n) * NORMALS_PER_BLOCK);
    if (to > from) out.push([from, to]);
  }
  return out;
}

/** A checkpointed strategy state's float32 array, checked for presence and length. */
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
