/**
 * OpenAI-ES with Adam on the gradient estimate and L2 weight decay (Salimans, Ho, Chen, Sidor & Sutskever 2017,
 * "Evolution Strategies as a Scalable Alternative to Reinforcement Learning", and their evolution-strategies-
 * starter code; the recipe of CAX's and evosax's NCA-by-ES examples):
 *   u = centred ranks of the fitness in [−0.5, 0.5];
 *   g = (1/n)·Σ_i u_i·s_i with s_i = ±z the unit noise (the starter code does not divide by σ: Adam is
 *       invariant to the gradient's scale, so only the weight of the decay term relative to g changes);
 *   θ ← θ − Adam(−g + λ·θ);   σ fixed, or following α (decay.sigmaPower, decay.ts decayedSigma).
 * Mirrored pairs enter as (u₊ − u₋)·z, the starter code's `returns[:, 0] − returns[:, 1]`. Adam's step size
 * may follow the c.5 decay (decay.ts) on the generation's mean raw fitness: Adam on a noisy gradient estimate
 * settles at a loss set by its step size, and a smaller step lowers that floor.
 */
import type { EsFitnessResult, EsGenerationResult, EsSearchDistribution, EsStrategy, EsStrategyFactory, EsStrategyState, EsTellReport } from './strategy';
import { centredRanks } from './shaping';
import { adamStep } from './adam-step';
import { meanFitness, stateArray, stateNumber, type NoiseSumRequest } from './noise-sums';
import { decayedSigma, decayFromScalars, decayScalars, decayStep, initialDecay, type DecaySettings, type DecayState } from './decay';

export interface OpenAiAdamSettings {
  sigma: number;
  /** Adam step size */
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 coefficient λ (the starter code's l2coeff, 0.005) */
  weightDecay: number;
  /** c.5 decay of the step size (disabled: constant) */
  decay: DecaySettings;
}

/** the step size and decay stage keep the thesis strategy's checkpoint names */
const KEYS = { m: 'adam.m', v: 'adam.v', t: 'adam.t', lr: 'lr', stage: 'decayStage' } as const;

export class OpenAiAdamStrategy implements EsStrategy {
  readonly id = 'openai-adam';
  private readonly theta: Float32Array;

  private constructor(
    private readonly s: OpenAiAdamSettings, center: Float32Array,
    private readonly m: Float32Array, private readonly v: Float32Array, private t: number, private decay: DecayState,
  ) {
    this.theta = center.slice();
  }

  static readonly factory: EsStrategyFactory<OpenAiAdamSettings> = {
    create: (s, center) => new OpenAiAdamStrategy(s, center, new Float32Array(center.length), new Float32Array(center.length), 0, initialDecay(s.lr, s.decay)),
    restore: (s, center, state) => new OpenAiAdamStrategy(
      s, center, stateArray(state, KEYS.m, center.length), stateArray(state, KEYS.v, center.length), stateNumber(state, KEYS.t),
      decayFromScalars(stateNumber(state, KEYS.lr), stateNumber(state, KEYS.stage), state.scalars, s.decay)),
  };

  ask(): EsSearchDistribution {
    return { center: this.theta, sigma: decayedSigma(this.s.sigma, this.s.lr, this.decay.lr, this.s.decay.sigmaPower) };
  }

  /** Σ_i u_i·s_i on the centred ranks */
  noiseSums(r: EsFitnessResult): NoiseSumRequest[] {
    return [{ kind: 'sum', weights: centredRanks(r.fitness) }];
  }

  tell(r: EsGenerationResult): EsTellReport {
    const n = r.fitness.length;
    const g = r.sums[0];
    const c = this.theta;
    // the loss-side gradient: −g (ascent on fitness) + λθ
    for (let j = 0; j < g.length; j++) g[j] = -g[j] / n + this.s.weightDecay * c[j];
    this.t += 1;
    const lr = this.decay.lr;
    const step = adamStep(g, this.m, this.v, this.t, { ...this.s, lr });
    for (let j = 0; j < c.length; j++) c[j] -= step[j];
    this.decay = decayStep(this.decay, this.s.decay, r.generation, meanFitness(r.fitness));
    return { lr };
  }

  checkpointState(): EsStrategyState {
    return {
      arrays: { [KEYS.m]: this.m.slice(), [KEYS.v]: this.v.slice() },
      scalars: { [KEYS.t]: this.t, [KEYS.lr]: this.decay.lr, [KEYS.stage]: this.decay.stage, ...decayScalars(this.decay) },
    };
  }
}
