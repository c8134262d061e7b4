import type { StateBatch } from './state';

/**
 * Per-sample loss (spec b.3): mean over (H, W, 4) of (x[..., 0:4] − target)², against the premultiplied
 * target [H·W·4]. Accumulated in float64.
 */
export function rgbaMsePerSample(s: StateBatch, target: Float32Array): number[] {
  const cells = s.height * s.width;
  if (target.length !== cells * 4) {
    throw new RangeError(`loss: target has ${target.length / 4} cells, state has ${cells} (${s.height}×${s.width})`);
  }
  const out: number[] = [];
  for (let b = 0; b < s.n; b++) {
    let sum = 0;
    const base = b * cells * s.channels;
    for (let c = 0; c < cells; c++) {
      const si = base + c * s.channels;
      const ti = c * 4;
      for (let k = 0; k < 4; k++) {
        const d = s.data[si + k] - target[ti + k];
        sum += d * d;
      }
    }
    out.push(sum / (cells * 4));
  }
  return out;
}

/** Batch loss = mean of the per-sample losses (b.3). */
export function rgbaMse(s: StateBatch, target: Float32Array): number {
  const per = rgbaMsePerSample(s, target);
  return per.reduce((a, b) => a + b, 0) / per.length;
}
