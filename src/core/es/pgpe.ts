/**
 * PGPE: policy gradients with parameter-based exploration (Sehnke, Osendorfer, Rückstieß, Graves, Peters &
 * Schmidhuber 2010), with symmetric sampling and per-parameter σ adaptation, and the ClipUp optimiser on the
 * centre (Toklu, Liskowski & Srivastava 2020, "ClipUp: a simple and powerful optimizer for distribution-based
 * policy evolution") or Adam: the EvoJAX growing-NCA recipe (EvoJAX `PGPE`, `_compute_reinforce_update`).
 * With δ_k = σ⊙z_k, pair fitness f⁺_k, f⁻_k (centred ranks in [−0.5, 0.5]), their mean f̄ and K pairs:
 *   ∇μ = (1/K)·Σ_k ((f⁺_k − f⁻_k)/2)·δ_k
 *   ∇σ = (1/K)·Σ_k ((f⁺_k + f⁻_k)/2 − f̄)·(δ_k² − σ²)/σ
 *   ClipUp: v ← m·v + α·∇μ/‖∇μ‖, v ← v·min(1, v_max/‖v‖), μ ← μ + v   (or μ ← μ + Adam(∇μ))
 *   σ ← clip(σ + η_σ·∇σ, σ·(1 − c), σ·(1 + c))
 * It needs mirrored sampling: the pairs are the symmetric samples. The centre's step size may follow the c.5
 * decay (decay.ts) on the generation's mean raw fitness.
 */
import type { EsFitnessResult, EsGenerationResult, EsSearchDistribution, EsStrategy, EsStrategyFactory, EsStrategyState, EsTellReport } from './strategy';
import { centredRanks } from './shaping';
import { adamStep } from './adam-step';
import { meanFitness, stateArray, stateNumber, type NoiseSumRequest } from './noise-sums';
import { decayFromScalars, decayScalars, decayStep, initialDecay, type DecaySettings, type DecayState } from './decay';

export interface PgpeSettings {
  /** initial σ of every parameter */
  sigma: number;
  /** 'clipup' (Toklu et al.) or 'adam' on the centre */
  optimizer: 'clipup' | 'adam';
  /** ClipUp's step size α, or Adam's learning rate */
  centerLr: number;
  /** ClipUp: the maximum speed (Toklu et al. suggest 2·α) */
  maxSpeed: number;
  /** ClipUp momentum (0.9) */
  momentum: number;
  /** η_σ (EvoJAX stdev_learning_rate) */
  sigmaLr: number;
  /** c: σ moves by at most this fraction per generation (EvoJAX stdev_max_change, 0.2) */
  sigmaMaxChange: number;
  /** c.5 decay of the centre's step size (disabled: constant) */
  decay: DecaySettings;
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const KEYS = { sigma: 'pgpe.sigma', velocity: 'pgpe.velocity', v: 'pgpe.adamV', t: 'pgpe.t', lr: 'lr', stage: 'decayStage' } as const;

export class PgpeStrategy implements EsStrategy {
  readonly id = 'pgpe';
  private readonly theta: Float32Array;

  private constructor(
    private readonly s: PgpeSettings, center: Float32Array, private readonly sigma: Float32Array,
    /** ClipUp's velocity, or Adam's first moment */
    private readonly velocity: Float32Array,
    /** Adam's second moment (zeros under ClipUp) */
    private readonly v2: Float32Array,
    private t: number,
    private decay: DecayState,
  ) {
    this.theta = center.slice();
  }

  static readonly factory: EsStrategyFactory<PgpeSettings> = {
    create: (s, c) => new PgpeStrategy(s, c, new Float32Array(c.length).fill(s.sigma), new Float32Array(c.length), new Float32Array(c.length), 0,
      initialDecay(s.centerLr, s.decay)),
    restore: (s, c, st) => new PgpeStrategy(s, c, stateArray(st, KEYS.sigma, c.length), stateArray(st, KEYS.velocity, c.length),
      stateArray(st, KEYS.v, c.length), stateNumber(st, KEYS.t), decayFromScalars(stateNumber(st, KEYS.lr), stateNumber(st, KEYS.stage), st.scalars, s.decay)),
  };

  ask(): EsSearchDistribution {
    return { center: this.theta, sigma: this.sigma };
  }

  noiseSums(r: EsFitnessResult): NoiseSumRequest[] {
    if (!r.mirrored) throw new Error('PGPE needs mirrored (symmetric) sampling');
    const n = r.fitness.length;
    const u = centredRanks(r.fitness);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += u[i];
    mean /= n;
    // Σ_i (u_i/2)·s_i = Σ_k ((f⁺ − f⁻)/2)·z_k, and Σ_i ((u_i − f̄)/2)·(z² − 1) = Σ_k ((f⁺ + f⁻)/2 − f̄)·(z_k² − 1)
    return [
      { kind: 'sum', weights: Float64Array.from(u, (x) => x / 2) },
      { kind: 'squares', weights: Float64Array.from(u, (x) => (x - mean) / 2) },
    ];
  }

  tell(r: EsGenerationResult): EsTellReport {
    const pairs = r.fitness.length / 2;
    // δ = σ⊙z and (δ² − σ²)/σ = σ⊙(z² − 1), so both sums take one factor σ per parameter
    const [gMu, gSigma] = r.sums;
    const sig = this.sigma;
    for (let j = 0; j < gMu.length; j++) {
      gMu[j] *= sig[j] / pairs;
      gSigma[j] *= sig[j] / pairs;
    }
    this.t += 1;
    const lr = this.decay.lr;
    this.moveCenter(gMu, lr);
    const { sigmaLr, sigmaMaxChange } = this.s;
    for (let j = 0; j < sig.length; j++) {
      const lim = Math.abs(sig[j]) * sigmaMaxChange;
      sig[j] = Math.min(sig[j] + lim, Math.max(sig[j] - lim, sig[j] + sigmaLr * gSigma[j]));
    }
    this.decay = decayStep(this.decay, this.s.decay, r.generation, meanFitness(r.fitness));
    return { lr };
  }

  /** ClipUp's speed limit scales with the decayed step size (Toklu et al.: v_max = 2α). */
  private moveCenter(g: Float64Array, lr: number): void {
    const c = this.theta;
    const vel = this.velocity;
    if (this.s.optimizer === 'adam') {
      for (let j = 0; j < g.length; j++) g[j] = -g[j];
      const step = adamStep(g, vel, this.v2, this.t, { lr, ...ADAM });
      for (let j = 0; j < c.length; j++) c[j] -= step[j];
      return;
    }
    let norm = 0;
    for (let j = 0; j < g.length; j++) norm += g[j] * g[j];
    norm = Math.sqrt(norm);
    const a = norm > 0 ? lr / norm : 0;
    const maxSpeed = this.s.maxSpeed * (lr / this.s.centerLr);
    const next = new Float64Array(g.length);
    let speed = 0;
    for (let j = 0; j < g.length; j++) {
      next[j] = this.s.momentum * vel[j] + a * g[j];
      speed += next[j] * next[j];
    }
    speed = Math.sqrt(speed);
    const clip = speed > maxSpeed ? maxSpeed / speed : 1;
    for (let j = 0; j < g.length; j++) {
      vel[j] = next[j] * clip;
      c[j] += vel[j];
    }
  }

  checkpointState(): EsStrategyState {
    return {
      arrays: { [KEYS.sigma]: this.sigma.slice(), [KEYS.velocity]: this.velocity.slice(), [KEYS.v]: this.v2.slice() },
      scalars: { [KEYS.t]: this.t, [KEYS.lr]: this.decay.lr, [KEYS.stage]: this.decay.stage, ...decayScalars(this.decay) },
    };
  }
}
