/**
 * Evaluation of one slice of an ES generation (thesis Algorithm 2: what a worker does): for members
 * [memberStart, memberEnd), rebuild θ_i = θ ± σ⊙z (σ one number, or one per parameter), draw the step count, roll out from x0 and score the
 * loss (fitness = −loss, c.2). Returns per-member losses and, when asked, the slice's best final states.
 */
import type { NcaConfig } from '../nca/config';
import type { StateBatch } from '../nca/state';
import { evaluatePopulation, type PopulationStrategy } from '../nca/population';
import { memberNoiseIndex, noiseVector } from './streams';
import { runStream, StreamPurpose } from '../rng/run-streams';

/**
 * Every `every` generations the whole population rolls out `steps` steps instead of the drawn count, so the
 * objective sees whether growth stops.
 */
export interface LongRollout {
  every: number;
  steps: number;
}

export interface EsMemberSettings {
  /** σ for every parameter (ignored when `sigmaVector` is given) */
  sigma: number;
  /**
   * one σ per parameter, for diagonal strategies (core/es/strategy.ts): sent with θ once per generation.
   * Absent for isotropic ones, so their requests are what they always were.
   */
  sigmaVector?: Float32Array;
  mirrored: boolean;
  commonRandomNumbers: boolean;
  perMemberSteps: boolean;
  stepsMin: number;
  /** inclusive */
  stepsMax: number;
  /** score the mean loss over the last this many states of a rollout (absent or 1: the final state, c.2) */
  lossWindow?: number;
  /** within the window, score every this many steps, ending on the final state (absent or 1: every state) */
  lossEvery?: number;
  /** the persistence horizon: an occasional long rollout (absent or null: never) */
  longRollout?: LongRollout | null;
}

export interface EsSliceRequest extends EsMemberSettings {
  cfg: NcaConfig;
  params: Float32Array;
  seed: number;
  generation: number;
  memberStart: number;
  memberEnd: number;
  x0: StateBatch;
  /** premultiplied RGBA [H·W·4] */
  target: Float32Array;
  /** return the best member's final states (needed when a sample pool is on) */
  wantBest: boolean;
  strategy?: PopulationStrategy;
}

export interface EsSliceResult {
  memberStart: number;
  /** loss of member memberStart + j (mean over the batch) */
  losses: number[];
  /** per-sample losses of each member */
  sampleLosses: number[][];
  steps: number[];
  best: { member: number; loss: number; final: StateBatch } | null;
}

/** The random-number index a member's step count and fire masks use (pairs share it under CRN). */
export function rolloutIndex(member: number, s: EsMemberSettings): number {
  return s.commonRandomNumbers ? memberNoiseIndex(member, s.mirrored).pair : member;
}

/** c.1: 30..39 drawn per member (or once per generation). */
export function memberSteps(seed: number, generation: number, member: number, s: EsMemberSettings): number {
  if (s.longRollout && generation % s.longRollout.every === 0) return s.longRollout.steps;
  const index = s.perMemberSteps ? rolloutIndex(member, s) : 0;
  return runStream(seed, generation, StreamPurpose.Steps, index).int(s.stepsMin, s.stepsMax + 1);
}

/** The noise of the last pair drawn: a mirrored pair's second member reuses it, and the buffer is not reallocated
 *  per member (a worker drew 16 KB of garbage per member, which V8 let pile up to tens of MB). */
const lastNoise = { seed: Number.NaN, generation: Number.NaN, pair: Number.NaN, z: new Float64Array(0) };

function pairNoise(seed: number, generation: number, pair: number, dim: number): Float64Array {
  const c = lastNoise;
  if (c.seed === seed && c.generation === generation && c.pair === pair && c.z.length === dim) return c.z;
  if (c.z.length !== dim) c.z = new Float64Array(dim);
  noiseVector(seed, generation, pair, dim, c.z);
  c.seed = seed;
  c.generation = generation;
  c.pair = pair;
  return c.z;
}

/** θ + sign·σ⊙z for member i, in float32. */
export function memberParams(params: Float32Array, seed: number, generation: number, member: number, s: EsMemberSettings): Float32Array {
  const { pair, sign } = memberNoiseIndex(member, s.mirrored);
  const z = pairNoise(seed, generation, pair, params.length);
  const out = new Float32Array(params.length);
  const sv = s.sigmaVector;
  if (sv) {
    if (sv.length !== params.length) throw new Error(`ES member ${member}: σ has ${sv.length} entries for ${params.length} parameters`);
    for (let j = 0; j < params.length; j++) out[j] = params[j] + sign * sv[j] * z[j];
  } else {
    const scale = sign * s.sigma;
    for (let j = 0; j < params.length; j++) out[j] = params[j] + scale * z[j];
  }
  return out;
}

/**
 * Members evaluated at a time on the fused kernel. Each member is rolled out on its own, so the results do not
 * depend on this; it bounds what a worker holds at once (parameters, final states) to a chunk, where a slice of
 * 1000 members held ≈ 100 MB (the lab's budget: an ES worker under 80 MB). The tfjs strategies get the whole slice,
 * as their batching may depend on it.
 */
export const FUSED_MEMBER_CHUNK = 16;

export function evaluateEsSlice(req: EsSliceRequest): EsSliceResult {
  const members: number[] = [];
  for (let i = req.memberStart; i < req.memberEnd; i++) members.push(i);
  const steps = members.map((i) => memberSteps(req.seed, req.generation, i, req));
  const chunk = (req.strategy ?? 'fused') === 'fused' ? FUSED_MEMBER_CHUNK : Math.max(1, members.length);
  const losses: number[] = [];
  const sampleLosses: number[][] = [];
  let best: EsSliceResult['best'] = null;
  for (let from = 0; from < members.length; from += chunk) {
    const part = members.slice(from, from + chunk);
    const res = evaluatePopulation({
      cfg: req.cfg,
      paramsList: part.map((i) => memberParams(req.params, req.seed, req.generation, i, req)),
      startStates: req.x0,
      steps: steps.slice(from, from + chunk),
      rng: (j) => runStream(req.seed, req.generation, StreamPurpose.FireMasks, rolloutIndex(part[j], req)),
      target: req.target,
      keepFinals: req.wantBest,
      strategy: req.strategy,
      lossWindow: req.lossWindow,
      lossEvery: req.lossEvery,
    });
    for (let k = 0; k < part.length; k++) {
      losses.push(res.losses[k]);
      sampleLosses.push(res.sampleLosses[k]);
      // the first member with the lowest loss, as one pass over the whole slice picks it
      if (req.wantBest && res.finals && (best === null || res.losses[k] < best.loss)) best = { member: part[k], loss: res.losses[k], final: res.finals[k] };
    }
  }
  return { memberStart: req.memberStart, losses, sampleLosses, steps, best };
}
