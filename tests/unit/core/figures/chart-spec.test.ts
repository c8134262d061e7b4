/**
 * One chart spec for the screen and every export: the training curves' rules (the raw line faint behind the smoothed
 * one, sparse curves as dots, never smoothed), the chart.js configuration the window and the PNG share (the faint
 * line neither in the legend nor in a tooltip, the tooltip's title in the axis' words), and markers drawn alike in
 * the PNG and the SVG (the Playground's current step and damage, an experiment's damage index).
 */
import { describe, expect, it } from 'vitest';
import { lineChartConfig } from '../../../../src/core/figures/chartjs';
import { chartAxes, type LineChartSpec } from '../../../../src/core/figures/line-chart';
import { lineChartSvg } from '../../../../src/core/figures/svg';
import { renderChartPng } from '../../../../src/services/experiments/figures';
import { decodePng } from '../../../../src/services/export/png';
import type { MetricPoint } from '../../../../src/shared/lab-api';
import { trainingCurveChart } from '../../../../src/shared/training-charts';

const rows = (n: number): MetricPoint[] => Array.from({ length: n }, (_, i) => ({
  generation: i + 1, evaluations: (i + 1) * 6, wallSeconds: (i + 1) * 3, loss: 0.1 / (i + 1), bestLoss: 0.1 / (i + 1), lr: 0.01,
  ...(i % 10 === 9 ? { eval40: 0.05 / (i + 1), eval200: 0.06 / (i + 1), eval1000: 0.07 / (i + 1) } : {}),
}));

describe('training curves: one set of rules for the screen and the exports', () => {
  it('draws the raw line faint behind the smoothed one, out of the legend', () => {
    const spec = trainingCurveChart([{ label: 'es run', colour: '#2f6fde', rows: rows(30), dash: [4, 2] }], { x: 'generation', y: 'loss', smoothing: 0.6, scale: 'log' });
    expect(spec.series.map((s) => [s.label, s.faint ?? false, s.dash ?? null])).toEqual([['es run (raw)', true, null], ['es run', false, [4, 2]]]);
    expect(spec.series[0].color).not.toBe('#2f6fde');
    expect(spec.xUnit).toBe('count');
    const svg = lineChartSvg(spec);
    const legend = /<g class="legend"[^>]*>(.*?)<\/g>/s.exec(svg)![1];
    expect(legend).toContain('>es run</text>');
    expect(legend).not.toContain('(raw)');
  });

  it('draws a growth loss (sparse) unsmoothed, with a dot per evaluation while there are few', () => {
    const spec = trainingCurveChart([{ label: 'es run', colour: '#2f6fde', rows: rows(30) }], { x: 'wallSeconds', y: 'eval40', smoothing: 0.6, scale: 'log' });
    expect(spec.series).toHaveLength(1);
    expect(spec.series[0]).toMatchObject({ points: true, x: [30, 60, 90] });
    expect(spec.xUnit).toBe('seconds');
    const many = trainingCurveChart([{ label: 'long', colour: '#2f6fde', rows: rows(3000) }], { x: 'generation', y: 'eval40', smoothing: 0, scale: 'log' });
    expect(many.series[0].y).toHaveLength(300);
    expect(many.series[0].points).toBeUndefined();
  });

  it('is drawn by one chart.js configuration: the faint line out of the legend and the tooltip, the tooltip in the axis\' words', () => {
    const spec = trainingCurveChart([{ label: 'es run', colour: '#2f6fde', rows: rows(100) }], { x: 'wallSeconds', y: 'loss', smoothing: 0.6, scale: 'log' });
    const config = lineChartConfig(spec, { interactionMode: 'ncaEachRun' });
    const [raw, smoothed] = config.data.datasets;
    expect([raw.borderWidth, smoothed.borderWidth]).toEqual([1, 1.5]);
    const legendFilter = config.options!.plugins!.legend!.labels!.filter!;
    const item = (i: number) => legendFilter({ datasetIndex: i } as never, config.data as never);
    expect([item(0), item(1)]).toEqual([false, true]);
    const tooltip = config.options!.plugins!.tooltip!;
    expect(tooltip.filter!({ dataset: raw } as never, 0, [], config.data as never)).toBe(false);
    expect(tooltip.filter!({ dataset: smoothed } as never, 0, [], config.data as never)).toBe(true);
    const title = (tooltip.callbacks!.title as (items: unknown[]) => string)([{ parsed: { x: 150 } }]);
    expect(title).toBe('wall time 2.5 min');
    expect((config.options!.interaction as { mode: string }).mode).toBe('ncaEachRun');
    // the x ticks are the shared ones: round durations
    const ticks = chartTicks(config);
    expect(ticks).toEqual(['0', '1 min', '2 min', '3 min', '4 min', '5 min']);
  });
});

describe('a long run', () => {
  it('gets its axes, its chart.js configuration and its SVG (300,000 points: more than a spread of arguments takes)', () => {
    const n = 300_000;
    const x = Array.from({ length: n }, (_, i) => i * 0.5);
    const spec: LineChartSpec = {
      title: '', xLabel: 'wall time', yLabel: 'loss', yScale: 'log', xUnit: 'seconds',
      series: [{ label: 'long', color: '#2f6fde', x, y: x.map((v) => 0.1 / (1 + v)) }],
    };
    const axes = chartAxes(spec);
    // to the round 42 h just past the last point (0, 6 h, 12 h … 42 h)
    expect(axes.x.ticks.map((t) => t.label)).toEqual(['0', '6 h', '12 h', '18 h', '24 h', '30 h', '36 h', '42 h']);
    expect(axes.y.min).toBeLessThan(0.1 / (1 + (n - 1) * 0.5));
    expect(lineChartConfig(spec).data.datasets[0].data.length).toBeLessThanOrEqual(4001);
    expect(lineChartSvg(spec)).toContain('>42 h</text>');
    const linear = chartAxes({ ...spec, yScale: 'linear' });
    expect(linear.y.max).toBeGreaterThan(0.1);
  });
});

/** The x tick labels chart.js would show (the configuration replaces its own ticks by the shared ones). */
function chartTicks(config: ReturnType<typeof lineChartConfig>): string[] {
  const x = config.options!.scales!.x as unknown as { afterBuildTicks(s: { ticks: { label: string }[] }): void };
  const scale = { ticks: [] as { label: string }[] };
  x.afterBuildTicks(scale);
  return scale.ticks.map((t) => t.label);
}

describe('markers', () => {
  // as the Playground marks its damage (dashed red) and its current step (solid blue)
  const spec: LineChartSpec = {
    title: '', xLabel: 'update steps', yLabel: 'loss (log scale)', yScale: 'log', xUnit: 'count', xMin: 0, xMax: 60,
    series: [{ label: 'lizard', color: '#2f6fde', y: Array.from({ length: 60 }, (_, t) => 0.1 / (t + 1)) }],
    markers: [{ x: 20, color: 'rgba(179, 38, 30, 0.7)', dash: [4, 3] }, { x: 45, color: 'rgba(29, 85, 184, 0.85)', dash: [] }],
  };

  it('are drawn in the SVG and in the PNG (chart.js reads them from its options, so the screen can move them)', () => {
    const svg = lineChartSvg(spec);
    expect(svg.match(/<line class="marker"/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="4 3"');
    const red = (s: LineChartSpec) => {
      const png = decodePng(renderChartPng(s, { widthIn: 4, heightIn: 3, dpi: 72 }));
      let n = 0;
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] > 200 && png.data[i + 1] < 150 && png.data[i + 2] < 150) n++;
      return n;
    };
    expect(red(spec)).toBeGreaterThan(20);
    expect(red({ ...spec, markers: [] })).toBe(0);
  });
});
