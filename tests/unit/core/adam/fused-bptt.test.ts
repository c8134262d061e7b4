import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { THESIS_ES_MODEL, THESIS_ADAM_MODEL, MORDVINTSEV_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { paramsFromWeights } from '../../../../src/core/nca/weights';
import { fireMaskData } from '../../../../src/core/nca/step';
import { makeSeed, sampleOf, stackStates, type StateBatch } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';
import { AdamBptt } from '../../../../src/core/adam/bptt';
import { FusedBptt, meanGradient, autoFusedCheckpointEvery, type FusedBpttOptions } from '../../../../src/core/adam/fused-bptt';
import { BPTT_KERNEL_WASM_BASE64 } from '../../../../src/core/adam/bptt-kernel.wasm';
import { assembleKernel } from '../../../../scripts/assemble-kernel';
import { bpttKernelWat } from '../../../../scripts/bptt-kernel-wat';
import { refLoss } from '../../../fixtures/nca-reference';

beforeAll(async () => {
  await initNodeBackend();
});

const MODELS: [string, NcaConfig][] = [
  ['thesis ES (no bias)', THESIS_ES_MODEL],
  ['thesis Adam (layer-1 bias)', THESIS_ADAM_MODEL],
  ['Mordvintsev (hidden 128, both biases)', MORDVINTSEV_MODEL],
];

/** Fresh params with a small random layer 2 (and layer-2 bias), so rollouts change the state. */
function liveParams(cfg: NcaConfig, seed: number, scale: number): Float32Array {
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

/** Seeds, and one sample grown a little at random (so alive and dead cells, and non-seed starts, are covered). */
function startStates(S: number, N: number, seed: number): StateBatch {
  const x0 = makeSeed(S, S, 16, N);
  const r = new Philox(seed);
  const c = Math.floor(S / 2);
  const last = (N - 1) * S * S * 16;
  for (let y = c - 2; y <= c + 2; y++) for (let x = c - 2; x <= c + 2; x++) {
    for (let k = 0; k < 16; k++) x0.data[last + (y * S + x) * 16 + k] = k === 3 ? 0.3 + r.uniform() : r.uniform() - 0.4;
  }
  return x0;
}

function tfjsGradient(cfg: NcaConfig, params: Float32Array, target: { rgba: Float32Array; height: number; width: number }, x0: StateBatch, K: number, fire: Philox) {
  const t = new AdamBptt(cfg, { lr: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, gradNorm: false, batchSize: x0.n, maxGradNorm: null }, params, target, { checkpointEvery: 0 });
  const r = t.computeGradients(x0, K, fire);
  let i = 0;
  const g = r.grads;
  const flat = paramsFromWeights(cfg, {
    kernel0: g[i++] as tf.Tensor2D, bias0: cfg.bias1 ? (g[i++] as tf.Tensor1D) : null,
    kernel1: g[i++] as tf.Tensor2D, bias1: cfg.bias2 ? (g[i] as tf.Tensor1D) : null,
  });
  tf.dispose(g);
  t.dispose();
  return { ...r, grad: flat };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function whole(x0: StateBatch, seed: number, stream = 3) {
  return { stream: new Philox(seed, stream).getState(), batchSize: x0.n, sampleStart: 0 };
}

describe('fused BPTT kernel (spec d.2, a.2–a.4, b.3)', () => {
  for (const [name, cfg] of MODELS) {
    it(`matches the tfjs autodiff path: ${name}, SIMD kernel and TypeScript rows`, () => {
      const S = 9, N = 3, K = 14;
      const params = liveParams(cfg, 17, cfg.hidden > 32 ? 0.03 : 0.1);
      const target = { rgba: discTarget(S), height: S, width: S };
      const x0 = startStates(S, N, 4);
      const ref = tfjsGradient(cfg, params, target, x0, K, new Philox(6, 3));
      const scale = maxAbs(ref.grad);
      expect(scale).toBeGreaterThan(1e-3);
      for (const kernel of ['auto', 'js'] as const) {
        const f = new FusedBptt(cfg, target, { kernel, checkpointEvery: 0, maxSteps: K });
        expect(f.engine).toBe(kernel === 'js' ? 'fused-js' : 'fused-wasm-simd');
        const r = f.sliceGradients(params, x0, K, whole(x0, 6));
        expect(maxDiff(r.finals.data, ref.finals.data)).toBeLessThan(1e-5);
        expect(maxAbs(ref.finals.data)).toBeGreaterThan(0.5);
        r.sampleLosses.forEach((l, b) => expect(l).toBeCloseTo(ref.sampleLosses[b], 6));
        const g = meanGradient(r.grads);
        expect(maxDiff(g, ref.grad), `${f.engine}: largest gradient difference`).toBeLessThan(1e-5 * scale);
        // each variable takes part (no variable compared as all zeros on both sides)
        const L = paramLayout(cfg);
        for (const v of [L.kernel0, L.bias0, L.kernel1, L.bias1]) {
          if (v) expect(maxAbs(g.subarray(v.offset, v.offset + v.size))).toBeGreaterThan(1e-3 * scale);
        }
      }
    });
  }

  for (const [name, cfg] of MODELS) {
    it(`matches float64 finite differences: ${name}`, () => {
      const S = 6, N = 2, K = 5;
      const params = liveParams(cfg, 21, cfg.hidden > 32 ? 0.05 : 0.15);
      const target = discTarget(S);
      const x0 = startStates(S, N, 9);
      const f = new FusedBptt(cfg, { rgba: target, height: S, width: S }, { checkpointEvery: 0, maxSteps: K });
      expect(f.engine).toBe('fused-wasm-simd');
      const r = f.sliceGradients(params, x0, K, whole(x0, 5, 1));
      const grad = meanGradient(r.grads);
      const maskRng = new Philox(5, 1);
      const masks = Array.from({ length: K }, () => fireMaskData(maskRng, N, S, S, cfg.fireRate));
      const p64 = Float64Array.from(params);
      const loss = r.sampleLosses.reduce((a, b) => a + b, 0) / N;
      expect(refLoss(cfg, p64, x0, masks, target)).toBeCloseTo(loss, 6);
      const L = paramLayout(cfg);
      const H = cfg.hidden;
      const largest = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a])).slice(0, 6);
      const idx = [
        ...largest,
        L.kernel0.offset + 3 * H + 1, L.kernel0.offset + 10 * H + 5, L.kernel0.offset + 46 * H + 2, L.kernel0.offset + 11 * H + 7,
        L.kernel1.offset + 0 * 16 + 3, L.kernel1.offset + 5 * 16 + 0, L.kernel1.offset + 7 * 16 + 12,
        ...(L.bias0 ? [L.bias0.offset, L.bias0.offset + 6] : []),
        ...(L.bias1 ? [L.bias1.offset + 1, L.bias1.offset + 3, L.bias1.offset + 15] : []),
      ];
      const scale = maxAbs(grad);
      expect(scale).toBeGreaterThan(1e-4);
      const eps = 1e-5;
      for (const i of idx) {
        const up = p64.slice(); up[i] += eps;
        const dn = p64.slice(); dn[i] -= eps;
        const fd = (refLoss(cfg, up, x0, masks, target) - refLoss(cfg, dn, x0, masks, target)) / (2 * eps);
        expect(Math.abs(grad[i] - fd), `param ${i}: fused ${grad[i]} vs finite difference ${fd}`).toBeLessThan(2e-3 * scale + 1e-3 * Math.abs(fd));
      }
    });
  }

  it("gives every sample the same gradient whichever slice of the batch computes it, so the batch's sum does not depend on the split", () => {
    const cfg = THESIS_ADAM_MODEL;
    const S = 9, N = 4, K = 12;
    const params = liveParams(cfg, 5, 0.1);
    const target = { rgba: discTarget(S), height: S, width: S };
    const x0 = startStates(S, N, 2);
    const f = new FusedBptt(cfg, target, { maxSteps: K });
    const all = f.sliceGradients(params, x0, K, whole(x0, 8));
    const stream = new Philox(8, 3).getState();
    const parts = [[0, 1], [1, 3], [3, 4]].map(([a, b]) => f.sliceGradients(params, stackStates(Array.from({ length: b - a }, (_, i) => sampleOf(x0, a + i))), K,
      { stream, batchSize: N, sampleStart: a }));
    const grads = parts.flatMap((p) => p.grads);
    grads.forEach((g, b) => expect(Array.from(g)).toEqual(Array.from(all.grads[b])));
    expect(parts.flatMap((p) => p.sampleLosses)).toEqual(all.sampleLosses);
    expect(Array.from(stackStates(parts.map((p) => p.finals)).data)).toEqual(Array.from(all.finals.data));
    expect(Array.from(meanGradient(grads))).toEqual(Array.from(meanGradient(all.grads)));
    // the samples differ, so the slices really computed different things
    expect(maxDiff(all.grads[0], all.grads[3])).toBeGreaterThan(1e-4);
  });

  it('gives the same gradient with gradient checkpointing (segments of 1, 4 and 7 steps), rerunning each segment once', () => {
    const cfg = MORDVINTSEV_MODEL;
    const S = 9, K = 20;
    const params = liveParams(cfg, 13, 0.03);
    const target = { rgba: discTarget(S), height: S, width: S };
    const x0 = startStates(S, 2, 7);
    const run = (o: FusedBpttOptions) => new FusedBptt(cfg, target, { ...o, maxSteps: K }).sliceGradients(params, x0, K, whole(x0, 4));
    const ref = run({ checkpointEvery: 0 });
    for (const ce of [1, 4, 7]) {
      const r = run({ checkpointEvery: ce });
      expect(r.sampleLosses).toEqual(ref.sampleLosses);
      r.grads.forEach((g, b) => expect(Array.from(g)).toEqual(Array.from(ref.grads[b])));
      // one extra forward pass over the rollout, none extra backward
      expect(r.work.forwardRows).toBe(2 * ref.work.forwardRows);
      expect(r.work.backwardRows).toBe(ref.work.backwardRows);
    }
  });

  it("chooses checkpointing by record memory: none for the thesis or M's 72×72 at 95 steps, segments of ⌈√K⌉ beyond", () => {
    expect(autoFusedCheckpointEvery(THESIS_ADAM_MODEL, 15, 15, 39)).toBe(0);
    expect(autoFusedCheckpointEvery(MORDVINTSEV_MODEL, 72, 72, 95)).toBe(0);
    expect(autoFusedCheckpointEvery(MORDVINTSEV_MODEL, 72, 72, 400)).toBe(20);
    expect(autoFusedCheckpointEvery(MORDVINTSEV_MODEL, 72, 72, 95, 64 * 1024 * 1024)).toBe(10);
    expect(new FusedBptt(MORDVINTSEV_MODEL, { rgba: discTarget(72), height: 72, width: 72 }, { maxSteps: 400 }).checkpointEvery).toBe(20);
  });

  it('skips dead cells: an empty sample costs no MLP rows and has zero gradient; a seed runs only near its centre', () => {
    const cfg = THESIS_ADAM_MODEL;
    const S = 15, K = 10;
    const params = liveParams(cfg, 3, 0.1);
    const target = { rgba: discTarget(S), height: S, width: S };
    const f = new FusedBptt(cfg, target, { maxSteps: K });
    const empty = makeSeed(S, S, 16, 1);
    empty.data.fill(0);
    const e = f.sliceGradients(params, empty, K, whole(empty, 1));
    expect(e.work.backwardRows).toBe(0);
    expect(maxAbs(e.grads[0])).toBe(0);
    expect(maxAbs(e.finals.data)).toBe(0);
    const seed = makeSeed(S, S, 16, 1);
    const s = f.sliceGradients(params, seed, K, whole(seed, 1));
    expect(s.work.backwardRows).toBeGreaterThan(0);
    expect(maxAbs(s.grads[0])).toBeGreaterThan(0);
    // the pattern grows at most one cell per step around the centre: far fewer rows than cells × steps
    expect(s.work.forwardRows).toBeLessThan(0.4 * s.work.cellSteps);
    // work confined near the live cells gives the tfjs gradient, for a pattern at a corner of the canvas too
    const corner = makeSeed(S, S, 16, 1);
    corner.data.fill(0);
    for (const [y, x] of [[0, 0], [0, 1], [1, 0], [1, 1], [2, 1]]) for (let k = 3; k < 16; k++) corner.data[(y * S + x) * 16 + k] = 0.5 + 0.1 * k;
    const pair = stackStates([seed, corner]);
    const ref = tfjsGradient(cfg, params, target, pair, K, new Philox(2, 3));
    const mine = f.sliceGradients(params, pair, K, whole(pair, 2));
    expect(maxDiff(mine.finals.data, ref.finals.data)).toBeLessThan(1e-5);
    expect(maxDiff(meanGradient(mine.grads), ref.grad)).toBeLessThan(1e-5 * maxAbs(ref.grad));
    expect(maxAbs(mine.grads[1])).toBeGreaterThan(0);
  });

  it('refuses states, steps and slices that do not fit', () => {
    const f = new FusedBptt(THESIS_ADAM_MODEL, { rgba: discTarget(9), height: 9, width: 9 }, { maxSteps: 10 });
    const p = liveParams(THESIS_ADAM_MODEL, 1, 0.1);
    const x0 = makeSeed(9, 9, 16, 2);
    expect(() => f.sliceGradients(p, makeSeed(8, 8, 16, 1), 5, whole(x0, 1))).toThrow(/do not match the model\/target 9×9×16/);
    expect(() => f.sliceGradients(p, x0, 11, whole(x0, 1))).toThrow(/exceed this engine's maxSteps 10/);
    expect(() => f.sliceGradients(p, x0, 5, { ...whole(x0, 1), batchSize: 3, sampleStart: 2 })).toThrow(/outside the batch of 3/);
    expect(() => f.sliceGradients(p.subarray(1), x0, 5, whole(x0, 1))).toThrow(/expected 2080 values/);
  });

  it('ships the kernel the generator makes (WAT text and bytes)', async () => {
    const wat = readFileSync(new URL('../../../../src/core/adam/bptt-kernel.wat', import.meta.url), 'utf8');
    expect(wat).toBe(bpttKernelWat());
    const bytes = await assembleKernel(wat);
    expect(Buffer.from(bytes).toString('base64')).toBe(BPTT_KERNEL_WASM_BASE64);
  });
});
