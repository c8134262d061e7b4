// @vitest-environment happy-dom
/** The Playground across reloads (src/renderer/playground/persistence.ts): what is kept, what is not, how often. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseGrowthRecording } from '../../../../src/core/replay/recording';
import { buildReplay } from '../../../../src/renderer/playground/engine';
import {
  PLAYGROUND_STATE_KEY, recordingOf, storedRecording, storeRecording, throttledSaver,
} from '../../../../src/renderer/playground/persistence';
import { testModel } from './fixtures';

afterEach(() => {
  localStorage.clear();
  vi.useRealTimers();
});

describe('the playground across reloads', () => {
  it('keeps the replay as a growth recording: models, angle, canvas, seeds, damage and the step reached', () => {
    const m = testModel('a', 1);
    const e = buildReplay({ models: [m], angle: 0, side: 12, replaySeed: 4, seeds: [[2, 2]], damage: [] });
    e.seek(20);
    e.addDamage({ afterUpdate: 20, damage: { kind: 'thesis', variant: 'bottom' } });
    const rec = recordingOf(e, [m], 45);
    expect(rec).toMatchObject({ height: 12, width: 12, seed: 4, seeds: [[2, 2]], steps: 20, models: [{ name: 'a', runId: 'run-a', generation: 10, angle: 45 }] });
    expect(rec.damage).toEqual([{ afterUpdate: 20, damage: { kind: 'thesis', variant: 'bottom' } }]);
    storeRecording(localStorage, rec);
    expect(parseGrowthRecording(JSON.parse(storedRecording(localStorage)!))).toEqual(rec);
  });

  it('forgets the replay when no model comes from a run of the workspace (files are not restored)', () => {
    localStorage.setItem(PLAYGROUND_STATE_KEY, 'old');
    const m = testModel('file', 2, { recorded: { name: 'file', file: 'model.json' } });
    const e = buildReplay({ models: [m], angle: 0, side: 9, replaySeed: 0, seeds: [], damage: [] });
    storeRecording(localStorage, recordingOf(e, [m], 0));
    expect(storedRecording(localStorage)).toBeNull();
  });

  it('saves once per burst, half a second after the first change', () => {
    vi.useFakeTimers();
    let saves = 0;
    const schedule = throttledSaver(() => saves++);
    for (let i = 0; i < 50; i++) schedule();
    vi.advanceTimersByTime(499);
    expect(saves).toBe(0);
    vi.advanceTimersByTime(1);
    expect(saves).toBe(1);
    schedule();
    vi.advanceTimersByTime(500);
    expect(saves).toBe(2);
  });
});
