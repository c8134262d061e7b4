/**
 * A batch of NCA states as plain data: [n][height][width][channels] float32, row-major (spec a.1, NHWC).
 * Everything that crosses a process or a file boundary uses this; tensors stay inside computations.
 */
export interface StateBatch {
  n: number;
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
}

export function emptyStates(n: number, height: number, width: number, channels: number): StateBatch {
  return { n, height, width, channels, data: new Float32Array(n * height * width * channels) };
}

/** One sample of a batch as its own batch of 1 (a copy). */
export function sampleOf(s: StateBatch, i: number): StateBatch {
  const size = s.height * s.width * s.channels;
  return { n: 1, height: s.height, width: s.width, channels: s.channels, data: s.data.slice(i * size, (i + 1) * size) };
}

/** Stacks single samples (or batches) of the same grid into one batch. */
export function stackStates(parts: StateBatch[]): StateBatch {
  if (parts.length === 0) throw new RangeError('stackStates: nothing to stack');
  const { height, width, channels } = parts[0];
  let n = 0;
  for (const p of parts) {
    if (p.height !== height || p.width !== width || p.channels !== channels) {
      throw new RangeError(`stackStates: grids differ (${p.height}×${p.width}×${p.channels} vs ${height}×${width}×${channels})`);
    }
    n += p.n;
  }
  const data = new Float32Array(n * height * width * channels);
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.data.length;
  }
  return { n, height, width, channels, data };
}

/** True if any cell of sample i has alpha above the threshold (the thesis's "alive" test, spec e). */
export function sampleIsAlive(s: StateBatch, i: number, threshold = 0.1): boolean {
  const cells = s.height * s.width;
  const base = i * cells * s.channels;
  for (let c = 0; c < cells; c++) if (s.data[base + c * s.channels + 3] > threshold) return true;
  return false;
}

/**
 * The seed (spec a.5): all channels zero except the seed cells, where channels 3..C−1 (alpha and hidden) are 1.
 * Default position is the centre (H//2, W//2); several positions are allowed (the playground's extra seeds).
 */
export function makeSeed(
  height: number, width: number, channels = 16, n = 1,
  positions: [number, number][] = [[Math.floor(height / 2), Math.floor(width / 2)]],
): StateBatch {
  const s = emptyStates(n, height, width, channels);
  for (let b = 0; b < n; b++) {
    for (const [y, x] of positions) {
      if (y < 0 || y >= height || x < 0 || x >= width) {
        throw new RangeError(`seed position (${y}, ${x}) is outside the ${height}×${width} canvas`);
      }
      const base = ((b * height + y) * width + x) * channels;
      for (let c = 3; c < channels; c++) s.data[base + c] = 1;
    }
  }
  return s;
}
