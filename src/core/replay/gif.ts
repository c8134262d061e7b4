/**
 * An animated GIF of replay frames (pure: the CLI writes it to a file, the playground hands it to the browser as
 * a download). Frames are opaque RGBA8 on white, one pixel per cell; each is upscaled by an integer factor with
 * nearest neighbour, so cells stay crisp squares. A frame with at most 256 colours (always so up to 16×16 cells)
 * gets an exact palette; a busier one is quantised by gifenc (RGB565 pair-wise nearest neighbour).
 */
import * as gifencModule from 'gifenc';
import type { Palette } from 'gifenc';

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
}

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
  if (height * scale > GIF_LIMITS.maxSide || width * scale > GIF_LIMITS.maxSide) {
    throw new RangeError(`GIF of ${width * scale}×${height * scale} px: at most ${GIF_LIMITS.maxSide} px a side (lower the scale)`);
  }
  const gif = GIFEncoder();
  const delay = 1000 / fps;
  frames.forEach((rgba, i) => {
    if (rgba.length !== height * width * 4) throw new RangeError(`GIF frame ${i}: expected ${height}×${width}×4 bytes, got ${rgba.length}`);
    const { palette, index } = paletteFor(rgba);
    gif.writeFrame(upscaleIndex(index, height, width, scale), width * scale, height * scale, {
      palette, delay, ...(i === 0 ? { repeat: opts.repeat ?? 0 } : {}),
    });
  });
  gif.finish();
  return gif.bytes();
}
