/**
 * What a gallery model is shown for, and the check that it shows it (`npm run models:build`, which refuses to ship
 * a model that fails). The claims are the thesis's findings about its models (spec f.2, f.3, g): a model that
 * *persists* (stops growing: its loss after 1000 updates within 2× of its loss after 40), one that *overgrows*
 * (keeps growing past the target: its loss after 1000 updates past 2× that after 40), one that *heals* (the bottom half erased after update 52, its loss 50 updates
 * later back under 3× the loss before the erase), and how close it gets to the lab's quality goal.
 *
 * Every figure comes from the lab's one evaluation (core/nca/growth-eval.ts, modelGrowthEval) with the replay's
 * fire masks of the gallery's evaluation seed, so `nca-lab grow ID --steps 1000` (and with
 * `--damage thesis:bottom@52`) shows the same losses as the card.
 */
import {
  ERASE_AT, HEAL_FACTOR, HEAL_UPDATES, modelGrowthEval, qualityGoal, type ModelGrowthEval,
} from '../../core/nca/growth-eval';
import type { NcaConfig } from '../../core/nca/config';
import type { TargetRef } from '../../shared/training-config';
import { resolveTarget } from '../targets/targets';
import { EVALUATION_SEED } from './model-library';

export const GALLERY_CLAIMS = ['persists', 'overgrows', 'heals'] as const;
export type GalleryClaim = (typeof GALLERY_CLAIMS)[number];

export interface GalleryClaims {
  /** what the model shows; each is checked */
  shows: GalleryClaim[];
  /** the model's 40-step loss is at most this; absent: the card claims no bar (it states the loss and the goal) */
  loss40AtMost?: number;
}

/** A model to measure: its shape, parameters and the target it was trained on (its canvas is the target's). */
export interface ModelToMeasure {
  nca: NcaConfig;
  params: Float32Array;
  target: TargetRef;
}

/** The model grown by the lab's evaluation on its training canvas (replay seed EVALUATION_SEED). */
export async function measureModel(model: ModelToMeasure): Promise<ModelGrowthEval> {
  const t = await resolveTarget(model.target.name, { size: model.target.size, padding: model.target.padding });
  return modelGrowthEval(model.nca, model.params, t, EVALUATION_SEED);
}

export function showLoss(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(2) : String(v);
}

/**
 * The thesis's overgrowing model: it grows its target (a finite loss after 40 updates) and does not stop, its loss
 * after 1000 updates past 2× that (the persistence verdict overgrows, or diverges when it passes 1).
 */
function overgrows(e: ModelGrowthEval): boolean {
  return Number.isFinite(e.loss40) && e.verdict !== 'persists';
}

/** Why the measured model does not show what `claims` say (one sentence each); empty when it does. */
export function claimProblems(claims: GalleryClaims, e: ModelGrowthEval): string[] {
  const growth = `its loss after 1000 updates is ${showLoss(e.loss1000)} against ${showLoss(e.loss40)} after 40 (${e.verdict})`;
  const problems: string[] = [];
  for (const claim of claims.shows) {
    if (claim === 'persists' && e.verdict !== 'persists') problems.push(`it does not persist: ${growth}, not within 2×`);
    // overgrowing past a loss of 1 is the lab's "diverges" (growth-eval.ts); both are a model that does not stop
    if (claim === 'overgrows' && !overgrows(e)) problems.push(`it does not overgrow: ${growth}`);
    if (claim === 'heals' && !e.erase.heals) {
      problems.push(
        `it does not heal: ${HEAL_UPDATES} updates after the bottom half is erased (after update ${ERASE_AT}) its loss is ` +
          `${showLoss(e.erase.after)}, not under ${HEAL_FACTOR}× its loss before the erase (${showLoss(e.erase.before)})`,
      );
    }
  }
  if (claims.loss40AtMost !== undefined && !(e.loss40 <= claims.loss40AtMost)) {
    problems.push(`its loss after 40 updates (${showLoss(e.loss40)}) is above the card's ${claims.loss40AtMost}`);
  }
  return problems;
}

/** The card's sentence of figures: the losses after 40/200/1000 updates, the goal, and the erase. */
export function describeMeasure(e: ModelGrowthEval, targetSize: number): string {
  const goal = qualityGoal(targetSize);
  return (
    `Loss after 40 updates ${showLoss(e.loss40)} (the lab's goal at ${targetSize} px: ${goal}, ${e.loss40 <= goal ? 'met' : 'not met'}), ` +
    `after 200 ${showLoss(e.loss200)}, after 1000 ${showLoss(e.loss1000)} (${e.verdict === 'diverges' ? 'diverges: past a loss of 1' : e.verdict}); ` +
    `bottom half erased after update ${ERASE_AT}: ` +
    `${showLoss(e.erase.before)} → ${showLoss(e.erase.erased)}, ${HEAL_UPDATES} updates later ${showLoss(e.erase.after)} ` +
    `(${e.erase.heals ? 'heals' : 'does not heal'}).`
  );
}
