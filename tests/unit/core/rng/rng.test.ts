import { describe, expect, it } from 'vitest';
import { Philox, philox4x32 } from '../../../../src/core/rng/philox';

const hex = (a: Uint32Array) => Array.from(a, (v) => v.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  // Known-answer tests from Random123 (kat_vectors, philox4x32 10 rounds).
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex(out)).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex(out)).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex(out)).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });

  it('is reproducible and separates streams', () => {
    const a = new Philox(42, 1, 2);
    const b = new Philox(42, 1, 2);
    const c = new Philox(42, 1, 3);
    const xa = Array.from({ length: 10 }, () => a.nextUint32());
    const xb = Array.from({ length: 10 }, () => b.nextUint32());
    const xc = Array.from({ length: 10 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('resumes exactly from a saved state, mid-block and with a spare normal', () => {
    const a = new Philox(7, 3);
    a.nextUint32();
    a.normal(); // leaves a spare normal and a partly used block
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const expected = [a.normal(), a.uniform(), a.nextUint32(), a.normal()];
    const b = Philox.fromState(saved);
    expect([b.normal(), b.uniform(), b.nextUint32(), b.normal()]).toEqual(expected);
  });

  it('has the moments of U(0,1) and N(0,1)', () => {
    const r = new Philox(1);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      su += u; su2 += u * u;
      const z = r.normal();
      sn += z; sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(su2 / n - (su / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(sn / n).toBeCloseTo(0, 2);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('int() covers its range inclusively of lo and exclusively of hi', () => {
    const r = new Philox(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(30, 40));
    expect([...seen].sort((a, b) => a - b)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it('choose() gives k distinct indices', () => {
    const r = new Philox(5);
    const idx = r.choose(1024, 8);
    expect(new Set(idx).size).toBe(8);
    expect(idx.every((i) => i >= 0 && i < 1024)).toBe(true);
  });
});
