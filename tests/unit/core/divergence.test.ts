/** Divergence, named: where a loss overflows, and charts that keep a sane axis around it. */
import { describe, expect, it } from 'vitest';
import { DIVERGED_LOSS, divergedAt, saneLoss } from '../../../src/core/divergence';
import { chartAxes } from '../../../src/core/figures/line-chart';
import { GrowthReplay } from '../../../src/core/replay/growth-replay';
import { configFromPreset, ncaConfigOf } from '../../../src/shared/training-config';
import { loadBuiltinTarget } from '../../../src/services/targets/targets';
import { growingParams } from '../../fixtures/model-params';

describe('divergedAt', () => {
  it('finds the first loss that is not finite or from 1e3 up, and null for a healthy curve', () => {
    expect(divergedAt([0.1, 0.05, 0.04])).toBeNull();
    expect(divergedAt([0.1, 999, 1000, 0.1])).toBe(2);
    expect(divergedAt([0.1, Number.NaN])).toBe(1);
    expect(divergedAt([0.1, null, 0.2])).toBe(1);
    expect(divergedAt([0.1, 0.2, Number.POSITIVE_INFINITY], 2)).toBeNull();
    expect([saneLoss(0.5), saneLoss(DIVERGED_LOSS), saneLoss(Number.NaN), saneLoss(null)]).toEqual([0.5, null, null, null]);
  });

  it('names the step where a model with six times a growing model\'s parameters overflows', () => {
    const nca = ncaConfigOf(configFromPreset('thesis-es'));
    const params = growingParams(nca, 3).map((v) => v * 6);
    const target = loadBuiltinTarget('carrot-9');
    const replay = new GrowthReplay({ models: [{ name: 'x', nca, params, target }], height: target.height, width: target.width, seed: 0 });
    replay.seek(60);
    const losses = replay.lossSeries(0);
    const at = divergedAt(losses);
    expect(at).toBe(23);
    expect(losses[at! - 1]).toBeLessThan(DIVERGED_LOSS);
    expect(losses[60]).toBeGreaterThan(1e10);
  });
});

describe('a log chart around a diverged curve', () => {
  it('keeps the axis on the finite, sane values', () => {
    const axes = chartAxes({
      title: '', xLabel: 'x', yLabel: 'loss (log scale)', yScale: 'log',
      series: [{ label: 'ok', color: '#000', y: [0.1, 0.05, 0.02] }, { label: 'bad', color: '#f00', y: [0.1, 1e12, Number.POSITIVE_INFINITY] }],
    });
    expect(axes.y.max).toBeLessThan(1);
    expect(axes.y.min).toBeGreaterThan(0.01);
  });
});
