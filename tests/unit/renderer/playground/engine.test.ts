/**
 * The Playground's engine (src/renderer/playground/engine.ts): its canvas, seed cells, angle and the curves it shows,
 * and useReplay, the engine with what the window shows of it.
 */
import { describe, expect, it, vi } from 'vitest';
import { buildReplay, canvasSideFor, currentLosses, lossCurves, MAX_PLAYGROUND_CANVAS, useReplay } from '../../../../src/renderer/playground/engine';
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

describe('useReplay: the engine and what the window shows of it', () => {
  function replayWithHooks() {
    const hooks = { stop: vi.fn(), rebuilt: vi.fn(), changed: vi.fn() };
    return { hooks, replay: useReplay(hooks) };
  }

  it('builds the engine with the model list, on the training canvas, and copies what the window shows', async () => {
    const { hooks, replay } = replayWithHooks();
    expect(replay.hasEngine.value).toBe(false);
    expect(replay.stateOf(0)).toBeNull();
    await replay.addModel(testModel('a', 1), true);
    await replay.addModel(testModel('b', 2), false);
    expect(replay.models.value.map((m) => [m.name, m.key])).toEqual([['a', 'm1'], ['b', 'm2']]);
    expect(new Set(replay.models.value.map((m) => m.colour)).size).toBe(2);
    expect(replay.canvasSide.value).toBe(9);
    expect(replay.seeds.value).toEqual([[4, 4]]);
    expect(replay.hasEngine.value).toBe(true);
    expect(hooks.stop).toHaveBeenCalledTimes(2);
    expect(hooks.rebuilt).toHaveBeenCalledTimes(2);
    const frame = replay.frame.value;
    replay.guarded((e) => e.seek(5));
    expect([replay.t.value, replay.frontier.value, replay.frame.value]).toEqual([5, 5, frame + 1]);
    expect(hooks.changed).toHaveBeenCalled();
    expect(replay.lossCurves().map((c) => [c.name, c.losses.length])).toEqual([['a', 6], ['b', 6]]);
    expect(replay.currentLosses.value.map((l) => l.name)).toEqual(['a', 'b']);
    expect(replay.stateOf(1)).not.toBeNull();
    expect(replay.stateOf(2)).toBeNull();
  });

  it('restarts from t = 0 on a new angle, canvas or seed; clamps them; turns the grown parameters, not the model', async () => {
    const { replay } = replayWithHooks();
    const m = testModel('a', 1);
    await replay.addModel(m, true);
    replay.guarded((e) => e.seek(3));
    await replay.setAngle(400);
    expect([replay.angle.value, replay.t.value]).toEqual([180, 0]);
    expect(replay.grownParams(0)).not.toEqual(m.params);
    expect(replay.models.value[0].params).toEqual(m.params);
    await replay.setCanvas(3);
    expect(replay.canvasSide.value).toBe(9);
    await replay.setCanvas(1000);
    expect(replay.canvasSide.value).toBe(MAX_PLAYGROUND_CANVAS);
    await replay.setReplaySeed(-5.4);
    expect(replay.replaySeed.value).toBe(0);
    await replay.removeModel(replay.models.value[0].key);
    expect([replay.models.value.length, replay.hasEngine.value, replay.t.value]).toEqual([0, false, 0]);
  });

  it('shows what the engine refuses and stops playing, keeping the engine', async () => {
    const { hooks, replay } = replayWithHooks();
    await replay.addModel(testModel('a', 1), true);
    hooks.stop.mockClear();
    replay.guarded(() => {
      throw new Error('no such step');
    });
    expect(replay.engineError.value).toBe('no such step');
    expect(hooks.stop).toHaveBeenCalledTimes(1);
    expect(replay.hasEngine.value).toBe(true);
  });
});
