/**
 * The ES strategies on hand-checked vectors: d = 2, a mirrored population of 4 with
 * z_0 = (1, 2), z_1 = (3, −1) (member 2k = +z_k, 2k+1 = −z_k). The expected numbers were computed
 * independently with NumPy from the papers' formulas (EvoJAX's PGPE update for PGPE).
 */
import { describe, expect, it } from 'vitest';
import { GenerationNoise } from '../../../../src/core/es/update';
import { PopulationNoise, tellWithNoise, type EsStrategy, type EsStrategyFactory } from '../../../../src/core/es/strategy';
import { centredRanks } from '../../../../src/core/es/shaping';
import { adamStep } from '../../../../src/core/es/adam-step';
import { weightedNoiseSquares, weightedNoiseSum } from '../../../../src/core/es/noise-sums';
import { OpenAiAdamStrategy, type OpenAiAdamSettings } from '../../../../src/core/es/openai-adam';
import { PgpeStrategy, type PgpeSettings } from '../../../../src/core/es/pgpe';
import { SnesStrategy, snesUtilities, snesDefaultSigmaLr, type SnesSettings } from '../../../../src/core/es/snes';

/** A generation's noise with chosen z_k (a prebuilt GenerationNoise holding them). */
function fixedNoise(pairs: number[][]): PopulationNoise {
  const dim = pairs[0].length;
  const gen = Object.assign(Object.create(GenerationNoise.prototype) as GenerationNoise, { seed: 1, generation: 1, pairs: pairs.length, dim, z: Float64Array.from(pairs.flat()) });
  return new PopulationNoise(1, 1, pairs.length * 2, true, dim, gen);
}

function tell(s: EsStrategy, fitness: number[], noise: PopulationNoise) {
  return tellWithNoise(s, { generation: noise.generation, fitness, shaped: centredRanks(fitness) }, noise);
}

const NO_DECAY = { enabled: false, every: 1, thresholds: [-1, -1] as [number, number], factors: [1, 1] as [number, number] };

const close = (a: ArrayLike<number>, b: number[], digits = 6) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, j) => expect(a[j]).toBeCloseTo(v, digits));
};

describe('shared pieces', () => {
  it('centred ranks lie in [−0.5, 0.5], worst −0.5, ties by member index', () => {
    close(centredRanks([3, 1, 2]), [0.5, -0.5, 0]);
    close(centredRanks([1, 1, 0, 5, 1]), [-0.25, 0, -0.5, 0.5, 0.25]);
    // a member that blew up ranks below every finite one
    close(centredRanks([NaN, -1e30, Infinity, -Infinity]), [-0.5, 0.5, -1 / 6, 1 / 6]);
  });

  it('sums member noise per mirrored pair, signed for the mean and unsigned for the squares', () => {
    const noise = fixedNoise([[1, 2], [3, -1]]);
    // (a − b)·z0 + (c − d)·z1 with w = (a, b, c, d) = (1, 2, 3, 5)
    close(weightedNoiseSum(noise, [1, 2, 3, 5]), [-1 * 1 + -2 * 3, -1 * 2 + -2 * -1]);
    // (a + b)·(z0² − 1) + (c + d)·(z1² − 1)
    close(weightedNoiseSquares(noise, [1, 2, 3, 5]), [3 * 0 + 8 * 8, 3 * 3 + 8 * 0]);
    expect(() => weightedNoiseSum(noise, [1, 2, 3])).toThrow(/3 weights for 4 members/);
  });

  it('uses the noise the workers rebuild from (seed, generation, pair)', () => {
    const gen = GenerationNoise.forPopulation(7, 3, 4, true, 5);
    const noise = new PopulationNoise(7, 3, 4, true, 5);
    close(weightedNoiseSum(noise, [0.5, 0, 0, 0.25]), Array.from({ length: 5 }, (_, j) => 0.5 * gen.z[j] - 0.25 * gen.z[5 + j]), 12);
  });

  it('takes one Adam step with bias correction', () => {
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    const step = adamStep(Float64Array.from([0.05, -2]), m, v, 1, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    close(step, [0.01 * 0.05 / (0.05 + 1e-8), -0.01 * 2 / (2 + 1e-8)], 9);
    close(m, [0.005, -0.2], 7);
    close(v, [2.5e-6, 0.004], 9);
  });
});

describe('OpenAI-ES with Adam and L2 decay (Salimans et al. 2017)', () => {
  it('follows the starter code for two generations', () => {
    const noise = fixedNoise([[1, 2], [3, -1]]);
    const s = OpenAiAdamStrategy.factory.create({ sigma: 0.02, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decay: NO_DECAY }, Float32Array.from([0.5, -1]));
    expect(s.ask().sigma).toBe(0.02);
    expect(tell(s, [0.1, 0.4, 0.3, 0.2], noise).lr).toBe(0.01);
    close(s.ask().center, [0.49, -1.01]);
    tell(s, [0.1, 0.4, 0.3, 0.2], noise);
    close(s.ask().center, [0.48000577968, -1.01999945438]);
    const st = s.checkpointState();
    close(st.arrays['adam.m'], [0.00940000002, 0.0917333333354]);
    close(st.arrays['adam.v'], [4.8985e-6, 0.000466022944], 9);
    expect(st.scalars['adam.t']).toBe(2);
  });

  it('decays its step size as c.5 does, on the mean raw fitness, and logs the step size it used', () => {
    const decay = { enabled: true, every: 2, thresholds: [-0.5, -0.2] as [number, number], factors: [0.3, 0.5] as [number, number] };
    const s = OpenAiAdamStrategy.factory.create({ sigma: 0.02, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decay }, Float32Array.from([0.5, -1]));
    const noise = fixedNoise([[1, 2], [3, -1]]);
    // generation 1 is a check generation ((g − 1) % every = 0): F̄ = −0.25 ≥ −0.5 → α ×= 0.3
    expect(tellWithNoise(s, { generation: 1, fitness: [-0.1, -0.4, -0.3, -0.2], shaped: [0, 0, 0, 0] }, noise).lr).toBe(0.01);
    expect(s.checkpointState().scalars).toMatchObject({ lr: 0.01 * 0.3, decayStage: 1 });
    // generation 2 is not checked; generation 3 is, and F̄ = −0.25 < −0.2 keeps stage 1
    expect(tellWithNoise(s, { generation: 2, fitness: [-0.1, -0.1, -0.1, -0.1], shaped: [0, 0, 0, 0] }, noise).lr).toBeCloseTo(0.003, 15);
    tellWithNoise(s, { generation: 3, fitness: [-0.1, -0.4, -0.3, -0.2], shaped: [0, 0, 0, 0] }, noise);
    expect(s.checkpointState().scalars).toMatchObject({ lr: 0.01 * 0.3, decayStage: 1 });
  });

  it('draws its members with σ following α when decay.sigmaPower is set, from the generation after a cut', () => {
    const decay = { enabled: true, every: 2, thresholds: [-0.5, -0.2] as [number, number], factors: [0.25, 0.5] as [number, number], sigmaPower: 0.5 };
    const s = OpenAiAdamStrategy.factory.create({ sigma: 0.02, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decay }, Float32Array.from([0.5, -1]));
    const noise = fixedNoise([[1, 2], [3, -1]]);
    expect(s.ask().sigma).toBe(0.02);
    tellWithNoise(s, { generation: 1, fitness: [-0.1, -0.4, -0.3, -0.2], shaped: [0, 0, 0, 0] }, noise); // α ×= 0.25
    expect(s.ask().sigma).toBeCloseTo(0.01, 15); // 0.02·√0.25
    // restored from its checkpoint, it draws with the same σ (σ is a function of the checkpointed α)
    const back = OpenAiAdamStrategy.factory.restore({ sigma: 0.02, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decay }, s.ask().center, s.checkpointState());
    expect(back.ask().sigma).toBe(s.ask().sigma);
  });
});

describe('PGPE with ClipUp (Sehnke et al. 2010; Toklu et al. 2020)', () => {
  const settings: PgpeSettings = { sigma: 0.1, optimizer: 'clipup', centerLr: 0.1, maxSpeed: 0.05, momentum: 0.9, sigmaLr: 0.1, sigmaMaxChange: 0.2, decay: NO_DECAY };
  it('moves the centre by the clipped velocity and adapts σ within ±20 %', () => {
    const noise = fixedNoise([[1, 2], [3, -1]]);
    const s = PgpeStrategy.factory.create(settings, Float32Array.from([0.5, -1]));
    tell(s, [0.1, 0.2, 0.4, 0.3], noise);
    close(s.ask().center, [0.52773500981, -1.04160251472]);
    close(s.ask().sigma as Float32Array, [0.113333333, 0.095]);
    tell(s, [0.1, 0.2, 0.4, 0.3], noise);
    close(s.ask().center, [0.55782921365, -1.0815316882]);
    close(s.ask().sigma as Float32Array, [0.128444444, 0.09025]);
    close(s.checkpointState().arrays['pgpe.velocity'], [0.0300942038, -0.0399291735]);
  });

  it('clips σ to the allowed change', () => {
    const s = PgpeStrategy.factory.create({ ...settings, sigmaLr: 10 }, Float32Array.from([0.5, -1]));
    tell(s, [0.1, 0.2, 0.4, 0.3], fixedNoise([[1, 2], [3, -1]]));
    close(s.ask().sigma as Float32Array, [0.12, 0.08]);
  });

  it('refuses a population without symmetric pairs', () => {
    const s = PgpeStrategy.factory.create(settings, new Float32Array(1));
    expect(() => tell(s, [1, 2, 3, 4], new PopulationNoise(1, 1, 4, false, 1))).toThrow(/mirrored/);
  });
});

describe('SNES (Schaul et al. 2011)', () => {
  it('uses the paper\'s utilities and default σ learning rate', () => {
    close(snesUtilities([0.1, 0.2, 0.4, 0.3]), [-0.25, -0.25, 0.480422710309, 0.019577289691]);
    expect(snesDefaultSigmaLr(2048)).toBeCloseTo(0.046954625829, 10);
  });

  it('takes a natural-gradient step on μ and σ', () => {
    // per-parameter σ (0.1, 0.2) through a restored state
    const r = SnesStrategy.factory.restore({ sigma: 0.1, centerLr: 1, sigmaLr: 0.3 }, Float32Array.from([0.5, -1]), { arrays: { 'snes.sigma': Float32Array.from([0.1, 0.2]) }, scalars: {} });
    tell(r, [0.1, 0.2, 0.4, 0.3], fixedNoise([[1, 2], [3, -1]]));
    close(r.ask().center, [0.638253626186, -1.092169084124]);
    close(r.ask().sigma as Float32Array, [0.182211880039, 0.159703243752]);
  });
});

describe('resume', () => {
  const dim = 64;
  const init = Float32Array.from({ length: dim }, (_, j) => Math.sin(j));
  const cases: [string, EsStrategyFactory<never>, unknown][] = [
    ['openai-adam', OpenAiAdamStrategy.factory as EsStrategyFactory<never>, { sigma: 0.02, lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.005, decay: { enabled: true, every: 2, thresholds: [-2, -0.5], factors: [0.5, 0.5] } } satisfies OpenAiAdamSettings],
    ['pgpe clipup', PgpeStrategy.factory as EsStrategyFactory<never>, { sigma: 0.05, optimizer: 'clipup', centerLr: 0.01, maxSpeed: 0.02, momentum: 0.9, sigmaLr: 0.1, sigmaMaxChange: 0.2, decay: NO_DECAY } satisfies PgpeSettings],
    ['pgpe adam', PgpeStrategy.factory as EsStrategyFactory<never>, { sigma: 0.05, optimizer: 'adam', centerLr: 0.01, maxSpeed: 0.02, momentum: 0.9, sigmaLr: 0.1, sigmaMaxChange: 0.2, decay: { enabled: true, every: 2, thresholds: [-2, -0.5], factors: [0.5, 0.5] } } satisfies PgpeSettings],
    ['snes', SnesStrategy.factory as EsStrategyFactory<never>, { sigma: 0.05, centerLr: 1, sigmaLr: null } satisfies SnesSettings],
  ];
  it.each(cases)('%s rebuilt from its checkpoint state continues bit for bit', (_name, factory, settings) => {
    const fitnessOf = (c: Float32Array, g: number) => Array.from({ length: 8 }, (_, i) => Math.cos(c[i] * 3 + g + i));
    const a = factory.create(settings as never, init);
    let b = factory.create(settings as never, init);
    for (let g = 1; g <= 6; g++) {
      const noise = new PopulationNoise(3, g, 8, true, dim);
      tell(a, fitnessOf(a.ask().center, g), noise);
      tell(b, fitnessOf(b.ask().center, g), noise);
      // what a checkpoint holds: the centre as params, the state's float32 arrays and numbers
      if (g === 3) b = factory.restore(settings as never, b.ask().center.slice(), structuredClone(b.checkpointState()));
    }
    expect(Array.from(b.ask().center)).toEqual(Array.from(a.ask().center));
    expect(b.checkpointState()).toEqual(a.checkpointState());
    expect(Array.from(a.ask().center)).not.toEqual(Array.from(init));
  });

  it('names a missing state array', () => {
    expect(() => SnesStrategy.factory.restore({ sigma: 0.1, centerLr: 1, sigmaLr: null }, init, { arrays: {}, scalars: {} })).toThrow(/snes\.sigma/);
  });
});
