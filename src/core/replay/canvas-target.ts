/**
 * A model's target on a replay canvas that may be larger than the one it was trained on (spec f.5: the thesis's
 * 15×15 targets on a 39×39 canvas, padded by 12). The training canvas's pixels are placed with
 * floor((C − c)/2) rows/columns of zeros before them, which is `padTarget`'s padding whenever C − c is even;
 * an odd difference puts the extra row and column at the bottom and right, so any canvas size works.
 */

/** A premultiplied RGBA image, [height][width][4]. */
export interface CanvasTarget {
  height: number;
  width: number;
  rgba: Float32Array;
}

/** Where a training canvas of h×w sits on an H×W replay canvas: the offsets of its top-left cell. */
export function targetOffset(h: number, w: number, H: number, W: number): { dy: number; dx: number } {
  return { dy: Math.floor((H - h) / 2), dx: Math.floor((W - w) / 2) };
}

export function targetOnCanvas(t: CanvasTarget, height: number, width: number): CanvasTarget {
  if (t.rgba.length !== t.height * t.width * 4) {
    throw new RangeError(`target: expected ${t.height}×${t.width}×4 = ${t.height * t.width * 4} values, got ${t.rgba.length}`);
  }
  if (height < t.height || width < t.width) {
    throw new RangeError(`the canvas ${height}×${width} is smaller than the model's training canvas ${t.height}×${t.width}`);
  }
  if (height === t.height && width === t.width) return { height, width, rgba: t.rgba.slice() };
  const { dy, dx } = targetOffset(t.height, t.width, height, width);
  const rgba = new Float32Array(height * width * 4);
  for (let y = 0; y < t.height; y++) {
    rgba.set(t.rgba.subarray(y * t.width * 4, (y + 1) * t.width * 4), ((y + dy) * width + dx) * 4);
  }
  return { height, width, rgba };
}
