import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { MORDVINTSEV_MODEL, THESIS_ADAM_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { makeSeed } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';
import { AdamBptt } from '../../../../src/core/adam/bptt';
import { applyAdam, freshAdamState, normalizeFlatPerVariable } from '../../../../src/core/adam/adam-update';
import { FusedAdam, inProcessGradients } from '../../../../src/core/adam/fused-adam';
import { normalizePerVariableData } from '../../../../src/core/adam/gradients';
import { batchSlices } from '../../../../src/services/training/adam-gradients';

beforeAll(async () => {
  await initNodeBackend();
});

function liveParams(cfg: NcaConfig, seed: number): Float32Array {
  const rng = new Philox(seed);
  const p = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * 0.1;
  return p;
}

function discTarget(size: number): Float32Array {
  const t = new Float32Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if ((y - c) ** 2 + (x - c) ** 2 <= (size * 0.4) ** 2) t.set([0.6, 0.3, 0.1, 0.8], (y * size + x) * 4);
  }
  return t;
}

const ADAM = { lr: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, gradNorm: false, batchSize: 2, maxGradNorm: null };

describe("Adam's update on plain arrays (spec d.1, i.6)", () => {
  it("is tf.train.adam's arithmetic bit for bit, running products included", () => {
    const n = 2000;
    const r = new Philox(3);
    const p0 = Float32Array.from({ length: n }, () => r.normal() * 0.1);
    for (const cfg of [{ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, { beta1: 0.8, beta2: 0.99, epsilon: 1e-7 }]) {
      const v = tf.variable(tf.tensor1d(p0));
      const opt = tf.train.adam(3e-3, cfg.beta1, cfg.beta2, cfg.epsilon);
      const mine = p0.slice();
      const st = freshAdamState(cfg, n);
      for (let it = 0; it < 25; it++) {
        // gradients from tiny to large, and some exact zeros
        const g = Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0 : r.normal() * 10 ** ((it % 5) - 3)));
        const gt = tf.tensor1d(g);
        opt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
        applyAdam(cfg, st, mine, g, 3e-3);
        expect(Array.from(mine)).toEqual(Array.from(v.dataSync()));
      }
      const internals = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      expect(st.accBeta1).toBe(internals.accBeta1.dataSync()[0]);
      expect(st.accBeta2).toBe(internals.accBeta2.dataSync()[0]);
      expect(st.step).toBe(25);
      v.dispose();
      opt.dispose();
    }
  });

  it("normalises per variable like M's g / (‖g‖ + 1e-8)", () => {
    const cfg = MORDVINTSEV_MODEL;
    const L = paramLayout(cfg);
    const r = new Philox(1);
    const g = Float32Array.from({ length: L.total }, () => r.normal());
    g.fill(0, L.bias1!.offset, L.bias1!.offset + L.bias1!.size);
    const n = normalizeFlatPerVariable(cfg, g);
    const parts = [L.kernel0, L.bias0!, L.kernel1, L.bias1!];
    const ref = normalizePerVariableData(parts.map((v) => g.slice(v.offset, v.offset + v.size)));
    parts.forEach((v, i) => {
      const mine = n.subarray(v.offset, v.offset + v.size);
      mine.forEach((x, j) => expect(Math.abs(x - ref[i][j])).toBeLessThan(1e-6));
    });
    // a zero gradient stays zero
    expect(Array.from(n.subarray(L.bias1!.offset, L.bias1!.offset + L.bias1!.size)).every((x) => x === 0)).toBe(true);
  });
});

describe('FusedAdam session (fused BPTT gradients, update in this process)', () => {
  it("takes the tfjs session's step: same loss, gradient norm and updated parameters to float32 rounding", async () => {
    const cfg = THESIS_ADAM_MODEL;
    const target = { rgba: discTarget(9), height: 9, width: 9 };
    const params = liveParams(cfg, 4);
    const x0 = makeSeed(9, 9, 16, 2);
    const ref = new AdamBptt(cfg, ADAM, params, target, { checkpointEvery: 0 });
    const mine = new FusedAdam(cfg, ADAM, params, target, inProcessGradients(cfg, target, 20), { maxSteps: 20 });
    for (let it = 1; it <= 3; it++) {
      const a = ref.iterate(x0, 15, new Philox(2, it), 2e-3);
      const b = await mine.iterate(x0, 15, new Philox(2, it), 2e-3);
      expect(b.applied).toBe(true);
      expect(b.loss).toBeCloseTo(a.loss, 6);
      expect(Math.abs(b.gradNorm - a.gradNorm)).toBeLessThan(1e-5 * a.gradNorm);
    }
    const pa = ref.getParams();
    const pb = mine.getParams();
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i] - pb[i]));
    // three updates of ≈ lr each; Adam's normalisation amplifies rounding only where a gradient is ≈ 0
    expect(maxDiff).toBeLessThan(1e-4);
    const sa = await ref.getOptimizerState();
    const sb = await mine.getOptimizerState();
    expect(sb.step).toBe(3);
    expect(sb.accBeta1).toBe(sa.accBeta1);
    expect(sb.accBeta2).toBe(sa.accBeta2);
    ref.dispose();
  });

  it('refuses an update on a non-finite loss or a gradient norm over maxGradNorm, keeping the parameters', async () => {
    const cfg = THESIS_ADAM_MODEL;
    const target = { rgba: discTarget(9), height: 9, width: 9 };
    const x0 = makeSeed(9, 9, 16, 2);
    const poisoned = liveParams(cfg, 3);
    poisoned[paramLayout(cfg).kernel1.offset + 3 * 16 + 3] = NaN;
    const t = new FusedAdam(cfg, ADAM, poisoned, target, inProcessGradients(cfg, target, 20), { maxSteps: 20 });
    const r = await t.iterate(x0, 10, new Philox(1), 2e-3);
    expect(r.applied).toBe(false);
    expect(r.rejected).toMatch(/^loss became NaN/);
    const params = liveParams(cfg, 3);
    const capped = new FusedAdam(cfg, { ...ADAM, maxGradNorm: 1e-9 }, params, target, inProcessGradients(cfg, target, 20), { maxSteps: 20 });
    const c = await capped.iterate(x0, 10, new Philox(1), 2e-3);
    expect(c.rejected).toMatch(/gradient norm \S+ exceeded adam.maxGradNorm 1e-9/);
    expect(Array.from(capped.getParams())).toEqual(Array.from(params));
    expect((await capped.getOptimizerState()).step).toBe(0);
  });

  it('splits a batch into contiguous slices of near-equal size, never more slices than samples', () => {
    expect(batchSlices(8, 2)).toEqual([[0, 4], [4, 8]]);
    expect(batchSlices(8, 3)).toEqual([[0, 3], [3, 6], [6, 8]]);
    expect(batchSlices(2, 16)).toEqual([[0, 1], [1, 2]]);
    expect(batchSlices(5, 1)).toEqual([[0, 5]]);
  });
});
