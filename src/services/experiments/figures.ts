/**
 * Figures in Node (environment.md, "Figures and media in Node"): line charts as PNG through chart.js on
 * @napi-rs/canvas (responsive off, animation off, devicePixelRatio = DPI / 72 so layout units are points,
 * a white background painted in a beforeDraw plugin), the same charts as SVG (core/figures/svg.ts), growth
 * strips as labelled PNGs (frames composed by the replay engine's composeStrip), and GIFs through the replay
 * engine's exporter.
 */
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { Chart, registerables } from 'chart.js';
import { lineChartConfig } from '../../core/figures/chartjs';
import { pixelSize, type FigureSize, type LineChartSpec } from '../../core/figures/line-chart';
import { FIGURE_FONT, lineChartSvg } from '../../core/figures/svg';
import { composeStrip } from '../../core/replay/strip';

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
 * Rows = models, columns = steps (the thesis's Tables 4 and 6). Each row's frames are composed with the replay
 * engine's composeStrip (nearest-neighbour upscaling, grey gaps); labels are drawn around them.
 */
export function renderStripPng(spec: StripSpec, opts: StripOptions = {}): Buffer {
  const box = opts.box ?? 120;
  const gap = 6;
  const font = 13;
  const labelW = Math.ceil(Math.max(60, ...spec.rows.map((r) => r.label.length * font * 0.6)) + 12);
  const titleH = spec.title ? font + 14 : 0;
  const subH = spec.subtitle ? font + 4 : 0;
  const headH = font + 10;
  const W = labelW + spec.columns.length * (box + gap) + gap;
  const H = titleH + subH + headH + spec.rows.length * (box + gap) + gap;
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#222222';
  ctx.textBaseline = 'middle';
  if (spec.title) {
    ctx.font = `600 ${font + 1}px ${FIGURE_FONT}`;
    ctx.textAlign = 'left';
    ctx.fillText(spec.title, 8, 6 + font / 2 + 2);
  }
  if (spec.subtitle) {
    ctx.font = `${font - 2}px ${FIGURE_FONT}`;
    ctx.fillStyle = '#555555';
    ctx.fillText(spec.subtitle, 8, titleH + subH / 2);
    ctx.fillStyle = '#222222';
  }
  ctx.font = `${font}px ${FIGURE_FONT}`;
  ctx.textAlign = 'center';
  const top = titleH + subH + headH;
  spec.columns.forEach((c, i) => ctx.fillText(c, labelW + gap + i * (box + gap) + box / 2, titleH + subH + headH / 2));
  spec.rows.forEach((row, r) => {
    const y = top + r * (box + gap);
    ctx.textAlign = 'right';
    ctx.fillStyle = '#222222';
    ctx.fillText(row.label, labelW - 4, y + box / 2);
    row.cells.forEach((cell, i) => {
      const x = labelW + gap + i * (box + gap);
      if (!cell) {
        ctx.textAlign = 'center';
        ctx.fillStyle = '#999999';
        ctx.fillText('–', x + box / 2, y + box / 2);
        return;
      }
      const k = Math.max(1, Math.floor(box / Math.max(cell.height, cell.width)));
      const img = composeStrip([[cell.rgba8]], cell.height, cell.width, k, 0);
      const ox = x + Math.floor((box - img.width) / 2);
      const oy = y + Math.floor((box - img.height) / 2);
      ctx.putImageData(new ImageData(img.rgba, img.width, img.height), ox, oy);
      // a hairline frame shows the canvas's extent on the white page
      ctx.strokeStyle = '#c8c8c8';
      ctx.lineWidth = 1;
      ctx.strokeRect(ox - 0.5, oy - 0.5, img.width + 1, img.height + 1);
    });
  });
  return canvas.toBuffer('image/png', { resolution: opts.dpi ?? 96, title: spec.title });
}
