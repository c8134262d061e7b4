/**
 * The x ticks of training curves: whole counts only (a run's first generations never read "1 1 1 2 2 2"), and wall
 * time at round durations in one unit per axis (never 1.7, 3.3, 4.2 min).
 */
import { describe, expect, it } from 'vitest';
import { countAxis, countLabel, secondsAxis, secondsText } from '../../../../src/core/figures/ticks';
import { chartAxes, xValueText, type LineChartSpec } from '../../../../src/core/figures/line-chart';

const labels = (a: { ticks: { label: string }[] }) => a.ticks.map((t) => t.label);
const values = (a: { ticks: { value: number }[] }) => a.ticks.map((t) => t.value);

describe('count ticks', () => {
  it('puts no tick between two counts at the start of a run, so no label repeats', () => {
    for (const max of [1, 2, 3, 5, 7, 9, 13]) {
      const a = countAxis(0, max);
      expect(values(a).every(Number.isInteger)).toBe(true);
      expect(new Set(labels(a)).size).toBe(a.ticks.length);
    }
    expect(labels(countAxis(0, 2))).toEqual(['0', '1', '2']);
    expect(labels(countAxis(0, 3))).toEqual(['0', '1', '2', '3']);
  });

  it('keeps 1, 2, 5 × 10ⁿ steps on longer runs, and shortens large counts', () => {
    expect(values(countAxis(0, 400))).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400]);
    expect(labels(countAxis(0, 2_000_000))).toContain('1M');
    expect(countLabel(12_500)).toBe('12.5k');
    expect(countLabel(250_000)).toBe('250k');
    expect(countLabel(1_500_000)).toBe('1.5M');
    expect(countLabel(9999)).toBe('9999');
  });
});

describe('wall-time ticks', () => {
  it('fall on round durations, labelled in one unit', () => {
    // the run that showed 1.7 / 3.3 / 4.2 min: 0 … 260 s
    const a = secondsAxis(0, 260);
    expect(labels(a)).toEqual(['0', '1 min', '2 min', '3 min', '4 min']);
    expect(labels(secondsAxis(0, 200))).toEqual(['0', '0.5 min', '1 min', '1.5 min', '2 min', '2.5 min', '3 min']);
    expect(labels(secondsAxis(0, 47))).toEqual(['0', '10 s', '20 s', '30 s', '40 s']);
    expect(labels(secondsAxis(0, 1500))).toEqual(['0', '5 min', '10 min', '15 min', '20 min', '25 min']);
    expect(labels(secondsAxis(0, 5 * 3600))).toEqual(['0', '1 h', '2 h', '3 h', '4 h', '5 h']);
    expect(labels(secondsAxis(0, 3))).toEqual(['0', '0.5 s', '1 s', '1.5 s', '2 s', '2.5 s', '3 s']);
  });

  it('never puts a minute tick at an odd second', () => {
    for (const max of [130, 200, 333, 700, 1234, 4000, 7000]) {
      for (const v of values(secondsAxis(0, max))) expect(v % 30).toBe(0);
    }
  });

  it('says a tooltip\'s time in the unit its size calls for', () => {
    expect(secondsText(7.46)).toBe('7.5 s');
    expect(secondsText(95)).toBe('95 s');
    expect(secondsText(100)).toBe('100 s');
    expect(secondsText(200)).toBe('3.3 min');
    expect(secondsText(8280)).toBe('2.3 h');
  });
});

describe('a chart spec\'s x unit picks its ticks in every format', () => {
  const spec = (xUnit: LineChartSpec['xUnit'], x: number[]): LineChartSpec => ({
    title: '', xLabel: 'x', yLabel: 'y', yScale: 'log', xUnit, series: [{ label: 'a', color: '#000', x, y: x.map(() => 0.1) }],
  });

  it('counts, seconds or plain numbers', () => {
    expect(labels(chartAxes(spec('count', [1, 2])).x)).toEqual(['0', '1', '2']);
    expect(labels(chartAxes(spec('seconds', [10, 250])).x)).toContain('4 min');
    expect(labels(chartAxes(spec(undefined, [0, 2])).x)).toContain('0.5');
    expect(xValueText({ ...spec('seconds', [1]), xLabel: 'wall time' }, 200)).toBe('wall time 3.3 min');
    expect(xValueText({ ...spec('count', [1]), xLabel: 'generation / iteration' }, 12_500)).toBe('generation / iteration 12.5k');
  });
});
