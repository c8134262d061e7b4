import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../../src/services/resources/package-paths';
import { decodePng } from '../../../../src/services/export/png';
import { builtinTargetsDir, findBuiltinTarget, listBuiltinTargets, loadBuiltinTarget, resolveTarget } from '../../../../src/services/targets/targets';

// The exact pixels the thesis trained on (spec b.2), beside the repository as ../shared/data.
const JSON_PATH = join(packageRoot(), '..', 'shared', 'data', 'targets_u8.json');
const targetsU8 = JSON.parse(readFileSync(JSON_PATH, 'utf8')) as {
  targets: Record<string, { size: number; rgba_u8: number[][][] }>;
};

const EXPECTED = [
  ['carrot-9', 'carrot_9', 9, 0],
  ['carrot-15', 'carrot_15', 15, 0],
  ['rabbit-9', 'rabbit_9', 9, 0],
  ['rabbit-15', 'rabbit_15', 15, 0],
  ['lizard-40', 'lizard_40', 40, 16],
  ['lizard-2018-40', 'lizard_2018_40', 40, 16],
] as const;

describe('built-in target catalogue', () => {
  it('lists the six targets with sizes, default paddings and canvases', () => {
    const list = listBuiltinTargets();
    expect(list.map((t) => [t.name, t.size, t.padding, t.canvas])).toEqual(
      EXPECTED.map(([name, , size, padding]) => [name, size, padding, size + 2 * padding]),
    );
    expect(list.find((t) => t.name === 'carrot-9')).toMatchObject({ emoji: '🥕', codepoint: 'U+1F955', family: 'carrot' });
    expect(list.find((t) => t.name === 'rabbit-15')).toMatchObject({ emoji: '🐰', codepoint: 'U+1F430' });
    expect(list.find((t) => t.name === 'lizard-2018-40')).toMatchObject({ emoji: '🦎', family: 'lizard-2018' });
  });

  it('finds a built-in by family and size', () => {
    expect(findBuiltinTarget('carrot', 15)?.name).toBe('carrot-15');
    expect(findBuiltinTarget('lizard')?.name).toBe('lizard-40');
    expect(findBuiltinTarget('carrot')).toBeUndefined(); // two sizes: ambiguous
    expect(findBuiltinTarget('carrot-9', 15)).toBeUndefined();
  });
});

describe.each(EXPECTED)('built-in %s', (name, key, size) => {
  const expected = Uint8Array.from(targetsU8.targets[key].rgba_u8.flat(2));

  it('is a PNG holding exactly the JSON u8 bytes', () => {
    const info = listBuiltinTargets().find((t) => t.name === name)!;
    const png = decodePng(readFileSync(join(builtinTargetsDir(), info.file)));
    expect([png.width, png.height]).toEqual([size, size]);
    expect(png.data.length).toBe(size * size * 4);
    expect(Buffer.from(png.data).equals(Buffer.from(expected))).toBe(true);
  });

  it('loads into a Target whose rgbaU8 is the JSON and whose rgba is u8/255 premultiplied', () => {
    const t = loadBuiltinTarget(name, { padding: 0 });
    expect([t.size, t.height, t.width, t.padding]).toEqual([size, size, size, 0]);
    expect(Buffer.from(t.rgbaU8).equals(Buffer.from(expected))).toBe(true);
    for (let i = 0; i < size * size; i++) {
      const a = expected[i * 4 + 3] / 255;
      expect(t.rgba[i * 4 + 3]).toBeCloseTo(a, 6);
      expect(t.rgba[i * 4]).toBeCloseTo((expected[i * 4] / 255) * a, 6);
    }
  });
});

describe('premultiplication and padding (spec b.2 steps 3–5)', () => {
  it('premultiplies carrot-9 pixel (row 1, col 5) = [109, 152, 33, 166]', () => {
    const t = loadBuiltinTarget('carrot-9');
    const i = (1 * 9 + 5) * 4;
    expect(Array.from(t.rgbaU8.subarray(i, i + 4))).toEqual([109, 152, 33, 166]);
    // 109·166/255², 152·166/255², 33·166/255², 166/255
    expect(t.rgba[i]).toBeCloseTo(0.2782622, 6);
    expect(t.rgba[i + 1]).toBeCloseTo(0.3880354, 6);
    expect(t.rgba[i + 2]).toBeCloseTo(0.0842445, 6);
    expect(t.rgba[i + 3]).toBeCloseTo(0.6509804, 6);
  });

  it('pads lizard-40 by 16 to a 72×72 canvas by default, pixels shifted by (16, 16)', () => {
    const t = loadBuiltinTarget('lizard-40');
    expect([t.size, t.padding, t.height, t.width, t.rgba.length]).toEqual([40, 16, 72, 72, 72 * 72 * 4]);
    // JSON row 2, col 10 = [2, 189, 78, 255] lands at canvas (18, 26)
    const at = (y: number, x: number) => Array.from(t.rgba.subarray((y * 72 + x) * 4, (y * 72 + x) * 4 + 4));
    const px = at(18, 26);
    expect(px[0]).toBeCloseTo(2 / 255, 6);
    expect(px[1]).toBeCloseTo(189 / 255, 6);
    expect(px[2]).toBeCloseTo(78 / 255, 6);
    expect(px[3]).toBe(1);
    // the 16-cell border is zero in every channel
    let borderSum = 0;
    for (let y = 0; y < 72; y++) {
      for (let x = 0; x < 72; x++) {
        if (y >= 16 && y < 56 && x >= 16 && x < 56) continue;
        borderSum += at(y, x).reduce((s, v) => s + Math.abs(v), 0);
      }
    }
    expect(borderSum).toBe(0);
    // the interior is the unpadded target
    const plain = loadBuiltinTarget('lizard-40', { padding: 0 });
    expect([plain.height, plain.width]).toEqual([40, 40]);
    expect(Array.from(plain.rgba.subarray((2 * 40 + 10) * 4, (2 * 40 + 10) * 4 + 4))).toEqual(px);
  });

  it('takes a padding override for a thesis target', () => {
    const t = loadBuiltinTarget('carrot-15', { padding: 12 });
    expect([t.height, t.width]).toEqual([39, 39]);
  });
});

describe('resolveTarget with built-in names', () => {
  it('resolves exact names and family + size', async () => {
    expect((await resolveTarget('rabbit-9')).name).toBe('rabbit-9');
    const t = await resolveTarget('carrot', { size: 15 });
    expect([t.name, t.size, t.padding]).toEqual(['carrot-15', 15, 0]);
  });

  it('lists the valid names for an unknown one', async () => {
    await expect(resolveTarget('banana-9')).rejects.toThrow(
      'unknown target "banana-9": not a built-in (carrot-9, carrot-15, rabbit-9, rabbit-15, lizard-40, lizard-2018-40)',
    );
    expect(() => loadBuiltinTarget('banana-9')).toThrow(/carrot-9, carrot-15/);
  });

  it('asks for a size when a family has several', async () => {
    await expect(resolveTarget('carrot')).rejects.toThrow('built-in target "carrot" comes in sizes 9, 15');
    await expect(resolveTarget('carrot', { size: 40 })).rejects.toThrow('has no size 40 (sizes: 9, 15)');
  });

  it('rejects a negative padding naming the range', () => {
    expect(() => loadBuiltinTarget('carrot-9', { padding: -1 })).toThrow('target padding must be an integer from 0 to 1024, got -1');
  });
});
