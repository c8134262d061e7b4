/** The CLI's training progress line: fits 80 and 160 columns, ETA as a duration, dropping detail in order. */
import { describe, expect, it } from 'vitest';
import { formatCliDuration, progressLine, stopTiming, type ProgressParts } from '../../../src/cli/progress-line';

const parts: ProgressParts = {
  unit: 'generation', value: 2570, total: 4000, done: 2570 / 4000, metrics: [{ label: 'loss', text: '0.01500' }, { label: 'best', text: '0.01301' }, { label: '40-step', text: '0.01484' }],
  rate: '242 mutants/s, 40.3 gen/s', eta: `ETA ${formatCliDuration(46.4)}`,
};

describe('progressLine', () => {
  it('shows everything with a 24-cell bar at 160 columns', () => {
    const line = progressLine(parts, 160);
    expect(line).toBe(`${'█'.repeat(15)}${'░'.repeat(9)} generation 2,570/4,000 | loss 0.01500 | best 0.01301 | 40-step 0.01484 | 242 mutants/s, 40.3 gen/s | ETA 46s`);
    expect([...line].length).toBeLessThanOrEqual(159);
  });

  it('fits 80 columns by dropping the rate detail, the bar and the best loss first', () => {
    const line = progressLine(parts, 80);
    expect([...line].length).toBeLessThanOrEqual(79);
    expect(line).toBe('generation 2,570/4,000 | loss 0.01500 | 40-step 0.01484 | ETA 46s');
  });

  it('keeps the step, the loss and the ETA down to 40 columns, and never passes the width', () => {
    for (let w = 20; w <= 200; w++) expect([...progressLine(parts, w)].length).toBeLessThanOrEqual(Math.max(20, w - 1));
    expect(progressLine(parts, 60)).toBe('generation 2,570/4,000 | loss 0.01500 | ETA 46s');
  });

  it('has no bar without a step limit', () => {
    expect(progressLine({ ...parts, total: null, done: null, eta: '12s elapsed' }, 160)).toBe(
      'generation 2,570 | loss 0.01500 | best 0.01301 | 40-step 0.01484 | 242 mutants/s, 40.3 gen/s | 12s elapsed');
  });
});

describe('stopTiming', () => {
  const at = { generation: 300, wallSeconds: 12, perSec: 40 };
  it('a time limit alone (--max-seconds) fills the bar with the time and says the time trained and left', () => {
    const t = stopTiming(at, { maxGenerations: null, maxSeconds: 120 });
    expect(t).toEqual({ done: 0.1, eta: '12s elapsed, 1m48s left' });
    expect(progressLine({ ...parts, value: 300, total: null, ...t }, 160)).toBe(
      `${'█'.repeat(2)}${'░'.repeat(22)} generation 300 | loss 0.01500 | best 0.01301 | 40-step 0.01484 | 242 mutants/s, 40.3 gen/s | 12s elapsed, 1m48s left`);
  });

  it('the nearer of a step and a time limit decides; no limit, the time trained', () => {
    expect(stopTiming(at, { maxGenerations: 400, maxSeconds: null })).toEqual({ done: 0.75, eta: 'ETA 3s' });
    expect(stopTiming(at, { maxGenerations: 4000, maxSeconds: 60 })).toEqual({ done: 0.2, eta: 'ETA 48s' });
    expect(stopTiming({ ...at, perSec: undefined }, { maxGenerations: 400, maxSeconds: null })).toEqual({ done: 0.75, eta: '12s elapsed' });
    expect(stopTiming(at, { maxGenerations: null, maxSeconds: null })).toEqual({ done: null, eta: '12s elapsed' });
  });
});

describe('formatCliDuration', () => {
  it('writes durations, never a bare number of seconds', () => {
    expect([0, 46.4, 59.6, 185, 3599, 7620, -1, Number.NaN].map(formatCliDuration)).toEqual(['0s', '46s', '1m00s', '3m05s', '59m59s', '2h07m', '–', '–']);
  });
});
