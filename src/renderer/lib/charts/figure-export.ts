/**
 * Figures from the window: the same chart spec and chart.js configuration as the Node figures
 * (core/figures/chartjs.ts), drawn off-screen at the chosen size and DPI for PNG (white background, the DPI
 * written into the file), and the same SVG writer (core/figures/svg.ts). Growth strips as figures: the core's
 * layout and pixels (core/figures/strip-figure.ts, as `nca-lab experiment` writes them) with the text drawn by the
 * canvas (lib/charts/figure-text.ts), and as SVG.
 */
import { lineChartConfig } from '@core/figures/chartjs';
import { pixelSize, type FigureSize, type LineChartSpec } from '@core/figures/line-chart';
import { withPngDpi } from '@core/figures/png-dpi';
import { composeStripFigure, stripFigureLayout, stripFigureSvg, type StripFigureSpec } from '@core/figures/strip-figure';
import { lineChartSvg } from '@core/figures/svg';
import type { ExperimentFrameData } from '@shared/experiment';
import { base64ToBytes } from '@shared/float32-base64';
import { loadChartJs } from './chart';
import { canvasMeasure, figurePngBlob, framePngDataUrl } from './figure-text';

/** The chart as PNG bytes of exactly widthIn·dpi × heightIn·dpi pixels. */
export async function chartPngBytes(spec: LineChartSpec, size: FigureSize): Promise<Uint8Array> {
  const Chart = await loadChartJs();
  const { width, height } = pixelSize(size);
  const ratio = size.dpi / 72;
  // laid out in points (1 unit = 1/72 in), drawn at DPI/72 device pixels per unit, off-screen
  const host = document.createElement('div');
  host.style.cssText = 'position:fixed;left:-100000px;top:0;';
  const layout = document.createElement('canvas');
  layout.width = Math.max(1, Math.round(width / ratio));
  layout.height = Math.max(1, Math.round(height / ratio));
  host.appendChild(layout);
  document.body.appendChild(host);
  const chart = new Chart(layout, lineChartConfig(spec, { devicePixelRatio: ratio }));
  try {
    const out = document.createElement('canvas');
    out.width = width;
    out.height = height;
    const ctx = out.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw into a canvas');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(layout, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'));
    return withPngDpi(new Uint8Array(await blob.arrayBuffer()), size.dpi);
  } finally {
    chart.destroy();
    host.remove();
  }
}

export function chartSvgText(spec: LineChartSpec, size: FigureSize): string {
  return lineChartSvg(spec, { widthIn: size.widthIn, heightIn: size.heightIn });
}

/** A file name from free text: `erase-bottom-9x9-carrot`. */
export function fileStem(...parts: string[]): string {
  return parts.join('-').toLowerCase().replace(/×/g, 'x').replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'figure';
}

/** A growth strip as a figure: what stripFigureLayout lays out, and each frame's pixels (RGBA8, one per cell). */
export interface StripFigureData {
  spec: StripFigureSpec;
  /** frames[r][c]: null where the spec's cell is null */
  frames: (Uint8Array | null)[][];
}

/** Compare's growth strip (rows = models, columns = steps, its title and subtitle) as a figure. */
export function experimentStripFigure(
  title: string, subtitle: string, columns: string[], rows: { label: string; cells: (ExperimentFrameData | null)[] }[],
): StripFigureData {
  return {
    spec: { title, subtitle, columns, rows: rows.map((r) => ({ label: r.label, cells: r.cells.map((c) => (c ? { height: c.height, width: c.width } : null)) })) },
    frames: rows.map((r) => r.cells.map((c) => (c ? base64ToBytes(c.rgba8Base64) : null))),
  };
}

/** The strip figure as a PNG: the core's layout and pixels, the text drawn by the canvas (lib/charts/figure-text.ts). */
export function stripFigurePngBlob(data: StripFigureData): Promise<Blob> {
  const layout = stripFigureLayout(data.spec, { measure: canvasMeasure });
  return figurePngBlob(composeStripFigure(layout, data.frames), layout.texts);
}

/** The same figure as SVG: the same layout, each frame an embedded PNG drawn pixelated, the text as <text>. */
export function stripFigureSvgText(data: StripFigureData): string {
  const layout = stripFigureLayout(data.spec, { measure: canvasMeasure });
  const images = data.frames.map((row, r) => row.map((f, c) => {
    const cell = data.spec.rows[r].cells[c];
    return f && cell ? framePngDataUrl(f, cell.width, cell.height) : null;
  }));
  return stripFigureSvg(layout, images);
}
