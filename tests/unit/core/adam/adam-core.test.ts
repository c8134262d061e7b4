import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { THESIS_ADAM_MODEL, MORDVINTSEV_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { paramsFromWeights, weightsFromParams, disposeWeights } from '../../../../src/core/nca/weights';
import { caStep, fireMaskData, rollout } from '../../../../src/core/nca/step';
import { makeSeed } from '../../../../src/core/nca/state';
import { rgbaMsePerSample } from '../../../../src/core/nca/loss';
import { Philox } from '../../../../src/core/rng/philox';
import { AdamBptt } from '../../../../src/core/adam/bptt';
import { learningRateAt } from '../../../../src/core/adam/schedule';
import { globalNorm, normalizePerVariable, normalizePerVariableData } from '../../../../src/core/adam/gradients';
import { autoCheckpointEvery, tapeBytesPerStep } from '../../../../src/core/adam/trainable-step';
import { requireTrainingKernels, explainKernelError, MissingKernelError } from '../../../../src/core/adam/kernels';
import { refLoss } from '../../../fixtures/nca-reference';

beforeAll(async () => {
  const b = await initNodeBackend();
  expect(b.name).toBe('wasm');
});

const ADAM = { lr: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, gradNorm: false, batchSize: 2, maxGradNorm: null };

/** Fresh params with a small random layer 2 (and layer-2 bias), so rollouts change the state. */
function liveParams(cfg: NcaConfig, seed: number, scale = 0.1): Float32Array {
  const rng = new Philox(seed);
  const p = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * scale;
  if (L.bias1) for (let i = 0; i < L.bias1.size; i++) p[L.bias1.offset + i] = (rng.uniform() * 2 - 1) * 0.01;
  return p;
}

function discTarget(size: number): Float32Array {
  const t = new Float32Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if ((y - c) ** 2 + (x - c) ** 2 > (size * 0.4) ** 2) continue;
    t.set([0.6, 0.3, 0.1, 0.8], (y * size + x) * 4);
  }
  return t;
}

describe('learning-rate schedule (spec d.4)', () => {
  it('is constant for the thesis', () => {
    const a = { lr: 2e-3, schedule: { kind: 'constant' as const } };
    expect([1, 2000, 2001, 2002, 20000].map((i) => learningRateAt(a, i))).toEqual([2e-3, 2e-3, 2e-3, 2e-3, 2e-3]);
  });

  it("follows Keras's PiecewiseConstantDecay([2000], [2e-3, 2e-4]) at the optimizer step before the update", () => {
    const a = { lr: 2e-3, schedule: { kind: 'piecewise' as const, boundary: 2000, after: 2e-4 } };
    // iteration i applies update i at optimizer step i − 1; step ≤ 2000 keeps 2e-3
    expect(learningRateAt(a, 1)).toBe(2e-3);
    expect(learningRateAt(a, 2000)).toBe(2e-3);
    expect(learningRateAt(a, 2001)).toBe(2e-3);
    expect(learningRateAt(a, 2002)).toBe(2e-4);
    expect(learningRateAt(a, 8001)).toBe(2e-4);
    expect(learningRateAt({ lr: 1e-3, schedule: { kind: 'piecewise', boundary: 0, after: 5e-4 } }, 2)).toBe(5e-4);
    expect(() => learningRateAt(a, 0)).toThrow(/iteration must be an integer ≥ 1/);
  });
});

describe('gradient normalisation (spec d.4)', () => {
  it("divides each variable by its own L2 norm + 1e-8 and reports the global norm", () => {
    const g = [tf.tensor1d([3, 4]), tf.tensor2d([[0, 0], [0, 12]]), tf.zeros([3])];
    const n = normalizePerVariable(g);
    expect(Array.from(n[0].dataSync())).toEqual([3 / (5 + 1e-8), 4 / (5 + 1e-8)].map(Math.fround));
    expect(Array.from(n[1].dataSync())).toEqual([0, 0, 0, Math.fround(12 / (12 + 1e-8))]);
    expect(Array.from(n[2].dataSync())).toEqual([0, 0, 0]); // a zero gradient stays zero, not NaN
    expect(globalNorm(g).dataSync()[0]).toBeCloseTo(13, 5);
    const d = normalizePerVariableData([new Float32Array([3, 4]), new Float32Array([-6, 8])]);
    expect(Array.from(d[0])).toEqual([0.6, 0.8].map(Math.fround));
    expect(Array.from(d[1])).toEqual([-0.6, 0.8].map(Math.fround));
    tf.dispose([...g, ...n]);
  });
});

describe('BPTT training step (spec d.2)', () => {
  it("one step's gradient matches a float64 finite-difference estimate (tiny model, all four variables)", () => {
    const cfg: NcaConfig = { ...MORDVINTSEV_MODEL, hidden: 8 };
    const S = 6, N = 2, K = 4;
    const params = liveParams(cfg, 21, 0.15);
    const target = discTarget(S);
    const x0 = makeSeed(S, S, 16, N);
    const t = new AdamBptt(cfg, { ...ADAM, batchSize: N }, params, { rgba: target, height: S, width: S }, { checkpointEvery: 0 });
    const g = t.computeGradients(x0, K, new Philox(5, 1));
    const L = paramLayout(cfg);
    const grad = paramsFromWeights(cfg, { kernel0: g.grads[0] as tf.Tensor2D, bias0: g.grads[1] as tf.Tensor1D, kernel1: g.grads[2] as tf.Tensor2D, bias1: g.grads[3] as tf.Tensor1D });
    tf.dispose(g.grads);
    const maskRng = new Philox(5, 1);
    const masks = Array.from({ length: K }, () => fireMaskData(maskRng, N, S, S, cfg.fireRate));
    const p64 = Float64Array.from(params);
    expect(refLoss(cfg, p64, x0, masks, target)).toBeCloseTo(g.loss, 6);
    const largest = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a])).slice(0, 6);
    const idx = [
      ...largest,
      L.kernel0.offset + 3 * 8 + 1, L.kernel0.offset + 10 * 8 + 5, L.kernel0.offset + 46 * 8 + 2, L.kernel0.offset + 30 * 8 + 7,
      L.bias0!.offset + 0, L.bias0!.offset + 6,
      L.kernel1.offset + 0 * 16 + 3, L.kernel1.offset + 5 * 16 + 0, L.kernel1.offset + 7 * 16 + 12,
      L.bias1!.offset + 1, L.bias1!.offset + 3, L.bias1!.offset + 15,
    ];
    const scale = Math.max(...Array.from(grad).map(Math.abs));
    expect(scale).toBeGreaterThan(1e-4);
    const eps = 1e-5;
    for (const i of idx) {
      const up = p64.slice(); up[i] += eps;
      const dn = p64.slice(); dn[i] -= eps;
      const fd = (refLoss(cfg, up, x0, masks, target) - refLoss(cfg, dn, x0, masks, target)) / (2 * eps);
      expect(Math.abs(grad[i] - fd), `param ${i}: tfjs ${grad[i]} vs finite difference ${fd}`).toBeLessThan(2e-3 * scale + 1e-3 * Math.abs(fd));
    }
    // every variable has a clearly non-zero gradient, so the comparison means something
    for (const v of [L.kernel0, L.bias0!, L.kernel1, L.bias1!]) {
      expect(Math.max(...Array.from(grad.subarray(v.offset, v.offset + v.size)).map(Math.abs))).toBeGreaterThan(0.01 * scale);
    }
    t.dispose();
  });

  it('rolls out exactly the states of core/nca rollout (same fire masks), to float32 rounding', () => {
    const cfg = THESIS_ADAM_MODEL;
    const params = liveParams(cfg, 8);
    const x0 = makeSeed(9, 9, 16, 3);
    const t = new AdamBptt(cfg, { ...ADAM, batchSize: 3 }, params, { rgba: discTarget(9), height: 9, width: 9 }, { checkpointEvery: 0 });
    const g = t.computeGradients(x0, 30, new Philox(9, 3));
    tf.dispose(g.grads);
    const ref = rollout(cfg, x0, params, 30, new Philox(9, 3));
    let maxDiff = 0;
    for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.data[i] - g.finals.data[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(ref.data).map(Math.abs))).toBeGreaterThan(0.5);
    const per = rgbaMsePerSample(g.finals, discTarget(9));
    g.sampleLosses.forEach((l, i) => expect(l).toBeCloseTo(per[i], 6));
    t.dispose();
  });

  it('agrees with tfjs autodiff through core/nca caStep, narrow (thesis) and wide (M) hidden layers', () => {
    for (const cfg of [THESIS_ADAM_MODEL, { ...MORDVINTSEV_MODEL, hidden: 64 }]) {
      const params = liveParams(cfg, 17, cfg.hidden > 32 ? 0.03 : 0.1);
      const S = 9, N = 2, K = 12;
      const x0 = makeSeed(S, S, 16, N);
      const target = discTarget(S);
      const t = new AdamBptt(cfg, { ...ADAM, batchSize: N }, params, { rgba: target, height: S, width: S }, { checkpointEvery: 0 });
      const mine = t.computeGradients(x0, K, new Philox(6));
      const w = weightsFromParams(cfg, params);
      const maskRng = new Philox(6);
      const masks = Array.from({ length: K }, () => tf.tensor4d(fireMaskData(maskRng, N, S, S, cfg.fireRate), [N, S, S, 1]));
      const tt = tf.tensor3d(target, [S, S, 4]);
      const xs = [w.kernel0, w.bias0, w.kernel1, w.bias1].filter((v): v is tf.Tensor2D | tf.Tensor1D => v !== null);
      const ref = tf.grads((...a: tf.Tensor[]) => {
        let i = 0;
        const k0 = a[i++] as tf.Tensor2D, b0 = cfg.bias1 ? (a[i++] as tf.Tensor1D) : null;
        const k1 = a[i++] as tf.Tensor2D, b1 = cfg.bias2 ? (a[i] as tf.Tensor1D) : null;
        let x = tf.tensor4d(x0.data, [N, S, S, 16]);
        for (const m of masks) x = caStep(cfg, x, { kernel0: k0, bias0: b0, kernel1: k1, bias1: b1 }, m);
        return x.slice([0, 0, 0, 0], [-1, -1, -1, 4]).sub(tt).square().mean();
      })(xs);
      ref.forEach((r, j) => {
        const a = r.dataSync(), b = mine.grads[j].dataSync();
        const scale = Math.max(...Array.from(a).map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        let maxDiff = 0;
        for (let q = 0; q < a.length; q++) maxDiff = Math.max(maxDiff, Math.abs(a[q] - b[q]));
        expect(maxDiff, `hidden ${cfg.hidden}, variable ${j}`).toBeLessThan(1e-5 * scale);
      });
      tf.dispose([...ref, ...mine.grads, ...masks, tt]);
      disposeWeights(w);
      t.dispose();
    }
  });

  it('gives the same gradient with gradient checkpointing (segments of 1, 4 and 7 steps)', () => {
    const cfg = { ...MORDVINTSEV_MODEL, hidden: 64 };
    const params = liveParams(cfg, 13, 0.03);
    const x0 = makeSeed(9, 9, 16, 2);
    const grads = [0, 1, 4, 7].map((ce) => {
      const t = new AdamBptt(cfg, ADAM, params, { rgba: discTarget(9), height: 9, width: 9 }, { checkpointEvery: ce });
      expect(t.checkpointEvery).toBe(ce);
      const g = t.computeGradients(x0, 20, new Philox(4, 4));
      const flat = g.grads.map((x) => Array.from(x.dataSync()));
      tf.dispose(g.grads);
      t.dispose();
      return { flat, loss: g.loss };
    });
    for (const other of grads.slice(1)) {
      expect(other.loss).toBe(grads[0].loss);
      other.flat.forEach((v, k) => {
        const ref = grads[0].flat[k];
        const scale = Math.max(...ref.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        expect(Math.max(...v.map((x, j) => Math.abs(x - ref[j])))).toBeLessThan(1e-5 * scale);
      });
    }
  });

  it("chooses checkpointing by tape memory: none for the thesis, segments of ⌈√95⌉ for M's 72×72", () => {
    expect(tapeBytesPerStep(THESIS_ADAM_MODEL, 8, 15, 15)).toBe(8 * 225 * (48 + 32 + 1) * 4);
    expect(autoCheckpointEvery(THESIS_ADAM_MODEL, 8, 15, 15, 39)).toBe(0);
    expect(autoCheckpointEvery(MORDVINTSEV_MODEL, 8, 72, 72, 95)).toBe(10);
  });

  it("applies tf.train.adam with the configured β and ε: the first update is −lr·g/(|g| + ε)", () => {
    const cfg = THESIS_ADAM_MODEL;
    const params = liveParams(cfg, 30);
    const x0 = makeSeed(9, 9, 16, 2);
    const lr = 0.01, eps = 0.5; // a large ε makes its effect visible
    const probe = new AdamBptt(cfg, { ...ADAM, epsilon: eps }, params, { rgba: discTarget(9), height: 9, width: 9 });
    const g = probe.computeGradients(x0, 12, new Philox(2));
    const grad = paramsFromWeights(cfg, { kernel0: g.grads[0] as tf.Tensor2D, bias0: g.grads[1] as tf.Tensor1D, kernel1: g.grads[2] as tf.Tensor2D, bias1: null });
    tf.dispose(g.grads);
    const r = probe.iterate(x0, 12, new Philox(2), lr);
    expect(r.applied).toBe(true);
    const after = probe.getParams();
    let checked = 0;
    for (let i = 0; i < params.length; i++) {
      const expected = params[i] - (lr * grad[i]) / (Math.abs(grad[i]) + eps);
      expect(after[i]).toBeCloseTo(expected, 6);
      if (Math.abs(grad[i]) > 1e-3) checked++;
    }
    expect(checked).toBeGreaterThan(100);
    probe.dispose();
  });

  it('continues bit for bit from a saved optimizer state (moments, step, bias-correction products)', async () => {
    const cfg = THESIS_ADAM_MODEL;
    const target = { rgba: discTarget(9), height: 9, width: 9 };
    const x0 = makeSeed(9, 9, 16, 2);
    const a = new AdamBptt(cfg, ADAM, liveParams(cfg, 40), target);
    // 20 updates: a step count where tfjs's pow(β2, step + 1) and its running product differ in float32
    for (let i = 1; i <= 20; i++) a.iterate(x0, 10, new Philox(7, i), 2e-3);
    const state = await a.getOptimizerState();
    expect(state.step).toBe(20);
    // tfjs keeps β1^(step+1) as a float32 running product, which is not the float32 of the power that its
    // setWeights() recomputes: restoring the product is what makes the resume exact
    const f = Math.fround(0.999);
    let running = f;
    for (let i = 0; i < 20; i++) running = Math.fround(running * f);
    expect(state.accBeta2).toBe(running);
    const pow = tf.pow(0.999, 21);
    expect(running).not.toBe(pow.dataSync()[0]);
    pow.dispose();
    expect(state.m.some((v) => v !== 0)).toBe(true);
    const b = new AdamBptt(cfg, ADAM, a.getParams(), target);
    await b.setOptimizerState(state);
    for (let i = 21; i <= 23; i++) {
      a.iterate(x0, 10, new Philox(7, i), 2e-3);
      b.iterate(x0, 10, new Philox(7, i), 2e-3);
    }
    expect(Array.from(b.getParams())).toEqual(Array.from(a.getParams()));
    a.dispose();
    b.dispose();
  });

  it('refuses an update when the loss is not finite, or the gradient norm exceeds maxGradNorm', () => {
    const cfg = THESIS_ADAM_MODEL;
    const x0 = makeSeed(9, 9, 16, 2);
    const target = { rgba: discTarget(9), height: 9, width: 9 };
    const poisoned = liveParams(cfg, 3);
    poisoned[paramLayout(cfg).kernel1.offset + 3 * 16 + 3] = NaN;
    const t = new AdamBptt(cfg, ADAM, poisoned, target);
    const r = t.iterate(x0, 10, new Philox(1), 2e-3);
    expect(r.applied).toBe(false);
    expect(r.rejected).toMatch(/^loss became NaN/);
    t.dispose();
    const params = liveParams(cfg, 3);
    const capped = new AdamBptt(cfg, { ...ADAM, maxGradNorm: 1e-9 }, params, target);
    const c = capped.iterate(x0, 10, new Philox(1), 2e-3);
    expect(c.applied).toBe(false);
    expect(c.rejected).toMatch(/gradient norm \S+ exceeded adam.maxGradNorm 1e-9/);
    expect(Array.from(capped.getParams())).toEqual(Array.from(params));
    capped.dispose();
  });

  it('leaves no tensors behind per iteration', () => {
    const cfg = THESIS_ADAM_MODEL;
    const t = new AdamBptt(cfg, ADAM, liveParams(cfg, 2), { rgba: discTarget(9), height: 9, width: 9 }, { checkpointEvery: 3 });
    const x0 = makeSeed(9, 9, 16, 2);
    t.iterate(x0, 8, new Philox(1), 2e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) t.iterate(x0, 8, new Philox(1, i), 2e-3);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

describe('missing kernels (environment.md, "Compute")', () => {
  it('names a kernel the backend lacks instead of switching backends', () => {
    expect(() => requireTrainingKernels()).not.toThrow();
    expect(() => requireTrainingKernels(['BatchMatMul', 'NoSuchKernelX'])).toThrow(/the wasm backend has no "NoSuchKernelX" kernel/);
    const e = explainKernelError(new Error("Cannot find registered kernel 'DepthwiseConv2dNativeBackpropInput' for backend 'wasm'"));
    expect(e).toBeInstanceOf(MissingKernelError);
    expect((e as MissingKernelError).kernel).toBe('DepthwiseConv2dNativeBackpropInput');
    expect((e as Error).message).toMatch(/never moves a run to another backend/);
    const g = explainKernelError(new Error('Cannot compute gradient: gradient function not found for Greater.'));
    expect((g as Error).message).toMatch(/no gradient for the "Greater" op/);
    const other = new Error('something else');
    expect(explainKernelError(other)).toBe(other);
  });
});
