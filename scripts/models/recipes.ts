/**
 * The gallery's recipes (models.json lists them, in this order): the Distill demo's three lizards, and the lab's
 * own models, each trained by `nca-lab train` from a preset and seed, and shown for what the thesis found
 * (spec f.2, f.3): ES models that stop growing at their target and regrow their bottom half, an Adam model
 * without a sample pool that keeps growing past its target, and one with the pool that persists.
 */
import type { GalleryClaims } from '../../src/services/models/gallery-claims';

export interface DistillRecipe {
  id: string;
  kind: 'distill';
  file: string;
}

export interface LabRecipe {
  id: string;
  kind: 'lab';
  optimizer: 'es' | 'adam';
  preset: string;
  target: string;
  seed: number;
  /** worker processes of the training (shared machines: few) */
  workers: number;
  /** the training's stop conditions (`nca-lab train` flags); the card records the generation shipped */
  stop: { targetLoss?: number; maxSeconds?: number; maxGenerations?: number };
  /** checkpoint cadence, so a stopped build resumes close to where it was and earlier models can be shipped */
  checkpointEvery: number;
  /** what the model is in the gallery for, in words: the first sentence of its card */
  shows: string;
  /** what the card must add about this model (how far its training went), after `shows` */
  note?: string;
  claims: GalleryClaims;
}

export type Recipe = DistillRecipe | LabRecipe;

const ES_SHOWS =
  'ES (today\'s default preset) grows its target, then stops growing and regrows its bottom half when it is erased, as the thesis\'s ES models do.';
const ADAM_POOL_SHOWS =
  'Adam with the thesis\'s sample pool: trained on states it grew earlier, it learns to hold its shape, so it persists.';
const ADAM_NOPOOL_SHOWS =
  'Adam without a sample pool (every batch starts from the seed) grows its target by update 40, then keeps growing past it, as the thesis found for Adam without a pool.';

function es(id: string, target: string, claims: GalleryClaims, stop: LabRecipe['stop'], workers: number, note?: string): LabRecipe {
  return { id, kind: 'lab', optimizer: 'es', preset: 'es-256', target, seed: 1, workers, stop, checkpointEvery: 100, shows: ES_SHOWS, note, claims };
}

function adam(preset: 'thesis-adam' | 'thesis-adam-nopool', target: string, maxGenerations: number): LabRecipe {
  const pool = preset === 'thesis-adam';
  return {
    id: `${preset}-${target}`, kind: 'lab', optimizer: 'adam', preset, target, seed: 1, workers: 1, stop: { maxGenerations },
    checkpointEvery: 250, shows: pool ? ADAM_POOL_SHOWS : ADAM_NOPOOL_SHOWS, claims: { shows: [pool ? 'persists' : 'overgrows'] },
  };
}

export const RECIPES: Recipe[] = [
  { id: 'distill-lizard-growing', kind: 'distill', file: 'ex1_lizard.json' },
  { id: 'distill-lizard-persistent', kind: 'distill', file: 'ex2_lizard.json' },
  { id: 'distill-lizard-regenerating', kind: 'distill', file: 'ex3_lizard.json' },
  // the lab's quality goal (core/nca/growth-eval.ts qualityGoal) is the stop; the cap keeps a build finite
  es('es-carrot-9', 'carrot-9', { shows: ['persists', 'heals'], loss40AtMost: 0.0005 }, { targetLoss: 0.0005, maxSeconds: 3600 }, 1),
  es(
    'es-rabbit-15', 'rabbit-15', { shows: ['persists', 'heals'] }, { targetLoss: 0.0015, maxSeconds: 7200 }, 2,
    'Far from the quality goal: its training stopped early (on a shared machine), where it holds a rough rabbit; ' +
      'es-256 reaches the goal on rabbit-15 at about generation 11,600 (docs/benchmarks.md).',
  ),
  // Adam stops long before the thesis's 20,000 iterations: with the pool it persists by then, without it has grown
  // its target and overgrows
  adam('thesis-adam', 'carrot-9', 4000),
  adam('thesis-adam-nopool', 'carrot-9', 1500),
  adam('thesis-adam', 'rabbit-15', 3000),
  adam('thesis-adam-nopool', 'rabbit-15', 1000),
];
