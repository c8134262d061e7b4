/**
 * The update's noise sums computed beside the population (core/es/noise-sums.ts): a worker's range of parameters
 * rebuilt from the Philox counter and summed over every pair gives, joined, bit for bit the sums the master
 * forms from whole noise vectors, for any split, so a run's trajectory does not depend on where or on how many
 * workers the sums are computed.
 */
import { describe, expect, it } from 'vitest';
import { noiseRange, noiseVector, NORMALS_PER_BLOCK } from '../../../../src/core/es/streams';
import { evaluateNoiseSums, localNoiseSums, noiseSumRanges, pairWeights, type NoiseSumRequest } from '../../../../src/core/es/noise-sums';
import { PopulationNoise } from '../../../../src/core/es/strategy';
import { GenerationNoise } from '../../../../src/core/es/update';
import { joinNoiseSums, noiseSumsJobs, PoolEsEvaluator, type EsRunSettings } from '../../../../src/services/training/es-evaluator';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';

/** Bit-for-bit equality (Object.is tells −0 from 0 and compares NaN to itself). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return false;
  return true;
}

/** Weights with the cases the sums must keep: ties, exact zeros (skipped pairs), a mirrored pair that cancels. */
function weights(population: number, salt: number): Float64Array {
  const w = Float64Array.from({ length: population }, (_, i) => Math.sin(i * 1.7 + salt) * 0.8);
  w[1] = 0;
  if (population > 5) { w[4] = 0.25; w[5] = 0.25; } // mirrored pair 2: +0.25·z − 0.25·z → t = 0, skipped
  return w;
}

describe('a range of a pair\'s noise', () => {
  it('is bit for bit the same part of the whole vector, from any block boundary', () => {
    const dim = 2145;
    const whole = noiseVector(17, 5, 3, dim);
    for (const [from, to] of [[0, dim], [4, 9], [1024, 1027], [2140, 2145], [2144, 2145], [8, 8]]) {
      const part = noiseRange(17, 5, 3, from, new Float64Array(to - from));
      expect(sameBits(part, whole.subarray(from, to))).toBe(true);
    }
    expect(NORMALS_PER_BLOCK).toBe(4);
    expect(() => noiseRange(17, 5, 3, 6, new Float64Array(2))).toThrow(/must start on a multiple of 4, got 6/);
  });
});

describe('noise sums over ranges of parameters', () => {
  it('splits the parameters into block-aligned ranges that cover them once', () => {
    expect(noiseSumRanges(2080, 2)).toEqual([[0, 1040], [1040, 2080]]);
    expect(noiseSumRanges(2145, 3)).toEqual([[0, 716], [716, 1432], [1432, 2145]]);
    expect(noiseSumRanges(9, 5)).toEqual([[0, 4], [4, 8], [8, 9]]);
    expect(noiseSumRanges(3, 4)).toEqual([[0, 3]]);
    for (const [dim, parts] of [[2048, 16], [2145, 7], [13, 2]]) {
      const r = noiseSumRanges(dim, parts);
      expect(r[0][0]).toBe(0);
      expect(r.at(-1)![1]).toBe(dim);
      r.forEach(([from, to], i) => {
        expect(from % 4).toBe(0);
        expect(to).toBeGreaterThan(from);
        if (i > 0) expect(from).toBe(r[i - 1][1]);
      });
    }
  });

  it('folds member weights per pair in member order, signed for sums', () => {
    expect(Array.from(pairWeights(5, true, { kind: 'sum', weights: [1, 2, 4, 8, 16] }))).toEqual([-1, -4, 16]);
    expect(Array.from(pairWeights(5, true, { kind: 'squares', weights: [1, 2, 4, 8, 16] }))).toEqual([3, 12, 16]);
    expect(Array.from(pairWeights(3, false, { kind: 'sum', weights: [1, 2, 4] }))).toEqual([1, 2, 4]);
    expect(() => pairWeights(4, true, { kind: 'sum', weights: [1, 2, 3] })).toThrow(/3 weights for 4 members/);
  });

  it.each([
    ['mirrored, even population', 40, true, 2145],
    ['mirrored, odd population', 9, true, 2048],
    ['unmirrored', 7, false, 37],
  ])('joined from any number of workers, equal the master\'s sums bit for bit (%s)', (_name, population, mirrored, dim) => {
    const requests: NoiseSumRequest[] = [{ kind: 'sum', weights: weights(population, 1) }, { kind: 'squares', weights: weights(population, 2) }];
    const prebuilt = GenerationNoise.forPopulation(31, 12, population, mirrored, dim);
    const master = localNoiseSums(new PopulationNoise(31, 12, population, mirrored, dim, prebuilt), requests);
    // rebuilt on demand (no prebuilt noise) the master gets the same numbers
    const lazy = localNoiseSums(new PopulationNoise(31, 12, population, mirrored, dim), requests);
    expect(master.every((m, q) => sameBits(m, lazy[q]))).toBe(true);
    const run = { seed: 31, population, mirrored };
    for (const workers of [1, 2, 3, 5, 16]) {
      const jobs = noiseSumsJobs(run, { generation: 12, dim, requests }, workers);
      expect(jobs.length).toBe(Math.min(workers, Math.ceil(dim / 4)));
      // the jobs come back in any order
      const joined = joinNoiseSums(jobs.map(evaluateNoiseSums).reverse(), requests.length, dim);
      expect(joined.every((s, q) => sameBits(s, master[q]))).toBe(true);
    }
  });

  it('refuses a range that is not one and sums that do not cover the parameters', () => {
    const base = { seed: 1, generation: 1, dim: 8, kinds: ['sum' as const], pairWeights: [Float64Array.of(1, 2)] };
    expect(() => evaluateNoiseSums({ ...base, from: 4, to: 9 })).toThrow(/\[4, 9\) are not a range of the 8/);
    expect(() => evaluateNoiseSums({ ...base, from: 2, to: 8 })).toThrow(/multiple of 4, got 2/);
    expect(() => evaluateNoiseSums({ ...base, from: 0, to: 8, kinds: [] })).toThrow(/0 kinds for 1 weight vectors/);
    const half = evaluateNoiseSums({ ...base, from: 0, to: 4 });
    expect(() => joinNoiseSums([half], 1, 8)).toThrow(/covered 4 of 8 parameters/);
    expect(() => joinNoiseSums([half], 2, 4)).toThrow(/returned 1 sums for 2 requests/);
  });

  it('a pool evaluator whose runner can sum asks its workers, one range each, and gets the master\'s numbers', async () => {
    const run: EsRunSettings = {
      cfg: THESIS_ES_MODEL, seed: 4, population: 10, target: new Float32Array(81 * 4), sigma: 0.01, mirrored: true,
      commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
    };
    const asked: number[][] = [];
    const evaluator = new PoolEsEvaluator(run, {
      size: 3, map: async () => [],
      sums: { size: 3, map: async (payloads) => { asked.push(payloads.map((p) => p.to - p.from)); return payloads.map(evaluateNoiseSums); } },
    });
    const requests: NoiseSumRequest[] = [{ kind: 'sum', weights: weights(10, 3) }];
    const sums = await evaluator.noiseSums!({ generation: 2, dim: 2048, requests });
    expect(asked).toEqual([[680, 684, 684]]);
    expect(sameBits(sums[0], localNoiseSums(new PopulationNoise(4, 2, 10, true, 2048), requests)[0])).toBe(true);
    // a runner that cannot sum (a cluster's) leaves the sums to the master
    expect(new PoolEsEvaluator(run, { size: 3, map: async () => [] }).noiseSums).toBeUndefined();
  });
});
