/**
 * Figures in Node (environment.md, "Figures and media in Node"): line charts as PNG through chart.js on
 * @napi-rs/canvas (responsive off, animation off, devicePixelRatio = DPI / 72 so layout units are points,
 * a white background painted in a beforeDraw plugin), the same charts as SVG (core/figures/svg.ts), growth
 * strips as labelled PNGs (the core's strip figure, its text drawn by services/export/figure-text.ts), and GIFs
 * through the replay engine's exporter.
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables } from 'chart.js';
import { lineChartConfig } from '../../core/figures/chartjs';
import { pixelSize, type FigureSize, type LineChartSpec } from '../../core/figures/line-chart';
import { composeStripFigure, stripFigureLayout } from '../../core/figures/strip-figure';
import { lineChartSvg } from '../../core/figures/svg';
import { canvasMeasure, figurePng } from '../export/figure-text';

let registered = false;
function ensureChartJs(): void {
  if (registered) return;
  Chart.register(...registerables);
  registered = true;
}

/** The chart as a PNG of exactly widthIn·dpi × heightIn·dpi pixels, with its DPI in a pHYs chunk. */
export function renderChartPng(spec: LineChartSpec, size: FigureSize): Buffer {
  ensureChartJs();
  const { width, height } = pixelSize(size);
  const ratio = size.dpi / 72;
  // laid out in points: 1 chart.js unit = 1/72 in, so fonts keep their size at any DPI
  const layout = createCanvas(Math.max(1, Math.round(width / ratio)), Math.max(1, Math.round(height / ratio)));
  const chart = new Chart(layout as unknown as HTMLCanvasElement, lineChartConfig(spec, { devicePixelRatio: ratio }));
  try {
    // chart.js floors its backing size: copy onto a canvas of the exact size (white where it falls short)
    const out = createCanvas(width, height);
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(layout, 0, 0);
    return out.toBuffer('image/png', { resolution: size.dpi, title: spec.title });
  } finally {
    chart.destroy();
  }
}

export function renderChartSvg(spec: LineChartSpec, size: FigureSize): string {
  return lineChartSvg(spec, { widthIn: size.widthIn, heightIn: size.heightIn });
}

/** A frame cell of a strip: opaque RGBA8 of height×width cells, or null for "not recorded". */
export interface StripCell {
  rgba8: Uint8Array | Uint8ClampedArray;
  height: number;
  width: number;
}

export interface StripSpec {
  title: string;
  /** one line under the title: what the columns mean */
  subtitle?: string;
  columns: string[];
  rows: { label: string; cells: (StripCell | null)[] }[];
}

export interface StripOptions {
  /** side of a frame's box in pixels (frames are upscaled by an integer factor to fit; default 120) */
  box?: number;
  dpi?: number;
}

/**
 * Rows = models, columns = steps (the thesis's Tables 4 and 6): the core's strip figure (its layout and pixels,
 * core/figures/strip-figure.ts, the same as Compare's "PNG" in the window) with the text drawn on @napi-rs/canvas.
 */
export function renderStripPng(spec: StripSpec, opts: StripOptions = {}): Buffer {
  const layout = stripFigureLayout({
    title: spec.title,
    ...(spec.subtitle ? { subtitle: spec.subtitle } : {}),
    columns: spec.columns,
    rows: spec.rows.map((r) => ({ label: r.label, cells: r.cells.map((c) => (c ? { height: c.height, width: c.width } : null)) })),
  }, { box: opts.box ?? 120, measure: canvasMeasure });
  const image = composeStripFigure(layout, spec.rows.map((r) => r.cells.map((c) => c?.rgba8 ?? null)));
  return figurePng(image, layout.texts, { dpi: opts.dpi ?? 96, title: spec.title });
}
