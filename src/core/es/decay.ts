/**
 * Learning-rate decay of the ES step size, two rules:
 *
 * - 'thresholds' (spec c.5, the thesis's): checked only every `every` generations, on that generation's mean raw
 *   population fitness F̄ (= −mean loss). Stage 0: F̄ ≥ t0 → α ×= f0; stage 1: F̄ ≥ t1 → α ×= f1; at most two
 *   decays, one per check. The thresholds are absolute, so they fit the target they were set on (carrot-9)
 *   and never fire on a harder one whose loss stays above them.
 * - 'plateau' (the lab's, not in the thesis; the reduce-on-plateau schedule of supervised training): F̄ is
 *   averaged over each window of `every` generations; when `patience` windows in a row fail to beat the best
 *   window by PLATEAU_MARGIN of its size, α ×= f0, as long as α stays ≥ `minLr`. It follows the run's own
 *   progress, so one setting serves every target.
 *
 * Both are pure functions of (state, generation, F̄), and the state is checkpointed as scalars
 * (decayScalars/decayFromScalars), so a resumed run decays exactly as an uninterrupted one.
 */
export interface DecaySettings {
  enabled: boolean;
  every: number;
  thresholds: [number, number];
  factors: [number, number];
  /** absent in configs written before the plateau rule: 'thresholds' */
  rule?: DecayRule;
  /** plateau: windows without improvement before α is cut */
  patience?: number;
  /** plateau: α is never cut below this */
  minLr?: number;
  /** σ follows α: σ = σ₀·(α/α₀)^sigmaPower (0 or absent: σ stays σ₀, as in c.5); see decayedSigma */
  sigmaPower?: number;
}

export const DECAY_RULES = ['thresholds', 'plateau'] as const;
export type DecayRule = (typeof DECAY_RULES)[number];

/** A window must beat the best by this fraction of |best| to count as progress (F̄ is noisy: random steps and fire masks). */
export const PLATEAU_MARGIN = 0.01;

export interface PlateauState {
  /** the best window mean of F̄ so far (null before the first window ends) */
  best: number | null;
  /** windows since the best one */
  since: number;
  /** the current window's sum of F̄ and its generations */
  acc: number;
  n: number;
}

export interface DecayState {
  lr: number;
  /** decays done so far */
  stage: number;
  /** the plateau rule's window; absent under the thresholds rule */
  plateau?: PlateauState;
}

export function initialDecay(lr: number, settings: DecaySettings): DecayState {
  return settings.rule === 'plateau' ? { lr, stage: 0, plateau: { best: null, since: 0, acc: 0, n: 0 } } : { lr, stage: 0 };
}

/** `generation` counts from 1; the thesis checks at iteration it % every == 0 with it = generation − 1. */
export function decayStep(s: DecayState, settings: DecaySettings, generation: number, meanFitness: number): DecayState {
  if (!settings.enabled) return s;
  if (settings.rule === 'plateau') return plateauStep(s, settings, generation, meanFitness);
  if ((generation - 1) % settings.every !== 0 || s.stage >= 2) return s;
  if (meanFitness >= settings.thresholds[s.stage]) return { lr: s.lr * settings.factors[s.stage], stage: s.stage + 1 };
  return s;
}

function plateauStep(s: DecayState, settings: DecaySettings, generation: number, meanFitness: number): DecayState {
  const p = s.plateau ?? { best: null, since: 0, acc: 0, n: 0 };
  const acc = p.acc + meanFitness;
  const n = p.n + 1;
  if (generation % settings.every !== 0) return { lr: s.lr, stage: s.stage, plateau: { best: p.best, since: p.since, acc, n } };
  const mean = acc / n;
  const improved = p.best === null || mean > p.best + PLATEAU_MARGIN * Math.abs(p.best);
  const best = improved ? mean : p.best;
  let since = improved ? 0 : p.since + 1;
  let lr = s.lr;
  let stage = s.stage;
  const next = lr * settings.factors[0];
  if (since >= (settings.patience ?? 3) && next >= (settings.minLr ?? 0)) {
    lr = next;
    stage += 1;
    since = 0;
  }
  return { lr, stage, plateau: { best, since, acc: 0, n: 0 } };
}

/**
 * σ of a generation under a decaying α (the lab's, not in the thesis): σ = σ₀·(α/α₀)^p. Why: the members are
 * scored at θ ± σz, so ES follows the gradient of the loss smoothed over a ball of radius ≈ σ·√dim (≈ 0.9 for the
 * thesis model at σ 0.02, against weights of ≈ 0.1). Near a good model that smoothed loss bottoms out well
 * above the model's own (rabbit-15 under es-plateau: members ≈ 0.020, the centre ≈ 0.011), and cutting α alone
 * cannot go below it. σ is a function of the checkpointed α, so it needs no state of its own and a resume is
 * bit-exact. p = 0 returns σ₀ itself (every run before this option, unchanged to the bit).
 */
export function decayedSigma(sigma0: number, lr0: number, lr: number, power: number | undefined): number {
  if (!power) return sigma0;
  return sigma0 * Math.pow(lr / lr0, power);
}

/** Checkpoint scalar names of the plateau window (the step size and stage keep their own names in each strategy). */
export const PLATEAU_KEYS = { best: 'decay.best', since: 'decay.since', acc: 'decay.acc', n: 'decay.n' } as const;

/** The plateau window as checkpoint scalars (none under the thresholds rule, so those checkpoints are unchanged). */
export function decayScalars(s: DecayState): Record<string, number | null> {
  if (!s.plateau) return {};
  return { [PLATEAU_KEYS.best]: s.plateau.best, [PLATEAU_KEYS.since]: s.plateau.since, [PLATEAU_KEYS.acc]: s.plateau.acc, [PLATEAU_KEYS.n]: s.plateau.n };
}

/** A DecayState from a checkpoint's step size, stage and (under the plateau rule) window scalars. */
export function decayFromScalars(lr: number, stage: number, scalars: Record<string, unknown>, settings: DecaySettings): DecayState {
  if (settings.rule !== 'plateau') return { lr, stage };
  const num = (key: string): number => {
    const x = scalars[key];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`the checkpoint has no plateau-decay state (scalar "${key}")`);
    return x;
  };
  const best = scalars[PLATEAU_KEYS.best];
  if (best !== null && (typeof best !== 'number' || !Number.isFinite(best))) throw new Error(`the checkpoint has no plateau-decay state (scalar "${PLATEAU_KEYS.best}")`);
  return { lr, stage, plateau: { best, since: num(PLATEAU_KEYS.since), acc: num(PLATEAU_KEYS.acc), n: num(PLATEAU_KEYS.n) } };
}
