import { describe, expect, it } from 'vitest';
import { DecayedEsUpdate, PopulationNoise, tellWithNoise, type DecayedEsUpdateSettings, type EsStrategy } from '../../../../src/core/es/strategy';
import { applyEsUpdate, GenerationNoise } from '../../../../src/core/es/update';
import { centredRankShaping } from '../../../../src/core/es/shaping';
import { noiseVector } from '../../../../src/core/es/streams';
import { memberParams, type EsMemberSettings } from '../../../../src/core/es/slice';

const SEED = 9;
const settings: DecayedEsUpdateSettings = {
  form: 'thesis', lr: 0.005, sigma: 0.01,
  decay: { enabled: true, every: 2, thresholds: [-0.5, -0.2], factors: [0.3, 0.5] },
};

/** Fitness of a made-up population, the same for every run of the test. */
function fitnessOf(generation: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => -(0.3 + 0.01 * (((generation * 7 + i * 3) % n) - n / 2)));
}

function tellOne(s: EsStrategy, generation: number, prebuilt: boolean) {
  const center = s.ask().center;
  const fitness = fitnessOf(generation, 6);
  const noise = new PopulationNoise(SEED, generation, 6, true, center.length,
    prebuilt ? GenerationNoise.forPopulation(SEED, generation, 6, true, center.length) : null);
  return tellWithNoise(s, { generation, fitness, shaped: centredRankShaping(fitness) }, noise);
}

describe('ES strategy seam (core/es/strategy.ts)', () => {
  it('PopulationNoise gives z_k of (seed, generation, k), prebuilt or rebuilt', () => {
    const pre = new PopulationNoise(3, 4, 6, true, 5, GenerationNoise.forPopulation(3, 4, 6, true, 5));
    const lazy = new PopulationNoise(3, 4, 6, true, 5);
    expect(pre.pairs).toBe(3);
    for (let k = 0; k < 3; k++) {
      expect(Array.from(pre.z(k))).toEqual(Array.from(noiseVector(3, 4, k, 5)));
      expect(Array.from(lazy.z(k))).toEqual(Array.from(noiseVector(3, 4, k, 5)));
    }
    expect(lazy.memberIndex(3)).toEqual({ pair: 1, sign: -1 });
    expect(() => new PopulationNoise(3, 5, 6, true, 5, GenerationNoise.forPopulation(3, 4, 6, true, 5))).toThrow(/generation 4, not 5/);
  });

  it('the thesis strategy makes the c.4 step of applyEsUpdate and logs the α it used, then decays (c.5)', () => {
    const start = new Float32Array([0.1, -0.2, 0.3, 0.05]);
    const s = DecayedEsUpdate.factory.create(settings, start);
    expect(s.ask()).toEqual({ center: start, sigma: 0.01 });
    const fitness = fitnessOf(1, 6);
    const expected = start.slice();
    applyEsUpdate({ theta: expected, shaped: centredRankShaping(fitness), seed: 9, generation: 1, mirrored: true, lr: 0.005, sigma: 0.01, form: 'thesis' });
    // generation 1 is a check generation ((1 − 1) % 2 = 0) and F̄ ≈ −0.3 ≥ −0.5: α × 0.3 for the next one
    expect(tellOne(s, 1, false)).toEqual({ lr: 0.005 });
    expect(Array.from(s.ask().center)).toEqual(Array.from(expected));
    expect(s.checkpointState()).toEqual({ arrays: {}, scalars: { lr: 0.005 * 0.3, decayStage: 1 } });
    expect(tellOne(s, 2, false)).toEqual({ lr: 0.0015 });
    expect(start[0]).toBe(Math.fround(0.1)); // the caller's array is not written
  });

  it('restores from its checkpoint state onto the uninterrupted trajectory, prebuilt noise or not', () => {
    const start = new Float32Array(Array.from({ length: 32 }, (_, j) => Math.sin(j)));
    const straight = DecayedEsUpdate.factory.create(settings, start);
    for (let g = 1; g <= 8; g++) tellOne(straight, g, false);
    const first = DecayedEsUpdate.factory.create(settings, start);
    for (let g = 1; g <= 4; g++) tellOne(first, g, true);
    const st = first.checkpointState();
    const resumed = DecayedEsUpdate.factory.restore(settings, first.ask().center.slice(), { arrays: st.arrays, scalars: { ...st.scalars, bestLoss: 0.1 } });
    for (let g = 5; g <= 8; g++) tellOne(resumed, g, g % 2 === 0);
    expect(Array.from(resumed.ask().center)).toEqual(Array.from(straight.ask().center));
    expect(resumed.checkpointState()).toEqual(straight.checkpointState());
    expect(() => DecayedEsUpdate.factory.restore(settings, start, { arrays: {}, scalars: { lr: 0.1 } })).toThrow(/scalar "decayStage"/);
  });

  it('evaluates members at θ ± σ_j·z_j with a per-parameter σ (diagonal strategies)', () => {
    const theta = new Float32Array([1, 2, 3]);
    const s: EsMemberSettings = { sigma: 0.5, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39 };
    const z = noiseVector(4, 2, 0, 3);
    const sv = new Float32Array([0.1, 0, 2]);
    const plus = memberParams(theta, 4, 2, 0, { ...s, sigmaVector: sv });
    const minus = memberParams(theta, 4, 2, 1, { ...s, sigmaVector: sv });
    for (let j = 0; j < 3; j++) {
      expect(plus[j]).toBe(Math.fround(theta[j] + sv[j] * z[j]));
      expect(minus[j]).toBe(Math.fround(theta[j] - sv[j] * z[j]));
    }
    expect(plus[1]).toBe(2); // σ_j = 0 leaves parameter j alone
    // a scalar σ is the vector of equal entries
    const iso = memberParams(theta, 4, 2, 0, s);
    expect(Array.from(memberParams(theta, 4, 2, 0, { ...s, sigmaVector: new Float32Array([0.5, 0.5, 0.5]) }))).toEqual(Array.from(iso));
    expect(() => memberParams(theta, 4, 2, 0, { ...s, sigmaVector: new Float32Array(2) })).toThrow(/σ has 2 entries for 3 parameters/);
  });
});
