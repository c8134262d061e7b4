/** The Playground's exports (src/renderer/playground/exports.ts): frames, sizes, texts, CSV, and the engine put back. */
import { describe, expect, it } from 'vitest';
import { replayCsv, replayGif, replayStrip, useExports, visiting } from '../../../../src/renderer/playground/exports';
import { buildReplay, useReplay } from '../../../../src/renderer/playground/engine';
import type { TextMeasure } from '../../../../src/core/figures/strip-figure';
import { testModel } from './fixtures';

const measure: TextMeasure = (text, font) => text.length * font.size * 0.6;
const models = [testModel('a', 1), testModel('b', 2)];

function engineAt(t: number) {
  const e = buildReplay({ models, angle: 0, side: 9, replaySeed: 1, seeds: [], damage: [] });
  e.seek(t);
  return e;
}

describe('playground exports', () => {
  it('a GIF of both models side by side, and the engine back at the user\'s step', () => {
    const e = engineAt(7);
    const gif = replayGif(e, ['a', 'b'], 'rgb', { from: 0, to: 20, every: 5, scale: 2, fps: 10 }, { measure, bands: () => () => new Uint8ClampedArray(0) });
    // the two panels one cell apart (white), so they do not touch
    expect([gif.width, gif.height]).toEqual([(2 * 9 + 1) * 2, 9 * 2]);
    expect([...gif.bytes.subarray(0, 6)].map((c) => String.fromCharCode(c)).join('')).toBe('GIF89a');
    expect(e.t).toBe(7);
    expect(e.frontier).toBe(20);
  });

  it('a caption band adds its height and is drawn for every frame', () => {
    const e = engineAt(0);
    const asked: number[] = [];
    const bands = (layout: { height: number }, width: number) => (i: number) => {
      asked.push(i);
      return new Uint8ClampedArray(width * layout.height * 4).fill(255);
    };
    const gif = replayGif(e, ['a', 'b'], 'rgb', { from: 0, to: 4, every: 2, scale: 4, fps: 10, labels: true }, { measure, bands });
    expect(gif.height).toBeGreaterThan(9 * 4);
    expect(new Set(asked)).toEqual(new Set([0, 1, 2]));
  });

  it('the strip: plain with no texts, or labelled with the names and t = N', () => {
    const e = engineAt(3);
    const plain = replayStrip(e, ['a', 'b'], 'rgb', [0, 5, 10], 2);
    expect(plain.texts).toEqual([]);
    expect(plain.height).toBeGreaterThanOrEqual(2 * 9 * 2);
    const labelled = replayStrip(e, ['a', 'b'], 'rgb', [0, 5, 10], 2, measure);
    expect(labelled.texts.map((t) => t.text)).toEqual(expect.arrayContaining(['a', 'b', 't = 0', 't = 5', 't = 10']));
    expect(e.t).toBe(3);
  });

  it('the CSV has a row per update computed and a column per model', () => {
    const e = engineAt(4);
    const lines = replayCsv(e, ['a', 'b']).trimEnd().split('\n');
    expect(lines[0]).toBe('t,thesis_k,loss a,loss b');
    expect(lines).toHaveLength(1 + 5);
    expect(lines[5].split(',').slice(0, 2)).toEqual(['4', '3']);
    expect(Number(lines[5].split(',')[2])).toBe(e.loss(0, 4));
  });

  it('visiting puts the engine back even when the export fails', () => {
    const e = engineAt(6);
    expect(() => visiting(e, (x) => {
      x.seek(30);
      throw new Error('disk full');
    })).toThrow('disk full');
    expect(e.t).toBe(6);
  });
});

describe('useExports on the replay', () => {
  it('exports paused, from the models the window shows, and shows the user\'s step again', async () => {
    const replay = useReplay({ stop: () => {}, rebuilt: () => {}, changed: () => {} });
    let paused = 0;
    const exports = useExports(replay, () => paused++, { measure, bands: () => () => new Uint8ClampedArray(0) });
    expect(() => exports.csv()).toThrow('no model loaded');
    await replay.addModel(testModel('a', 1), true);
    replay.guarded((e) => e.seek(6));
    const frame = replay.frame.value;
    const gif = exports.gifBytes({ from: 0, to: 4, every: 2, scale: 2, fps: 10 });
    expect([gif.width, gif.height]).toEqual([18, 18]);
    expect(exports.strip([0, 3], 1, true).texts.map((t) => t.text)).toContain('t = 3');
    expect(exports.csv().trimEnd().split('\n')).toHaveLength(8);
    expect([paused, replay.t.value, replay.frame.value]).toEqual([3, 6, frame + 3]);
  });
});
