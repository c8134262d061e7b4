/**
 * A target image as the lab trains on it (spec b.2–b.5): RGBA premultiplied by alpha, float in [0, 1],
 * laid out [row][col][R,G,B,A], optionally zero-padded on every side.
 */
export interface Target {
  /** built-in name (`carrot-9`) or the imported file's base name */
  name: string;
  /** image size before padding (the emoji box) */
  size: number;
  /** zero padding added on every side */
  padding: number;
  /** canvas = size + 2·padding */
  height: number;
  width: number;
  /** straight (not premultiplied) RGBA8 of the unpadded image, [size][size][4] flattened */
  rgbaU8: Uint8Array;
  /** premultiplied RGBA float, padded: [height][width][4] flattened */
  rgba: Float32Array;
}

/** t = u8/255; rgb *= a (spec b.2 steps 3–4), then zero padding (b.2 step 5). */
export function targetFromU8(name: string, size: number, rgbaU8: Uint8Array, padding = 0): Target {
  if (rgbaU8.length !== size * size * 4) {
    throw new RangeError(`target ${name}: expected ${size}×${size}×4 = ${size * size * 4} bytes, got ${rgbaU8.length}`);
  }
  const height = size + 2 * padding;
  const width = height;
  const rgba = new Float32Array(height * width * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const src = (y * size + x) * 4;
      const dst = ((y + padding) * width + (x + padding)) * 4;
      const a = rgbaU8[src + 3] / 255;
      rgba[dst] = (rgbaU8[src] / 255) * a;
      rgba[dst + 1] = (rgbaU8[src + 1] / 255) * a;
      rgba[dst + 2] = (rgbaU8[src + 2] / 255) * a;
      rgba[dst + 3] = a;
    }
  }
  return { name, size, padding, height, width, rgbaU8, rgba };
}

/** The same target on a larger canvas (f.5: a 15×15 target padded by 12 gives 39×39). */
export function padTarget(t: Target, canvas: number): Target {
  if (canvas < t.size) throw new RangeError(`canvas ${canvas} is smaller than the target (${t.size})`);
  const padding = Math.floor((canvas - t.size) / 2);
  return targetFromU8(t.name, t.size, t.rgbaU8, padding);
}
