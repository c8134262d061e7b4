/**
 * A LineChartSpec as a chart.js configuration: the one chart code behind the PNGs rendered in Node
 * (@napi-rs/canvas) and the charts of the Compare view, with the same axes as the SVG writer (ticks.ts).
 *
 * Sizes are in points when the canvas is laid out at inches × 72 with devicePixelRatio = DPI / 72 (Node);
 * on screen they are CSS pixels. The background is painted white in a beforeDraw plugin: chart.js clears
 * the canvas to transparent, which turns black in JPEG/GIF encoders and in some viewers.
 */
import type { ChartConfiguration, ChartDataset, Plugin, Scale } from 'chart.js';
import { chartAxes, decimate, MARKER_STYLE, plottable, xValueText, type ChartMarker, type LineChartSpec } from './line-chart';
import { FIGURE_FONT } from './svg';
import type { Axis } from './ticks';

const FONT = { title: 12, label: 10, tick: 8.5, legend: 9 };
const TEXT = '#222222';
const GRID = '#e3e3e3';
const GRID_MINOR = 'rgba(227, 227, 227, 0.45)';

/** Paints the whole canvas before anything else is drawn. */
export function backgroundPlugin(color = '#ffffff'): Plugin<'line'> {
  return {
    id: 'ncaBackground',
    beforeDraw(chart) {
      const { ctx } = chart;
      // typed as HTMLCanvasElement, but an @napi-rs/canvas Canvas in Node: only its pixel size is read
      const canvas = chart.canvas as unknown as { width: number; height: number };
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.globalCompositeOperation = 'source-over';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
    },
  };
}

/**
 * The spec's markers (vertical lines, core/figures/line-chart.ts), read from the plugin's options so that a chart
 * on screen can change them in place (lib/charts/spec-chart.ts replaces the options, never the plugins).
 */
const markersPlugin: Plugin<'line', { markers?: ChartMarker[]; fontSize?: number }> = {
  id: 'ncaMarkers',
  afterDatasetsDraw(chart, _args, options) {
    const x = chart.scales.x;
    if (!x || !options.markers?.length) return;
    const { top, bottom, left, right } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    for (const m of options.markers) {
      const px = x.getPixelForValue(m.x);
      if (!(px >= left - 0.5 && px <= right + 0.5)) continue;
      ctx.strokeStyle = m.color ?? MARKER_STYLE.color;
      ctx.lineWidth = MARKER_STYLE.width;
      ctx.setLineDash(m.dash ?? [...MARKER_STYLE.dash]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      if (!m.label) continue;
      ctx.fillStyle = MARKER_STYLE.text;
      ctx.font = `${options.fontSize ?? FONT.tick}px ${FIGURE_FONT}`;
      ctx.fillText(m.label, px + 3, top + 10);
    }
    ctx.restore();
  },
};

/** Replaces chart.js's own ticks by the shared ones, so PNG, screen and SVG agree. */
function fixedTicks(axis: Axis, fontSize: number) {
  const labels = new Map(axis.ticks.map((t) => [t.value, t.label]));
  return {
    afterBuildTicks: (scale: Scale) => {
      scale.ticks = axis.ticks.map((t) => ({ value: t.value, major: t.major, label: t.label }));
    },
    ticks: {
      autoSkip: false,
      maxRotation: 0,
      color: TEXT,
      font: { family: FIGURE_FONT, size: fontSize },
      callback: (value: number | string) => labels.get(Number(value)) ?? '',
    },
  };
}

type LineDataset = ChartDataset<'line', { x: number; y: number | null }[]> & { ncaBand?: boolean; ncaNoLegend?: boolean; ncaFaint?: boolean };

export interface ChartJsOptions {
  /** background colour painted under everything (default white) */
  background?: string;
  /** devicePixelRatio (Node: DPI / 72) */
  devicePixelRatio?: number;
  /** false for on-screen charts that follow their container */
  responsive?: boolean;
  /**
   * the tooltip's interaction mode on screen (the window registers one that lists every curve at the hovered x,
   * as TensorBoard's does); chart.js's nearest point on x when absent
   */
  interactionMode?: string;
  /** text sizes × this (the screen's 1.3: a figure's 8.5 pt ticks are too small as CSS pixels); default 1 */
  fontScale?: number;
}

export function lineChartConfig(spec: LineChartSpec, opts: ChartJsOptions = {}): ChartConfiguration<'line', { x: number; y: number | null }[]> {
  const axes = chartAxes(spec);
  const log = axes.y.log;
  const k = opts.fontScale ?? 1;
  const font = { title: FONT.title * k, label: FONT.label * k, tick: FONT.tick * k, legend: FONT.legend * k };
  const datasets: LineDataset[] = [];
  for (const s of spec.series) {
    const x0 = s.x0 ?? 0;
    if (s.band) {
      // lo then hi filled down to it; both hidden from the legend
      datasets.push({
        label: `${s.label} (min)`, ncaBand: true, data: decimate(s.band.lo.map((v) => plottable(v, log)), x0, 4000, s.x),
        borderWidth: 0, pointRadius: 0, borderColor: 'transparent', fill: false,
      });
      datasets.push({
        label: `${s.label} (max)`, ncaBand: true, data: decimate(s.band.hi.map((v) => plottable(v, log)), x0, 4000, s.x),
        borderWidth: 0, pointRadius: 0, borderColor: 'transparent', backgroundColor: withAlpha(s.color, 0.18), fill: '-1',
      });
    }
    datasets.push({
      label: s.label,
      data: decimate(s.y.map((v) => plottable(v, log)), x0, 4000, s.x),
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: s.faint ? 1 : 1.5,
      borderDash: s.faint ? [] : s.dash ?? [],
      pointRadius: s.points ? 2.5 : 0,
      pointHitRadius: 4,
      showLine: s.line ?? true,
      ncaNoLegend: s.legend === false || s.faint === true,
      ncaFaint: s.faint === true,
      // the smoothed line over its faint raw one (chart.js draws a higher order first)
      ...(s.faint ? { order: 1 } : {}),
      spanGaps: false,
      fill: false,
      tension: 0,
    });
  }
  const plugins = [backgroundPlugin(opts.background ?? '#ffffff'), markersPlugin as Plugin<'line'>];
  const gridColor = (ctx: { tick?: { label?: unknown } }) => (ctx.tick?.label ? GRID : GRID_MINOR);
  return {
    type: 'line',
    data: { datasets },
    plugins,
    options: {
      responsive: opts.responsive ?? false,
      maintainAspectRatio: false,
      animation: false,
      devicePixelRatio: opts.devicePixelRatio ?? 1,
      parsing: false,
      normalized: true,
      layout: { padding: { left: 4, right: 14, top: 4, bottom: 4 } },
      interaction: opts.interactionMode
        ? ({ mode: opts.interactionMode, intersect: false } as unknown as { mode: 'nearest'; intersect: false })
        : { mode: 'nearest', intersect: false, axis: 'x' },
      plugins: {
        title: { display: !!spec.title, text: spec.title, color: TEXT, font: { family: FIGURE_FONT, size: font.title, weight: 600 }, padding: { top: 2, bottom: 4 } },
        legend: {
          display: true, position: 'top', align: 'end',
          labels: {
            color: TEXT, font: { family: FIGURE_FONT, size: font.legend }, usePointStyle: true, pointStyle: 'line',
            pointStyleWidth: 18, boxHeight: 2, padding: 10,
            filter: (item, data) => {
              const ds = data.datasets[item.datasetIndex ?? 0] as LineDataset;
              return !ds.ncaBand && !ds.ncaNoLegend;
            },
          },
        },
        tooltip: {
          filter: (item) => !(item.dataset as LineDataset).ncaBand && !(item.dataset as LineDataset).ncaFaint,
          callbacks: {
            title: (items) => (items.length ? xValueText(spec, items[0].parsed.x ?? 0) : ''),
            label: (item) => `${item.dataset.label}: ${Number(item.parsed.y).toPrecision(4)}`,
          },
        },
        decimation: { enabled: false },
        // read by markersPlugin (not a chart.js plugin's option type)
        ...({ ncaMarkers: { markers: spec.markers ?? [], fontSize: font.tick } } as object),
      },
      scales: {
        x: {
          type: 'linear', min: axes.x.min, max: axes.x.max,
          title: { display: true, text: spec.xLabel, color: TEXT, font: { family: FIGURE_FONT, size: font.label } },
          grid: { color: GRID, lineWidth: 0.6, tickLength: 4 },
          border: { color: '#333333', width: 0.8 },
          ...fixedTicks(axes.x, font.tick),
        },
        y: {
          type: log ? 'logarithmic' : 'linear', min: axes.y.min, max: axes.y.max,
          title: { display: true, text: spec.yLabel, color: TEXT, font: { family: FIGURE_FONT, size: font.label } },
          grid: { color: gridColor, lineWidth: 0.6, tickLength: 4 },
          border: { color: '#333333', width: 0.8 },
          ...fixedTicks(axes.y, font.tick),
        },
      },
    },
  };
}

/** #rrggbb / #rgb → rgba(r, g, b, a); other CSS colours are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  let m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) {
    const s = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
    if (s) m = [color, s[1] + s[1] + s[2] + s[2] + s[3] + s[3]] as unknown as RegExpExecArray;
  }
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
