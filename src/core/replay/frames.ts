/**
 * What the playground and the exports draw of a state: the RGB composited on white (spec a.6, as the thesis's
 * strips), alpha as grey (white = 0, black = 1), or one hidden channel as a diverging heat map (blue negative,
 * white 0, red positive). One RGBA8 pixel per cell; the caller upscales (nearest neighbour) for crisp cells.
 */
import { renderRgbaOnWhite } from '../render';
import type { StateBatch } from '../nca/state';

/** 'rgb', 'alpha', or the index of a hidden channel (4 … channels − 1). */
export type FrameView = 'rgb' | 'alpha' | number;

export interface FrameOptions {
  /** sample of the batch (default 0) */
  sample?: number;
  /** heat maps: the |value| drawn at full colour; default: the channel's largest |value| in this frame (at least 1e-6) */
  range?: number;
}

/** The state's largest |value| in channel c of one sample. */
export function channelRange(s: StateBatch, c: number, sample = 0): number {
  const cells = s.height * s.width;
  const base = sample * cells * s.channels;
  let m = 0;
  for (let i = 0; i < cells; i++) m = Math.max(m, Math.abs(s.data[base + i * s.channels + c]));
  return m;
}

export function renderFrame(s: StateBatch, view: FrameView, opts: FrameOptions = {}): Uint8ClampedArray<ArrayBuffer> {
  const sample = opts.sample ?? 0;
  if (!Number.isInteger(sample) || sample < 0 || sample >= s.n) throw new RangeError(`frame: sample ${sample} is outside the batch of ${s.n}`);
  const cells = s.height * s.width;
  const base = sample * cells * s.channels;
  // renderRgbaOnWhite allocates its own (non-shared) buffer
  if (view === 'rgb') return renderRgbaOnWhite(s.data.subarray(base, base + cells * s.channels), s.height, s.width, s.channels) as Uint8ClampedArray<ArrayBuffer>;
  const out = new Uint8ClampedArray(cells * 4);
  if (view === 'alpha') {
    for (let i = 0; i < cells; i++) {
      const a = s.data[base + i * s.channels + 3];
      const v = Math.floor((1 - (a < 0 ? 0 : a > 1 ? 1 : a)) * 255 + 0.5);
      out[i * 4] = v;
      out[i * 4 + 1] = v;
      out[i * 4 + 2] = v;
      out[i * 4 + 3] = 255;
    }
    return out;
  }
  if (!Number.isInteger(view) || view < 4 || view >= s.channels) {
    throw new RangeError(`frame: hidden channels are 4 to ${s.channels - 1}, got ${view}`);
  }
  const range = opts.range ?? Math.max(1e-6, channelRange(s, view, sample));
  for (let i = 0; i < cells; i++) {
    const [r, g, b] = heatColour(s.data[base + i * s.channels + view] / range);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Diverging blue–white–red for v in [−1, 1] (clipped): ColorBrewer RdBu end points. */
export function heatColour(v: number): [number, number, number] {
  const x = v < -1 ? -1 : v > 1 ? 1 : Number.isNaN(v) ? 0 : v;
  const [er, eg, eb] = x < 0 ? [33, 102, 172] : [178, 24, 43];
  const f = Math.abs(x);
  return [
    Math.round(255 + (er - 255) * f),
    Math.round(255 + (eg - 255) * f),
    Math.round(255 + (eb - 255) * f),
  ];
}

/** A label for a view: "RGB", "alpha", "hidden 7 (channel 11)". */
export function viewLabel(view: FrameView): string {
  if (view === 'rgb') return 'RGB';
  if (view === 'alpha') return 'alpha';
  return `hidden ${view - 3} (channel ${view})`;
}

/** Frames of the same size (RGBA8, height×width) placed left to right, `gap` white columns apart: side-by-side models in one picture. */
export function framesSideBySide(frames: Uint8ClampedArray[], height: number, width: number, gap = 0): Uint8ClampedArray {
  if (frames.length === 1) return frames[0];
  const W = width * frames.length + gap * (frames.length - 1);
  // white between the panels, as the frames' background
  const out = new Uint8ClampedArray(height * W * 4).fill(255);
  frames.forEach((f, i) => {
    if (f.length !== height * width * 4) throw new RangeError(`side by side: frame ${i} is not ${height}×${width}`);
    for (let y = 0; y < height; y++) out.set(f.subarray(y * width * 4, (y + 1) * width * 4), (y * W + i * (width + gap)) * 4);
  });
  return out;
}
