/**
 * The playground's state: saved models replayed step by step in the window, damaged, compared side by side and
 * exported. The parts are pure modules beside it — the models (catalogue.ts), the engine (engine.ts), the clock
 * (transport.ts), damage and seed cells (damage-and-seeds.ts), surviving a reload (persistence.ts) and the exports
 * (exports.ts) — and this store holds what the window shows and asks the lab for models.
 *
 * The engine is not reactive (markRaw, mutated in place thousands of times a second): after every change the
 * store copies what the UI shows (t, frontier, the damage log, seed cells) into refs and bumps `frame`, which
 * the stage and the chart watch. Nothing outside reads the engine itself: the stage reads `stateOf`, the chart
 * `lossCurves`.
 */
import { initMlpKernel } from '@core/nca/mlp-kernel';
import type { StateBatch } from '@core/nca/state';
import type { DamageEvent, DamageEventRequest } from '@core/replay/damage-event';
import type { FrameView } from '@core/replay/frames';
import type { GrowthReplay } from '@core/replay/growth-replay';
import { parseGrowthRecording, type GrowthRecording } from '@core/replay/recording';
import type { StripImage } from '@core/replay/strip';
import type { FigureText } from '@core/figures/strip-figure';
import type { LibraryModelInfo, ModelSummary, OpenedModel } from '@shared/lab-api';
import { modelFilesProblem } from '@shared/ipc-schema';
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { canvasMeasure, captionBands } from '../lib/charts/figure-text';
import { fileToBase64 } from '../lib/files';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { minCanvasOf, modelFromOpened, modelFromRun, nextColour, openedFromFiles, type LoadedModel, type PlaygroundModel } from './catalogue';
import { centreSeed, toggledSeeds } from './damage-and-seeds';
import { buildReplay, canvasSideFor, currentLosses as currentLossesOf, lossCurves as lossCurvesOf, MAX_PLAYGROUND_CANVAS, type LossCurve } from './engine';
import { replayCsv, replayGif, replayStrip, visiting, type GifRequest } from './exports';
import { recordingOf, storedRecording, storeRecording, throttledSaver } from './persistence';
import { DEFAULT_TIMELINE_END, FRAME_BUDGET_MS, playStop, SpeedMeter, updatesDue } from './transport';

export const usePlaygroundStore = defineStore('playground', () => {
  // ---- the models (catalogue.ts) ----
  const catalogue = shallowRef<ModelSummary[]>([]);
  /** built-in models (gallery order), then imported ones: listed before the runs */
  const library = shallowRef<LibraryModelInfo[]>([]);
  const catalogueError = ref<string | null>(null);
  const models = shallowRef<PlaygroundModel[]>([]);
  const loading = ref(false);
  const loadError = ref<string | null>(null);
  let nextKey = 1;

  // ---- the engine and what the window shows of it (engine.ts) ----
  /** perception rotation in degrees for every model (spec a.2, the Distill demo's slider) */
  const angle = ref(0);
  const canvasSide = ref(0);
  const replaySeed = ref(0);
  const t = ref(0);
  const frontier = ref(0);
  const damage = shallowRef<DamageEvent[]>([]);
  const seeds = shallowRef<[number, number][]>([]);
  /** bumped whenever the current state changes */
  const frame = ref(0);
  const view = ref<FrameView>('rgb');
  const kernel = ref<'wasm-simd' | 'js' | null>(null);
  const engineError = ref<string | null>(null);
  let engine: GrowthReplay | null = null;

  // ---- the clock (transport.ts) ----
  const playing = ref(false);
  /** updates per second; 0 = as fast as possible */
  const speed = ref<number>(20);
  /** measured updates per second while playing */
  const measuredSpeed = ref<number | null>(null);
  /** stop playing here (null: play on) */
  const playUntil = ref<number | null>(null);
  /**
   * The timeline's end: the slider's and the loss chart's x range. Playing at a set speed pushes it on; "as fast as
   * possible" stops there; jumping back re-scales it.
   */
  const timelineEnd = ref(DEFAULT_TIMELINE_END);
  const meter = new SpeedMeter();
  let raf = 0;
  let last = 0;
  let owed = 0;

  const minCanvas = computed(() => minCanvasOf(models.value));
  const hasEngine = computed(() => models.value.length > 0 && frame.value >= 0 && engine !== null);
  /** each model's loss now and where it diverged (the losses line under the stage) */
  const currentLosses = computed(() => (frame.value >= 0 && engine ? currentLossesOf(engine, models.value) : []));

  // ---- surviving a reload (persistence.ts) ----
  const scheduleSave = throttledSaver(() => storeRecording(localStorage, recording()));

  /** Copies what the UI shows out of the engine. */
  function sync(): void {
    if (!engine) return;
    t.value = engine.t;
    frontier.value = engine.frontier;
    damage.value = [...engine.damage];
    seeds.value = engine.seeds;
    frame.value++;
    scheduleSave();
  }

  /** Model m's state now (the stage draws it; read only). */
  function stateOf(m: number): StateBatch | null {
    return engine && m < engine.models.length ? engine.state(m) : null;
  }

  /** Every model's loss after each update computed so far (the chart, the CSV). */
  function lossCurves(): LossCurve[] {
    return engine ? lossCurvesOf(engine, models.value) : [];
  }

  /** The parameters model m grows with (its own, turned by the angle). */
  function grownParams(m: number): Float32Array | null {
    return engine?.models[m]?.params ?? null;
  }

  /** Restores the replay saved before the last reload; false when there is none (or it no longer loads). */
  async function restoreSaved(): Promise<boolean> {
    const text = storedRecording(localStorage);
    if (!text || models.value.length > 0) return false;
    await applyRecording(text);
    if (models.value.length === 0) {
      loadError.value = null; // the saved runs were deleted meanwhile: start empty, as on a first visit
      return false;
    }
    return true;
  }

  async function loadCatalogue(): Promise<void> {
    catalogueError.value = null;
    try {
      [catalogue.value, library.value] = await Promise.all([lab.models.list(), lab.models.library()]);
    } catch (err) {
      catalogueError.value = messageOf(err);
    }
  }

  /**
   * Builds a new engine (t = 0) for `list` (default: the current models) with the current canvas, seed cells,
   * replay seed and damage log. The model list and the engine change together, so the UI never sees one without
   * the other.
   */
  async function rebuild(opts: { models?: PlaygroundModel[]; seeds?: [number, number][]; damage?: DamageEvent[] } = {}): Promise<void> {
    pause();
    engineError.value = null;
    const list = opts.models ?? models.value;
    // browsers compile the SIMD kernel asynchronously; FusedNca picks it up only if it is ready when built
    const simd = await initMlpKernel();
    if (list.length === 0) {
      engine = null;
      models.value = list;
      t.value = 0;
      frontier.value = 0;
      frame.value++;
      return;
    }
    const side = canvasSideFor(canvasSide.value, list);
    let next: GrowthReplay;
    try {
      next = markRaw(buildReplay({
        models: list, angle: angle.value, side, replaySeed: replaySeed.value,
        seeds: opts.seeds ?? seeds.value, damage: opts.damage ?? damage.value,
      }));
    } catch (err) {
      engineError.value = messageOf(err);
      return;
    }
    engine = next;
    models.value = list;
    canvasSide.value = side;
    kernel.value = simd && next.usesKernel ? 'wasm-simd' : 'js';
    meter.reset();
    measuredSpeed.value = null;
    sync();
  }

  function addModel(m: LoadedModel, replace: boolean): Promise<void> {
    const keep = replace ? [] : models.value;
    const list = [...keep, markRaw({ ...m, params: markRaw(m.params), key: `m${nextKey++}`, colour: nextColour(keep) })];
    // a new first model starts on its own training canvas, with a fresh seed and no damage
    if (replace) {
      canvasSide.value = minCanvasOf(list);
      return rebuild({ models: list, seeds: [], damage: [] });
    }
    return rebuild({ models: list });
  }

  /** Runs `load` with the loading flag up and its failure shown as the load error. */
  async function loadingModel(load: () => Promise<void>): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      await load();
    } catch (err) {
      loadError.value = messageOf(err);
    } finally {
      loading.value = false;
    }
  }

  /** A run's newest parameters (generation undefined) or one of its checkpoints, with the run's exact target. */
  function loadRun(runId: string, generation: number | undefined, replace: boolean): Promise<void> {
    return loadingModel(async () => {
      const [p, target] = await Promise.all([
        lab.models.params({ runId, ...(generation !== undefined ? { generation } : {}) }),
        lab.runs.target(runId),
      ]);
      // opened by address (a run page's link) before the catalogue arrived: the run itself names it
      const summary = catalogue.value.find((c) => c.runId === runId) ?? await lab.runs.get(runId);
      await addModel(modelFromRun(p, target, summary, generation), replace);
    });
  }

  /** A built-in or imported model (the gallery, services/models/model-library.ts). */
  function loadLibrary(id: string, replace: boolean): Promise<void> {
    return loadingModel(async () => {
      const m = await lab.models.openLibrary(id);
      const info = library.value.find((l) => l.id === id);
      const name = info?.name ?? m.name;
      await addModel(modelFromOpened({ ...m, name }, info?.kind === 'builtin' ? 'built-in model' : 'imported model', { name: info?.name ?? id, file: id }), replace);
    });
  }

  /** model.json + weights.bin of a model folder, or one checkpoint file, picked by the user. */
  function openFiles(files: File[], replace: boolean): Promise<void> {
    return loadingModel(async () => {
      // checked before a byte is read, so a too-large pick says so instead of stalling the window
      const problem = modelFilesProblem(files);
      if (problem) throw new Error(problem);
      const request = { files: await Promise.all(files.map(async (f) => ({ name: f.name, bytesBase64: await fileToBase64(f) }))) };
      const m: OpenedModel = await lab.models.open(request);
      // a Distill demo file was imported into the workspace on the way: it is in the model list from now on
      if (m.libraryId) void loadCatalogue();
      const { source, recorded } = openedFromFiles(m, files.map((f) => f.name).join(' + '));
      await addModel(modelFromOpened(m, source, recorded), replace);
    });
  }

  /** Rotates every model's perception (degrees); seed cells and damage stay, the replay restarts from t = 0. */
  function setAngle(degrees: number): Promise<void> {
    const v = Math.max(-180, Math.min(180, Math.round(degrees)));
    if (v === angle.value) return Promise.resolve();
    angle.value = v;
    return rebuild();
  }

  function removeModel(key: string): Promise<void> {
    return rebuild({ models: models.value.filter((m) => m.key !== key) });
  }

  /** A new canvas size: the seed goes back to its centre (spec a.5: (19, 19) on the 39×39 canvas of f.5). */
  function setCanvas(side: number): Promise<void> {
    canvasSide.value = Math.min(MAX_PLAYGROUND_CANVAS, Math.max(minCanvas.value, Math.round(side)));
    return rebuild({ seeds: [] });
  }

  function setReplaySeed(seed: number): Promise<void> {
    replaySeed.value = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.round(seed)));
    return rebuild();
  }

  // ---- transport ----

  function guarded(action: (e: GrowthReplay) => void): void {
    if (!engine) return;
    try {
      action(engine);
    } catch (err) {
      engineError.value = messageOf(err);
      pause();
    }
    sync();
  }

  function stepForward(): void {
    guarded((e) => e.stepForward());
    if (t.value > timelineEnd.value) timelineEnd.value = t.value;
  }

  function stepBack(): void {
    guarded((e) => e.stepBack());
  }

  function seek(target: number): void {
    guarded((e) => e.seek(Math.max(0, Math.round(target))));
  }

  function restart(): void {
    jumpTo(0);
  }

  /** The user's timeline end (at least 10 steps, and never before the current step). */
  function setTimelineEnd(end: number): void {
    if (!Number.isFinite(end)) return;
    timelineEnd.value = Math.max(10, t.value, Math.round(end));
  }

  /** Go to a step chosen by number (restart, "go to"): the timeline and the chart's x re-scale around it. */
  function jumpTo(target: number): void {
    seek(target);
    timelineEnd.value = Math.max(DEFAULT_TIMELINE_END, t.value);
  }

  function play(until: number | null = null): void {
    if (!engine || playing.value) return;
    const stop = playStop(engine.t, timelineEnd.value, speed.value, until);
    timelineEnd.value = stop.timelineEnd;
    playUntil.value = stop.until;
    playing.value = true;
    last = performance.now();
    owed = 0;
    meter.reset(last, engine.t);
    raf = requestAnimationFrame(tick);
  }

  function pause(): void {
    playing.value = false;
    playUntil.value = null;
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
  }

  function togglePlay(): void {
    if (playing.value) pause();
    else play();
  }

  function setSpeed(v: number): void {
    speed.value = v;
    owed = 0;
    if (engine) meter.reset(performance.now(), engine.t);
    else meter.reset();
  }

  /** Steps the engine for one animation frame: a frame's budget at full speed, else the updates the clock owes. */
  function advance(e: GrowthReplay, now: number, stop: number | null): void {
    if (speed.value === 0) {
      const start = performance.now();
      do e.stepForward();
      while (performance.now() - start < FRAME_BUDGET_MS && (stop === null || e.t < stop));
      return;
    }
    const due = updatesDue(owed, now - last, speed.value);
    owed = due.owed;
    for (let i = 0; i < due.steps && (stop === null || e.t < stop); i++) e.stepForward();
  }

  function tick(now: number): void {
    raf = 0;
    const e = engine;
    if (!playing.value || !e) return;
    const stop = playUntil.value;
    try {
      advance(e, now, stop);
    } catch (err) {
      engineError.value = messageOf(err);
      pause();
    }
    last = now;
    if (e.t > timelineEnd.value) timelineEnd.value = e.t;
    const measured = meter.add(now, e.t);
    if (measured !== null) measuredSpeed.value = measured;
    sync();
    if (stop !== null && e.t >= stop) {
      pause();
      return;
    }
    if (playing.value) raf = requestAnimationFrame(tick);
  }

  // ---- damage and seeds (damage-and-seeds.ts) ----

  /** Records a damage; at the current step it is applied at once (the caller redraws in the same frame). */
  function addDamage(request: DamageEventRequest): DamageEvent | null {
    if (!engine) return null;
    let event: DamageEvent | null = null;
    try {
      event = engine.addDamage(request);
    } catch (err) {
      engineError.value = messageOf(err);
    }
    sync();
    return event;
  }

  function removeDamage(index: number): void {
    guarded((e) => e.removeDamage(index));
  }

  function clearDamage(): void {
    guarded((e) => e.setDamageLog([]));
  }

  /** Adds a seed cell, or removes it when it is one already (never the last); the replay starts again at 0. */
  function toggleSeed(y: number, x: number): void {
    const next = engine ? toggledSeeds(engine.seeds, y, x) : null;
    if (next) guarded((e) => e.setSeeds(next));
  }

  function resetSeeds(): void {
    guarded((e) => e.setSeeds(centreSeed(canvasSide.value)));
  }

  // ---- recordings (persistence.ts) ----

  function recording(): GrowthRecording | null {
    return engine ? recordingOf(engine, models.value, angle.value) : null;
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
      for (const [i, m] of rec.models.entries()) if (m.runId) await loadRun(m.runId, m.generation, i === 0);
      if (models.value.length === 0) {
        loadError.value = 'Load a model first: this recording names no run of this workspace.';
        return;
      }
    }
    if (rec.height > MAX_PLAYGROUND_CANVAS || rec.height < minCanvas.value) {
      loadError.value = `The recording's canvas (${rec.height}×${rec.width}) does not fit the loaded models (from ${minCanvas.value} to ${MAX_PLAYGROUND_CANVAS}).`;
      return;
    }
    canvasSide.value = rec.height;
    replaySeed.value = rec.seed;
    angle.value = rec.models.find((m) => m.angle !== undefined)?.angle ?? 0;
    await rebuild({ seeds: rec.seeds, damage: rec.damage });
    seek(rec.steps);
  }

  // ---- exports (exports.ts) ----

  /** Runs an export on the engine, paused, and shows the step the user was at afterwards. */
  function exporting<T>(fn: (e: GrowthReplay) => T): T {
    if (!engine) throw new Error('no model loaded');
    pause();
    try {
      return visiting(engine, fn);
    } finally {
      sync();
    }
  }

  const names = () => models.value.map((m) => m.name);

  /** A GIF of the replay (exports.ts): with `labels`, a caption band of the model names and "t = N". */
  function gifBytes(req: GifRequest): { bytes: Uint8Array; width: number; height: number } {
    return exporting((e) => replayGif(e, names(), view.value, req, { measure: canvasMeasure, bands: captionBands }));
  }

  /** The strip at `steps` (exports.ts): with `labels`, the labelled figure and its texts. */
  function strip(steps: number[], scale: number, labels = false): StripImage & { texts: FigureText[] } {
    return exporting((e) => replayStrip(e, names(), view.value, steps, scale, labels ? canvasMeasure : undefined));
  }

  function csv(): string {
    return exporting((e) => replayCsv(e, names()));
  }

  return {
    catalogue, library, angle, catalogueError, models, loading, loadError, canvasSide, replaySeed, t, frontier, damage, seeds,
    playing, speed, measuredSpeed, frame, view, kernel, engineError, playUntil, timelineEnd, minCanvas, hasEngine, currentLosses,
    stateOf, lossCurves, grownParams, loadCatalogue, loadRun, loadLibrary, setAngle, openFiles, removeModel, setCanvas, setReplaySeed, rebuild,
    stepForward, stepBack, seek, jumpTo, setTimelineEnd, restart, play, pause, togglePlay, setSpeed,
    addDamage, removeDamage, clearDamage, toggleSeed, resetSeeds,
    recording, applyRecording, restoreSaved, gifBytes, strip, csv,
  };
});
