/** The lab's words for numbers and units: Adam counts iterations, "1 point", a large loss reads as a loss. */
import { describe, expect, it } from 'vitest';
import { countOf, formatLoss } from '../../../../src/renderer/lib/format';
import { modelSourceText } from '../../../../src/renderer/lib/runs/run-summary';
import { stepWord } from '../../../../src/shared/run-record';

describe('the lab\'s words', () => {
  it('names Adam checkpoints by iteration and ES ones by generation', () => {
    expect(modelSourceText('checkpoint', 'adam', 916)).toBe('checkpoint at iteration 916');
    expect(modelSourceText('model', 'es', 20000)).toBe('model at generation 20,000');
    expect([stepWord('adam'), stepWord('es')]).toEqual(['iteration', 'generation']);
  });

  it('counts with the noun in the right number', () => {
    expect([countOf(0, 'point'), countOf(1, 'point'), countOf(2, 'point'), countOf(1200, 'point')]).toEqual(['0 points', '1 point', '2 points', '1,200 points']);
  });

  it('writes a diverging 200-step loss in exponent notation, never as a bare count', () => {
    expect(formatLoss(9141)).toBe('9.14e+3');
    expect(formatLoss(999.9)).toBe('999.9');
    expect(formatLoss(0.01234)).toBe('0.01234');
    expect(formatLoss(2.5e-4)).toBe('2.50e-4');
    expect(formatLoss(Number.POSITIVE_INFINITY)).toBe('–');
  });
});
