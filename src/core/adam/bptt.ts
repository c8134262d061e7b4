/**
 * One Adam iteration with backprop through time (spec d.2): K CA steps from a batch of start states, the mean
 * per-sample RGBA MSE (b.3), gradients through the whole rollout with tf.variableGrads, optionally M's
 * per-variable gradient normalisation (d.4), and tf.train.adam with β1, β2 and ε explicit (i.6).
 *
 * The model's variables are kernel0 [3C, hidden] (rows in the blocked perception order of core/nca/weights.ts),
 * bias0, kernel1 and bias1; Adam's moments have the same shapes. Plain data crosses the boundary in the flat
 * parameter layout of core/nca/config.ts, so checkpoints store params and both moments in one layout.
 *
 * An update is applied only when the loss and the global gradient norm are finite (and the norm is within
 * `maxGradNorm`): a diverging run never writes non-finite parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamSettings } from './settings';
import type { NcaConfig } from '../nca/config';
import { paramLayout } from '../nca/config';
import { weightsFromParams, paramsFromWeights, disposeWeights, type NcaWeights } from '../nca/weights';
import { fireMaskData } from '../nca/step';
import type { StateBatch } from '../nca/state';
import type { Philox } from '../rng/philox';
import { rolloutTrainable, autoCheckpointEvery } from './trainable-step';
import { rgbaMsePerSampleTensor } from './loss';
import { globalNorm, normalizePerVariable } from './gradients';
import { requireTrainingKernels, explainKernelError } from './kernels';

/** Adam's state in the flat parameter layout, enough to continue bit for bit. */
export interface AdamOptimizerState {
  /** updates applied so far */
  step: number;
  /** β1^step and β2^step as tfjs keeps them (float32 running products, not recomputed powers) */
  accBeta1: number;
  accBeta2: number;
  /** first and second moments, flat layout */
  m: Float32Array;
  v: Float32Array;
}

export interface AdamIterationResult {
  /** batch loss (mean of the per-sample losses) */
  loss: number;
  sampleLosses: number[];
  /** the rollout's final states (for the sample pool) */
  finals: StateBatch;
  /** global L2 norm of the raw gradient (before any normalisation) */
  gradNorm: number;
  /** false when the update was refused; `rejected` says why */
  applied: boolean;
  rejected: string | null;
}

export interface AdamBpttOptions {
  /** steps per gradient-checkpoint segment, 0 = none, 'auto' = by the tape's memory (trainable-step.ts) */
  checkpointEvery?: number | 'auto';
  /** the largest K this trainer will be asked for (sizes 'auto' checkpointing); default 1000 */
  maxSteps?: number;
}

type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable; learningRate: number };

export class AdamBptt {
  readonly checkpointEvery: number;
  private readonly vars: tf.Variable[];
  private readonly optimizer: tf.AdamOptimizer;
  private readonly target: tf.Tensor3D;
  private readonly layout;

  constructor(
    readonly cfg: NcaConfig,
    readonly adam: Pick<AdamSettings, 'lr' | 'beta1' | 'beta2' | 'epsilon' | 'gradNorm' | 'batchSize' | 'maxGradNorm'>,
    params: Float32Array,
    target: { rgba: Float32Array; height: number; width: number },
    opts: AdamBpttOptions = {},
  ) {
    requireTrainingKernels();
    this.layout = paramLayout(cfg);
    if (target.rgba.length !== target.height * target.width * 4) {
      throw new RangeError(`target: expected ${target.height}×${target.width}×4 values, got ${target.rgba.length}`);
    }
    const ce = opts.checkpointEvery ?? 'auto';
    this.checkpointEvery = ce === 'auto'
      ? autoCheckpointEvery(cfg, adam.batchSize, target.height, target.width, opts.maxSteps ?? 1000)
      : ce;
    if (!Number.isInteger(this.checkpointEvery) || this.checkpointEvery < 0) {
      throw new RangeError(`checkpointEvery must be an integer ≥ 0 or 'auto', got ${ce}`);
    }
    const w = weightsFromParams(cfg, params);
    this.vars = [w.kernel0, w.bias0, w.kernel1, w.bias1]
      .filter((t): t is tf.Tensor2D | tf.Tensor1D => t !== null)
      .map((t) => tf.variable(t, true));
    disposeWeights(w);
    this.optimizer = tf.train.adam(adam.lr, adam.beta1, adam.beta2, adam.epsilon);
    this.target = tf.tensor3d(target.rgba, [target.height, target.width, 4]);
  }

  private weights(list: tf.Tensor[] = this.vars): NcaWeights {
    let i = 0;
    const kernel0 = list[i++] as tf.Tensor2D;
    const bias0 = this.cfg.bias1 ? (list[i++] as tf.Tensor1D) : null;
    const kernel1 = list[i++] as tf.Tensor2D;
    const bias1 = this.cfg.bias2 ? (list[i] as tf.Tensor1D) : null;
    return { kernel0, bias0, kernel1, bias1 };
  }

  /** The flat parameters (config.ts layout). */
  getParams(): Float32Array {
    return paramsFromWeights(this.cfg, this.weights());
  }

  setParams(params: Float32Array): void {
    const w = weightsFromParams(this.cfg, params);
    const list = [w.kernel0, w.bias0, w.kernel1, w.bias1].filter((t): t is tf.Tensor2D | tf.Tensor1D => t !== null);
    list.forEach((t, i) => this.vars[i].assign(t));
    disposeWeights(w);
  }

  /**
   * Loss, per-sample losses, final states and raw gradients (variable order) of a K-step rollout from `x0`.
   * Fire masks come from `fireRng`, one [N,H,W] block per step as in core/nca/step.ts, so the forward pass is
   * the same rollout `rollout(cfg, x0, params, steps, fireRng)` computes. The caller disposes `grads`.
   */
  computeGradients(x0: StateBatch, steps: number, fireRng: Philox): { loss: number; sampleLosses: number[]; finals: StateBatch; grads: tf.Tensor[]; gradNorm: number } {
    const { n, height, width, channels } = x0;
    if (channels !== this.cfg.channels || height !== this.target.shape[0] || width !== this.target.shape[1]) {
      throw new RangeError(`states ${height}×${width}×${channels} do not match the model/target ${this.target.shape[0]}×${this.target.shape[1]}×${this.cfg.channels}`);
    }
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
    const masks: tf.Tensor4D[] = [];
    const x0t = tf.tensor4d(x0.data, [n, height, width, channels]);
    const kept: { finals: tf.Tensor4D | null; per: tf.Tensor1D | null } = { finals: null, per: null };
    let value: tf.Scalar | null = null;
    let grads: tf.Tensor[] = [];
    try {
      for (let s = 0; s < steps; s++) masks.push(tf.tensor4d(fireMaskData(fireRng, n, height, width, this.cfg.fireRate), [n, height, width, 1]));
      const out = tf.variableGrads(() => {
        const w = this.weights();
        const k0 = tf.split(w.kernel0, 3, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const x = rolloutTrainable(this.cfg, x0t, { k0, bias0: w.bias0, kernel1: w.kernel1, bias1: w.bias1 }, masks, { checkpointEvery: this.checkpointEvery });
        const per = rgbaMsePerSampleTensor(x, this.target);
        kept.finals = tf.keep(x);
        kept.per = tf.keep(per);
        return tf.mean(per) as tf.Scalar;
      }, this.vars);
      value = out.value;
      grads = this.vars.map((v) => out.grads[v.name]);
      const norm = globalNorm(grads);
      const gradNorm = norm.dataSync()[0];
      norm.dispose();
      const loss = value.dataSync()[0];
      const sampleLosses = Array.from(kept.per!.dataSync());
      const finals: StateBatch = { n, height, width, channels, data: kept.finals!.dataSync() as Float32Array };
      return { loss, sampleLosses, finals, grads, gradNorm };
    } catch (err) {
      tf.dispose(grads);
      throw explainKernelError(err);
    } finally {
      tf.dispose([x0t, ...masks]);
      for (const t of [value, kept.finals, kept.per]) t?.dispose();
    }
  }

  /** Applies gradients (variable order) with learning rate `lr`; normalises per variable first if configured. */
  applyGradients(grads: tf.Tensor[], lr: number): void {
    const opt = this.optimizer as unknown as AdamInternals;
    opt.learningRate = lr;
    const used = this.adam.gradNorm ? normalizePerVariable(grads) : grads;
    try {
      this.optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: used[i] })));
    } finally {
      if (used !== grads) tf.dispose(used);
    }
  }

  /** One full iteration: gradients, checks, update. */
  iterate(x0: StateBatch, steps: number, fireRng: Philox, lr: number): AdamIterationResult {
    const r = this.computeGradients(x0, steps, fireRng);
    try {
      let rejected: string | null = null;
      if (!Number.isFinite(r.loss)) rejected = `loss became ${r.loss}`;
      else if (!Number.isFinite(r.gradNorm)) rejected = `gradient norm became ${r.gradNorm}`;
      else if (this.adam.maxGradNorm !== null && r.gradNorm > this.adam.maxGradNorm) {
        rejected = `gradient norm ${r.gradNorm.toPrecision(4)} exceeded adam.maxGradNorm ${this.adam.maxGradNorm}`;
      }
      if (!rejected) this.applyGradients(r.grads, lr);
      return { loss: r.loss, sampleLosses: r.sampleLosses, finals: r.finals, gradNorm: r.gradNorm, applied: !rejected, rejected };
    } finally {
      tf.dispose(r.grads);
    }
  }

  /** Adam's step count, bias-correction products and moments. */
  async getOptimizerState(): Promise<AdamOptimizerState> {
    const named = await this.optimizer.getWeights();
    const step = (await named[0].tensor.data())[0];
    named[0].tensor.dispose(); // a fresh scalar; the moments below are the optimizer's own variables
    const moments = named.slice(1);
    const nv = this.vars.length;
    const flat = (list: tf.Tensor[]) => paramsFromWeights(this.cfg, this.weights(list));
    const zeros = () => new Float32Array(this.layout.total);
    const m = moments.length === 2 * nv ? flat(moments.slice(0, nv).map((w) => w.tensor)) : zeros();
    const v = moments.length === 2 * nv ? flat(moments.slice(nv).map((w) => w.tensor)) : zeros();
    const { b1, b2 } = this.accBetas();
    return { step, accBeta1: b1.dataSync()[0], accBeta2: b2.dataSync()[0], m, v };
  }

  async setOptimizerState(s: AdamOptimizerState): Promise<void> {
    if (s.m.length !== this.layout.total || s.v.length !== this.layout.total) {
      throw new RangeError(`optimizer state: expected moments of ${this.layout.total} values, got ${s.m.length} and ${s.v.length}`);
    }
    if (!Number.isInteger(s.step) || s.step < 0) throw new RangeError(`optimizer state: step must be an integer ≥ 0, got ${s.step}`);
    const m = weightsFromParams(this.cfg, s.m);
    const v = weightsFromParams(this.cfg, s.v);
    const list = (w: NcaWeights) => [w.kernel0, w.bias0, w.kernel1, w.bias1].filter((t): t is tf.Tensor2D | tf.Tensor1D => t !== null);
    const named: { name: string; tensor: tf.Tensor }[] = [
      { name: 'iter', tensor: tf.scalar(s.step, 'int32') },
      ...list(m).map((t, i) => ({ name: `${this.vars[i].name}/m`, tensor: t })),
      ...list(v).map((t, i) => ({ name: `${this.vars[i].name}/v`, tensor: t })),
    ];
    await this.optimizer.setWeights(named);
    tf.dispose(named.map((n) => n.tensor));
    // setWeights recomputes β^(step+1) with pow(); tfjs keeps a running float32 product, which differs in the last
    // bits. Restore the saved products so a resumed run continues exactly.
    const { b1, b2 } = this.accBetas();
    b1.assign(tf.scalar(s.accBeta1));
    b2.assign(tf.scalar(s.accBeta2));
  }

  private accBetas(): { b1: tf.Variable; b2: tf.Variable } {
    const opt = this.optimizer as unknown as AdamInternals;
    if (!opt.accBeta1 || !opt.accBeta2) {
      throw new Error('tf.train.adam has no accBeta1/accBeta2 in this tfjs version: Adam checkpoints cannot be saved or resumed exactly');
    }
    return { b1: opt.accBeta1, b2: opt.accBeta2 };
  }

  dispose(): void {
    tf.dispose(this.vars);
    this.optimizer.dispose();
    this.target.dispose();
  }
}
