import { describe, expect, it } from 'vitest';
import { renderRgbaOnWhite, scaleForMinSide, upscaleNearest } from '../../../src/core/render';
import { loadBuiltinTarget } from '../../../src/services/targets/targets';

describe('renderRgbaOnWhite (spec a.6: rgb = 1 − clip(a) + rgb_premult, uint8(clip(v)·255 + 0.5))', () => {
  it('renders alpha 0 as white and opaque red as 255,0,0', () => {
    const px = new Float32Array([
      0, 0, 0, 0, //       empty cell
      1, 0, 0, 1, //       opaque red
      0, 0, 0, 1, //       opaque black
    ]);
    expect(Array.from(renderRgbaOnWhite(px, 1, 3))).toEqual([255, 255, 255, 255, 255, 0, 0, 255, 0, 0, 0, 255]);
  });

  it('composites a half-transparent premultiplied pixel and rounds half up', () => {
    // a = 0.5, premultiplied rgb (0.25, 0, 0.5): v = (0.75, 0.5, 1.0) → 191.25, 127.5, 255 → 191, 128, 255
    expect(Array.from(renderRgbaOnWhite(new Float32Array([0.25, 0, 0.5, 0.5]), 1, 1))).toEqual([191, 128, 255, 255]);
    // v·255 = 100.7 rounds to 101 (Mordvintsev's truncating imwrite would give 100)
    expect(renderRgbaOnWhite(new Float32Array([100.7 / 255, 0, 0, 1]), 1, 1)[0]).toBe(101);
  });

  it('clips alpha and the composite to [0, 1] (NCA states leave that range)', () => {
    // a = 1.7 → 1; rgb 1.4 → 255, −0.3 → 0, 0.2 → 51
    expect(Array.from(renderRgbaOnWhite(new Float32Array([1.4, -0.3, 0.2, 1.7]), 1, 1))).toEqual([255, 0, 51, 255]);
    // a = −0.5 → 0: white plus rgb, clipped
    expect(Array.from(renderRgbaOnWhite(new Float32Array([-0.2, 0, 0, -0.5]), 1, 1))).toEqual([204, 255, 255, 255]);
  });

  it('renders carrot-9 pixel (1, 5) = u8 [109, 152, 33, 166] as 160, 188, 110', () => {
    // (1 − 166/255 + c·166/255²)·255 = 159.96, 187.95, 110.48
    const t = loadBuiltinTarget('carrot-9');
    const img = renderRgbaOnWhite(t.rgba, 9, 9);
    const i = (1 * 9 + 5) * 4;
    expect(Array.from(img.subarray(i, i + 4))).toEqual([160, 188, 110, 255]);
    expect(Array.from(img.subarray(0, 4))).toEqual([255, 255, 255, 255]); // (0, 0) is transparent
  });

  it('reads RGBA out of a 16-channel state', () => {
    const state = new Float32Array(2 * 16);
    state.set([1, 0, 0, 1], 0);
    state.set([0, 0, 0, 0, 9, 9, 9], 16); // hidden channels must not leak into the picture
    expect(Array.from(renderRgbaOnWhite(state, 1, 2, 16))).toEqual([255, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => renderRgbaOnWhite(new Float32Array(15), 2, 2)).toThrow('expected 2×2×4 = 16 values, got 15');
  });
});

describe('upscaleNearest', () => {
  it('turns each pixel into a k×k block', () => {
    const img = Uint8ClampedArray.from([1, 2, 3, 4, 5, 6, 7, 8]); // 1×2
    const up = upscaleNearest(img, 1, 2, 3); // 3×6
    expect(up.length).toBe(3 * 6 * 4);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 6; x++) {
        const i = (y * 6 + x) * 4;
        expect(Array.from(up.subarray(i, i + 4))).toEqual(x < 3 ? [1, 2, 3, 4] : [5, 6, 7, 8]);
      }
    }
    expect(() => upscaleNearest(img, 1, 2, 0)).toThrow('scale must be an integer ≥ 1, got 0');
  });

  it('picks the smallest scale reaching 256 px', () => {
    expect([scaleForMinSide(9, 9), scaleForMinSide(15, 15), scaleForMinSide(72, 72), scaleForMinSide(300, 10)]).toEqual([29, 18, 4, 1]);
  });
});
