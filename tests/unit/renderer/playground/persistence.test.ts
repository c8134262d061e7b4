// @vitest-environment happy-dom
/**
 * The Playground across reloads (src/renderer/playground/persistence.ts): what is kept, what is not, how often; and
 * usePersistence re-running a recording on a replay.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import { parseGrowthRecording } from '../../../../src/core/replay/recording';
import { buildReplay, useReplay } from '../../../../src/renderer/playground/engine';
import {
  PLAYGROUND_STATE_KEY, recordingOf, storedRecording, storeRecording, throttledSaver, usePersistence,
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

describe('usePersistence: recordings of the replay', () => {
  /** A replay whose "runs" load the test model named by the run id (run-a → a). */
  function playground() {
    const replay = useReplay({ stop: () => {}, rebuilt: () => {}, changed: () => persistence.scheduleSave() });
    const loaded: string[] = [];
    const loader = {
      loadError: ref<string | null>(null),
      loadRun: async (runId: string, _generation: number | undefined, replace: boolean) => {
        loaded.push(runId);
        if (runId.startsWith('run-')) await replay.addModel(testModel(runId.slice(4), 1), replace);
      },
      seek: (t: number) => replay.guarded((e) => e.seek(t)),
    };
    const persistence = usePersistence(replay, loader);
    return { replay, loader, loaded, persistence };
  }

  it('re-runs a recording: its runs, canvas, seed, angle, seed cells, damage and step', async () => {
    const a = playground();
    await a.replay.addModel(testModel('a', 1), true);
    await a.replay.setCanvas(12);
    await a.replay.setAngle(30);
    a.replay.guarded((e) => {
      e.setSeeds([[2, 3]]);
      e.addDamage({ afterUpdate: 3, damage: { kind: 'thesis', variant: 'bottom' } });
      e.seek(7);
    });
    const text = JSON.stringify(a.persistence.recording());
    const b = playground();
    await b.persistence.applyRecording(text);
    expect(b.loaded).toEqual(['run-a']);
    expect(b.loader.loadError.value).toBeNull();
    expect([b.replay.canvasSide.value, b.replay.angle.value, b.replay.t.value]).toEqual([12, 30, 7]);
    expect(b.replay.seeds.value).toEqual([[2, 3]]);
    expect(b.replay.damage.value).toEqual(a.replay.damage.value);
    expect(b.replay.stateOf(0)!.data).toEqual(a.replay.stateOf(0)!.data);
  });

  it('says why a recording does not load: not JSON, no run of the workspace, a canvas the models do not fit', async () => {
    const p = playground();
    await p.persistence.applyRecording('{');
    expect(p.loader.loadError.value).toBe('This is not a growth recording: the file is not JSON');
    const rec = recordingOf(buildReplay({ models: [testModel('x', 1)], angle: 0, side: 9, replaySeed: 0, seeds: [], damage: [] }), [testModel('x', 1, { recorded: { name: 'x', file: 'model.json' } })], 0);
    await p.persistence.applyRecording(JSON.stringify(rec));
    expect(p.loader.loadError.value).toBe('Load a model first: this recording names no run of this workspace.');
    await p.replay.addModel(testModel('a', 1), true);
    await p.persistence.applyRecording(JSON.stringify({ ...rec, height: 5, width: 5 }));
    expect(p.loader.loadError.value).toMatch(/canvas \(5×5\) does not fit the loaded models \(from 9 to 256\)/);
  });

  it('keeps the replay in storage after a change and restores it after a reload', async () => {
    vi.useFakeTimers();
    const a = playground();
    await a.replay.addModel(testModel('a', 1), true);
    a.replay.guarded((e) => e.seek(5));
    vi.advanceTimersByTime(500);
    expect(parseGrowthRecording(JSON.parse(storedRecording(localStorage)!)).steps).toBe(5);
    vi.useRealTimers();
    const b = playground();
    expect(await b.persistence.restoreSaved()).toBe(true);
    expect(b.replay.t.value).toBe(5);
    expect(await b.persistence.restoreSaved()).toBe(false);
    localStorage.setItem(PLAYGROUND_STATE_KEY, JSON.stringify({ ...JSON.parse(storedRecording(localStorage)!), models: [{ name: 'gone', runId: 'deleted' }] }));
    const c = playground();
    expect(await c.persistence.restoreSaved()).toBe(false);
    expect(c.loader.loadError.value).toBeNull();
  });
});
