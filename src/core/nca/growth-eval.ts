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
