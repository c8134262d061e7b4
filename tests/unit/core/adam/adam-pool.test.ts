import { describe, expect, it } from 'vitest';
import { makeSeed, emptyStates, type StateBatch } from '../../../../src/core/nca/state';
import { rgbaMsePerSample } from '../../../../src/core/nca/loss';
import { Philox } from '../../../../src/core/rng/philox';
import {
  seedPool, seedBatch, thesisDraw, thesisWriteBack, mordvintsevDraw, mordvintsevWriteBack, drawBatch, writeBack, gatherSlots,
} from '../../../../src/core/adam/sample-pool';

const H = 6, W = 6, C = 16, SIZE = H * W * C;
const target = new Float32Array(H * W * 4); // all zero: a sample filled with v has loss v²
const seed = makeSeed(H, W, C, 1);

/** A pool whose slot i holds the constant (i + 1) / 100 in every channel: loss ((i + 1)/100)², distinct. */
function labelledPool(n: number): StateBatch {
  const p = emptyStates(n, H, W, C);
  for (let i = 0; i < n; i++) p.data.fill((i + 1) / 100, i * SIZE, (i + 1) * SIZE);
  return p;
}

function labelOf(s: StateBatch, b: number): number {
  return Math.round(s.data[b * SIZE + 5] * 100) - 1;
}

function isSeed(s: StateBatch, b: number): boolean {
  return s.data.subarray(b * SIZE, (b + 1) * SIZE).every((v, i) => v === seed.data[i]);
}

/** Final states for a batch: sample b filled with 1000 + b. */
function finals(n: number): StateBatch {
  const f = emptyStates(n, H, W, C);
  for (let b = 0; b < n; b++) f.data.fill(1000 + b, b * SIZE, (b + 1) * SIZE);
  return f;
}

describe('sample pool "none" (spec e: x0 = 8 seeds)', () => {
  it('is B seeds and writes nothing back', () => {
    const b = seedBatch(seed, 8);
    expect(b.x0.n).toBe(8);
    expect(b.slots).toBeNull();
    for (let i = 0; i < 8; i++) expect(isSeed(b.x0, i)).toBe(true);
    const pool = labelledPool(10);
    const before = pool.data.slice();
    writeBack('none', pool, b, finals(8), [1, 2, 3, 4, 5, 6, 7, 8], seed);
    expect(Array.from(pool.data)).toEqual(Array.from(before));
    expect(drawBatch('none', null, 3, seed, target, 0, { pool: new Philox(1), damage: new Philox(2) }).x0.n).toBe(3);
  });
});

describe('sample pool "thesis" (spec d.2: worst after the rollout → seed, others written back)', () => {
  it('draws B distinct slots in drawn order', () => {
    const pool = labelledPool(50);
    const d = thesisDraw(pool, 8, new Philox(3));
    expect(new Set(d.slots).size).toBe(8);
    expect(d.slots).toEqual(new Philox(3).choose(50, 8));
    d.slots!.forEach((p, b) => expect(labelOf(d.x0, b)).toBe(p));
  });

  it('replaces the highest post-rollout loss with the seed and writes the other finals to their slots', () => {
    const pool = labelledPool(20);
    const slots = [7, 2, 15, 0];
    const worst = thesisWriteBack(pool, slots, finals(4), [0.1, 0.4, 0.2, 0.3], seed);
    expect(worst).toBe(1);
    expect(isSeed(pool, 2)).toBe(true);
    expect(pool.data[7 * SIZE]).toBe(1000);
    expect(pool.data[15 * SIZE + 17]).toBe(1002);
    expect(pool.data[0]).toBe(1003);
    expect(labelOf(pool, 3)).toBe(3); // untouched slots stay
    // ties: the first of the highest
    expect(thesisWriteBack(labelledPool(20), slots, finals(4), [0.5, 0.1, 0.5, 0.2], seed)).toBe(0);
  });
});

describe('sample pool "mordvintsev" (spec d.4: sort before, seed into the worst slot, write all back)', () => {
  it('sorts the drawn samples by pre-rollout loss, worst first, and puts the seed in batch slot 0', () => {
    const pool = labelledPool(30);
    const drawn = new Philox(8).choose(30, 6);
    const d = mordvintsevDraw(pool, 6, seed, target, new Philox(8));
    expect([...d.slots!].sort((a, b) => a - b)).toEqual([...drawn].sort((a, b) => a - b));
    // labelled pool: a higher slot has a higher loss, so worst first = descending slots
    expect(d.slots).toEqual([...drawn].sort((a, b) => b - a));
    expect(isSeed(d.x0, 0)).toBe(true);
    for (let b = 1; b < 6; b++) expect(labelOf(d.x0, b)).toBe(d.slots![b]);
    const losses = rgbaMsePerSample(gatherSlots(pool, d.slots!), target);
    for (let b = 1; b < 6; b++) expect(losses[b - 1]).toBeGreaterThan(losses[b]);
    expect(d.damaged).toEqual([]);
  });

  it('writes all B final states back to the slots their samples came from', () => {
    const pool = labelledPool(12);
    mordvintsevWriteBack(pool, [9, 4, 11], finals(3));
    expect(pool.data[9 * SIZE]).toBe(1000);
    expect(pool.data[4 * SIZE]).toBe(1001);
    expect(pool.data[11 * SIZE + SIZE - 1]).toBe(1002);
    expect(labelOf(pool, 5)).toBe(5);
  });

  it('regenerating: erases a random circle (all channels) from the damageN lowest-loss samples only', () => {
    const pool = labelledPool(40);
    const d = mordvintsevDraw(pool, 8, seed, target, new Philox(11), 3, new Philox(12));
    expect(d.damaged.map((x) => x.sample)).toEqual([5, 6, 7]);
    for (const { circle } of d.damaged) {
      expect(Math.abs(circle.cx)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(circle.cy)).toBeLessThanOrEqual(0.5);
      expect(circle.r).toBeGreaterThanOrEqual(0.1);
      expect(circle.r).toBeLessThanOrEqual(0.4);
    }
    const undamaged = mordvintsevDraw(labelledPool(40), 8, seed, target, new Philox(11));
    expect(undamaged.slots).toEqual(d.slots);
    for (let b = 0; b < 8; b++) {
      const a = d.x0.data.subarray(b * SIZE, (b + 1) * SIZE);
      const u = undamaged.x0.data.subarray(b * SIZE, (b + 1) * SIZE);
      let zeroedCells = 0, changed = 0;
      for (let cell = 0; cell < H * W; cell++) {
        const cellA = a.subarray(cell * C, (cell + 1) * C);
        if (cellA.some((v, k) => v !== u[cell * C + k])) {
          changed++;
          if (cellA.every((v) => v === 0)) zeroedCells++;
        }
      }
      if (b < 5) expect(changed).toBe(0);
      else {
        expect(changed).toBeGreaterThan(0);
        expect(zeroedCells).toBe(changed); // a cell is erased completely or not at all
      }
    }
    // the same streams give the same damage
    const again = mordvintsevDraw(labelledPool(40), 8, seed, target, new Philox(11), 3, new Philox(12));
    expect(Array.from(again.x0.data)).toEqual(Array.from(d.x0.data));
  });

  it("dispatches by kind: 'mordvintsev' never damages, 'mordvintsev-regenerating' damages damageN", () => {
    const rnd = () => ({ pool: new Philox(4), damage: new Philox(5) });
    expect(drawBatch('mordvintsev', labelledPool(20), 4, seed, target, 2, rnd()).damaged).toEqual([]);
    expect(drawBatch('mordvintsev-regenerating', labelledPool(20), 4, seed, target, 2, rnd()).damaged.length).toBe(2);
    expect(() => drawBatch('thesis', null, 4, seed, target, 0, rnd())).toThrow(/no pool states/);
    expect(() => mordvintsevDraw(labelledPool(20), 4, seed, target, new Philox(1), 5, new Philox(2))).toThrow(/damageN must be an integer in \[0, 4\]/);
  });

  it('starts as copies of the seed', () => {
    const p = seedPool(seed, 5);
    expect(p.n).toBe(5);
    for (let i = 0; i < 5; i++) expect(isSeed(p, i)).toBe(true);
    expect(() => seedPool(makeSeed(H, W, C, 2), 5)).toThrow(/batch of 1/);
  });
});
