/**
 * The replay's per-step loss as a chart spec (core/figures), as in the thesis's figures (spec g): RGBA MSE after
 * every update on a log axis, one line per model, against t (updates applied; the thesis's index is k = t − 1); a
 * solid line marks the current step, dashed red lines the damage. PlaygroundLossChart draws it through the lab's
 * one chart code (components/charts/SpecChart.vue).
 */
import type { LineChartSpec } from '@core/figures/line-chart';
import type { LossCurve } from './engine';

export const CURRENT_STEP_COLOUR = 'rgba(29, 85, 184, 0.85)';
export const DAMAGE_COLOUR = 'rgba(179, 38, 30, 0.7)';

/** The x axis shows at least this many updates, so a fresh replay does not start on a squeezed axis. */
const MIN_TIMELINE = 10;

export function playgroundLossChart(curves: readonly LossCurve[], damage: readonly { afterUpdate: number }[], t: number, timelineEnd: number): LineChartSpec {
  return {
    title: '',
    xLabel: 'update steps t (thesis index k = t − 1)',
    yLabel: 'RGBA MSE (log scale)',
    yScale: 'log',
    xUnit: 'count',
    xMin: 0,
    xMax: Math.max(MIN_TIMELINE, timelineEnd),
    // diverged losses are gaps (the chart code leaves them out: core/divergence.ts), so the axis stays on the
    // models that still mean something
    series: curves.map((c) => ({ label: c.name, color: c.colour, y: Array.from(c.losses) })),
    markers: [
      ...damage.map((e) => ({ x: e.afterUpdate, color: DAMAGE_COLOUR, dash: [4, 3] })),
      { x: t, color: CURRENT_STEP_COLOUR, dash: [] },
    ],
  };
}
