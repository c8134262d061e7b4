/**
 * How the lab shows a state or a target (spec a.6, g "Growth strips"): premultiplied RGBA composited on a
 * white background, rgb = 1 − clip(a, 0, 1) + rgb_premult, quantised as torchvision's `save_image` does,
 * uint8(clip(v, 0, 1)·255 + 0.5) (round half up). Pure: used by the CLI, the figures and the renderer.
 */

/**
 * Renders a premultiplied RGBA float image to opaque RGBA8 on white.
 * `rgba` is [height][width][channels] flattened; only channels 0–3 are read, so a full 16-channel NCA state
 * can be passed as it is with `channels = 16`.
 */
export function renderRgbaOnWhite(rgba: Float32Array, height: number, width: number, channels = 4): Uint8ClampedArray {
  if (channels < 4) throw new RangeError(`rendering needs at least 4 channels (RGBA), got ${channels}`);
  if (rgba.length !== height * width * channels) {
    throw new RangeError(`expected ${height}×${width}×${channels} = ${height * width * channels} values, got ${rgba.length}`);
  }
  const out = new Uint8ClampedArray(height * width * 4);
  for (let i = 0, src = 0; i < height * width; i++, src += channels) {
    const a = clip01(rgba[src + 3]);
    const dst = i * 4;
    out[dst] = quantise(1 - a + rgba[src]);
    out[dst + 1] = quantise(1 - a + rgba[src + 1]);
    out[dst + 2] = quantise(1 - a + rgba[src + 2]);
    out[dst + 3] = 255;
  }
  return out;
}

/** Nearest-neighbour upscaling by an integer factor: each cell becomes a k×k block (cells stay crisp). */
export function upscaleNearest(rgba8: Uint8Array | Uint8ClampedArray, height: number, width: number, k: number): Uint8ClampedArray {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`scale must be an integer ≥ 1, got ${k}`);
  if (rgba8.length !== height * width * 4) {
    throw new RangeError(`expected ${height}×${width}×4 = ${height * width * 4} bytes, got ${rgba8.length}`);
  }
  const outWidth = width * k;
  const out = new Uint8ClampedArray(height * k * outWidth * 4);
  for (let y = 0; y < height * k; y++) {
    const srcRow = Math.floor(y / k) * width;
    for (let x = 0; x < outWidth; x++) {
      const src = (srcRow + Math.floor(x / k)) * 4;
      const dst = (y * outWidth + x) * 4;
      out[dst] = rgba8[src];
      out[dst + 1] = rgba8[src + 1];
      out[dst + 2] = rgba8[src + 2];
      out[dst + 3] = rgba8[src + 3];
    }
  }
  return out;
}

/** The smallest integer scale that makes the longer side at least `minSide` pixels. */
export function scaleForMinSide(height: number, width: number, minSide = 256): number {
  return Math.max(1, Math.ceil(minSide / Math.max(height, width)));
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

// Explicit floor(v·255 + 0.5): a Uint8ClampedArray store alone would round half to even (spec a.6 rounds up).
function quantise(v: number): number {
  return Math.floor(clip01(v) * 255 + 0.5);
}
