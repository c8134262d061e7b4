/**
 * Growth evaluation during training, ES and Adam alike (spec c.2): one rollout of 201 steps from the seed with
 * the current parameters, batch 1; the losses after 41 and 201 steps, logged as eval40 and eval200 (the thesis's
 * growth_loss/40 and /200). It runs on the fused typed-array step (no tape, no tfjs) with the generation's /
 * iteration's Eval stream, so the numbers are reproducible and cheap beside the training step.
 */
import type { NcaConfig } from './config';
import { makeSeed, type StateBatch } from './state';
import { FusedNca, FusedScratch } from './fused';
import { rgbaMsePerSample } from './loss';
import { runStream, StreamPurpose } from '../rng/run-streams';
import { renderFrame } from '../replay/frames';
import { Philox } from '../rng/philox';
import { STREAM_FIRE } from '../replay/damage-event';
import { eraseBottomHalf } from '../damage/damage';

type EvalTarget = { rgba: Float32Array; height: number; width: number };

/**
 * Where the fire mask of update t comes from: the training's evaluation draws every update from one stream of
 * its step (evalStream); a replay gives update t its own stream (replayFireMasks, core/replay/growth-replay.ts).
 */
export type FireMasks = (t: number) => Philox;

/** The training's evaluation at step `step`: one Eval stream for the whole rollout (spec c.2). */
function evalStream(seed: number, step: number): FireMasks {
  const rng = runStream(seed, step, StreamPurpose.Eval);
  return () => rng;
}

/**
 * The replay's fire masks (GrowthReplay, `nca-lab grow`): update t draws from (replay seed, STREAM_FIRE, t), so
 * an evaluation with them is the rollout `nca-lab grow MODEL --seed SEED` shows, state for state.
 */
export function replayFireMasks(replaySeed: number): FireMasks {
  return (t) => new Philox(replaySeed, STREAM_FIRE, t);
}

/** One rollout from the seed on the target's canvas; `to(t)` applies the updates up to t (in order). */
class Rollout {
  readonly s: StateBatch;
  private readonly nca: FusedNca;
  private readonly scratch: FusedScratch;
  private t = 0;

  constructor(cfg: NcaConfig, params: Float32Array, private readonly target: EvalTarget, private readonly fire: FireMasks, from?: Rollout) {
    this.nca = new FusedNca(cfg, params);
    this.s = makeSeed(target.height, target.width, cfg.channels);
    if (from) {
      this.s.data.set(from.s.data);
      this.t = from.t;
    }
    this.scratch = new FusedScratch(this.s);
  }

  to(t: number): this {
    while (this.t < t) this.nca.step(this.s, this.fire(++this.t), this.scratch);
    return this;
  }

  loss(): number {
    return rgbaMsePerSample(this.s, this.target.rgba)[0];
  }
}

export const EVAL_STEPS_40 = 41;
export const EVAL_STEPS_200 = 201;

export function growthEval(
  cfg: NcaConfig, seed: number, params: Float32Array, target: EvalTarget, step: number,
): { eval40: number; eval200: number } {
  const r = new Rollout(cfg, params, target, evalStream(seed, step));
  const eval40 = r.to(EVAL_STEPS_40).loss();
  return { eval40, eval200: r.to(EVAL_STEPS_200).loss() };
}

/**
 * The losses of one rollout from the seed on step `step`'s Eval stream after each of `counts` CA steps (ascending):
 * every growth metric of a training row (shared/metrics.ts) from one rollout of the longest.
 */
export function growthLossesAt(cfg: NcaConfig, seed: number, params: Float32Array, target: EvalTarget, step: number, counts: readonly number[]): number[] {
  const r = new Rollout(cfg, params, target, evalStream(seed, step));
  return counts.map((k) => r.to(k).loss());
}

/** Whether a grown model stops growing (the lab's persistence measure, and the thesis's headline question). */
export type PersistenceVerdict = 'persists' | 'overgrows' | 'diverges';

export const PERSISTENCE_VERDICTS: readonly PersistenceVerdict[] = ['persists', 'overgrows', 'diverges'];

/** What each verdict means, in the words of persistenceVerdict's rule (shown beside a verdict wherever it is). */
export const PERSISTENCE_VERDICT_MEANING: Record<PersistenceVerdict, string> = {
  persists: 'stops growing: the loss after 1000 updates is within 2× of the loss after 40',
  overgrows: 'keeps growing past the target: the loss after 1000 updates is more than 2× the loss after 40',
  diverges: 'blows up: the loss after 1000 updates is above 1 or not a number',
};

/**
 * The 40-step loss a model should reach (the quality goal of `nca-lab bench quality`, docs/benchmarks.md): 0.0005 at
 * 9 px, 0.0015 at 15 px and larger.
 */
export function qualityGoal(size: number): number {
  return size <= 9 ? 0.0005 : 0.0015;
}

/** Steps of the long look: the loss after 1000 updates from the seed. */
export const EVAL_STEPS_1000 = 1001;

/** persists: loss at 1000 within 2× of the loss at 40; diverges: non-finite or above 1; else overgrows */
export function persistenceVerdict(eval40: number, eval1000: number): PersistenceVerdict {
  if (!Number.isFinite(eval40) || !Number.isFinite(eval1000) || eval1000 > 1) return 'diverges';
  return eval1000 <= 2 * eval40 ? 'persists' : 'overgrows';
}

/**
 * The states an evaluation keeps as a strip of the model growing (TensorBoard's image summaries): after 10 and 20
 * updates, and the states the 40-, 200- and 1000-step losses measure. `label` is what a strip's column says.
 */
export const EVALUATION_FRAMES: readonly { steps: number; label: string }[] = [
  { steps: 10, label: '10' }, { steps: 20, label: '20' },
  { steps: EVAL_STEPS_40, label: '40' }, { steps: EVAL_STEPS_200, label: '200' }, { steps: EVAL_STEPS_1000, label: '1000' },
];

/**
 * The growth evaluation of training (the same Eval stream of step `step`, so the same 40- and 200-step losses as
 * the metrics row of that step) carried on to 1000 steps, with its persistence verdict; `lossSteps`: the losses
 * also wanted, in that order in `losses` (training passes its growth metrics' steps, shared/metrics.ts, so a new
 * growth metric is measured without a change here); with `frames`, also the states of EVALUATION_FRAMES rendered
 * on white (RGBA8, core/replay/frames.ts). One rollout reads them all: a step added does not change the others.
 */
export function persistenceEval(
  cfg: NcaConfig, seed: number, params: Float32Array, target: EvalTarget, step: number,
  opts: { frames?: boolean; lossSteps?: readonly number[] } = {},
): { eval40: number; eval200: number; eval1000: number; losses: number[]; verdict: PersistenceVerdict; frames: Uint8ClampedArray[] } {
  const r = new Rollout(cfg, params, target, evalStream(seed, step));
  const lossAt = new Map<number, number>([EVAL_STEPS_40, EVAL_STEPS_200, EVAL_STEPS_1000, ...(opts.lossSteps ?? [])].map((k) => [k, Number.NaN]));
  const frames: Uint8ClampedArray[] = [];
  const frameAt = opts.frames ? EVALUATION_FRAMES.map((f) => f.steps) : [];
  // every step where something is read, in order: the rollout only moves forward
  for (const k of [...new Set([...lossAt.keys(), ...frameAt])].sort((a, b) => a - b)) {
    r.to(k);
    if (lossAt.has(k)) lossAt.set(k, r.loss());
    if (frameAt.includes(k)) frames.push(renderFrame(r.s, 'rgb'));
  }
  const eval40 = lossAt.get(EVAL_STEPS_40)!;
  const eval1000 = lossAt.get(EVAL_STEPS_1000)!;
  const losses = (opts.lossSteps ?? []).map((k) => lossAt.get(k)!);
  return { eval40, eval200: lossAt.get(EVAL_STEPS_200)!, eval1000, losses, verdict: persistenceVerdict(eval40, eval1000), frames };
}

/**
 * The thesis's regeneration test (f.3): the bottom half of the canvas erased (all channels) after the update at
 * its index 51, i.e. after ERASE_AT updates (`nca-lab grow --damage thesis:bottom@52`).
 */
export const ERASE_AT = 52;
/** A model heals when, HEAL_UPDATES updates after the erase, its loss is back under HEAL_FACTOR × the loss before. */
export const HEAL_UPDATES = 50;
export const HEAL_FACTOR = 3;

export function healVerdict(lossBefore: number, lossAfter: number): boolean {
  return Number.isFinite(lossBefore) && Number.isFinite(lossAfter) && lossAfter < HEAL_FACTOR * lossBefore;
}

/** A saved model grown as `nca-lab grow` grows it: the losses after t updates (t as the replay counts, f.1). */
export interface ModelGrowthEval {
  loss40: number;
  loss200: number;
  loss1000: number;
  verdict: PersistenceVerdict;
  /** the bottom-half erase after ERASE_AT updates: the loss just before, just after, and HEAL_UPDATES later */
  erase: { before: number; erased: number; after: number; heals: boolean };
}

/**
 * A saved model's growth on its training canvas with the replay's fire masks of `replaySeed` (so `nca-lab grow`
 * with that seed shows the same losses): after 40, 200 and 1000 updates with the persistence verdict, and the
 * bottom-half erase with whether it heals. The erased rollout shares the first ERASE_AT updates.
 */
export function modelGrowthEval(cfg: NcaConfig, params: Float32Array, target: EvalTarget, replaySeed: number): ModelGrowthEval {
  const fire = replayFireMasks(replaySeed);
  const r = new Rollout(cfg, params, target, fire);
  const loss40 = r.to(40).loss();
  const before = r.to(ERASE_AT).loss();
  const damaged = new Rollout(cfg, params, target, fire, r);
  eraseBottomHalf(damaged.s);
  const erased = damaged.loss();
  const after = damaged.to(ERASE_AT + HEAL_UPDATES).loss();
  const loss200 = r.to(200).loss();
  const loss1000 = r.to(1000).loss();
  return {
    loss40, loss200, loss1000, verdict: persistenceVerdict(loss40, loss1000),
    erase: { before, erased, after, heals: healVerdict(before, after) },
  };
}
