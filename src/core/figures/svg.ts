/**
 * A LineChartSpec as a standalone SVG document (vector figures for papers).
 *
 * Why our own writer: chart.js draws only to a canvas; the canvas-to-SVG shims (canvas2svg and its forks)
 * are unmaintained and need a DOM, and pulling in d3 + jsdom for one chart type is a lot of dependency for
 * ≈200 lines. Lines, bands, a log axis, a legend and labels are all this figure needs, and drawing it from the
 * same spec and the same axes (ticks.ts) as the chart.js path keeps PNG and SVG in agreement.
 *
 * Units are points (1/72 in): the document's width/height are in inches, so it prints at the chosen size.
 * Fonts: DejaVu Sans first (matplotlib's default, the thesis's plots), then common sans-serif fallbacks.
 */
import { axisFraction } from './ticks';
import { chartAxes, decimate, MARKER_STYLE, plottable, type LineChartSpec } from './line-chart';

export interface SvgOptions {
  widthIn?: number;
  heightIn?: number;
}

export const FIGURE_FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
const FONT = { title: 12, label: 10, tick: 8.5, legend: 9 };
const FONT_ATTR = FIGURE_FONT.replace(/'/g, '&apos;');
const GRID = '#e3e3e3';
const AXIS = '#333333';
const TEXT = '#222222';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough text width in points for layout (DejaVu Sans averages ≈ 0.58 em). */
export function textWidth(s: string, size: number): number {
  return [...s].length * size * 0.58;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** The chart as an SVG document (UTF-8 text). */
export function lineChartSvg(spec: LineChartSpec, opts: SvgOptions = {}): string {
  const W = (opts.widthIn ?? 6.4) * 72;
  const H = (opts.heightIn ?? 4.8) * 72;
  const axes = chartAxes(spec);
  const log = axes.y.log;

  // legend rows, right-aligned under the title
  const sample = 18;
  const items = spec.series.filter((s) => s.legend !== false && !s.faint).map((s) => ({ s, w: sample + 4 + textWidth(s.label, FONT.legend) + 12 }));
  const maxRow = W - 24;
  const rows: (typeof items)[] = [];
  for (const it of items) {
    const row = rows[rows.length - 1];
    if (row && row.reduce((a, b) => a + b.w, 0) + it.w <= maxRow) row.push(it);
    else rows.push([it]);
  }
  const titleH = spec.title ? FONT.title + 12 : 6;
  const legendH = rows.length * (FONT.legend + 6) + 4;
  const yTickW = Math.max(...axes.y.ticks.filter((t) => t.label).map((t) => textWidth(t.label, FONT.tick)), 10);
  const left = 8 + FONT.label + 8 + yTickW + 6;
  const right = 14;
  const top = titleH + legendH;
  const bottom = FONT.tick + 8 + FONT.label + 14;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const px = (x: number) => left + axisFraction(axes.x, x) * pw;
  const py = (y: number) => top + (1 - axisFraction(axes.y, y)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${r2(W / 72)}in" height="${r2(H / 72)}in" viewBox="0 0 ${r2(W)} ${r2(H)}" font-family="${FONT_ATTR}">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect width="${r2(W)}" height="${r2(H)}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${r2(left)}" y="${r2(top)}" width="${r2(pw)}" height="${r2(ph)}"/></clipPath></defs>`);

  // grid (seaborn-whitegrid-like: light lines at every labelled tick, fainter at minor log ticks)
  const grid: string[] = [];
  for (const t of axes.x.ticks) grid.push(`<line x1="${r2(px(t.value))}" y1="${r2(top)}" x2="${r2(px(t.value))}" y2="${r2(top + ph)}"/>`);
  for (const t of axes.y.ticks) {
    const y = r2(py(t.value));
    grid.push(`<line x1="${r2(left)}" y1="${y}" x2="${r2(left + pw)}" y2="${y}"${t.major || t.label ? '' : ' stroke-opacity="0.45"'}/>`);
  }
  out.push(`<g class="grid" stroke="${GRID}" stroke-width="0.6">${grid.join('')}</g>`);

  // bands then lines, clipped to the plot area
  const plot: string[] = [];
  for (const s of spec.series) {
    if (!s.band) continue;
    const x0 = s.x0 ?? 0;
    let seg: [number, number, number][] = [];
    const flush = () => {
      if (seg.length > 1) {
        const upper = seg.map(([x, , hi]) => `${r2(px(x))},${r2(py(hi))}`);
        const lower = seg.slice().reverse().map(([x, lo]) => `${r2(px(x))},${r2(py(lo))}`);
        plot.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${escapeXml(s.color)}" fill-opacity="0.18" stroke="none"/>`);
      }
      seg = [];
    };
    for (let i = 0; i < s.band.lo.length; i++) {
      const lo = plottable(s.band.lo[i], log);
      const hi = plottable(s.band.hi[i], log);
      if (lo === null || hi === null) flush();
      else seg.push([s.x?.[i] ?? x0 + i, lo, hi]);
    }
    flush();
  }
  for (const s of spec.series) {
    const pts = decimate(s.y.map((v) => plottable(v, log)), s.x0 ?? 0, 4000, s.x);
    const paths: string[] = [];
    let cur: string[] = [];
    for (const p of pts) {
      if (p.y === null) {
        if (cur.length) paths.push(cur.join(' '));
        cur = [];
        continue;
      }
      cur.push(`${cur.length ? 'L' : 'M'}${r2(px(p.x))} ${r2(py(p.y))}`);
    }
    if (cur.length) paths.push(cur.join(' '));
    const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    if (s.line ?? true) plot.push(`<path class="series" data-label="${escapeXml(s.label)}" d="${paths.join(' ')}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${s.faint ? 1 : 1.5}" stroke-linejoin="round" stroke-linecap="round"${s.faint ? '' : dash}/>`);
    if (s.points) {
      const dots = pts.filter((p) => p.y !== null).map((p) => `<circle cx="${r2(px(p.x))}" cy="${r2(py(p.y!))}" r="2.5"/>`);
      plot.push(`<g class="points" data-label="${escapeXml(s.label)}" fill="${escapeXml(s.color)}">${dots.join('')}</g>`);
    }
  }
  const markers = (spec.markers ?? []).filter((m) => m.x >= axes.x.min && m.x <= axes.x.max);
  for (const m of markers) {
    const x = r2(px(m.x));
    const dash = m.dash ?? MARKER_STYLE.dash;
    plot.push(`<line class="marker" x1="${x}" y1="${r2(top)}" x2="${x}" y2="${r2(top + ph)}" stroke="${escapeXml(m.color ?? MARKER_STYLE.color)}" stroke-width="${MARKER_STYLE.width}"${dash.length ? ` stroke-dasharray="${dash.join(' ')}"` : ''}/>`);
  }
  out.push(`<g clip-path="url(#plot-area)">${plot.join('')}</g>`);
  for (const m of markers) {
    if (m.label) out.push(`<text x="${r2(px(m.x) + 3)}" y="${r2(top + 10)}" font-size="${FONT.tick}" fill="${MARKER_STYLE.text}">${escapeXml(m.label)}</text>`);
  }

  // frame, ticks, tick labels
  // left and bottom spines, as the chart.js figures draw them
  out.push(`<path class="axes" d="M${r2(left)} ${r2(top)} V${r2(top + ph)} H${r2(left + pw)}" fill="none" stroke="${AXIS}" stroke-width="0.8"/>`);
  const ticks: string[] = [];
  const labels: string[] = [];
  for (const t of axes.x.ticks) {
    const x = r2(px(t.value));
    ticks.push(`<line x1="${x}" y1="${r2(top + ph)}" x2="${x}" y2="${r2(top + ph + 3.5)}"/>`);
    labels.push(`<text x="${x}" y="${r2(top + ph + 5 + FONT.tick)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of axes.y.ticks) {
    const y = r2(py(t.value));
    const len = t.major ? 3.5 : 2;
    ticks.push(`<line x1="${r2(left - len)}" y1="${y}" x2="${r2(left)}" y2="${y}"/>`);
    if (t.label) labels.push(`<text x="${r2(left - 5)}" y="${r2(py(t.value) + FONT.tick * 0.35)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  out.push(`<g class="ticks" stroke="${AXIS}" stroke-width="0.8">${ticks.join('')}</g>`);
  out.push(`<g class="tick-labels" font-size="${FONT.tick}" fill="${TEXT}">${labels.join('')}</g>`);

  // axis labels and title
  out.push(`<text class="x-label" x="${r2(left + pw / 2)}" y="${r2(H - 8)}" text-anchor="middle" font-size="${FONT.label}" fill="${TEXT}">${escapeXml(spec.xLabel)}</text>`);
  const yl = { x: 8 + FONT.label, y: top + ph / 2 };
  out.push(`<text class="y-label" x="${r2(yl.x)}" y="${r2(yl.y)}" transform="rotate(-90 ${r2(yl.x)} ${r2(yl.y)})" text-anchor="middle" font-size="${FONT.label}" fill="${TEXT}">${escapeXml(spec.yLabel)}</text>`);
  if (spec.title) out.push(`<text class="title" x="${r2(W / 2)}" y="${r2(6 + FONT.title)}" text-anchor="middle" font-size="${FONT.title}" font-weight="600" fill="${TEXT}">${escapeXml(spec.title)}</text>`);

  // legend
  const legend: string[] = [];
  rows.forEach((row, ri) => {
    const rowW = row.reduce((a, b) => a + b.w, 0);
    let x = W - right - rowW + 12;
    const y = titleH + ri * (FONT.legend + 6) + FONT.legend;
    for (const { s, w } of row) {
      const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      legend.push(`<line x1="${r2(x)}" y1="${r2(y - FONT.legend * 0.35)}" x2="${r2(x + sample)}" y2="${r2(y - FONT.legend * 0.35)}" stroke="${escapeXml(s.color)}" stroke-width="2"${dash}/>`);
      legend.push(`<text x="${r2(x + sample + 4)}" y="${r2(y)}">${escapeXml(s.label)}</text>`);
      x += w;
    }
  });
  out.push(`<g class="legend" font-size="${FONT.legend}" fill="${TEXT}">${legend.join('')}</g>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

