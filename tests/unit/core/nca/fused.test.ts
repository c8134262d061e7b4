import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { THESIS_ES_MODEL, THESIS_ADAM_MODEL, MORDVINTSEV_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { FusedNca } from '../../../../src/core/nca/fused';
import { rollout } from '../../../../src/core/nca/step';
import { makeSeed, type StateBatch } from '../../../../src/core/nca/state';
import { evaluatePopulation } from '../../../../src/core/nca/population';
// the tfjs strategies (loop, batched) register themselves
import '../../../../src/core/nca/population-tfjs';
import { Philox } from '../../../../src/core/rng/philox';
import { MLP_KERNEL_WASM_BASE64 } from '../../../../src/core/nca/mlp-kernel.wasm';
import { assembleKernel } from '../../../../scripts/assemble-kernel';
import { kernelWat, SPECIALISED_SHAPES } from '../../../../scripts/kernel-wat';
import { STEP_SHAPES } from '../../../../scripts/kernel-wat-step';
import { mlpKernel } from '../../../../src/core/nca/mlp-kernel';

beforeAll(async () => {
  await initNodeBackend();
});

function params(cfg: NcaConfig, seed: number, scale: number): Float32Array {
  const rng = new Philox(seed);
  const p = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * scale;
  if (L.bias1) for (let i = 0; i < L.bias1.size; i++) p[L.bias1.offset + i] = (rng.uniform() * 2 - 1) * 0.01;
  return p;
}

function dense(n: number, size: number, seed: number): StateBatch {
  const s = makeSeed(size, size, 16, n);
  const r = new Philox(seed);
  for (let i = 0; i < s.data.length; i++) s.data[i] = i % 16 === 3 ? 0.05 + r.uniform() : r.uniform() - 0.3;
  // a dead corner, so both paths must agree on masking too
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) s.data.fill(0, (y * size + x) * 16, (y * size + x + 1) * 16);
  return s;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('fused CA step against the tfjs step', () => {
  const cases: [string, NcaConfig][] = [
    ['thesis ES (no biases)', THESIS_ES_MODEL],
    ['thesis Adam (layer-1 bias)', THESIS_ADAM_MODEL],
    ['Mordvintsev (both biases, hidden 128)', MORDVINTSEV_MODEL],
    ['hidden 64 with the layer-1 bias (the wider ES model)', { ...THESIS_ADAM_MODEL, hidden: 64 }],
    ['hidden 24 (the per-cell generic kernel)', { ...THESIS_ADAM_MODEL, hidden: 24 }],
    ['hidden 30 (plain TypeScript fallback)', { ...THESIS_ADAM_MODEL, hidden: 30 }],
  ];
  for (const [name, cfg] of cases) {
    it(`gives the same states: ${name}`, () => {
      const p = params(cfg, 4, 0.05);
      for (const start of [makeSeed(9, 9, 16, 2), dense(2, 9, 1)]) {
        const fused = new FusedNca(cfg, p);
        expect(fused.usesKernel).toBe(cfg.hidden % 4 === 0);
        expect(fused.usesStepKernel).toBe(STEP_SHAPES.some((sh) => sh.hidden === cfg.hidden && sh.channels === cfg.channels));
        const a = fused.rollout(start, 8, new Philox(21));
        const b = rollout(cfg, start, p, 8, new Philox(21));
        expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
        // the rollout really moved the state (a test of equality between two no-ops proves nothing)
        expect(maxAbsDiff(a.data, start.data)).toBeGreaterThan(1e-3);
      }
    });
  }

  it('the whole-step kernel: step by step equals the rollout bit for bit, and the random stream ends where the tfjs step leaves it', () => {
    for (const cfg of [THESIS_ES_MODEL, MORDVINTSEV_MODEL]) {
      const p = params(cfg, 6, 0.05);
      const start = dense(2, 11, 5);
      const a = new FusedNca(cfg, p);
      expect(a.usesStepKernel).toBe(true);
      const rngA = new Philox(3, 1);
      const rolled = a.rollout(start, 7, rngA);
      expect(a.cellsEvaluated).toBeGreaterThan(7 * 2 * 121 * 0.3);
      const b = new FusedNca(cfg, p);
      const s = { ...start, data: start.data.slice() };
      const rngB = new Philox(3, 1);
      for (let i = 0; i < 7; i++) b.step(s, rngB);
      expect(Array.from(s.data)).toEqual(Array.from(rolled.data));
      // 7 steps × 2 samples × 121 cells = 1694 uniforms, partly drawn in wasm
      const ref = new Philox(3, 1);
      for (let i = 0; i < 7 * 2 * 121; i++) ref.uniform();
      expect(rngB.getState()).toEqual(rngA.getState());
      expect(rngA.getState()).toEqual(ref.getState());
      expect(rngA.uniform()).toBe(ref.uniform());
    }
  });

  it('the whole-step kernel gives the per-cell path\'s floats bit for bit (so runs resume across the two)', () => {
    const cases: NcaConfig[] = [THESIS_ES_MODEL, THESIS_ADAM_MODEL, { ...THESIS_ADAM_MODEL, hidden: 64 }, MORDVINTSEV_MODEL, { ...THESIS_ADAM_MODEL, stepSize: 0.7 }];
    for (const cfg of cases) {
      const p = params(cfg, 11, 0.05);
      for (const start of [makeSeed(13, 13, 16, 2), dense(2, 13, 4)]) {
        const whole = new FusedNca(cfg, p);
        const perCell = new FusedNca(cfg, p, { stepKernel: false });
        expect(whole.usesStepKernel).toBe(true);
        expect(perCell.usesStepKernel).toBe(false);
        const a = whole.rollout(start, 12, new Philox(5, 2));
        const b = perCell.rollout(start, 12, new Philox(5, 2));
        expect(Array.from(a.data)).toEqual(Array.from(b.data));
        expect(maxAbsDiff(a.data, start.data)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('a member\'s rollout does not depend on the rest of the population (bit for bit)', () => {
    const cfg = THESIS_ES_MODEL;
    const target = new Float32Array(15 * 15 * 4).fill(0.25);
    const paramsList = [1, 2, 3].map((s) => params(cfg, s, 0.05));
    const start = dense(1, 15, 8);
    const all = evaluatePopulation({ cfg, paramsList, startStates: start, steps: [9, 12, 10], rng: (i) => new Philox(4, i), target, keepFinals: true, strategy: 'fused' });
    const one = evaluatePopulation({ cfg, paramsList: [paramsList[1]], startStates: start, steps: [12], rng: () => new Philox(4, 1), target, keepFinals: true, strategy: 'fused' });
    expect(Array.from(one.finals![0].data)).toEqual(Array.from(all.finals![1].data));
    expect(one.losses[0]).toBe(all.losses[1]);
  });

  it('a batch too big to stay in kernel memory (each sample copied in and out per step) gives the tfjs states', () => {
    const cfg = THESIS_ADAM_MODEL;
    const p = params(cfg, 9, 0.05);
    const size = 300;
    const start = makeSeed(size, size, 16, 3);
    const r = new Philox(12);
    for (let b = 0; b < 3; b++) {
      for (let y = 140; y < 160; y++) for (let x = 100 + 20 * b; x < 120 + 20 * b; x++) {
        const o = ((b * size + y) * size + x) * 16;
        for (let c = 0; c < 16; c++) start.data[o + c] = c === 3 ? 0.05 + r.uniform() : r.uniform() - 0.3;
      }
    }
    const fused = new FusedNca(cfg, p);
    const a = fused.rollout(start, 3, new Philox(2));
    const b = rollout(cfg, start, p, 3, new Philox(2));
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.data, start.data)).toBeGreaterThan(1e-3);
  });

  it('the SIMD peak loops compute a ← a·0.999 + 0.001 on every accumulator', () => {
    const k = mlpKernel()!;
    expect([...k.peak.keys()].sort((x, y) => x - y)).toEqual([8, 10, 12]);
    for (const [chains, loop] of k.peak) {
      const n = 1000;
      let expected = 0;
      for (let i = 0; i < chains; i++) expected += 1 + ((i + 1) / chains - 1) * 0.999 ** n;
      expect(loop(n)).toBeCloseTo(expected, 3);
    }
  });

  it('keeps two models apart when they share the kernel memory', () => {
    const pa = params(THESIS_ES_MODEL, 1, 0.05);
    const pb = params(THESIS_ES_MODEL, 2, 0.05);
    const fa = new FusedNca(THESIS_ES_MODEL, pa);
    const fb = new FusedNca(THESIS_ES_MODEL, pb);
    const sa = dense(1, 9, 3);
    const sb = dense(1, 9, 3);
    const ra = new Philox(1), rb = new Philox(1);
    for (let i = 0; i < 5; i++) { fa.step(sa, ra); fb.step(sb, rb); }
    expect(maxAbsDiff(sa.data, new FusedNca(THESIS_ES_MODEL, pa).rollout(dense(1, 9, 3), 5, new Philox(1)).data)).toBe(0);
    expect(maxAbsDiff(sa.data, sb.data)).toBeGreaterThan(1e-3);
  });

  it('population evaluation: the fused strategy matches the tfjs loop', () => {
    const cfg = THESIS_ES_MODEL;
    const target = new Float32Array(81 * 4).map((_, i) => ((i * 13) % 7) / 7);
    const paramsList = [1, 2, 3, 4].map((s) => params(cfg, s, 0.03));
    const req = { cfg, paramsList, startStates: makeSeed(9, 9), steps: [30, 39, 31, 35], target, keepFinals: true };
    const a = evaluatePopulation({ ...req, rng: (i) => new Philox(8, i), strategy: 'fused' });
    const b = evaluatePopulation({ ...req, rng: (i) => new Philox(8, i), strategy: 'loop' });
    for (let i = 0; i < 4; i++) {
      expect(maxAbsDiff(a.finals![i].data, b.finals![i].data)).toBeLessThan(1e-3);
      expect(a.losses[i]).toBeCloseTo(b.losses[i], 5);
    }
  });

  it('ships the kernel the generator makes (WAT text and bytes)', async () => {
    const wat = readFileSync(new URL('../../../../src/core/nca/mlp-kernel.wat', import.meta.url), 'utf8');
    expect(wat).toBe(kernelWat());
    const bytes = await assembleKernel(wat);
    expect(Buffer.from(bytes).toString('base64')).toBe(MLP_KERNEL_WASM_BASE64);
  });

  it('the unrolled kernels give the generic kernel\'s numbers', () => {
    const k = mlpKernel()!;
    for (const [H, C] of SPECIALISED_SHAPES) {
      const inputs = 3 * C;
      const f = k.f32;
      const w0 = 0, b0 = w0 + inputs * H, w1 = b0 + H, b1 = w1 + H * C, h = b1 + C, inp = h + H, n = 50, out = inp + n * inputs;
      const r = new Philox(H);
      for (let i = 0; i < out; i++) f[i] = r.uniform() - 0.5;
      for (let i = inp; i < out; i += 3) f[i] = 0; // zero inputs are skipped
      k.mlp(inp * 4, n, out * 4, w0 * 4, b0 * 4, w1 * 4, b1 * 4, inputs, H, C, h * 4);
      const a = f.slice(out, out + n * C);
      f.fill(0, out, out + n * C);
      k.specialised.get(`h${H}_c${C}`)!(inp * 4, n, out * 4, w0 * 4, b0 * 4, w1 * 4, b1 * 4, inputs);
      expect(Array.from(f.slice(out, out + n * C))).toEqual(Array.from(a));
      expect(a.some((v) => v !== 0)).toBe(true);
    }
  });
});
