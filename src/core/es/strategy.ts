/**
 * The seam between the ES generation engine and an ES update rule (an ask/tell "strategy").
 *
 * The engine (services/training/optimizers/es.ts) owns everything a generation costs and everything that must
 * stay the same for every update rule: thesis Algorithm 2 over the workers (only θ, σ and the generation number go
 * out, only per-member losses come back), noise rebuilt everywhere from (seed, generation, pair) (core/es/streams),
 * mirrored members 2k, 2k+1 = centre ± σ·z_k (c.2), step counts, fire masks and common random numbers, the
 * sample pool (spec e), the centred-rank shaping of c.3, logging, checkpoints and bit-exact resume. A strategy
 * owns only the search distribution and how fitness moves it:
 *
 *   const { center, sigma } = strategy.ask();          // θ and σ of this generation
 *   … the engine evaluates member i at center + sign_i·σ ⊙ z_pair(i) on the workers …
 *   const requests = strategy.noiseSums({ generation, fitness, shaped, mirrored });   // Σ w_i·s_i, … it needs
 *   … the engine computes those sums where the noise is (noise-sums.ts: each worker over a range of parameters) …
 *   const { lr } = strategy.tell({ generation, fitness, shaped, mirrored, sums });
 *   strategy.checkpointState()                          // → checkpoint arrays/scalars (θ itself is the checkpoint's params)
 *   factory.restore(settings, checkpoint.params, state) // → the same strategy, bit for bit
 *
 * `sigma` is one number for isotropic strategies, or a Float32Array with one σ per parameter for diagonal ones
 * (SNES, sep-CMA-ES, PGPE); a vector travels to the workers once per generation beside θ
 * (EsSliceRequest.sigmaVector, core/es/slice.ts), so a generation still sends O(dim) numbers out and
 * O(population) scalars back. A strategy never reads the noise itself: the update's noise, rebuilt for every
 * member, is the largest part of a generation that is not the rollouts, so the engine has it summed in parallel
 * (noise-sums.ts) and hands the strategy only the sums it asked for.
 *
 * Rules a strategy keeps, so the lab's guarantees hold for every one:
 *  - deterministic: the same tell() sequence gives the same state (no Math.random; any randomness of its own
 *    comes from runStream(seed, generation, …));
 *  - its whole state is in checkpointState(): float arrays (Float32Array, stored exactly) and finite number
 *    scalars; keys are namespaced by strategy (`snes.sigma`, `adam.m`), except the first strategy's `lr` and
 *    `decayStage`, which checkpoints written before this seam already use;
 *  - ask() returns the same centre/σ until the next tell() (the engine may call it more than once); the engine
 *    never writes into them;
 *  - tell() may leave non-finite numbers in the centre: the engine checks and fails the run, keeping the last
 *    good checkpoint.
 *
 * The first strategy is the thesis's own update with the c.5 learning-rate decay (`DecayedEsUpdate` below),
 * in both forms of c.4 ('thesis' and 'salimans').
 */
import { applyEsStep, GenerationNoise, type EsUpdateForm } from './update';
import { localNoiseSums, type NoiseSumRequest } from './noise-sums';
import { decayedSigma, decayFromScalars, decayScalars, decayStep, initialDecay, type DecaySettings, type DecayState } from './decay';
import { memberNoiseIndex, noiseVector } from './streams';

/** The search distribution of one generation. */
export interface EsSearchDistribution {
  /** θ, the centre the members are perturbed around (the run's parameters) */
  center: Float32Array;
  /** σ: one for all parameters, or one per parameter (length = center.length) */
  sigma: number | Float32Array;
}

/**
 * The noise of one generation as the engine and the workers drew it: member i was evaluated at
 * center + sign_i·σ ⊙ z_pair(i), z_k ~ N(0, I) rebuilt from (seed, generation, k).
 */
export class PopulationNoise {
  readonly pairs: number;
  private readonly scratch: Float64Array;
  constructor(
    readonly seed: number, readonly generation: number, readonly population: number, readonly mirrored: boolean,
    readonly dim: number,
    /** all z_k built ahead while the workers evaluated (null: rebuilt on demand, the same numbers) */
    readonly prebuilt: GenerationNoise | null = null,
  ) {
    this.pairs = mirrored ? Math.ceil(population / 2) : population;
    this.scratch = new Float64Array(dim);
    if (prebuilt && (prebuilt.seed !== seed || prebuilt.generation !== generation || prebuilt.dim !== dim)) {
      throw new Error(`ES noise: built for generation ${prebuilt.generation}, not ${generation}`);
    }
  }

  /** Which z and which sign member i used. */
  memberIndex(member: number): { pair: number; sign: 1 | -1 } {
    return memberNoiseIndex(member, this.mirrored);
  }

  /**
   * z_k (float64). Without `out`, the returned array may be a view of the prebuilt noise or a scratch buffer
   * reused by the next call: copy it to keep it.
   */
  z(pair: number, out?: Float64Array): Float64Array {
    if (this.prebuilt && pair < this.prebuilt.pairs) {
      const view = this.prebuilt.z.subarray(pair * this.dim, (pair + 1) * this.dim);
      if (!out) return view;
      out.set(view);
      return out;
    }
    return noiseVector(this.seed, this.generation, pair, this.dim, out ?? this.scratch);
  }
}

/** What the engine knows of a generation once its losses are in. */
export interface EsFitnessResult {
  /** the generation just evaluated, counted from 1 */
  generation: number;
  /** raw fitness of each member, −loss (c.2), in member order */
  fitness: readonly number[];
  /** the same fitness shaped by centred ranks (c.3), what the thesis's update uses; a strategy may reshape `fitness` */
  shaped: ArrayLike<number>;
  /** whether members 2k, 2k+1 shared z_k with opposite signs (c.2) */
  mirrored: boolean;
}

/** What the engine tells a strategy after a generation was evaluated. */
export interface EsGenerationResult extends EsFitnessResult {
  /** the weighted noise sums the strategy's noiseSums() asked for, in its order (fresh arrays: it may write into them) */
  sums: readonly Float64Array[];
}

/** What a strategy reports about its update, for the generation's metric row. */
export interface EsTellReport {
  /** the step size the update used (the row's `lr`) */
  lr: number;
}

/** A strategy's whole state besides the centre θ (which the checkpoint keeps as its params). */
export interface EsStrategyState {
  arrays: Record<string, Float32Array>;
  scalars: Record<string, number>;
}

export interface EsStrategy {
  /** the update rule's name as configured (`thesis`, `salimans`, …) */
  readonly id: string;
  ask(): EsSearchDistribution;
  /** the weighted sums of the generation's noise (noise-sums.ts) that tell() will read, from its fitness */
  noiseSums(result: EsFitnessResult): NoiseSumRequest[];
  tell(result: EsGenerationResult): EsTellReport;
  checkpointState(): EsStrategyState;
}

/** tell() with the sums computed in this process from the generation's noise (in-process sessions, tests, scripts). */
export function tellWithNoise(strategy: EsStrategy, result: Omit<EsFitnessResult, 'mirrored'>, noise: PopulationNoise): EsTellReport {
  const r: EsFitnessResult = { ...result, mirrored: noise.mirrored };
  return strategy.tell({ ...r, sums: localNoiseSums(noise, strategy.noiseSums(r)) });
}

/** How the engine makes a strategy: fresh from initial parameters, or from a checkpoint. */
export interface EsStrategyFactory<S> {
  create(settings: S, center: Float32Array): EsStrategy;
  /** `center` is the checkpoint's params; `state` its arrays and scalars (other keys may be present: ignore them) */
  restore(settings: S, center: Float32Array, state: { arrays: Record<string, Float32Array>; scalars: Record<string, unknown> }): EsStrategy;
}

// ---- the first strategy: the thesis's update (c.4) with the c.5 decay ----

export interface DecayedEsUpdateSettings {
  form: EsUpdateForm;
  /** α at generation 1 */
  lr: number;
  sigma: number;
  decay: DecaySettings;
}

/** Checkpoint scalars of the thesis strategy, as checkpoints have always named them. */
export const DECAYED_ES_KEYS = { lr: 'lr', stage: 'decayStage' } as const;

/**
 * θ ← θ + step(shaped ranks, z) in the 'thesis' or 'salimans' form of c.4 (core/es/update.ts), then the c.5
 * decay check on the generation's mean raw fitness F̄.
 */
export class DecayedEsUpdate implements EsStrategy {
  readonly id: string;
  private theta: Float32Array;
  private decay: DecayState;

  private constructor(private readonly s: DecayedEsUpdateSettings, center: Float32Array, decay: DecayState) {
    this.id = s.form;
    this.theta = center.slice();
    this.decay = decay;
  }

  static readonly factory: EsStrategyFactory<DecayedEsUpdateSettings> = {
    create: (s, center) => new DecayedEsUpdate(s, center, initialDecay(s.lr, s.decay)),
    restore: (s, center, state) => {
      const num = (key: string): number => {
        const x = state.scalars[key];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`the checkpoint has no ES learning-rate state (scalar "${key}")`);
        return x;
      };
      return new DecayedEsUpdate(s, center, decayFromScalars(num(DECAYED_ES_KEYS.lr), num(DECAYED_ES_KEYS.stage), state.scalars, s.decay));
    },
  };

  ask(): EsSearchDistribution {
    return { center: this.theta, sigma: this.sigma() };
  }

  /** the σ the members of this generation were drawn with (α decays only after the update) */
  private sigma(): number {
    return decayedSigma(this.s.sigma, this.s.lr, this.decay.lr, this.s.decay.sigmaPower);
  }

  /** c.4's Σ u_i·(±z_i) on the centred-rank shaping (c.3) */
  noiseSums(r: EsFitnessResult): NoiseSumRequest[] {
    return [{ kind: 'sum', weights: r.shaped }];
  }

  tell(r: EsGenerationResult): EsTellReport {
    const next = this.theta.slice();
    applyEsStep(next, r.sums[0], { population: r.shaped.length, lr: this.decay.lr, sigma: this.sigma(), form: this.s.form });
    this.theta = next;
    const lrUsed = this.decay.lr;
    // F̄ = −(mean loss), computed as the thesis did: the mean of the losses, negated
    let sum = 0;
    for (const f of r.fitness) sum += -f;
    this.decay = decayStep(this.decay, this.s.decay, r.generation, -(sum / r.fitness.length));
    return { lr: lrUsed };
  }

  checkpointState(): EsStrategyState {
    return { arrays: {}, scalars: { [DECAYED_ES_KEYS.lr]: this.decay.lr, [DECAYED_ES_KEYS.stage]: this.decay.stage, ...decayScalars(this.decay) } };
  }
}
