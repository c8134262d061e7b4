/**
 * Objectives the thesis lacked: the loss averaged over a window of steps and the occasional long
 * rollout.
 */
import { describe, expect, it } from 'vitest';
import { evaluatePopulation, windowSteps } from '../../../../src/core/nca/population';
import { FusedNca, FusedScratch } from '../../../../src/core/nca/fused';
import { rgbaMsePerSample } from '../../../../src/core/nca/loss';
import { evaluateEsSlice, memberSteps, type EsMemberSettings } from '../../../../src/core/es/slice';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../../../src/core/nca/config';
import { makeSeed, stackStates } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';

const cfg = THESIS_ES_MODEL;
function grownParams(seed: number): Float32Array {
  const rng = new Philox(seed);
  const theta = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  for (let i = 0; i < L.kernel1.size; i++) theta[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
  return theta;
}
const target = new Float32Array(81 * 4).fill(0.2);

describe('loss window', () => {
  it('averages the per-sample loss over the last W states, on the same random numbers as a plain rollout', () => {
    const p = grownParams(3);
    const start = stackStates([makeSeed(9, 9), makeSeed(9, 9)]);
    // by hand: step one at a time and average the states after steps 8, 9, 10
    const nca = new FusedNca(cfg, p);
    const s = { ...start, data: start.data.slice() };
    const scratch = new FusedScratch(s);
    const rng = new Philox(9, 1, 1);
    const sum = [0, 0];
    for (let k = 1; k <= 10; k++) {
      nca.step(s, rng, scratch);
      if (k >= 8) rgbaMsePerSample(s, target).forEach((l, b) => { sum[b] += l; });
    }
    const req = { cfg, paramsList: [p], startStates: start, steps: [10], rng: () => new Philox(9, 1, 1), target, keepFinals: true };
    const win = evaluatePopulation({ ...req, lossWindow: 3 });
    expect(win.sampleLosses[0][0]).toBeCloseTo(sum[0] / 3, 12);
    expect(win.sampleLosses[0][1]).toBeCloseTo(sum[1] / 3, 12);
    expect(win.losses[0]).toBeCloseTo((sum[0] + sum[1]) / 6, 12);
    // the final states do not depend on the window
    const plain = evaluatePopulation(req);
    expect(Array.from(win.finals![0].data)).toEqual(Array.from(plain.finals![0].data));
    expect(evaluatePopulation({ ...req, lossWindow: 1 }).losses).toEqual(plain.losses);
    expect(win.losses[0]).not.toBeCloseTo(plain.losses[0], 6);
  });

  it('scores every k-th state of the window when asked, always the last', () => {
    expect(windowSteps(10, 5, 2)).toEqual([6, 8, 10]);
    expect(windowSteps(10, 3, 1)).toEqual([8, 9, 10]);
    expect(windowSteps(68, 40, 4)).toEqual([32, 36, 40, 44, 48, 52, 56, 60, 64, 68]);
    const p = grownParams(4);
    const start = makeSeed(9, 9);
    const nca = new FusedNca(cfg, p);
    const s = { ...start, data: start.data.slice() };
    const scratch = new FusedScratch(s);
    const rng = new Philox(9, 2, 1);
    let sum = 0;
    for (let k = 1; k <= 12; k++) {
      nca.step(s, rng, scratch);
      if (k === 8 || k === 10 || k === 12) sum += rgbaMsePerSample(s, target)[0];
    }
    const out = evaluatePopulation({ cfg, paramsList: [p], startStates: start, steps: [12], rng: () => new Philox(9, 2, 1), target, lossWindow: 6, lossEvery: 2 });
    expect(out.losses[0]).toBeCloseTo(sum / 3, 12);
  });

  it('refuses a window longer than a rollout or on the tfjs strategies', () => {
    const req = { cfg, paramsList: [grownParams(3)], startStates: makeSeed(9, 9), steps: [5], rng: () => new Philox(1), target };
    expect(() => evaluatePopulation({ ...req, lossWindow: 6 })).toThrow(/5 steps are fewer than the loss window \(6\)/);
    expect(() => evaluatePopulation({ ...req, lossWindow: 2, strategy: 'loop' })).toThrow(/needs the fused strategy/);
    expect(() => evaluatePopulation({ ...req, lossWindow: 0 })).toThrow(/not a positive integer/);
  });
});

describe('long rollouts', () => {
  const s: EsMemberSettings = { sigma: 0.01, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39 };
  it('every `every`-th generation rolls every member out for the long horizon', () => {
    const long = { ...s, longRollout: { every: 5, steps: 120 } };
    for (const member of [0, 1, 7]) {
      expect(memberSteps(3, 10, member, long)).toBe(120);
      const drawn = memberSteps(3, 11, member, long);
      expect(drawn).toBe(memberSteps(3, 11, member, s));
      expect(drawn).toBeGreaterThanOrEqual(30);
      expect(drawn).toBeLessThanOrEqual(39);
    }
    const out = evaluateEsSlice({ ...long, cfg, params: grownParams(5), seed: 3, generation: 15, memberStart: 0, memberEnd: 2, x0: makeSeed(9, 9), target, wantBest: false, lossWindow: 20 });
    expect(out.steps).toEqual([120, 120]);
  });
});
