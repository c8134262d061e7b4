/**
 * Perception rotation (spec a.2): Mordvintsev's `perceive(x, angle)` and the Distill demo's rotation slider feed
 * the update network [id, c·dx − s·dy, s·dx + c·dy] instead of [id, dx, dy] (c = cos θ, s = sin θ), which turns
 * the grown pattern by θ on the grid.
 *
 * Perception is linear and feeds the linear first layer, so the same model is had by mixing the first layer's
 * sobel rows instead of changing the kernels: for every channel and hidden unit,
 *   h = Wx·(c·dx − s·dy) + Wy·(s·dx + c·dy) = (c·Wx + s·Wy)·dx + (−s·Wx + c·Wy)·dy,
 * so Wx' = c·Wx + s·Wy and Wy' = −s·Wx + c·Wy. Every NCA implementation of the lab (tfjs step, fused kernel,
 * replay) then runs rotated models unchanged. The angle is in degrees, as on the demo's slider; its sign follows
 * the demo (positive angles turn the pattern counter-clockwise on screen, checked in tests/unit/core/nca/distill-format.test.ts).
 */
import { paramLayout, PERCEPTION_KERNELS, type NcaConfig } from './config';

/** Largest |angle| accepted, in degrees (the demo's slider goes to ±180; a full turn is the same model). */
export const MAX_PERCEPTION_ANGLE = 360;

/** A copy of `params` whose perception is rotated by `angleDegrees` (0 returns an exact copy). */
export function rotatePerception(nca: NcaConfig, params: Float32Array, angleDegrees: number): Float32Array {
  if (!Number.isFinite(angleDegrees) || Math.abs(angleDegrees) > MAX_PERCEPTION_ANGLE) {
    throw new RangeError(`angle must be a number of degrees in [−${MAX_PERCEPTION_ANGLE}, ${MAX_PERCEPTION_ANGLE}], got ${angleDegrees}`);
  }
  const L = paramLayout(nca);
  if (params.length !== L.total) throw new RangeError(`parameters: expected ${L.total} values, got ${params.length}`);
  const out = params.slice();
  if (angleDegrees === 0) return out;
  const theta = (angleDegrees * Math.PI) / 180;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const h = nca.hidden;
  for (let ch = 0; ch < nca.channels; ch++) {
    const rx = L.kernel0.offset + (PERCEPTION_KERNELS * ch + 1) * h;
    const ry = L.kernel0.offset + (PERCEPTION_KERNELS * ch + 2) * h;
    for (let k = 0; k < h; k++) {
      const wx = params[rx + k];
      const wy = params[ry + k];
      out[rx + k] = c * wx + s * wy;
      out[ry + k] = -s * wx + c * wy;
    }
  }
  return out;
}
