import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { THESIS_ES_MODEL, THESIS_ADAM_MODEL, MORDVINTSEV_MODEL, paramCount, paramLayout, initParams } from '../../../../src/core/nca/config';
import { perceive, perceiveBlocked } from '../../../../src/core/nca/perception';
import { makeSeed, emptyStates, sampleOf, stackStates } from '../../../../src/core/nca/state';
import { step, rollout, caStep, statesToTensor } from '../../../../src/core/nca/step';
import { weightsFromParams, paramsFromWeights } from '../../../../src/core/nca/weights';
import { evaluatePopulation } from '../../../../src/core/nca/population';
// the tfjs strategies (loop, batched) register themselves
import '../../../../src/core/nca/population-tfjs';
import { FusedNca } from '../../../../src/core/nca/fused';
import { rgbaMse, rgbaMsePerSample } from '../../../../src/core/nca/loss';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { Philox } from '../../../../src/core/rng/philox';

beforeAll(async () => {
  await initNodeBackend();
});

const cfg = THESIS_ES_MODEL;

function randomParams(seed: number, c = cfg, layer2Scale = 0.1): Float32Array {
  const rng = new Philox(seed);
  const p = initParams(c, 'torch', () => rng.uniform());
  const L = paramLayout(c);
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() * 2 - 1) * layer2Scale;
  return p;
}

describe('parameter layout (spec a.3)', () => {
  it('counts 2048 / 2080 / 8336 parameters', () => {
    expect(paramCount(THESIS_ES_MODEL)).toBe(2048);
    expect(paramCount(THESIS_ADAM_MODEL)).toBe(2080);
    expect(paramCount(MORDVINTSEV_MODEL)).toBe(8336);
  });

  it('initialises layer 1 within ±1/√48 (torch) and layer 2 to zero', () => {
    const rng = new Philox(1);
    const p = initParams(THESIS_ADAM_MODEL, 'torch', () => rng.uniform());
    const L = paramLayout(THESIS_ADAM_MODEL);
    const k0 = p.subarray(L.kernel0.offset, L.kernel0.offset + L.kernel0.size);
    const bound = 1 / Math.sqrt(48);
    expect(Math.max(...k0)).toBeLessThanOrEqual(bound);
    expect(Math.min(...k0)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...k0)).toBeGreaterThan(0.9 * bound);
    expect(p.subarray(L.kernel1.offset).every((v) => v === 0)).toBe(true);
    const g = initParams(MORDVINTSEV_MODEL, 'glorot', () => rng.uniform());
    const gl = paramLayout(MORDVINTSEV_MODEL);
    expect(Math.max(...g.subarray(0, gl.kernel0.size))).toBeLessThanOrEqual(Math.sqrt(6 / 176));
    expect(g.subarray(gl.bias0!.offset, gl.bias0!.offset + 128).every((v) => v === 0)).toBe(true);
  });

  it('round-trips flat params through tensors', () => {
    for (const c of [THESIS_ES_MODEL, THESIS_ADAM_MODEL, MORDVINTSEV_MODEL]) {
      const p = randomParams(3, c);
      const w = weightsFromParams(c, p);
      expect(Array.from(paramsFromWeights(c, w))).toEqual(Array.from(p));
    }
  });

  it('refuses a parameter vector of the wrong length', () => {
    expect(() => weightsFromParams(cfg, new Float32Array(2080))).toThrow(/expected 2048/);
  });
});

describe('seed against the built-in targets (spec b.2)', () => {
  // the spec's exact seed-vs-target MSE: RGBA of the seed (all zero but alpha 1 at the centre) vs the target
  const expected: [string, number][] = [['carrot-9', 0.089656], ['carrot-15', 0.099958], ['rabbit-9', 0.244730], ['rabbit-15', 0.255684]];
  for (const [name, mse] of expected) {
    it(`${name}: ${mse}`, () => {
      const t = loadBuiltinTarget(name);
      const seed = makeSeed(t.height, t.width);
      expect(Math.abs(rgbaMse(seed, t.rgba) - mse)).toBeLessThan(1e-5);
    });
  }

  it('lizard-40 padded to 72×72 (M, d.4): 0.030425 and 0.041461 for the 2018 version', () => {
    for (const [name, mse] of [['lizard-40', 0.030425], ['lizard-2018-40', 0.041461]] as const) {
      const t = loadBuiltinTarget(name);
      expect([t.height, t.width]).toEqual([72, 72]);
      expect(Math.abs(rgbaMse(makeSeed(72, 72), t.rgba) - mse)).toBeLessThan(1e-5);
    }
  });
});

describe('perception (spec a.2)', () => {
  // A 3×3 grid with 2 channels; values chosen so every kernel gives a distinct number at the centre.
  const H = 3, W = 3, C = 2;
  const ch0 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const ch1 = [0, 0, 0, 0, 10, 0, 0, 0, 1];
  const data = new Float32Array(H * W * C);
  for (let i = 0; i < 9; i++) { data[i * C] = ch0[i]; data[i * C + 1] = ch1[i]; }

  it('interleaves identity, sobel_x/8, sobel_y/8 per channel', () => {
    const y = perceive(tf.tensor4d(data, [1, H, W, C]));
    expect(y.shape).toEqual([1, 3, 3, 6]);
    const v = y.dataSync();
    const centre = Array.from(v.slice(4 * 6, 5 * 6));
    // channel 0: id 5; sobel_x = ((3-1) + 2(6-4) + (9-7))/8 = 1; sobel_y = ((7-1) + 2(8-2) + (9-3))/8 = 3
    // channel 1: id 10; sobel_x = (1)/8; sobel_y = (1)/8 (only the bottom-right 1 contributes)
    expect(centre).toEqual([5, 1, 3, 10, 0.125, 0.125]);
    // top-left corner with zero padding, channel 0: sobel_x = (2·2 + 5)/8, sobel_y = (2·4 + 5)/8
    const corner = Array.from(v.slice(0, 3));
    expect(corner[0]).toBe(1);
    expect(corner[1]).toBeCloseTo(9 / 8, 6);
    expect(corner[2]).toBeCloseTo(13 / 8, 6);
  });

  it('the blocked form holds the same numbers and the same gradient', () => {
    const x = tf.tensor4d(data, [1, H, W, C]);
    const inter = perceive(x).dataSync();
    const blocked = perceiveBlocked(x).dataSync();
    for (let cell = 0; cell < 9; cell++) {
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < 3; k++) {
          expect(blocked[cell * 6 + k * C + c]).toBeCloseTo(inter[cell * 6 + 3 * c + k], 6);
        }
      }
    }
    // gradient of sum(perception · r) for a fixed random r: custom gradient vs finite differences
    const rng = new Philox(9);
    const r = tf.tensor4d(rng.fillUniform(new Float32Array(9 * 6)) as Float32Array, [1, 3, 3, 6]);
    const g = tf.grad((t: tf.Tensor) => perceiveBlocked(t as tf.Tensor4D).mul(r).sum())(x).dataSync();
    const f = (d: Float32Array) => perceiveBlocked(tf.tensor4d(d, [1, H, W, C])).mul(r).sum().dataSync()[0];
    for (const i of [0, 5, 8, 13, 17]) {
      const plus = data.slice(); plus[i] += 0.5;
      const minus = data.slice(); minus[i] -= 0.5;
      expect(g[i]).toBeCloseTo((f(plus) - f(minus)) / 1, 3);
    }
  });
});

describe('one CA step (spec a.4)', () => {
  it('kills a lone cell with alpha 0.05 and keeps one next to alpha 0.2; dead cells are all zero', () => {
    const s = emptyStates(1, 5, 5, 16);
    const at = (y: number, x: number, c: number) => (y * 5 + x) * 16 + c;
    // lone weak cell at (0,0): alpha 0.05 and some hidden value
    s.data[at(0, 0, 3)] = 0.05; s.data[at(0, 0, 7)] = 0.3;
    // a weak cell at (3,2) next to a strong one at (3,3)
    s.data[at(3, 2, 3)] = 0.05; s.data[at(3, 2, 5)] = 0.4;
    s.data[at(3, 3, 3)] = 0.2;
    const zero = new Float32Array(paramCount(cfg));
    const out = step(cfg, s, zero, new Philox(1));
    for (let c = 0; c < 16; c++) expect(out.data[at(0, 0, c)]).toBe(0);
    expect(out.data[at(3, 2, 3)]).toBeCloseTo(0.05, 7);
    expect(out.data[at(3, 2, 5)]).toBeCloseTo(0.4, 7);
    expect(out.data[at(3, 3, 3)]).toBeCloseTo(0.2, 7);
    // every cell outside the 3×3 neighbourhood of the strong cell is all-zero
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) {
      if (Math.abs(y - 3) <= 1 && Math.abs(x - 3) <= 1) continue;
      for (let c = 0; c < 16; c++) expect(out.data[at(y, x, c)]).toBe(0);
    }
  });

  it('changes nothing when layer 2 is zero (a.3) and is reproducible with a fixed seed', () => {
    const seed = makeSeed(9, 9);
    const rng = new Philox(2);
    const p = initParams(cfg, 'torch', () => rng.uniform());
    const out = rollout(cfg, seed, p, 10, new Philox(5));
    expect(Array.from(out.data)).toEqual(Array.from(seed.data));
    const q = randomParams(4);
    const a = rollout(cfg, seed, q, 20, new Philox(5));
    const b = rollout(cfg, seed, q, 20, new Philox(5));
    const c = rollout(cfg, seed, q, 20, new Philox(6));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(a.data.some((v, i) => v !== seed.data[i])).toBe(true);
  });

  it('matches a straightforward per-cell implementation of a.4', () => {
    const q = randomParams(8, THESIS_ADAM_MODEL, 0.2);
    const L = paramLayout(THESIS_ADAM_MODEL);
    const s0 = rollout(THESIS_ADAM_MODEL, makeSeed(7, 7), q, 3, new Philox(11));
    const got = step(THESIS_ADAM_MODEL, s0, q, new Philox(12)).data;
    // reference, written from the spec with plain loops
    const H = 7, W = 7, C = 16, HID = 32;
    const x = s0.data;
    const fire = new Philox(12);
    const sx = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
    const get = (arr: Float32Array | Float64Array, y: number, xx: number, c: number) =>
      y < 0 || y >= H || xx < 0 || xx >= W ? 0 : arr[(y * W + xx) * C + c];
    const alive = (arr: Float32Array | Float64Array, y: number, xx: number) => {
      let m = -Infinity;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xs = xx + dx;
        if (yy >= 0 && yy < H && xs >= 0 && xs < W) m = Math.max(m, arr[(yy * W + xs) * C + 3]);
      }
      return m > 0.1;
    };
    const x1 = new Float64Array(x.length);
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      const per: number[] = [];
      for (let c = 0; c < C; c++) {
        let gx = 0, gy = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const v = get(x, y + i - 1, xx + j - 1, c);
          gx += (sx[i][j] / 8) * v;
          gy += (sx[j][i] / 8) * v;
        }
        per.push(get(x, y, xx, c), gx, gy);
      }
      const hid = new Float64Array(HID);
      for (let h = 0; h < HID; h++) {
        let acc = q[L.bias0!.offset + h];
        for (let j = 0; j < 48; j++) acc += per[j] * q[j * HID + h];
        hid[h] = Math.max(0, acc);
      }
      const m = fire.uniform() <= 0.5 ? 1 : 0;
      for (let o = 0; o < C; o++) {
        let acc = 0;
        for (let h = 0; h < HID; h++) acc += hid[h] * q[L.kernel1.offset + h * C + o];
        x1[(y * W + xx) * C + o] = x[(y * W + xx) * C + o] + acc * m;
      }
    }
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      const keep = alive(x, y, xx) && alive(x1, y, xx);
      for (let c = 0; c < C; c++) {
        const i = (y * W + xx) * C + c;
        expect(got[i]).toBeCloseTo(keep ? x1[i] : 0, 5);
      }
    }
  });

  it('differentiates through a rollout on this backend (custom perception and alive-mask gradients)', () => {
    const q = randomParams(8, THESIS_ADAM_MODEL, 0.2);
    const w = weightsFromParams(THESIS_ADAM_MODEL, q);
    const x0 = statesToTensor(makeSeed(9, 9, 16, 2));
    const g = tf.grads((k0: tf.Tensor) => {
      let x = x0;
      const rng = new Philox(1);
      for (let s = 0; s < 5; s++) {
        const m = tf.tensor4d(Float32Array.from({ length: 2 * 81 }, () => (rng.uniform() <= 0.5 ? 1 : 0)), [2, 9, 9, 1]);
        x = caStep(THESIS_ADAM_MODEL, x, { ...w, kernel0: k0 as tf.Tensor2D }, m);
      }
      return x.slice([0, 0, 0, 0], [-1, -1, -1, 4]).square().mean();
    })([w.kernel0]);
    const gv = g[0].dataSync();
    expect(gv.length).toBe(48 * 32);
    expect(gv.every(Number.isFinite)).toBe(true);
    expect(gv.some((v) => v !== 0)).toBe(true);
  });
});

describe('population evaluation', () => {
  const target = new Float32Array(81 * 4).map((_, i) => ((i * 37) % 11) / 11);
  const P = 6;
  const paramsList = Array.from({ length: P }, (_, i) => randomParams(100 + i, cfg, 0.03));
  const steps = [30, 31, 35, 39, 33, 30];
  const start = makeSeed(9, 9, 16, 2);

  it('equals P independent single evaluations with the same per-member randomness', () => {
    const res = evaluatePopulation({
      cfg, paramsList, startStates: start, steps, rng: (i) => new Philox(77, i), target, keepFinals: true, strategy: 'loop',
    });
    const fused = evaluatePopulation({
      cfg, paramsList, startStates: start, steps, rng: (i) => new Philox(77, i), target, keepFinals: true, strategy: 'fused',
    });
    for (let i = 0; i < P; i++) {
      const single = rollout(cfg, start, paramsList[i], steps[i], new Philox(77, i));
      const singleFused = new FusedNca(cfg, paramsList[i]).rollout(start, steps[i], new Philox(77, i));
      expect(Array.from(fused.finals![i].data)).toEqual(Array.from(singleFused.data));
      expect(Array.from(res.finals![i].data)).toEqual(Array.from(single.data));
      const per = rgbaMsePerSample(single, target);
      expect(res.sampleLosses[i]).toEqual(per);
      expect(res.losses[i]).toBeCloseTo((per[0] + per[1]) / 2, 12);
    }
    expect(new Set(res.losses).size).toBe(P);
  });

  it('gives the same states with the batched strategy', () => {
    const a = evaluatePopulation({ cfg, paramsList, startStates: start, steps, rng: (i) => new Philox(5, i), target, keepFinals: true });
    const b = evaluatePopulation({ cfg, paramsList, startStates: start, steps, rng: (i) => new Philox(5, i), target, keepFinals: true, strategy: 'batched' });
    for (let i = 0; i < P; i++) {
      const da = a.finals![i].data, db = b.finals![i].data;
      let maxDiff = 0;
      for (let k = 0; k < da.length; k++) maxDiff = Math.max(maxDiff, Math.abs(da[k] - db[k]));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(b.losses[i]).toBeCloseTo(a.losses[i], 5);
    }
  });

  it('accepts per-member start batches and refuses an empty population', () => {
    const starts = [sampleOf(start, 0), stackStates([makeSeed(9, 9)])];
    const res = evaluatePopulation({ cfg, paramsList: paramsList.slice(0, 2), startStates: starts, steps: [3, 4], rng: (i) => new Philox(1, i), target });
    expect(res.losses).toHaveLength(2);
    expect(() => evaluatePopulation({ cfg, paramsList: [], startStates: start, steps: [], rng: (i) => new Philox(1, i), target })).toThrow(/empty/);
  });
});
