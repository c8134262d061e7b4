import { describe, expect, it } from 'vitest';
import { emptyStates, type StateBatch } from '../../../../src/core/nca/state';
import {
  eraseRect, eraseThesis, eraseBottomHalf, thesisEraseRect, circleMask, eraseCircle, randomCircle, eraseDisc, fgsmStep, addNoise,
} from '../../../../src/core/damage/damage';
import { Philox } from '../../../../src/core/rng/philox';

function filled(n: number, h: number, w: number, c = 16, v = 0.5): StateBatch {
  const s = emptyStates(n, h, w, c);
  s.data.fill(v);
  return s;
}

/** Map of erased cells of sample b as rows of '#' (erased) and '.' */
function picture(s: StateBatch, b = 0): string[] {
  const rows: string[] = [];
  for (let y = 0; y < s.height; y++) {
    let r = '';
    for (let x = 0; x < s.width; x++) {
      const base = ((b * s.height + y) * s.width + x) * s.channels;
      const allZero = s.data.subarray(base, base + s.channels).every((v) => v === 0);
      r += allZero ? '#' : '.';
    }
    rows.push(r);
  }
  return rows;
}

describe('thesis erase rectangles (spec f.3)', () => {
  it('places 2×2, 3×3 and bottom half as in the table for 9×9 and 15×15', () => {
    expect(thesisEraseRect('2x2', 9, 9)).toEqual({ y0: 4, y1: 6, x0: 4, x1: 6 });
    expect(thesisEraseRect('3x3', 9, 9)).toEqual({ y0: 3, y1: 6, x0: 3, x1: 6 });
    expect(thesisEraseRect('bottom', 9, 9)).toEqual({ y0: 5, y1: 9, x0: 0, x1: 9 });
    expect(thesisEraseRect('2x2', 15, 15)).toEqual({ y0: 7, y1: 9, x0: 7, x1: 9 });
    expect(thesisEraseRect('3x3', 15, 15)).toEqual({ y0: 6, y1: 9, x0: 6, x1: 9 });
    expect(thesisEraseRect('bottom', 15, 15)).toEqual({ y0: 8, y1: 15, x0: 0, x1: 15 });
  });

  it('zeroes all channels of exactly those cells', () => {
    const s = filled(1, 9, 9);
    expect(eraseThesis(s, '3x3')).toBe(9);
    expect(picture(s)).toEqual([
      '.........', '.........', '.........',
      '...###...', '...###...', '...###...',
      '.........', '.........', '.........',
    ]);
    const b = filled(1, 9, 9);
    expect(eraseBottomHalf(b)).toBe(36);
    expect(picture(b).slice(4)).toEqual(['.........', '#########', '#########', '#########', '#########']);
  });

  it('erases one sample of a batch and clips rectangles to the canvas', () => {
    const s = filled(2, 5, 5);
    expect(eraseRect(s, -3, 2, 3, 99, 1)).toBe(4);
    expect(picture(s, 0).join('')).not.toContain('#');
    expect(picture(s, 1)).toEqual(['...##', '...##', '.....', '.....', '.....']);
    expect(() => eraseRect(s, 0, 1, 0, 1, 2)).toThrow(/outside the batch/);
  });
});

describe('circle damage (spec d.4) and the brush', () => {
  it('builds M\'s normalised-coordinate circle mask', () => {
    const m = circleMask(5, 5, 0, 0, 0.6);
    // x, y ∈ {−1, −0.5, 0, 0.5, 1}: inside when x² + y² < 0.36 → only |x|,|y| ≤ 0.5 with x²+y² < 0.36
    const rows = Array.from({ length: 5 }, (_, y) => Array.from(m.slice(y * 5, y * 5 + 5)).join(''));
    expect(rows).toEqual(['00000', '00100', '01110', '00100', '00000']);
  });

  it('draws circles in M\'s ranges and erases inside them', () => {
    const rng = new Philox(3);
    for (let i = 0; i < 100; i++) {
      const c = randomCircle(rng);
      expect(Math.abs(c.cx)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(c.cy)).toBeLessThanOrEqual(0.5);
      expect(c.r).toBeGreaterThanOrEqual(0.1);
      expect(c.r).toBeLessThan(0.4);
    }
    const s = filled(1, 72, 72);
    const n = eraseCircle(s, { cx: 0, cy: 0, r: 0.4 }, 0);
    // area ≈ π (0.4·35.5)² ≈ 633 cells
    expect(n).toBeGreaterThan(600);
    expect(n).toBeLessThan(670);
  });

  it('brush-erases a disc in pixel units', () => {
    const s = filled(1, 7, 7);
    expect(eraseDisc(s, 3, 3, 1)).toBe(5);
    expect(picture(s).slice(2, 5)).toEqual(['...#...', '..###..', '...#...']);
    expect(() => eraseDisc(s, 3, 3, 0)).toThrow(/radius/);
  });
});

describe('FGSM (spec f.4)', () => {
  // one cell, 6 channels: RGBA target (0.5, 0.5, 0.2, 1) + 2 hidden channels with target 0
  const target = new Float32Array([0.5, 0.5, 0.2, 1]);
  const make = () => ({ n: 1, height: 1, width: 1, channels: 6, data: new Float32Array([0.5, 0.7, -0.1, 0.99, -0.3, 1.2]) });

  it('moves every channel away from target16 and clamps all channels to [0,1] (the thesis code)', () => {
    const s = make();
    fgsmStep(s, target, 0.05, 'all');
    expect(Array.from(s.data).map((v) => +v.toFixed(6))).toEqual([0.5, 0.75, 0, 0.94, 0, 1]);
  });

  it('clamps RGBA only', () => {
    const s = make();
    fgsmStep(s, target, 0.05, 'rgba');
    expect(Array.from(s.data).map((v) => +v.toFixed(6))).toEqual([0.5, 0.75, 0, 0.94, -0.35, 1.25]);
  });

  it('does not clamp with "none"; sign(0) = 0 leaves exact matches unchanged', () => {
    const s = make();
    fgsmStep(s, target, 0.05, 'none');
    expect(Array.from(s.data).map((v) => +v.toFixed(6))).toEqual([0.5, 0.75, -0.15, 0.94, -0.35, 1.25]);
  });

  it('with ε = 7e-7 and clamp "all" the damage is the clamp (spec f.4 key finding)', () => {
    const s = make();
    fgsmStep(s, target, 7e-7, 'all');
    expect(s.data[4]).toBe(0);
    expect(s.data[5]).toBe(1);
    expect(s.data[1]).toBeCloseTo(0.7, 5);
    expect(() => fgsmStep(s, target, -1, 'all')).toThrow(/ε/);
  });
});

describe('noise', () => {
  it('adds reproducible Gaussian noise of the given std', () => {
    const a = filled(1, 20, 20, 16, 0);
    const b = filled(1, 20, 20, 16, 0);
    addNoise(a, 0.1, new Philox(1));
    addNoise(b, 0.1, new Philox(1));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const std = Math.sqrt(a.data.reduce((acc, v) => acc + v * v, 0) / a.data.length);
    expect(std).toBeGreaterThan(0.095);
    expect(std).toBeLessThan(0.105);
  });
});
