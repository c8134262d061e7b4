/**
 * The Playground across reloads: the replay as a growth recording (the same file "Save replay" writes: models by run
 * and checkpoint, canvas, replay seed, seed cells, damage log, the step reached) kept in this browser's storage,
 * written at most twice a second, and read back when the Playground opens with nothing loaded. Models opened from
 * files are not in the workspace and are not restored.
 */
import { makeRecording, type GrowthRecording } from '@core/replay/recording';
import type { GrowthReplay } from '@core/replay/growth-replay';
import type { PlaygroundModel } from './catalogue';

/** Where the Playground keeps its replay (localStorage). */
export const PLAYGROUND_STATE_KEY = 'nca-lab:playground';
export const SAVE_EVERY_MS = 500;

/** The replay as a recording: the engine's canvas, seeds, seed, damage and frontier, the models as recorded (with the angle). */
export function recordingOf(engine: GrowthReplay, models: readonly PlaygroundModel[], angle: number): GrowthRecording {
  return makeRecording({
    height: engine.height, width: engine.width, seeds: engine.seeds, seed: engine.seed, damage: [...engine.damage],
    models: models.map((m) => (angle !== 0 ? { ...m.recorded, angle } : m.recorded)), steps: engine.frontier,
  });
}

/** Keeps the recording (or forgets it when it names no run of the workspace); storage refused is not an error. */
export function storeRecording(storage: Storage, rec: GrowthRecording | null): void {
  try {
    if (rec && rec.models.some((m) => m.runId)) storage.setItem(PLAYGROUND_STATE_KEY, JSON.stringify(rec));
    else storage.removeItem(PLAYGROUND_STATE_KEY);
  } catch {
    // storage full or refused (a private window): the playground works on without it
  }
}

/** The kept recording's text, or null. */
export function storedRecording(storage: Storage): string | null {
  try {
    return storage.getItem(PLAYGROUND_STATE_KEY);
  } catch {
    return null;
  }
}

/** Calls `save` once `delayMs` after the first of a burst of requests (at most twice a second by default). */
export function throttledSaver(save: () => void, delayMs = SAVE_EVERY_MS): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      save();
    }, delayMs);
  };
}
