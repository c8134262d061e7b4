import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng, encodePng, readPng, writePng } from '../../../../src/services/export/png';

const dir = mkdtempSync(join(tmpdir(), 'nca-lab-png-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('png', () => {
  const pixels = Uint8Array.from([0, 0, 0, 0, 255, 127, 0, 2, 1, 2, 3, 4, 250, 251, 252, 253]); // 2×2, straight alpha

  it('round-trips RGBA8 bytes exactly, low alphas included', () => {
    const back = decodePng(encodePng(pixels, 2, 2));
    expect([back.width, back.height]).toEqual([2, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(pixels));
  });

  it('writes atomically: the file appears whole and no temporary file is left', async () => {
    const path = join(dir, 'out.png');
    await writePng(path, pixels, 2, 2);
    await writePng(path, Uint8ClampedArray.from(pixels).reverse(), 2, 2); // overwrite
    expect(readdirSync(dir)).toEqual(['out.png']);
    expect(Array.from((await readPng(path)).data)).toEqual(Array.from(pixels).reverse());
  });

  it('refuses a buffer that does not match the size', () => {
    expect(() => encodePng(pixels, 3, 2)).toThrow('PNG 3×2 needs 24 RGBA bytes, got 16');
  });
});
