/**
 * SNES: separable natural evolution strategies (Schaul, Glasmachers & Schmidhuber 2011, "High Dimensions and
 * Heavy Tails for Natural Evolution Strategies", Algorithm 2): a diagonal Gaussian N(μ, diag(σ²)) whose μ and σ
 * follow the natural gradient, O(d) per generation, so it fits the lab's 2k–8k parameters. With members
 * x_i = μ + σ⊙s_i (s_i = ±z, unit noise) and rank-based utilities u_i:
 *   ∇μ = Σ_i u_i·s_i,  ∇σ = Σ_i u_i·(s_i² − 1)
 *   μ ← μ + η_μ·σ⊙∇μ,  σ ← σ⊙exp(η_σ/2·∇σ)
 * with u_i = max(0, ln(n/2 + 1) − ln k_i)/Σ_j max(0, ln(n/2 + 1) − ln k_j) − 1/n (k = 1 for the best) and the
 * paper's defaults η_μ = 1, η_σ = (3 + ln d)/(5·√d).
 */
import type { EsFitnessResult, EsGenerationResult, EsSearchDistribution, EsStrategy, EsStrategyFactory, EsStrategyState, EsTellReport } from './strategy';
import { finiteOrWorst } from './shaping';
import { stateArray, type NoiseSumRequest } from './noise-sums';

export interface SnesSettings {
  /** initial σ of every parameter */
  sigma: number;
  /** η_μ (1 in the paper) */
  centerLr: number;
  /** η_σ; null = the paper's (3 + ln d)/(5·√d) */
  sigmaLr: number | null;
}

/** The paper's utilities (fitness higher is better; ties by member index; non-finite fitness ranks worst). */
export function snesUtilities(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  if (n < 2) throw new RangeError(`SNES needs at least 2 members, got ${n}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => finiteOrWorst(fitness[b]) - finiteOrWorst(fitness[a]) || a - b);
  const raw = order.map((_, k) => Math.max(0, Math.log(n / 2 + 1) - Math.log(k + 1)));
  const total = raw.reduce((a, b) => a + b, 0);
  const u = new Float64Array(n);
  order.forEach((member, k) => { u[member] = raw[k] / total - 1 / n; });
  return u;
}

export function snesDefaultSigmaLr(dim: number): number {
  return (3 + Math.log(dim)) / (5 * Math.sqrt(dim));
}

const KEYS = { sigma: 'snes.sigma' } as const;

export class SnesStrategy implements EsStrategy {
  readonly id = 'snes';
  private readonly theta: Float32Array;

  private constructor(private readonly s: SnesSettings, center: Float32Array, private readonly sigma: Float32Array) {
    this.theta = center.slice();
  }

  static readonly factory: EsStrategyFactory<SnesSettings> = {
    create: (s, c) => new SnesStrategy(s, c, new Float32Array(c.length).fill(s.sigma)),
    restore: (s, c, st) => new SnesStrategy(s, c, stateArray(st, KEYS.sigma, c.length)),
  };

  ask(): EsSearchDistribution {
    return { center: this.theta, sigma: this.sigma };
  }

  /** ∇μ = Σ_i u_i·s_i and ∇σ = Σ_i u_i·(s_i² − 1) on the paper's utilities */
  noiseSums(r: EsFitnessResult): NoiseSumRequest[] {
    const u = snesUtilities(r.fitness);
    return [{ kind: 'sum', weights: u }, { kind: 'squares', weights: u }];
  }

  tell(r: EsGenerationResult): EsTellReport {
    const [gMu, gSigma] = r.sums;
    const etaS = this.s.sigmaLr ?? snesDefaultSigmaLr(this.theta.length);
    const c = this.theta;
    const sig = this.sigma;
    for (let j = 0; j < c.length; j++) {
      c[j] += this.s.centerLr * sig[j] * gMu[j];
      sig[j] *= Math.exp((etaS / 2) * gSigma[j]);
    }
    return { lr: this.s.centerLr };
  }

  checkpointState(): EsStrategyState {
    return { arrays: { [KEYS.sigma]: this.sigma.slice() }, scalars: {} };
  }
}
