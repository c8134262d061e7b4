/**
 * Growth evaluation during training, ES and Adam alike (spec c.2): one rollout of 201 steps from the seed with
 * the current parameters, batch 1; the losses after 41 and 201 steps, logged as eval40 and eval200 (the thesis's
 * growth_loss/40 and /200). It runs on the fused typed-array step (no tape, no tfjs) with the generation's /
 * iteration's Eval stream, so the numbers are reproducible and cheap beside the training step.
 */
import type { NcaConfig } from './config';
import { makeSeed } from './state';
import { FusedNca, FusedScratch } from './fused';
import { rgbaMsePerSample } from './loss';
import { runStream, StreamPurpose } from '../rng/run-streams';

export const EVAL_STEPS_40 = 41;
export const EVAL_STEPS_200 = 201;

export function growthEval(
  cfg: NcaConfig, seed: number, params: Float32Array, target: { rgba: Float32Array; height: number; width: number }, step: number,
): { eval40: number; eval200: number } {
  const nca = new FusedNca(cfg, params);
  const rng = runStream(seed, step, StreamPurpose.Eval);
  const s = makeSeed(target.height, target.width, cfg.channels);
  const scratch = new FusedScratch(s);
  let eval40 = NaN;
  for (let k = 1; k <= EVAL_STEPS_200; k++) {
    nca.step(s, rng, scratch);
    if (k === EVAL_STEPS_40) eval40 = rgbaMsePerSample(s, target.rgba)[0];
  }
  return { eval40, eval200: rgbaMsePerSample(s, target.rgba)[0] };
}

/** Whether a grown model stops growing (issue 10's measure, and the thesis's headline question). */
export type PersistenceVerdict = 'persists' | 'overgrows' | 'diverges';

export const PERSISTENCE_VERDICTS: readonly PersistenceVerdict[] = ['persists', 'overgrows', 'diverges'];

/** What each verdict means, in the words of persistenceVerdict's rule (shown beside a verdict wherever it is). */
export const PERSISTENCE_VERDICT_MEANING: Record<PersistenceVerdict, string> = {
  persists: 'stops growing: the loss after 1000 updates is within 2× of the loss after 40',
  overgrows: 'keeps growing past the target: the loss after 1000 updates is more than 2× the loss after 40',
  diverges: 'blows up: the loss after 1000 updates is above 1 or not a number',
};

/** The 40-step loss a model should reach (issue 10's bar): 0.0005 at 9 px, 0.0015 at 15 px and larger. */
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
 * The growth evaluation of training (the same Eval stream of step `step`, so the same 40- and 200-step losses as
 * the metrics row of that step) carried on to 1000 steps, with its persistence verdict.
 */
export function persistenceEval(
  cfg: NcaConfig, seed: number, params: Float32Array, target: { rgba: Float32Array; height: number; width: number }, step: number,
): { eval40: number; eval200: number; eval1000: number; verdict: PersistenceVerdict } {
  const nca = new FusedNca(cfg, params);
  const rng = runStream(seed, step, StreamPurpose.Eval);
  const s = makeSeed(target.height, target.width, cfg.channels);
  const scratch = new FusedScratch(s);
  const at: number[] = [];
  let done = 0;
  for (const k of [EVAL_STEPS_40, EVAL_STEPS_200, EVAL_STEPS_1000]) {
    for (; done < k; done++) nca.step(s, rng, scratch);
    at.push(rgbaMsePerSample(s, target.rgba)[0]);
  }
  const [eval40, eval200, eval1000] = at;
  return { eval40, eval200, eval1000, verdict: persistenceVerdict(eval40, eval1000) };
}
