/**
 * Learning-rate decay (spec c.5): checked only every `every` generations, on that generation's mean raw
 * population fitness F̄ (= −mean loss). Stage 0: F̄ ≥ t0 → α ×= f0; stage 1: F̄ ≥ t1 → α ×= f1; at most two
 * decays, one per check.
 */
export interface DecaySettings {
  enabled: boolean;
  every: number;
  thresholds: [number, number];
  factors: [number, number];
}

export interface DecayState {
  lr: number;
  stage: number;
}

/** `generation` counts from 1; the thesis checks at iteration it % every == 0 with it = generation − 1. */
export function decayStep(s: DecayState, settings: DecaySettings, generation: number, meanFitness: number): DecayState {
  if (!settings.enabled || (generation - 1) % settings.every !== 0 || s.stage >= 2) return s;
  if (meanFitness >= settings.thresholds[s.stage]) return { lr: s.lr * settings.factors[s.stage], stage: s.stage + 1 };
  return s;
}
