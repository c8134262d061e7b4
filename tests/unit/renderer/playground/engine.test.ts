/** The Playground's engine (src/renderer/playground/engine.ts): its canvas, seed cells, angle and the curves it shows. */
import { describe, expect, it } from 'vitest';
import { buildReplay, canvasSideFor, currentLosses, lossCurves, MAX_PLAYGROUND_CANVAS } from '../../../../src/renderer/playground/engine';
import { rotatePerception } from '../../../../src/core/nca/perception-rotation';
import { testModel } from './fixtures';

const settings = { angle: 0, side: 15, replaySeed: 3, seeds: [] as [number, number][], damage: [] };

describe('the playground engine', () => {
  it('sizes the canvas from the ask, at least every training canvas, at most the limit', () => {
    const m = testModel('a', 1);
    expect(canvasSideFor(0, [m])).toBe(9);
    expect(canvasSideFor(20, [m])).toBe(20);
    expect(canvasSideFor(10_000, [m])).toBe(MAX_PLAYGROUND_CANVAS);
  });

  it('drops seed cells off the canvas (the centre when none is left) and grows the rotated parameters', () => {
    const m = testModel('a', 1);
    expect(buildReplay({ ...settings, models: [m], seeds: [[2, 3], [20, 1]] }).seeds).toEqual([[2, 3]]);
    expect(buildReplay({ ...settings, models: [m], seeds: [[20, 1]] }).seeds).toEqual([[7, 7]]);
    const turned = buildReplay({ ...settings, models: [m], angle: 90 });
    expect(turned.models[0].params).toEqual(rotatePerception(m.nca, m.params, 90));
    expect(buildReplay({ ...settings, models: [m] }).models[0].params).toBe(m.params);
  });

  it('gives each model its curve and its loss now; a model without a target never diverges', () => {
    const a = testModel('a', 1, { colour: '#111111' });
    const b = testModel('b', 2, { colour: '#222222', target: null });
    const e = buildReplay({ ...settings, models: [a, b] });
    e.seek(12);
    const curves = lossCurves(e, [a, b]);
    expect(curves.map((c) => [c.name, c.colour, c.losses.length])).toEqual([['a', '#111111', 13], ['b', '#222222', 13]]);
    expect(curves[0].losses[12]).toBe(e.loss(0, 12));
    const now = currentLosses(e, [a, b]);
    expect(now[0]).toEqual({ name: 'a', colour: '#111111', loss: e.loss(0, 12), divergedAt: null });
    expect(now[1].divergedAt).toBeNull();
  });

  it('refuses a setting the engine cannot take, with its message', () => {
    expect(() => buildReplay({ ...settings, models: [testModel('a', 1)], side: 4 })).toThrow(/canvas/);
  });
});
