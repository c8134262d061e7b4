/**
 * A growth strip (spec g, "Growth strips"; f.2): frames at chosen steps side by side, one row per model, each
 * frame upscaled by nearest neighbour and separated by a thin grey gap. Frame k is the state after k updates
 * (k = 0 is the seed), as in the thesis's 10-05 strip. The thesis's own list is STRIP_STEPS.
 */

/** The thesis's strip (Table 4 / the 10-05 growing_results run): 0, 1, 2, 3, 4, 10, 30, 40, 100, 1000. */
export const STRIP_STEPS: readonly number[] = [0, 1, 2, 3, 4, 10, 30, 40, 100, 1000];

/** The gap's grey, so white frames stay apart. */
export const STRIP_GAP_GREY = 204;

export interface StripImage {
  width: number;
  height: number;
  /** RGBA8, opaque */
  rgba: Uint8ClampedArray;
}

/**
 * rows[r][c] is an RGBA8 frame of height×width cells; every row must have the same number of frames.
 * The result is (cols·width·scale + (cols − 1)·gap) × (rows·height·scale + (rows − 1)·gap) pixels.
 */
export function composeStrip(rows: (Uint8Array | Uint8ClampedArray)[][], height: number, width: number, scale: number, gap = Math.max(1, Math.round(scale / 2))): StripImage {
  if (rows.length === 0 || rows[0].length === 0) throw new RangeError('a strip needs at least one frame');
  if (!Number.isInteger(scale) || scale < 1 || scale > 256) throw new RangeError(`strip scale must be an integer from 1 to 256, got ${scale}`);
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`strip gap must be an integer ≥ 0, got ${gap}`);
  const cols = rows[0].length;
  const fw = width * scale;
  const fh = height * scale;
  const W = cols * fw + (cols - 1) * gap;
  const H = rows.length * fh + (rows.length - 1) * gap;
  const out = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    out[i * 4] = STRIP_GAP_GREY;
    out[i * 4 + 1] = STRIP_GAP_GREY;
    out[i * 4 + 2] = STRIP_GAP_GREY;
    out[i * 4 + 3] = 255;
  }
  rows.forEach((frames, r) => {
    if (frames.length !== cols) throw new RangeError(`strip row ${r} has ${frames.length} frames, row 0 has ${cols}`);
    frames.forEach((f, c) => {
      if (f.length !== height * width * 4) throw new RangeError(`strip frame (${r}, ${c}): expected ${height}×${width}×4 bytes, got ${f.length}`);
      const x0 = c * (fw + gap);
      const y0 = r * (fh + gap);
      for (let y = 0; y < fh; y++) {
        const srcRow = Math.floor(y / scale) * width;
        const dstRow = (y0 + y) * W + x0;
        for (let x = 0; x < fw; x++) {
          const s = (srcRow + Math.floor(x / scale)) * 4;
          const d = (dstRow + x) * 4;
          out[d] = f[s];
          out[d + 1] = f[s + 1];
          out[d + 2] = f[s + 2];
          out[d + 3] = 255;
        }
      }
    });
  });
  return { width: W, height: H, rgba: out };
}

/** Parses "0,1,2,10" (or "thesis" for STRIP_STEPS) into sorted unique steps; the message names the bad item. */
export function parseStripSteps(text: string, max = 100_000_000): number[] {
  if (text.trim().toLowerCase() === 'thesis') return [...STRIP_STEPS];
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new RangeError('strip steps: give a comma-separated list of update counts, e.g. 0,1,2,3,4,10,30,40,100,1000');
  const steps = items.map((s) => {
    const v = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(v) || v > max) throw new RangeError(`strip steps: "${s}" is not an update count from 0 to ${max}`);
    return v;
  });
  return [...new Set(steps)].sort((a, b) => a - b);
}
