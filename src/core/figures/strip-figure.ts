/**
 * A labelled growth strip (spec g, "Growth strips"; the thesis's Tables 4 and 6): frames in a grid (rows = models,
 * columns = steps) on a white page, with the row labels at the left, a heading above each column and an optional
 * title and subtitle. Three pure parts, shared by the window and Node:
 *   - the layout (`stripFigureLayout`): where every frame and every text goes, from text widths the caller measures;
 *   - the pixels under the text (`composeStripFigure`): frames upscaled by nearest neighbour, a hairline around each;
 *   - the whole figure as SVG (`stripFigureSvg`): each frame an embedded PNG drawn pixelated, the text as <text>.
 * The text of a PNG is drawn by whoever has a canvas (the core has no DOM): the window's canvas 2D
 * (renderer/lib/charts/figure-text.ts) or @napi-rs/canvas in Node (services/export/figure-text.ts), from `texts`.
 */
import { escapeXml, FIGURE_FONT } from './svg';
import type { StripImage } from '../replay/strip';

export interface FigureFont {
  /** px */
  size: number;
  weight: 400 | 600;
}

/** The width in px of `text` in `font` (a canvas's measureText). */
export type TextMeasure = (text: string, font: FigureFont) => number;

export interface FigureText extends FigureFont {
  text: string;
  /** the text's left end, centre or right end, as `align` says */
  x: number;
  /** the text's vertical middle (canvas textBaseline 'middle') */
  y: number;
  align: 'left' | 'center' | 'right';
  colour: string;
}

/** A CSS / canvas font for a figure text. */
export function figureFontCss(f: FigureFont): string {
  return `${f.weight} ${f.size}px ${FIGURE_FONT}`;
}

/** The part of a canvas 2D context that draws figure text: the browser's and @napi-rs/canvas's both have it. */
export interface TextCanvas {
  font: string;
  textAlign: string;
  textBaseline: string;
  fillStyle: unknown;
  fillText(text: string, x: number, y: number): void;
}

/** Draws the laid-out texts (centred vertically on their y), the same way in the window and in Node. */
export function drawFigureTexts(ctx: TextCanvas, texts: FigureText[]): void {
  ctx.textBaseline = 'middle';
  for (const t of texts) {
    ctx.font = figureFontCss(t);
    ctx.textAlign = t.align;
    ctx.fillStyle = t.colour;
    ctx.fillText(t.text, t.x, t.y);
  }
}

/** `text`, cut at the end with "…" until it is at most `max` px wide ("" when not even "…" fits). */
export function fitText(text: string, font: FigureFont, max: number, measure: TextMeasure): string {
  if (measure(text, font) <= max) return text;
  const chars = [...text];
  for (let n = chars.length - 1; n > 0; n--) {
    const cut = chars.slice(0, n).join('').trimEnd() + '…';
    if (measure(cut, font) <= max) return cut;
  }
  return measure('…', font) <= max ? '…' : '';
}

/** Label size for frames of `box` px: about a seventh of a frame, 12 to 28 px. */
export function stripFontSize(box: number): number {
  return Math.max(12, Math.min(28, Math.round(box / 7)));
}

export interface FrameSize {
  height: number;
  width: number;
}

export interface StripFigureSpec {
  title?: string;
  /** one line under the title: what the columns mean */
  subtitle?: string;
  /** one heading per column ("t = 40"); omitted: no heading row */
  columns?: string[];
  /** rows[r].cells[c]: the frame's size in cells, or null where there is no frame (drawn as a dash) */
  rows: { label?: string; cells: (FrameSize | null)[] }[];
}

export interface StripFigureOptions {
  /** side in px of a frame's box: each frame is upscaled by the largest integer that fits it (default 120) */
  box?: number;
  /** px between boxes and around the grid (default 6) */
  gap?: number;
  /** label and heading size in px (default stripFontSize(box)); the title is 1 px larger, the subtitle 2 px smaller */
  fontSize?: number;
  /** a longer row label is cut with "…" (default 360 px) */
  maxLabelWidth?: number;
  measure: TextMeasure;
}

export interface PlacedFrame {
  row: number;
  col: number;
  /** top left corner in px */
  x: number;
  y: number;
  /** upscaling factor: the frame is cells.width·scale × cells.height·scale px */
  scale: number;
  cells: FrameSize;
}

export interface StripFigureLayout {
  width: number;
  height: number;
  frames: PlacedFrame[];
  texts: FigureText[];
  /** the title, for the SVG's <title> */
  title: string;
}

const TEXT = '#222222';
const SUBTLE = '#555555';
const DASH = '#999999';
/** the hairline around a frame: shows the canvas's extent on the white page */
export const STRIP_HAIRLINE_GREY = 200;
const PAD = 8;
/** between a row label's right end and the first frame */
const LABEL_SPACE = 10;

export function stripFigureLayout(spec: StripFigureSpec, opts: StripFigureOptions): StripFigureLayout {
  const { measure } = opts;
  const box = opts.box ?? 120;
  const gap = opts.gap ?? 6;
  const size = opts.fontSize ?? stripFontSize(box);
  const maxLabel = opts.maxLabelWidth ?? 360;
  if (!Number.isInteger(box) || box < 1) throw new RangeError(`strip figure: the box must be an integer ≥ 1 px, got ${box}`);
  if (spec.rows.length === 0) throw new RangeError('strip figure: no rows');
  const cols = spec.rows[0].cells.length;
  if (cols === 0) throw new RangeError('strip figure: no columns');
  spec.rows.forEach((r, i) => {
    if (r.cells.length !== cols) throw new RangeError(`strip figure: row ${i} has ${r.cells.length} cells, row 0 has ${cols}`);
  });
  if (spec.columns && spec.columns.length !== cols)
    throw new RangeError(`strip figure: ${spec.columns.length} column headings for ${cols} columns`);

  const label: FigureFont = { size, weight: 400 };
  const titleFont: FigureFont = { size: size + 1, weight: 600 };
  const subFont: FigureFont = { size: Math.max(9, size - 2), weight: 400 };
  const widest = (texts: string[], f: FigureFont) => Math.ceil(Math.max(0, ...texts.map((t) => measure(t, f))));

  const labels = spec.rows.map((r) => (r.label ? fitText(r.label, label, maxLabel, measure) : ''));
  const hasLabels = labels.some((l) => l !== '');
  const gridLeft = hasLabels ? PAD + widest(labels, label) + LABEL_SPACE : gap;

  // every frame's upscaling: the largest integer that fits the box (at least 1, so a big frame widens its column)
  const scaled = spec.rows.map((r) =>
    r.cells.map((c) => (c ? { c, k: Math.max(1, Math.floor(box / Math.max(c.height, c.width))) } : null)),
  );
  const colPitch = Array.from({ length: cols }, (_, c) =>
    Math.max(box, spec.columns ? widest([spec.columns[c]], label) + 4 : 0, ...scaled.map((r) => (r[c] ? r[c].c.width * r[c].k : 0))),
  );
  const rowPitch = scaled.map((r) => Math.max(box, size + 4, ...r.map((f) => (f ? f.c.height * f.k : 0))));

  const titleH = spec.title ? titleFont.size + 14 : 0;
  const subH = spec.subtitle ? size + 4 : 0;
  const headH = spec.columns ? size + 10 : 0;
  const top = titleH + subH + (spec.columns ? headH : gap);
  const colX: number[] = [];
  let x = gridLeft;
  for (const p of colPitch) {
    colX.push(x);
    x += p + gap;
  }
  const rowY: number[] = [];
  let y = top;
  for (const p of rowPitch) {
    rowY.push(y);
    y += p + gap;
  }
  const width = Math.max(
    x,
    spec.title ? 2 * PAD + widest([spec.title], titleFont) : 0,
    spec.subtitle ? 2 * PAD + widest([spec.subtitle], subFont) : 0,
  );
  const height = y;

  const texts: FigureText[] = [];
  if (spec.title) texts.push({ text: spec.title, x: PAD, y: 6 + titleFont.size / 2 + 2, align: 'left', colour: TEXT, ...titleFont });
  if (spec.subtitle) texts.push({ text: spec.subtitle, x: PAD, y: titleH + subH / 2, align: 'left', colour: SUBTLE, ...subFont });
  spec.columns?.forEach((text, c) =>
    texts.push({ text, x: colX[c] + colPitch[c] / 2, y: titleH + subH + headH / 2, align: 'center', colour: TEXT, ...label }),
  );
  labels.forEach((text, r) => {
    if (text) texts.push({ text, x: gridLeft - LABEL_SPACE, y: rowY[r] + rowPitch[r] / 2, align: 'right', colour: TEXT, ...label });
  });

  const frames: PlacedFrame[] = [];
  scaled.forEach((r, row) =>
    r.forEach((f, col) => {
      if (!f) {
        texts.push({
          text: '–',
          x: colX[col] + colPitch[col] / 2,
          y: rowY[row] + rowPitch[row] / 2,
          align: 'center',
          colour: DASH,
          ...label,
        });
        return;
      }
      frames.push({
        row,
        col,
        scale: f.k,
        cells: f.c,
        x: colX[col] + Math.floor((colPitch[col] - f.c.width * f.k) / 2),
        y: rowY[row] + Math.floor((rowPitch[row] - f.c.height * f.k) / 2),
      });
    }),
  );
  return { width, height, frames, texts, title: spec.title ?? '' };
}

/**
 * The figure's pixels without its text: a white page, each frame (opaque RGBA8 of its cells) upscaled by nearest
 * neighbour at its place, a 1 px grey hairline just outside it. frames[r][c] must be there for every placed frame.
 */
export function composeStripFigure(layout: StripFigureLayout, frames: ((Uint8Array | Uint8ClampedArray) | null)[][]): StripImage {
  const W = layout.width;
  const H = layout.height;
  const out = new Uint8ClampedArray(W * H * 4).fill(255);
  const put = (x: number, y: number, r: number, g: number, b: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const d = (y * W + x) * 4;
    out[d] = r;
    out[d + 1] = g;
    out[d + 2] = b;
  };
  for (const p of layout.frames) {
    const f = frames[p.row]?.[p.col];
    const { height: h, width: w } = p.cells;
    if (!f) throw new RangeError(`strip figure: no frame for row ${p.row}, column ${p.col}`);
    if (f.length !== h * w * 4)
      throw new RangeError(`strip figure frame (${p.row}, ${p.col}): expected ${h}×${w}×4 bytes, got ${f.length}`);
    const fw = w * p.scale;
    const fh = h * p.scale;
    const g = STRIP_HAIRLINE_GREY;
    for (let x = -1; x <= fw; x++) {
      put(p.x + x, p.y - 1, g, g, g);
      put(p.x + x, p.y + fh, g, g, g);
    }
    for (let y = 0; y < fh; y++) {
      put(p.x - 1, p.y + y, g, g, g);
      put(p.x + fw, p.y + y, g, g, g);
      const src = Math.floor(y / p.scale) * w;
      for (let x = 0; x < fw; x++) {
        const s = (src + Math.floor(x / p.scale)) * 4;
        put(p.x + x, p.y + y, f[s], f[s + 1], f[s + 2]);
      }
    }
  }
  return { width: W, height: H, rgba: out };
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const ANCHOR = { left: 'start', center: 'middle', right: 'end' } as const;

/**
 * The figure as an SVG document in px: each frame an <image> of `images[r][c]` (a data: URL of the frame's PNG, one
 * pixel per cell) scaled up with image-rendering pixelated, so the cells stay crisp squares at any zoom; the text
 * as <text> in the figures' font.
 */
export function stripFigureSvg(layout: StripFigureLayout, images: (string | null)[][]): string {
  const { width: W, height: H } = layout;
  const g = STRIP_HAIRLINE_GREY;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FIGURE_FONT.replace(/'/g, '&apos;')}">`,
  ];
  if (layout.title) out.push(`<title>${escapeXml(layout.title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  for (const p of layout.frames) {
    const href = images[p.row]?.[p.col];
    if (!href) throw new RangeError(`strip figure: no image for row ${p.row}, column ${p.col}`);
    const fw = p.cells.width * p.scale;
    const fh = p.cells.height * p.scale;
    out.push(
      `<rect x="${p.x - 0.5}" y="${p.y - 0.5}" width="${fw + 1}" height="${fh + 1}" fill="none" stroke="rgb(${g},${g},${g})" stroke-width="1"/>`,
    );
    out.push(
      `<image x="${p.x}" y="${p.y}" width="${fw}" height="${fh}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${escapeXml(href)}"/>`,
    );
  }
  for (const t of layout.texts) {
    // the middle of the text: the baseline sits about 0.35 em below it (as in svg.ts, without dominant-baseline)
    out.push(
      `<text x="${r2(t.x)}" y="${r2(t.y + t.size * 0.35)}" font-size="${t.size}"${t.weight === 600 ? ' font-weight="600"' : ''} fill="${t.colour}" text-anchor="${ANCHOR[t.align]}">${escapeXml(t.text)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
