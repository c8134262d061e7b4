/**
 * Population evaluation (spec c.2): P parameter vectors, each rolled out for its own
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
 *
 * The two tfjs strategies live in population-tfjs.ts, which registers them when imported: this module loads no
 * tfjs, so an ES worker evaluating on the fused kernel never does (tfjs would break the 80 MB budget of an ES worker).
 */
import type { NcaConfig } from './config';
import { rgbaMsePerSample } from './loss';
import type { StateBatch } from './state';
import type { Philox } from '../rng/philox';
import { FusedNca } from './fused';

/** Chosen by measurement: `nca-lab bench` (population cases) prints mutants/s of each strategy. */
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
   * The loss is the mean over the states after the last `lossWindow` steps of each rollout (the lab's
   * window objective, docs/benchmarks.md; CAX averages the last 32 of 90 steps). 1 (the default) scores the final state only, as
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

/** A strategy that needs tfjs, registered by population-tfjs.ts. */
export type PopulationEvaluator = (req: PopulationRequest) => PopulationResult;
const tfjsStrategies = new Map<'loop' | 'batched', PopulationEvaluator>();

export function registerPopulationStrategy(name: 'loop' | 'batched', evaluate: PopulationEvaluator): void {
  tfjsStrategies.set(name, evaluate);
}

export function evaluatePopulation(req: PopulationRequest): PopulationResult {
  checkRequest(req);
  const strategy = req.strategy ?? DEFAULT_POPULATION_STRATEGY;
  if (strategy === 'fused') return evaluateFused(req);
  const evaluate = tfjsStrategies.get(strategy);
  if (!evaluate) {
    throw new Error(`evaluatePopulation: the "${strategy}" strategy runs on tfjs; import core/nca/population-tfjs first (it registers itself)`);
  }
  return evaluate(req);
}

/** Losses (and finals, when kept) of the members' final states. */
export function finish(finalsIn: StateBatch[], target: Float32Array, keep: boolean): PopulationResult {
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
