/**
 * The Playground across reloads: the replay as a growth recording (the same file "Save replay" writes: models by run
 * and checkpoint, canvas, replay seed, seed cells, damage log, the step reached) kept in this browser's storage,
 * written at most twice a second, and read back when the Playground opens with nothing loaded. Models opened from
 * files are not in the workspace and are not restored. `usePersistence` keeps and re-runs recordings of the replay
 * (engine.ts) for the store.
 */
import { makeRecording, parseGrowthRecording, type GrowthRecording } from '@core/replay/recording';
import type { GrowthReplay } from '@core/replay/growth-replay';
import { messageOf } from '@shared/validate';
import type { Ref } from 'vue';
import type { PlaygroundModel } from './catalogue';
import { MAX_PLAYGROUND_CANVAS, type Replay } from './engine';

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

/** What re-running a recording needs besides the replay: loading its runs, the load error, going to its step. */
export interface RecordingLoader {
  loadRun(runId: string, generation: number | undefined, replace: boolean): Promise<void>;
  loadError: Ref<string | null>;
  seek(t: number): void;
}

/** The replay as a recording, kept in `storage` after every change and re-run from a file or after a reload. */
export function usePersistence(
  replay: Pick<Replay, 'current' | 'models' | 'angle' | 'canvasSide' | 'replaySeed' | 'minCanvas' | 'rebuild'>,
  loader: RecordingLoader,
  storage: () => Storage = () => localStorage,
) {
  const { models } = replay;
  const { loadError } = loader;

  function recording(): GrowthRecording | null {
    const engine = replay.current();
    return engine ? recordingOf(engine, models.value, replay.angle.value) : null;
  }

  /**
   * Re-runs a saved recording: with no model loaded, its runs are loaded first (when they are in this workspace);
   * then canvas, replay seed, seed cells and damage log are taken from it and the replay is played up to its steps.
   */
  async function applyRecording(text: string): Promise<void> {
    loadError.value = null;
    let rec: GrowthRecording;
    try {
      rec = parseGrowthRecording(JSON.parse(text));
    } catch (err) {
      loadError.value = `This is not a growth recording: ${err instanceof SyntaxError ? 'the file is not JSON' : messageOf(err)}`;
      return;
    }
    if (models.value.length === 0) {
      for (const [i, m] of rec.models.entries()) if (m.runId) await loader.loadRun(m.runId, m.generation, i === 0);
      if (models.value.length === 0) {
        loadError.value = 'Load a model first: this recording names no run of this workspace.';
        return;
      }
    }
    const min = replay.minCanvas.value;
    if (rec.height > MAX_PLAYGROUND_CANVAS || rec.height < min) {
      loadError.value = `The recording's canvas (${rec.height}×${rec.width}) does not fit the loaded models (from ${min} to ${MAX_PLAYGROUND_CANVAS}).`;
      return;
    }
    replay.canvasSide.value = rec.height;
    replay.replaySeed.value = rec.seed;
    replay.angle.value = rec.models.find((m) => m.angle !== undefined)?.angle ?? 0;
    await replay.rebuild({ seeds: rec.seeds, damage: rec.damage });
    loader.seek(rec.steps);
  }

  /** Restores the replay saved before the last reload; false when there is none (or it no longer loads). */
  async function restoreSaved(): Promise<boolean> {
    const text = storedRecording(storage());
    if (!text || models.value.length > 0) return false;
    await applyRecording(text);
    if (models.value.length === 0) {
      loadError.value = null; // the saved runs were deleted meanwhile: start empty, as on a first visit
      return false;
    }
    return true;
  }

  return {
    recording, applyRecording, restoreSaved,
    /** Keeps the replay at most twice a second (call after every change). */
    scheduleSave: throttledSaver(() => storeRecording(storage(), recording())),
  };
}
