/**
 * An Adam training session on the fused BPTT engine (spec d.2, d.4): gradients from a GradientSource (this
 * process, or the batch split over worker processes: services/training/adam-gradients.ts), the update in this
 * process with tf.train.adam's arithmetic (adam-update.ts). The same surface as the tfjs session (bptt.ts
 * AdamBptt), so the trainer drives either, and the same optimizer state in checkpoints: a run can resume on
 * the other engine.
 */
import type { NcaConfig } from '../nca/config';
import { paramLayout } from '../nca/config';
import type { StateBatch } from '../nca/state';
import type { Philox, RngState } from '../rng/philox';
import type { AdamSettings } from './settings';
import type { AdamIterationResult, AdamOptimizerState } from './bptt';
import { meanGradient, autoFusedCheckpointEvery } from './fused-bptt';
import { applyAdam, freshAdamState, globalNormFlat, normalizeFlatPerVariable } from './adam-update';
import { computeAdamGradientSlice, type AdamGradientResult } from './gradient-slice';

/** Per-sample losses, final states and gradients of a whole batch, in sample order. */
export type GradientSource = (params: Float32Array, x0: StateBatch, steps: number, fire: RngState, checkpointEvery: number) => Promise<AdamGradientResult>;

/** What the Adam trainer needs from a session, whichever engine computes it. */
export interface AdamSession {
  readonly checkpointEvery: number;
  getParams(): Float32Array;
  setParams(params: Float32Array): void;
  iterate(x0: StateBatch, steps: number, fireRng: Philox, lr: number): AdamIterationResult | Promise<AdamIterationResult>;
  getOptimizerState(): Promise<AdamOptimizerState>;
  setOptimizerState(s: AdamOptimizerState): Promise<void>;
  dispose(): void;
}

export interface FusedAdamOptions {
  /** steps per checkpoint segment, 0 = none, 'auto' (default) = by record memory */
  checkpointEvery?: number | 'auto';
  /** the run's largest step count; default 1000 */
  maxSteps?: number;
}

export class FusedAdam implements AdamSession {
  readonly checkpointEvery: number;
  private params: Float32Array;
  private state: AdamOptimizerState;
  private readonly size: number;

  constructor(
    readonly cfg: NcaConfig,
    readonly adam: Pick<AdamSettings, 'lr' | 'beta1' | 'beta2' | 'epsilon' | 'gradNorm' | 'batchSize' | 'maxGradNorm'>,
    params: Float32Array,
    target: { height: number; width: number },
    private readonly gradients: GradientSource,
    opts: FusedAdamOptions = {},
  ) {
    this.size = paramLayout(cfg).total;
    if (params.length !== this.size) throw new RangeError(`parameters: expected ${this.size} values, got ${params.length}`);
    this.params = params.slice();
    this.state = freshAdamState(adam, this.size);
    const ce = opts.checkpointEvery ?? 'auto';
    this.checkpointEvery = ce === 'auto' ? autoFusedCheckpointEvery(cfg, target.height, target.width, opts.maxSteps ?? 1000) : ce;
    if (!Number.isInteger(this.checkpointEvery) || this.checkpointEvery < 0) {
      throw new RangeError(`checkpointEvery must be an integer ≥ 0 or 'auto', got ${ce}`);
    }
  }

  getParams(): Float32Array {
    return this.params.slice();
  }

  setParams(params: Float32Array): void {
    if (params.length !== this.size) throw new RangeError(`parameters: expected ${this.size} values, got ${params.length}`);
    this.params = params.slice();
  }

  /** Gradients, checks (as AdamBptt.iterate: finite loss and norm, norm within maxGradNorm), update. */
  async iterate(x0: StateBatch, steps: number, fireRng: Philox, lr: number): Promise<AdamIterationResult> {
    if (x0.n !== this.adam.batchSize) throw new RangeError(`batch of ${x0.n} samples, the run's batch size is ${this.adam.batchSize}`);
    const r = await this.gradients(this.params, x0, steps, fireRng.getState(), this.checkpointEvery);
    const grad = meanGradient(r.grads);
    const loss = r.sampleLosses.reduce((a, b) => a + b, 0) / r.sampleLosses.length;
    const gradNorm = globalNormFlat(grad);
    let rejected: string | null = null;
    if (!Number.isFinite(loss)) rejected = `loss became ${loss}`;
    else if (!Number.isFinite(gradNorm)) rejected = `gradient norm became ${gradNorm}`;
    else if (this.adam.maxGradNorm !== null && gradNorm > this.adam.maxGradNorm) {
      rejected = `gradient norm ${gradNorm.toPrecision(4)} exceeded adam.maxGradNorm ${this.adam.maxGradNorm}`;
    }
    if (!rejected) applyAdam(this.adam, this.state, this.params, this.adam.gradNorm ? normalizeFlatPerVariable(this.cfg, grad) : grad, lr);
    return { loss, sampleLosses: r.sampleLosses, finals: r.finals, gradNorm, applied: !rejected, rejected };
  }

  async getOptimizerState(): Promise<AdamOptimizerState> {
    const s = this.state;
    return { step: s.step, accBeta1: s.accBeta1, accBeta2: s.accBeta2, m: s.m.slice(), v: s.v.slice() };
  }

  async setOptimizerState(s: AdamOptimizerState): Promise<void> {
    if (s.m.length !== this.size || s.v.length !== this.size) {
      throw new RangeError(`optimizer state: expected moments of ${this.size} values, got ${s.m.length} and ${s.v.length}`);
    }
    if (!Number.isInteger(s.step) || s.step < 0) throw new RangeError(`optimizer state: step must be an integer ≥ 0, got ${s.step}`);
    this.state = { step: s.step, accBeta1: Math.fround(s.accBeta1), accBeta2: Math.fround(s.accBeta2), m: s.m.slice(), v: s.v.slice() };
  }

  dispose(): void {
    // nothing held outside the JS heap here; the gradient source owns its engines and workers
  }
}

/** The whole batch in this process (one engine per process, gradient-slice.ts). */
export function inProcessGradients(cfg: NcaConfig, target: { rgba: Float32Array; height: number; width: number }, maxSteps: number): GradientSource {
  return async (params, x0, steps, fire, checkpointEvery) =>
    computeAdamGradientSlice({ cfg, target, params, x0, steps, fire: { stream: fire, batchSize: x0.n, sampleStart: 0 }, checkpointEvery, maxSteps });
}
