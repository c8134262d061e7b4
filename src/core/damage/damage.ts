/**
 * Damage primitives (spec f.3, f.4, d.4), on plain state data, in place. `sample` selects one sample of the
 * batch; omit it to damage every sample.
 */
import type { StateBatch } from '../nca/state';
import type { Philox } from '../rng/philox';

function samples(s: StateBatch, sample?: number): number[] {
  if (sample === undefined) return Array.from({ length: s.n }, (_, i) => i);
  if (!Number.isInteger(sample) || sample < 0 || sample >= s.n) {
    throw new RangeError(`damage: sample ${sample} is outside the batch of ${s.n}`);
  }
  return [sample];
}

/** Sets all channels to 0 where keep(y, x) is false. */
function zeroWhere(s: StateBatch, erase: (y: number, x: number) => boolean, sample?: number): number {
  let count = 0;
  for (const b of samples(s, sample)) {
    for (let y = 0; y < s.height; y++) {
      for (let x = 0; x < s.width; x++) {
        if (!erase(y, x)) continue;
        const base = ((b * s.height + y) * s.width + x) * s.channels;
        s.data.fill(0, base, base + s.channels);
        count++;
      }
    }
  }
  return count;
}

/** Zeroes rows [y0, y1) × cols [x0, x1), all channels (f.3). Clipped to the canvas. Returns cells erased. */
export function eraseRect(s: StateBatch, y0: number, y1: number, x0: number, x1: number, sample?: number): number {
  return zeroWhere(s, (y, x) => y >= y0 && y < y1 && x >= x0 && x < x1, sample);
}

/** The thesis's three rectangles (f.3 table). */
export const THESIS_ERASES = ['2x2', '3x3', 'bottom'] as const;
export type ThesisErase = (typeof THESIS_ERASES)[number];

/** The thesis's rectangles on an S×S canvas (f.3 table): rows/cols as [start, end). */
export function thesisEraseRect(variant: ThesisErase, height: number, width: number): { y0: number; y1: number; x0: number; x1: number } {
  const cy = Math.floor(height / 2);
  const cx = Math.floor(width / 2);
  switch (variant) {
    case '2x2': return { y0: cy, y1: cy + 2, x0: cx, x1: cx + 2 };
    case '3x3': return { y0: cy - 1, y1: cy + 2, x0: cx - 1, x1: cx + 2 };
    case 'bottom': return { y0: cy + 1, y1: height, x0: 0, x1: width };
  }
}

export function eraseThesis(s: StateBatch, variant: ThesisErase, sample?: number): number {
  const r = thesisEraseRect(variant, s.height, s.width);
  return eraseRect(s, r.y0, r.y1, r.x0, r.x1, sample);
}

/** Bottom half (f.3): rows [S//2 + 1, S). */
export function eraseBottomHalf(s: StateBatch, sample?: number): number {
  return eraseThesis(s, 'bottom', sample);
}

/**
 * Mordvintsev's circle (d.4) in normalised coordinates: x = linspace(−1, 1, W), y = linspace(−1, 1, H);
 * inside when ((x − cx)/r)² + ((y − cy)/r)² < 1.
 */
export function circleMask(height: number, width: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    const ny = height === 1 ? -1 : -1 + (2 * y) / (height - 1);
    for (let x = 0; x < width; x++) {
      const nx = width === 1 ? -1 : -1 + (2 * x) / (width - 1);
      const dx = (nx - cx) / r;
      const dy = (ny - cy) / r;
      m[y * width + x] = dx * dx + dy * dy < 1 ? 1 : 0;
    }
  }
  return m;
}

export interface Circle { cx: number; cy: number; r: number }

/** d.4: centre ~ U(−0.5, 0.5)², radius ~ U(0.1, 0.4); drawn in the order cx, cy, r. */
export function randomCircle(rng: Philox): Circle {
  const cx = rng.uniform() - 0.5;
  const cy = rng.uniform() - 0.5;
  const r = 0.1 + rng.uniform() * 0.3;
  return { cx, cy, r };
}

export function eraseCircle(s: StateBatch, c: Circle, sample?: number): number {
  const m = circleMask(s.height, s.width, c.cx, c.cy, c.r);
  return zeroWhere(s, (y, x) => m[y * s.width + x] === 1, sample);
}

/** A brush in pixel units: zeroes the disc ((x − cx)/r)² + ((y − cy)/r)² ≤ 1 (the M demo's click eraser). */
export function eraseDisc(s: StateBatch, cy: number, cx: number, radius: number, sample?: number): number {
  if (!(radius > 0)) throw new RangeError(`eraseDisc: radius must be > 0, got ${radius}`);
  return zeroWhere(s, (y, x) => ((x - cx) / radius) ** 2 + ((y - cy) / radius) ** 2 <= 1, sample);
}

/** Where the FGSM result is clamped to [0, 1] (spec 0 flags, f.4, h.8). */
export const FGSM_CLAMPS = ['all', 'rgba', 'none'] as const;
export type FgsmClamp = (typeof FGSM_CLAMPS)[number];

/**
 * Untargeted FGSM step (f.4): x ← clamp(x + ε·sign(x − target16)), with target16 = the padded RGBA target
 * followed by zero hidden channels. sign(0) = 0. `targetRgba` is [H·W·4] premultiplied.
 * 'all' clamps all channels to [0, 1] (what the thesis code did), 'rgba' only channels 0–3, 'none' nothing.
 */
export function fgsmStep(s: StateBatch, targetRgba: Float32Array, eps: number, clamp: FgsmClamp, sample?: number): void {
  if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`fgsm: ε must be a finite number ≥ 0, got ${eps}`);
  const cells = s.height * s.width;
  if (targetRgba.length !== cells * 4) {
    throw new RangeError(`fgsm: target has ${targetRgba.length / 4} cells, the canvas ${cells}`);
  }
  for (const b of samples(s, sample)) {
    for (let cell = 0; cell < cells; cell++) {
      const base = (b * cells + cell) * s.channels;
      for (let c = 0; c < s.channels; c++) {
        const t = c < 4 ? targetRgba[cell * 4 + c] : 0;
        const v = s.data[base + c];
        let out = v + eps * Math.sign(v - t);
        if (clamp === 'all' || (clamp === 'rgba' && c < 4)) out = Math.min(1, Math.max(0, out));
        s.data[base + c] = out;
      }
    }
  }
}

/** Gaussian noise of standard deviation `std` on every channel of living and dead cells alike. */
export function addNoise(s: StateBatch, std: number, rng: Philox, sample?: number): void {
  if (!(std >= 0)) throw new RangeError(`noise: std must be ≥ 0, got ${std}`);
  const size = s.height * s.width * s.channels;
  for (const b of samples(s, sample)) {
    for (let i = b * size; i < (b + 1) * size; i++) s.data[i] += std * rng.normal();
  }
}
