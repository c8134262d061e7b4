/**
 * An animated GIF of replay frames (pure: the CLI writes it to a file, the playground hands it to the browser as
 * a download). Frames are opaque RGBA8 on white, one pixel per cell; each is upscaled by an integer factor with
 * nearest neighbour, so cells stay crisp squares. A frame with at most 256 colours (always so up to 16×16 cells)
 * gets an exact palette; a busier one is quantised by gifenc (RGB565 pair-wise nearest neighbour). A caption band
 * (the model names and "t = N") can go above every frame: its layout is here, its text is drawn by the caller's
 * canvas (the window's, or @napi-rs/canvas in Node) and handed in as pixels.
 */
import * as gifencModule from 'gifenc';
import type { Palette } from 'gifenc';
import { fitText, type FigureFont, type FigureText, type TextMeasure } from '../figures/strip-figure';

// gifenc ships CommonJS for Node and the browser field: Node's ESM loader exposes it as the default export only,
// bundlers as named exports. Take whichever is there.
type Gifenc = typeof gifencModule;
const gifenc: Gifenc = (gifencModule as Gifenc).GIFEncoder ? gifencModule : (gifencModule as unknown as { default: Gifenc }).default;
const { applyPalette, GIFEncoder, quantize } = gifenc;

export interface GifOptions {
  /** integer upscaling factor, 1 … 64 */
  scale: number;
  /** frames per second, 1 … 50 (GIF delays are hundredths of a second; browsers slow anything faster) */
  fps: number;
  /** -1 plays once, 0 loops forever (default) */
  repeat?: number;
  /** a caption band above every frame (the model names and "t = N", see gifCaptionLayout) */
  caption?: GifCaption;
}

export interface GifCaption {
  /** px */
  height: number;
  /**
   * Frame i's band: RGBA8 of (width·scale) × height px, dark text on white. It is reduced to CAPTION_GREYS greys,
   * so a frame with few colours keeps its exact palette under antialiased text.
   */
  band: (frame: number) => Uint8ClampedArray;
}

/** Grey levels a caption band is reduced to (white, the text's dark grey and the antialiasing steps between). */
export const CAPTION_GREYS = 8;

export const GIF_LIMITS = { scale: { min: 1, max: 64 }, fps: { min: 1, max: 50 }, maxFrames: 20_000, maxSide: 4096 } as const;

/** A palette and index map for one frame: exact when it has at most 256 colours. */
export function paletteFor(rgba: Uint8Array | Uint8ClampedArray): { palette: Palette; index: Uint8Array; exact: boolean } {
  const colours = new Map<number, number>();
  const palette: Palette = [];
  const index = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < index.length; i++) {
    const key = (rgba[i * 4] << 16) | (rgba[i * 4 + 1] << 8) | rgba[i * 4 + 2];
    let at = colours.get(key);
    if (at === undefined) {
      if (palette.length === 256) {
        const q = quantize(rgba, 256);
        return { palette: q, index: applyPalette(rgba, q), exact: false };
      }
      at = palette.length;
      colours.set(key, at);
      palette.push([rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]]);
    }
    index[i] = at;
  }
  return { palette, index, exact: true };
}

function upscaleIndex(index: Uint8Array, height: number, width: number, k: number): Uint8Array {
  if (k === 1) return index;
  const W = width * k;
  const out = new Uint8Array(height * k * W);
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(W);
    for (let x = 0; x < width; x++) row.fill(index[y * width + x], x * k, (x + 1) * k);
    for (let r = 0; r < k; r++) out.set(row, (y * k + r) * W);
  }
  return out;
}

/** Each pixel to the nearest of `levels` greys (0 … 255, evenly spaced) by its mean of R, G and B; opaque. */
export function reduceToGreys(rgba: Uint8ClampedArray, levels = CAPTION_GREYS): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rgba.length);
  const step = 255 / (levels - 1);
  for (let i = 0; i < rgba.length; i += 4) {
    const v = Math.round(Math.round((rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3 / step) * step);
    out[i] = v;
    out[i + 1] = v;
    out[i + 2] = v;
    out[i + 3] = 255;
  }
  return out;
}

export interface GifCaptionLayout {
  /** band height in px */
  height: number;
  font: FigureFont;
  /** the texts of the band of the frame at step t: each model's name over its panel, "t = N" at the right */
  texts: (t: number) => FigureText[];
}

/** The smallest caption text: below it a name is cut with "…" rather than shrunk further. */
export const GIF_CAPTION_MIN_SIZE = 10;
/** The white gap between panels side by side in a GIF, in cells (so it scales with the cells). */
export const GIF_PANEL_GAP_CELLS = 1;

/** The width in cells of `panels` frames `side` cells wide side by side in a GIF, GIF_PANEL_GAP_CELLS apart. */
export function gifCellsWide(side: number, panels: number): number {
  return side * panels + GIF_PANEL_GAP_CELLS * Math.max(0, panels - 1);
}

/** The most lines a name of a GIF caption wraps onto (at the smallest size) before the rest is cut with "…". */
export const GIF_CAPTION_NAME_LINES = 3;

/**
 * A name on at most `maxLines` lines of `room` px: broken after spaces, "-", "_", "·", "." and "/" (run and model
 * names are made of such parts), a part too long for a line and what does not fit the last line cut with "…".
 */
export function wrapCaptionName(name: string, font: FigureFont, room: number, measure: TextMeasure, maxLines: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const part of name.split(/(?<=[\s\-_·./])/)) {
    if (current && measure((current + part).trimEnd(), font) > room) {
      lines.push(current.trimEnd());
      current = part.trimStart();
    } else {
      current += part;
    }
  }
  if (current) lines.push(current.trimEnd());
  const kept = lines.length > maxLines ? [...lines.slice(0, maxLines - 1), lines.slice(maxLines - 1).join('')] : lines;
  return kept.map((l) => fitText(l, font, room, measure));
}

/**
 * The caption band of a GIF of `names.length` panels side by side (the playground's models in lockstep), `width`
 * px in all with `gap` px between panels and `panelHeight` px high: each name left-aligned over its panel, "t = N"
 * at the right end. The room for "t = N" is that of the widest step, `lastStep`, so no name changes from frame to
 * frame. Names are shown whole when they can be: the text shrinks (down to GIF_CAPTION_MIN_SIZE) until every name
 * fits its panel beside "t = N"; failing that "t = N" goes on a line of its own under the names, so each name has
 * its whole panel, and at the smallest size a name too long for its panel wraps onto up to GIF_CAPTION_NAME_LINES
 * lines; only what does not fit those is cut with "…".
 */
export function gifCaptionLayout(opts: { names: string[]; width: number; panelHeight: number; lastStep: number; measure: TextMeasure; gap?: number }): GifCaptionLayout {
  const { names, width, measure } = opts;
  if (names.length === 0) throw new RangeError('a GIF caption needs at least one name');
  const gap = opts.gap ?? 0;
  const panel = (width - gap * (names.length - 1)) / names.length;
  const largest = Math.max(GIF_CAPTION_MIN_SIZE, Math.min(28, Math.round(opts.panelHeight / 14)));
  const fontOf = (size: number): FigureFont => ({ size, weight: 400 });
  const padOf = (size: number) => Math.max(3, Math.round(size / 3));
  // the room for each name at a font size, beside "t = N" on the names' line or with "t = N" under them
  const rooms = (size: number, beside: boolean) => {
    const pad = padOf(size);
    // a clear space (two pads) between the last name and "t = N"
    const tRoom = beside ? Math.ceil(measure(`t = ${opts.lastStep}`, fontOf(size))) + 2 * pad : 0;
    return names.map((_, i) => panel - 2 * pad - (i === names.length - 1 ? tRoom : 0));
  };
  const fits = (size: number, beside: boolean) => rooms(size, beside).every((room, i) => measure(names[i], fontOf(size)) <= room);
  let size = GIF_CAPTION_MIN_SIZE;
  let beside = false;
  search: for (const b of [true, false]) {
    for (let s = largest; s >= GIF_CAPTION_MIN_SIZE; s--) {
      if (fits(s, b)) {
        [size, beside] = [s, b];
        break search;
      }
    }
  }
  const font = fontOf(size);
  const pad = padOf(size);
  const line = Math.round(size * 1.7);
  const wrapped = rooms(size, beside).map((room, i) => wrapCaptionName(names[i], font, room, measure, GIF_CAPTION_NAME_LINES));
  const nameLines = Math.max(...wrapped.map((w) => w.length));
  const base = { ...font, colour: '#222222' };
  const nameTexts = wrapped.flatMap((w, i) => w.flatMap((text, k) => (text ? [{ ...base, text, x: Math.round(i * (panel + gap)) + pad, y: line * (k + 0.5), align: 'left' as const }] : [])));
  const tLine = beside ? 0 : nameLines;
  return {
    height: line * (tLine + 1), font,
    texts: (t) => [...nameTexts, { ...base, text: `t = ${t}`, x: width - pad, y: line * (tLine + 0.5), align: 'right' }],
  };
}

export function encodeGif(frames: (Uint8Array | Uint8ClampedArray)[], height: number, width: number, opts: GifOptions): Uint8Array {
  const { scale, fps } = opts;
  if (frames.length === 0) throw new RangeError('a GIF needs at least one frame');
  if (frames.length > GIF_LIMITS.maxFrames) throw new RangeError(`a GIF of at most ${GIF_LIMITS.maxFrames} frames, got ${frames.length}`);
  if (!Number.isInteger(scale) || scale < GIF_LIMITS.scale.min || scale > GIF_LIMITS.scale.max) {
    throw new RangeError(`GIF scale must be an integer from ${GIF_LIMITS.scale.min} to ${GIF_LIMITS.scale.max}, got ${scale}`);
  }
  if (!(fps >= GIF_LIMITS.fps.min && fps <= GIF_LIMITS.fps.max)) {
    throw new RangeError(`GIF frames per second must be from ${GIF_LIMITS.fps.min} to ${GIF_LIMITS.fps.max}, got ${fps}`);
  }
  const band = opts.caption?.height ?? 0;
  if (!Number.isInteger(band) || band < 0) throw new RangeError(`GIF caption height must be an integer ≥ 0, got ${band}`);
  if (height * scale + band > GIF_LIMITS.maxSide || width * scale > GIF_LIMITS.maxSide) {
    throw new RangeError(`GIF of ${width * scale}×${height * scale + band} px: at most ${GIF_LIMITS.maxSide} px a side (lower the scale)`);
  }
  const gif = GIFEncoder();
  const delay = 1000 / fps;
  const W = width * scale;
  const cells = height * width;
  frames.forEach((rgba, i) => {
    if (rgba.length !== cells * 4) throw new RangeError(`GIF frame ${i}: expected ${height}×${width}×4 bytes, got ${rgba.length}`);
    let index: Uint8Array;
    let palette: Palette;
    if (opts.caption && band > 0) {
      const b = opts.caption.band(i);
      if (b.length !== W * band * 4) throw new RangeError(`GIF caption ${i}: expected ${W}×${band}×4 bytes, got ${b.length}`);
      // one palette for the frame's cells and the band's greys; the band's rows go above the upscaled frame
      const both = new Uint8ClampedArray((cells + W * band) * 4);
      both.set(rgba);
      both.set(reduceToGreys(b), cells * 4);
      const p = paletteFor(both);
      palette = p.palette;
      index = new Uint8Array(W * (band + height * scale));
      index.set(p.index.subarray(cells));
      index.set(upscaleIndex(p.index.subarray(0, cells), height, width, scale), W * band);
    } else {
      const p = paletteFor(rgba);
      palette = p.palette;
      index = upscaleIndex(p.index, height, width, scale);
    }
    gif.writeFrame(index, W, height * scale + band, {
      palette, delay, ...(i === 0 ? { repeat: opts.repeat ?? 0 } : {}),
    });
  });
  gif.finish();
  return gif.bytes();
}
