import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { centredRankShaping } from '../../../../src/core/es/shaping';
import { applyEsUpdate } from '../../../../src/core/es/update';
import { decayedSigma, decayFromScalars, decayScalars, decayStep, initialDecay, type DecaySettings, type DecayState } from '../../../../src/core/es/decay';
import { memberNoiseIndex, noiseVector } from '../../../../src/core/es/streams';
import { evaluateEsSlice, memberParams, memberSteps, type EsMemberSettings } from '../../../../src/core/es/slice';
import { drawFromPool, commitToPool } from '../../../../src/core/es/sample-pool';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../../../src/core/nca/config';
import { makeSeed, stackStates, emptyStates } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';

beforeAll(async () => { await initNodeBackend(); });

describe('fitness shaping (spec c.3)', () => {
  it('gives the spec\'s numbers for n = 6', () => {
    const u = centredRankShaping([-0.5, -0.1, -0.3, -0.2, -0.4, -0.05]);
    // ranks (0 = worst): −0.5→0, −0.4→1, −0.3→2, −0.2→3, −0.1→4, −0.05→5
    const expected = [-1.46385, 0.87831, -0.29277, 0.29277, -0.87831, 1.46385];
    expected.forEach((e, i) => expect(u[i]).toBeCloseTo(e, 5));
  });

  it('gives (r − 19.5)/11.5434 for n = 40, range ±1.68928', () => {
    const f = Array.from({ length: 40 }, (_, i) => -((i * 17) % 40));
    const u = centredRankShaping(f);
    expect(Math.max(...u)).toBeCloseTo(1.68928, 5);
    expect(Math.min(...u)).toBeCloseTo(-1.68928, 5);
    expect(u.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 10);
    expect(Math.sqrt(u.reduce((a, b) => a + b * b, 0) / 40)).toBeCloseTo(1, 10);
  });

  it('refuses fewer than 2 members', () => {
    expect(() => centredRankShaping([1])).toThrow(/at least 2/);
  });
});

describe('noise and update (spec c.2, c.4)', () => {
  it('pairs mirrored members', () => {
    expect([0, 1, 2, 3].map((i) => memberNoiseIndex(i, true))).toEqual([
      { pair: 0, sign: 1 }, { pair: 0, sign: -1 }, { pair: 1, sign: 1 }, { pair: 1, sign: -1 }]);
    expect(memberNoiseIndex(3, false)).toEqual({ pair: 3, sign: 1 });
  });

  it('perturbs member i by ±σ·z_pair, rebuilt identically', () => {
    const s: EsMemberSettings = { sigma: 0.01, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39 };
    const theta = new Float32Array(2048).fill(0.25);
    const a = memberParams(theta, 9, 12, 4, s);
    const b = memberParams(theta, 9, 12, 5, s);
    const z = noiseVector(9, 12, 2, 2048);
    for (const j of [0, 100, 2047]) {
      expect(a[j]).toBeCloseTo(0.25 + 0.01 * z[j], 6);
      expect(b[j]).toBeCloseTo(0.25 - 0.01 * z[j], 6);
    }
    expect(Array.from(memberParams(theta, 9, 12, 4, s))).toEqual(Array.from(a));
    const steps = Array.from({ length: 200 }, (_, i) => memberSteps(9, i, 0, s));
    expect(Math.min(...steps)).toBe(30);
    expect(Math.max(...steps)).toBe(39);
  });

  it('applies θ += (α/n)·Σ u_i·(±z_i) (thesis) and σ× more in the Salimans form', () => {
    const u = centredRankShaping([-3, -1, -2, -6]);
    const t1 = new Float32Array(8).fill(1);
    applyEsUpdate({ theta: t1, shaped: u, seed: 5, generation: 3, mirrored: true, lr: 0.005, sigma: 0.01, form: 'thesis' });
    const z0 = noiseVector(5, 3, 0, 8);
    const z1 = noiseVector(5, 3, 1, 8);
    for (let j = 0; j < 8; j++) {
      const expected = 1 + (0.005 / 4) * (u[0] * z0[j] - u[1] * z0[j] + u[2] * z1[j] - u[3] * z1[j]);
      expect(t1[j]).toBeCloseTo(expected, 6);
    }
    const t2 = new Float32Array(8).fill(1);
    const d2 = applyEsUpdate({ theta: t2, shaped: u, seed: 5, generation: 3, mirrored: true, lr: 0.005, sigma: 0.01, form: 'salimans' });
    for (let j = 0; j < 8; j++) expect(d2[j]).toBeCloseTo((t1[j] - 1) * 100, 4);
  });
});

describe('learning-rate decay (spec c.5)', () => {
  const settings: DecaySettings = { enabled: true, every: 1000, thresholds: [-0.03, -0.01], factors: [0.3, 0.5] };
  it('decays ×0.3 then ×0.5, only on check generations, one stage per check', () => {
    let s = { lr: 0.005, stage: 0 };
    s = decayStep(s, settings, 500, -0.001); // not a check generation
    expect(s).toEqual({ lr: 0.005, stage: 0 });
    s = decayStep(s, settings, 1001, -0.05); // a check, below the threshold
    expect(s.stage).toBe(0);
    s = decayStep(s, settings, 2001, -0.005); // passes both thresholds, but only one decay per check
    expect(s.stage).toBe(1);
    expect(s.lr).toBeCloseTo(0.0015, 12);
    s = decayStep(s, settings, 3001, -0.005);
    expect(s.lr).toBeCloseTo(0.00075, 12);
    s = decayStep(s, settings, 4001, -0.0001);
    expect(s).toEqual({ lr: s.lr, stage: 2 });
    expect(s.lr).toBeCloseTo(0.00075, 12);
    expect(decayStep({ lr: 1, stage: 0 }, { ...settings, enabled: false }, 1, 0)).toEqual({ lr: 1, stage: 0 });
  });
});

describe('plateau decay (the lab\'s rule beside c.5)', () => {
  const settings: DecaySettings = { enabled: true, every: 2, thresholds: [-0.03, -0.01], factors: [0.5, 0.5], rule: 'plateau', patience: 2, minLr: 0.001 };
  const feed = (s: DecayState, from: number, fitness: number[]): DecayState => fitness.reduce((st, f, i) => decayStep(st, settings, from + i, f), s);

  it('averages F̄ over each window and halves α after `patience` windows without a 1 % gain, never below minLr', () => {
    let s = initialDecay(0.004, settings);
    expect(s).toEqual({ lr: 0.004, stage: 0, plateau: { best: null, since: 0, acc: 0, n: 0 } });
    s = decayStep(s, settings, 1, -0.10); // inside the first window: only summed
    expect(s.plateau).toEqual({ best: null, since: 0, acc: -0.10, n: 1 });
    s = decayStep(s, settings, 2, -0.06); // window 1 ends: mean −0.08 is the first best
    expect(s).toEqual({ lr: 0.004, stage: 0, plateau: { best: -0.08, since: 0, acc: 0, n: 0 } });
    s = feed(s, 3, [-0.0795, -0.0795]); // −0.0795 beats −0.08 by 0.6 %: not a gain (margin 1 % of 0.08 = 0.0008)
    expect(s.plateau).toMatchObject({ best: -0.08, since: 1 });
    s = feed(s, 5, [-0.07, -0.07]); // −0.07: a gain, the new best
    expect(s).toMatchObject({ lr: 0.004, stage: 0, plateau: { best: -0.07, since: 0 } });
    s = feed(s, 7, [-0.07, -0.07, -0.071, -0.069]); // two windows without a gain: α halves, the count restarts
    expect(s).toMatchObject({ lr: 0.002, stage: 1, plateau: { best: -0.07, since: 0 } });
    s = feed(s, 11, [-0.07, -0.07, -0.07, -0.07]);
    expect(s).toMatchObject({ lr: 0.001, stage: 2 });
    s = feed(s, 15, [-0.07, -0.07, -0.07, -0.07]); // 0.0005 would be below minLr 0.001: α stays
    expect(s).toMatchObject({ lr: 0.001, stage: 2 });
    expect(decayStep(s, { ...settings, enabled: false }, 20, 0)).toBe(s);
  });

  it('checkpoints its window as scalars and restores it exactly; the thresholds rule adds none', () => {
    const s = feed(initialDecay(0.004, settings), 1, [-0.1, -0.06, -0.05]);
    const back = decayFromScalars(s.lr, s.stage, decayScalars(s), settings);
    expect(back).toEqual(s);
    expect(feed(back, 4, [-0.07, -0.02])).toEqual(feed(s, 4, [-0.07, -0.02]));
    const before = decayFromScalars(s.lr, s.stage, {}, { ...settings, rule: 'thresholds' });
    expect(before).toEqual({ lr: s.lr, stage: s.stage });
    expect(decayScalars({ lr: 1, stage: 0 })).toEqual({});
    expect(() => decayFromScalars(0.004, 0, {}, settings)).toThrow(/plateau-decay state \(scalar "decay.best"\)/);
  });

  it('lets σ follow α as σ₀·(α/α₀)^p, and leaves σ₀ itself at p = 0', () => {
    expect(decayedSigma(0.02, 0.005, 0.00125, 0.5)).toBeCloseTo(0.01, 15); // α/4 → σ/2
    expect(decayedSigma(0.02, 0.005, 0.00125, 1)).toBeCloseTo(0.005, 15);
    expect(decayedSigma(0.02, 0.005, 0.005, 0.5)).toBe(0.02);
    expect(decayedSigma(0.1 + 0.2, 0.005, 0.001, 0)).toBe(0.1 + 0.2); // the very number, not σ₀·1
    expect(decayedSigma(0.02, 0.005, 0.001, undefined)).toBe(0.02);
  });
});

describe('slice evaluation and sample pool', () => {
  const cfg = THESIS_ES_MODEL;
  const rng = new Philox(2);
  const theta = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) theta[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
  const target = new Float32Array(81 * 4).fill(0.2);
  const s: EsMemberSettings = { sigma: 0.01, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39 };
  const base = { cfg, params: theta, seed: 4, generation: 7, x0: makeSeed(9, 9), target, wantBest: true, ...s };

  it('splits into slices that agree with one whole evaluation', () => {
    const whole = evaluateEsSlice({ ...base, memberStart: 0, memberEnd: 6 });
    const a = evaluateEsSlice({ ...base, memberStart: 0, memberEnd: 3 });
    const b = evaluateEsSlice({ ...base, memberStart: 3, memberEnd: 6 });
    expect([...a.losses, ...b.losses]).toEqual(whole.losses);
    const bestLoss = Math.min(...whole.losses);
    expect(whole.best!.loss).toBe(bestLoss);
    expect(whole.best!.member).toBe(whole.losses.indexOf(bestLoss));
  });

  it('shares step counts and fire masks inside mirrored pairs with common random numbers', () => {
    const crn = evaluateEsSlice({ ...base, commonRandomNumbers: true, memberStart: 0, memberEnd: 4 });
    expect(crn.steps[0]).toBe(crn.steps[1]);
    expect(crn.steps[2]).toBe(crn.steps[3]);
  });

  it('draws from the pool with the seed in the worst slot and commits only living states (thesis rule)', () => {
    const seed = makeSeed(9, 9);
    const pool = stackStates(Array.from({ length: 10 }, () => makeSeed(9, 9)));
    // make pool sample 3 "good" (close to the target) and sample 5 bad
    const size = 81 * 16;
    for (let c = 0; c < 81; c++) for (let k = 0; k < 4; k++) pool.data[3 * size + c * 16 + k] = 0.2;
    for (let c = 0; c < 81; c++) pool.data[5 * size + c * 16 + 1] = 5;
    const draw = drawFromPool(pool, 10, seed, target, new Philox(1));
    expect(draw.indices[0]).toBe(5); // the worst sample's slot…
    expect(Array.from(draw.x0.data.subarray(0, size))).toEqual(Array.from(seed.data)); // …holds the seed
    expect(draw.indices[9]).toBe(3); // best last
    const finals = emptyStates(10, 9, 9, 16);
    finals.data.fill(0.7, 0, size); // slot 0 alive
    // slot 1 stays dead (all zero)
    const written = commitToPool(pool, draw.indices, finals, 'thesis');
    expect(written).toBe(1);
    expect(pool.data[5 * size + 3]).toBeCloseTo(0.7, 6);
    const written2 = commitToPool(pool, draw.indices, finals, 'mordvintsev');
    expect(written2).toBe(10);
  });
});
