/** The replay's loss chart as a chart spec: a line per model, the current step and each damage marked, t from 0. */
import { describe, expect, it } from 'vitest';
import { CURRENT_STEP_COLOUR, DAMAGE_COLOUR, playgroundLossChart } from '../../../../src/renderer/playground/loss-chart';

describe('the Playground\'s loss chart', () => {
  it('marks the current step and each damage, its axis from 0 to the timeline\'s end', () => {
    const losses = Array.from({ length: 60 }, (_, t) => 0.1 / (t + 1));
    const spec = playgroundLossChart([{ name: 'lizard', colour: '#2f6fde', losses }], [{ afterUpdate: 20 }], 45, 60);
    expect(spec.series).toEqual([{ label: 'lizard', color: '#2f6fde', y: losses }]);
    expect(spec.markers).toEqual([{ x: 20, color: DAMAGE_COLOUR, dash: [4, 3] }, { x: 45, color: CURRENT_STEP_COLOUR, dash: [] }]);
    expect([spec.xMin, spec.xMax, spec.xUnit, spec.yScale]).toEqual([0, 60, 'count', 'log']);
    expect(playgroundLossChart([], [], 0, 3).xMax).toBe(10);
  });
});
