/**
 * The sweep's pure pieces (src/core/sweeps, src/core/stats): grid and random expansion, successive-halving rungs
 * and decisions, grouping by configuration, the mean/min/max band on a common x grid, median and spread.
 */
import { describe, expect, it } from 'vitest';
import { axisValues, expandGrid, gridSize, rangeValues, sampleRandom, type SweepAxis } from '../../../../src/core/sweeps/expand';
import { halvingCost, halvingKeep, halvingRungs } from '../../../../src/core/sweeps/halving';
import { commonGrid, seedBand, valueAt } from '../../../../src/core/stats/seed-bands';
import { spreadOf } from '../../../../src/core/stats/spread';
import { groupBy, settingsKey } from '../../../../src/core/stats/groups';

const sigma: SweepAxis = { path: 'es.sigma', kind: 'list', values: [0.01, 0.02, 0.04] };
const opt: SweepAxis = { path: 'optimizer', kind: 'list', values: ['es', 'adam'] };
const pop: SweepAxis = { path: 'es.population', kind: 'range', min: 128, max: 512, scale: 'log', points: 3, integer: true };

describe('sweep expansion', () => {
  it('a grid is every combination, the first axis outermost', () => {
    expect(expandGrid([sigma, opt])).toEqual([
      { 'es.sigma': 0.01, optimizer: 'es' }, { 'es.sigma': 0.01, optimizer: 'adam' },
      { 'es.sigma': 0.02, optimizer: 'es' }, { 'es.sigma': 0.02, optimizer: 'adam' },
      { 'es.sigma': 0.04, optimizer: 'es' }, { 'es.sigma': 0.04, optimizer: 'adam' },
    ]);
    expect(gridSize([sigma, opt, pop])).toBe(18);
    expect(expandGrid([])).toEqual([{}]);
  });

  it('ranges: geometric on a log scale, even on a linear one, integers rounded and deduplicated', () => {
    expect(rangeValues(pop as Extract<SweepAxis, { kind: 'range' }>)).toEqual([128, 256, 512]);
    expect(axisValues({ path: 'es.sigma', kind: 'range', min: 0.01, max: 0.04, scale: 'log', points: 3, integer: false })).toEqual([0.01, 0.02, 0.04]);
    expect(axisValues({ path: 'es.lr', kind: 'range', min: 0, max: 1, scale: 'linear', points: 5, integer: false })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // 1..3 in 5 integer points: 1, 1.5→2, 2, 2.5→3, 3 → three distinct values
    expect(axisValues({ path: 'es.batchSize', kind: 'range', min: 1, max: 3, scale: 'linear', points: 5, integer: true })).toEqual([1, 2, 3]);
  });

  it('a random sample is the same for the same seed, differs for another, stays in range and merges repeats', () => {
    const a = sampleRandom([pop, sigma], 20, 7);
    const b = sampleRandom([pop, sigma], 20, 7);
    const c = sampleRandom([pop, sigma], 20, 8);
    expect(a).toEqual(b);
    expect(a.points).not.toEqual(c.points);
    expect(a.drawn).toBe(20);
    for (const p of a.points) {
      expect(Number.isInteger(p['es.population'])).toBe(true);
      expect(p['es.population']).toBeGreaterThanOrEqual(128);
      expect(p['es.population']).toBeLessThanOrEqual(512);
      expect([0.01, 0.02, 0.04]).toContain(p['es.sigma']);
    }
    // a list of two values sampled 10 times gives at most 2 configurations
    const few = sampleRandom([opt], 10, 1);
    expect(few.points.length).toBeLessThanOrEqual(2);
    expect(new Set(few.points.map((p) => p.optimizer)).size).toBe(few.points.length);
    // a log range draws log-uniformly: about half the draws below the geometric mean
    const many = sampleRandom([{ ...pop, integer: false }], 2000, 3).points.map((p) => p['es.population'] as number);
    const below = many.filter((v) => v < 256).length / many.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
    expect(() => sampleRandom([pop], 0, 1)).toThrow(/samples must be an integer ≥ 1/);
  });
});

describe('successive halving', () => {
  it('rungs double from full/2^⌈log₂ n⌉ to the full budget', () => {
    expect(halvingRungs(1600, 16)).toEqual([100, 200, 400, 800, 1600]);
    expect(halvingRungs(1000, 3)).toEqual([250, 500, 1000]);
    expect(halvingRungs(1000, 1)).toEqual([1000]);
    expect(halvingRungs(1000, 8, 300)).toEqual([300, 600, 1000]);
    // whole units, never a rung of 0
    expect(halvingRungs(5, 16)).toEqual([1, 2, 3, 5]);
  });

  it('costs about 3 full runs for 16 configurations', () => {
    expect(halvingCost(halvingRungs(1600, 16), 16)).toBe(3);
    expect(halvingCost([1000], 1)).toBe(1);
  });

  it('keeps the better half, diverged last, ties in order', () => {
    expect(halvingKeep([
      { key: 'a', score: 0.3 }, { key: 'b', score: 0.1 }, { key: 'c', score: null }, { key: 'd', score: 0.2 }, { key: 'e', score: 0.1 },
    ])).toEqual(['b', 'd', 'e']);
    expect(halvingKeep([{ key: 'x', score: NaN }, { key: 'y', score: Infinity }])).toEqual(['x']);
    expect(halvingKeep([{ key: 'only', score: 1 }])).toEqual(['only']);
  });
});

describe('groups, bands and spreads', () => {
  it('groups by settings whatever their order, first-seen order kept', () => {
    expect(settingsKey({ a: 1, b: 'x' })).toBe(settingsKey({ b: 'x', a: 1 }));
    expect(settingsKey({ a: 1 })).not.toBe(settingsKey({ a: 2 }));
    const runs = [{ s: { a: 2 }, seed: 1 }, { s: { a: 1 }, seed: 1 }, { s: { a: 2 }, seed: 2 }];
    const g = groupBy(runs, (r) => settingsKey(r.s));
    expect(g.map((x) => x.members.map((m) => m.seed))).toEqual([[1, 2], [1]]);
  });

  it('reads curves on a common grid: exact on shared x, interpolated between, nothing outside', () => {
    const a = { x: [0, 10, 20], y: [1, 0.5, 0.25] };
    const b = { x: [0, 10, 20, 30], y: [3, 1.5, null, 0.1] };
    expect(commonGrid([a, b])).toEqual([0, 10, 20, 30]);
    expect(valueAt(a, 5)).toBeCloseTo(0.75, 12);
    expect(valueAt(a, 25)).toBeNull();
    expect(valueAt(b, 25)).toBeNull(); // a gap on one side
    const band = seedBand([a, b], [0, 10, 20, 30]);
    expect(band.mean).toEqual([2, 1, 0.25, 0.1]);
    expect(band.min).toEqual([1, 0.5, 0.25, 0.1]);
    expect(band.max).toEqual([3, 1.5, 0.25, 0.1]);
    expect(band.count).toEqual([2, 2, 1, 1]);
    // wall times differ between runs: too many distinct x for the union, so an even grid over the whole range
    const grid = commonGrid([{ x: [0.1, 0.7, 1.9], y: [1, 1, 1] }, { x: [0.2, 1.1, 2.5], y: [1, 1, 1] }], 4);
    expect(grid).toHaveLength(4);
    [0.1, 0.9, 1.7, 2.5].forEach((x, i) => expect(grid[i]).toBeCloseTo(x, 12));
  });

  it('median and spread count missing values as beyond every finite one', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ n: 3, finite: 3, median: 2, min: 1, max: 3 });
    expect(spreadOf([4, 1, 2, 3])).toEqual({ n: 4, finite: 4, median: 2.5, min: 1, max: 4 });
    expect(spreadOf([5, null, 1])).toEqual({ n: 3, finite: 2, median: 5, min: 1, max: null });
    expect(spreadOf([null, NaN, 1])).toEqual({ n: 3, finite: 1, median: null, min: 1, max: null });
    expect(spreadOf([])).toEqual({ n: 0, finite: 0, median: null, min: null, max: null });
  });
});
