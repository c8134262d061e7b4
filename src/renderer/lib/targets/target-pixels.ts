/** TargetData → what a canvas draws: premultiplied float pixels composited on white (core/render.ts). */
import { renderRgbaOnWhite } from '@core/render';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import type { TargetData } from '@shared/lab-api';

export function targetImageData(target: TargetData): ImageData {
  const rgba = decodeFloat32Base64(target.rgbaF32Base64);
  const pixels = renderRgbaOnWhite(rgba, target.height, target.width);
  return new ImageData(new Uint8ClampedArray(pixels), target.width, target.height);
}

/** The largest integer zoom that keeps the longer side within `maxSide` CSS pixels (at least 1). */
export function integerZoom(height: number, width: number, maxSide: number): number {
  return Math.max(1, Math.floor(maxSide / Math.max(height, width)));
}
