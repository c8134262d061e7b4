/**
 * Population evaluation (issue "Foundation" §3; spec c.2): P parameter vectors, each rolled out for its own
 * number of steps from the same start states (or its own), with its own random stream; returns each member's
 * loss (mean over the batch of the per-sample RGBA MSE, b.3) and optionally its final states.
 *
 * Three implementations of one contract, measured by `nca-lab bench` (population cases):
 *  - `fused`: the hand-fused typed-array step of fused.ts, one member at a time (the default: fastest on
 *    wasm and cpu at the thesis's sizes, see the bench table in the notes).
 *  - `loop`: one member at a time, a tfjs program per step. The faster on wasm (environment.md, "Compute":
 *    wasm's matMul takes its XNNPACK fast path only without a batch dimension), so it is the default.
 *  - `batched`: all members stacked, batched matMul against stacked weights, members that have done their
 *    steps frozen. Kept for backends where one big program wins (tensorflow, webgl) and as a cross-check.
 * Both consume member i's random numbers in the same order, so they give the same states.
 */
import * as tf from '@tensorflow/tfjs';
import type { NcaConfig } from './config';
import { paramLayout } from './config';
import { blockedKernel0, weightsFromParams, disposeWeights } from './weights';
import { rolloutTensor, fireMaskData, aliveMask, statesToTensor } from './step';
import { perceiveBlocked } from './perception';
import { rgbaMsePerSample } from './loss';
import type { StateBatch } from './state';
import type { Philox } from '../rng/philox';
import { FusedNca } from './fused';

/** Chosen by measurement (`nca-lab bench`, population cases): see the issue notes for the table. */
export const DEFAULT_POPULATION_STRATEGY: PopulationStrategy = 'fused';

export type PopulationStrategy = 'fused' | 'loop' | 'batched';

export interface PopulationRequest {
  cfg: NcaConfig;
  /** one flat parameter vector per member (config.ts layout) */
  paramsList: Float32Array[];
  /** start states: one batch shared by every member, or one batch per member */
  startStates: StateBatch | StateBatch[];
  /** CA steps per member (spec c.1: 30..39, drawn per member) */
  steps: number[];
  /** member i's random stream (fire masks); called once per member */
  rng: (member: number) => Philox;
  /** premultiplied RGBA target [H·W·4] */
  target: Float32Array;
  /** return the final states (needed when a sample pool is on) */
  keepFinals?: boolean;
  strategy?: PopulationStrategy;
  /**
   * The loss is the mean over the states after the last `lossWindow` steps of each rollout (issue 10's
   * window objective; CAX averages the last 32 of 90 steps). 1 (the default) scores the final state only, as
   * the thesis does. Windows above 1 need the fused strategy.
   */
  lossWindow?: number;
  /** score every this many steps of the window, ending on the final state (1, the default: every state) */
  lossEvery?: number;
}

export interface PopulationResult {
  /** per member: mean over its batch of the per-sample loss */
  losses: number[];
  /** per member, per sample */
  sampleLosses: number[][];
  /** per member final states, when keepFinals */
  finals: StateBatch[] | null;
}

function startFor(req: PopulationRequest, i: number): StateBatch {
  return Array.isArray(req.startStates) ? req.startStates[i] : req.startStates;
}

function checkRequest(req: PopulationRequest): void {
  const P = req.paramsList.length;
  if (P === 0) throw new RangeError('evaluatePopulation: the population is empty');
  if (req.steps.length !== P) throw new RangeError(`evaluatePopulation: ${P} members but ${req.steps.length} step counts`);
  if (Array.isArray(req.startStates) && req.startStates.length !== P) {
    throw new RangeError(`evaluatePopulation: ${P} members but ${req.startStates.length} start batches`);
  }
  for (const k of req.steps) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`evaluatePopulation: step count ${k} is not a non-negative integer`);
  }
  const w = req.lossWindow ?? 1;
  if (!Number.isInteger(w) || w < 1) throw new RangeError(`evaluatePopulation: loss window ${w} is not a positive integer`);
  const e = req.lossEvery ?? 1;
  if (!Number.isInteger(e) || e < 1) throw new RangeError(`evaluatePopulation: loss stride ${e} is not a positive integer`);
  if (w > 1 && (req.strategy ?? DEFAULT_POPULATION_STRATEGY) !== 'fused') {
    throw new RangeError(`evaluatePopulation: a loss window (${w}) needs the fused strategy`);
  }
  for (const k of req.steps) {
    if (k < w) throw new RangeError(`evaluatePopulation: ${k} steps are fewer than the loss window (${w})`);
  }
}

export function evaluatePopulation(req: PopulationRequest): PopulationResult {
  checkRequest(req);
  switch (req.strategy ?? DEFAULT_POPULATION_STRATEGY) {
    case 'fused': return evaluateFused(req);
    case 'loop': return evaluateLoop(req);
    case 'batched': return evaluateBatched(req);
  }
}

function finish(finalsIn: StateBatch[], target: Float32Array, keep: boolean): PopulationResult {
  const losses: number[] = [];
  const sampleLosses: number[][] = [];
  for (const f of finalsIn) {
    const per = rgbaMsePerSample(f, target);
    sampleLosses.push(per);
    losses.push(per.reduce((a, b) => a + b, 0) / per.length);
  }
  return { losses, sampleLosses, finals: keep ? finalsIn : null };
}

function evaluateFused(req: PopulationRequest): PopulationResult {
  const window = req.lossWindow ?? 1;
  if (window === 1) {
    const finals = req.paramsList.map((p, i) => new FusedNca(req.cfg, p).rollout(startFor(req, i), req.steps[i], req.rng(i)));
    return finish(finals, req.target, !!req.keepFinals);
  }
  // the same steps and random numbers as one rollout, cut into segments that end on the scored states (the
  // kernel keeps the state in its own memory within a segment, so fewer cuts run faster)
  const every = req.lossEvery ?? 1;
  const losses: number[] = [];
  const sampleLosses: number[][] = [];
  const finals: StateBatch[] = [];
  req.paramsList.forEach((p, i) => {
    const nca = new FusedNca(req.cfg, p);
    const rng = req.rng(i);
    const K = req.steps[i];
    const scored = windowSteps(K, window, every);
    let s = startFor(req, i);
    let at = 0;
    const sum = new Array<number>(s.n).fill(0);
    for (const k of scored) {
      s = nca.rollout(s, k - at, rng);
      at = k;
      rgbaMsePerSample(s, req.target).forEach((l, b) => { sum[b] += l; });
    }
    const per = sum.map((v) => v / scored.length);
    sampleLosses.push(per);
    losses.push(per.reduce((a, b) => a + b, 0) / per.length);
    finals.push(s);
  });
  return { losses, sampleLosses, finals: req.keepFinals ? finals : null };
}

/** The steps whose states a window scores: within the last `window` of `steps`, every `every`-th, ending on the last. */
export function windowSteps(steps: number, window: number, every: number): number[] {
  const out: number[] = [];
  for (let k = steps; k > steps - window; k -= every) out.push(k);
  return out.reverse();
}

function evaluateLoop(req: PopulationRequest): PopulationResult {
  const finals = req.paramsList.map((p, i) => {
    const start = startFor(req, i);
    const w = weightsFromParams(req.cfg, p);
    const x0 = statesToTensor(start);
    const x = rolloutTensor(req.cfg, x0, w, req.steps[i], req.rng(i));
    const final: StateBatch = { ...start, data: x.dataSync() as Float32Array };
    x0.dispose();
    x.dispose();
    disposeWeights(w);
    return final;
  });
  return finish(finals, req.target, !!req.keepFinals);
}

function evaluateBatched(req: PopulationRequest): PopulationResult {
  const { cfg } = req;
  const P = req.paramsList.length;
  const L = paramLayout(cfg);
  const first = startFor(req, 0);
  const B = first.n;
  const { height: H, width: W, channels: C } = first;
  const cells = B * H * W;
  const maxSteps = Math.max(...req.steps);
  const rngs = req.paramsList.map((_, i) => req.rng(i));

  const k0 = new Float32Array(P * L.kernel0.size);
  const k1 = new Float32Array(P * L.kernel1.size);
  const b0 = L.bias0 ? new Float32Array(P * cfg.hidden) : null;
  const b1 = L.bias1 ? new Float32Array(P * C) : null;
  const start = new Float32Array(P * cells * C);
  req.paramsList.forEach((p, i) => {
    k0.set(blockedKernel0(cfg, p), i * L.kernel0.size);
    k1.set(p.subarray(L.kernel1.offset, L.kernel1.offset + L.kernel1.size), i * L.kernel1.size);
    if (b0 && L.bias0) b0.set(p.subarray(L.bias0.offset, L.bias0.offset + L.bias0.size), i * cfg.hidden);
    if (b1 && L.bias1) b1.set(p.subarray(L.bias1.offset, L.bias1.offset + L.bias1.size), i * C);
    const s = startFor(req, i);
    if (s.n !== B || s.height !== H || s.width !== W || s.channels !== C) {
      throw new RangeError('evaluatePopulation (batched): every member needs the same batch shape');
    }
    start.set(s.data, i * cells * C);
  });

  const finalData = tf.tidy(() => {
    const kernel0 = tf.tensor3d(k0, [P, L.inputs, cfg.hidden]);
    const kernel1 = tf.tensor3d(k1, [P, cfg.hidden, C]);
    const bias0 = b0 ? tf.tensor3d(b0, [P, 1, cfg.hidden]) : null;
    const bias1 = b1 ? tf.tensor3d(b1, [P, 1, C]) : null;
    let x = tf.tensor4d(start, [P * B, H, W, C]);
    for (let s = 0; s < maxSteps; s++) {
      const mask = new Float32Array(P * cells);
      const active = new Float32Array(P * B);
      for (let i = 0; i < P; i++) {
        if (s < req.steps[i]) {
          mask.set(fireMaskData(rngs[i], B, H, W, cfg.fireRate), i * cells);
          active.fill(1, i * B, (i + 1) * B);
        }
      }
      const next = tf.tidy(() => {
        const pre = aliveMask(x, cfg.aliveThreshold);
        const y = perceiveBlocked(x).reshape([P, cells, 3 * C]) as tf.Tensor3D;
        let hid = tf.matMul(y, kernel0);
        if (bias0) hid = hid.add(bias0);
        hid = tf.relu(hid);
        let dx = tf.matMul(hid, kernel1);
        if (bias1) dx = dx.add(bias1);
        if (cfg.stepSize !== 1) dx = dx.mul(cfg.stepSize);
        const fire = tf.tensor4d(mask, [P * B, H, W, 1]);
        const x1 = x.add(dx.reshape([P * B, H, W, C]).mul(fire)) as tf.Tensor4D;
        const post = aliveMask(x1, cfg.aliveThreshold);
        const stepped = x1.mul(pre.mul(post));
        const act = tf.tensor4d(active, [P * B, 1, 1, 1]);
        return stepped.mul(act).add(x.mul(tf.scalar(1).sub(act))) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
    }
    return x.dataSync() as Float32Array;
  });

  const finals = req.paramsList.map((_, i): StateBatch => (
    { n: B, height: H, width: W, channels: C, data: finalData.slice(i * cells * C, (i + 1) * cells * C) }));
  return finish(finals, req.target, !!req.keepFinals);
}
