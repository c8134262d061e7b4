/**
 * The playground: saved models replayed step by step in the window (core/replay's GrowthReplay, on FusedNca's
 * WebAssembly SIMD kernel in the page's main thread, so a damage applied with the pointer is in the very next
 * frame), damaged, compared side by side and exported.
 *
 * The engine is not reactive (markRaw, mutated in place thousands of times a second): after every change the
 * store copies what the UI shows (t, frontier, the damage log, seed cells) into refs and bumps `frame`, which
 * the stage and the chart watch.
 */
import { initMlpKernel } from '@core/nca/mlp-kernel';
import type { NcaConfig } from '@core/nca/config';
import type { CanvasTarget } from '@core/replay/canvas-target';
import { type DamageEvent, type DamageEventRequest } from '@core/replay/damage-event';
import { framesSideBySide, renderFrame, type FrameView } from '@core/replay/frames';
import { encodeGif, gifCaptionLayout, type GifCaption } from '@core/replay/gif';
import { GrowthReplay, type ReplayModel } from '@core/replay/growth-replay';
import { lossCsv } from '@core/replay/loss-csv';
import { makeRecording, parseGrowthRecording, type GrowthRecording, type RecordedModel } from '@core/replay/recording';
import { composeStrip, type StripImage } from '@core/replay/strip';
import { composeStripFigure, stripFigureLayout, type FigureText } from '@core/figures/strip-figure';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import type { LibraryModelInfo, ModelSummary, OpenedModel } from '@shared/lab-api';
import { modelFilesProblem } from '@shared/ipc-schema';
import { rotatePerception } from '@core/nca/perception-rotation';
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { RUN_COLOURS } from '../lib/chart';
import { canvasMeasure, captionBands } from '../lib/figure-text';
import { fileToBase64 } from '../lib/files';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { modelSourceText } from '../lib/run-summary';

export interface PlaygroundModel {
  /** unique within the playground */
  key: string;
  name: string;
  /** where it came from, for the model chip: "checkpoint at generation 300", "checkpoint at iteration 916", "model.json" */
  source: string;
  nca: NcaConfig;
  /** the model's own parameters (the replay grows them rotated by the playground's angle) */
  params: Float32Array;
  target: CanvasTarget | null;
  /** why there is no target (no loss) */
  targetProblem: string | null;
  trainingCanvas: { height: number; width: number } | null;
  recorded: RecordedModel;
  colour: string;
}

/** Speeds offered, in updates per second; 0 = as fast as possible. */
export const SPEEDS = [1, 2, 5, 10, 20, 30, 60, 120, 240, 0] as const;
/** Largest canvas side the playground offers (the engine takes up to 512). */
export const MAX_PLAYGROUND_CANVAS = 256;
/** Where the Playground keeps its replay across reloads (lib: localStorage). */
export const PLAYGROUND_STATE_KEY = 'nca-lab:playground';
/** The timeline's length until the user plays past it (the spec's longest evaluation, 1000 steps; issue 14, point 4). */
export const DEFAULT_TIMELINE_END = 1000;
/** At full speed the page steps for this long per animation frame, leaving the rest for drawing and input. */
const FRAME_BUDGET_MS = 11;

export const usePlaygroundStore = defineStore('playground', () => {
  const catalogue = shallowRef<ModelSummary[]>([]);
  /** built-in models (gallery order), then imported ones: listed before the runs */
  const library = shallowRef<LibraryModelInfo[]>([]);
  /** perception rotation in degrees for every model (spec a.2, the Distill demo's slider) */
  const angle = ref(0);
  const catalogueError = ref<string | null>(null);
  const models = shallowRef<PlaygroundModel[]>([]);
  const loading = ref(false);
  const loadError = ref<string | null>(null);
  const canvasSide = ref(0);
  const replaySeed = ref(0);
  const t = ref(0);
  const frontier = ref(0);
  const damage = shallowRef<DamageEvent[]>([]);
  const seeds = shallowRef<[number, number][]>([]);
  const playing = ref(false);
  /** updates per second; 0 = as fast as possible */
  const speed = ref<number>(20);
  /** measured updates per second while playing */
  const measuredSpeed = ref<number | null>(null);
  /** bumped whenever the current state changes */
  const frame = ref(0);
  const view = ref<FrameView>('rgb');
  const kernel = ref<'wasm-simd' | 'js' | null>(null);
  const engineError = ref<string | null>(null);
  /** stop playing here (null: play on) */
  const playUntil = ref<number | null>(null);
  /**
   * The timeline's end: the slider's and the loss chart's x range. Playing at a set speed pushes it on; "as fast as
   * possible" stops there (a diverged model would otherwise run to step 50,000 in seconds); jumping back re-scales it.
   */
  const timelineEnd = ref(DEFAULT_TIMELINE_END);

  let engine: GrowthReplay | null = null;
  let raf = 0;
  let last = 0;
  let owed = 0;
  let samples: { time: number; t: number }[] = [];
  let nextKey = 1;

  const minCanvas = computed(() => minCanvasOf(models.value));
  const hasEngine = computed(() => models.value.length > 0 && frame.value >= 0 && engine !== null);

  function replay(): GrowthReplay | null {
    return engine;
  }

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

  // ---- surviving a reload (issue 14, point 10) ----
  // The replay as a growth recording (the same file "Save replay" writes: models by run and checkpoint, canvas, replay
  // seed, seed cells, damage log, the step reached) in this browser's storage, at most twice a second; restored when
  // the Playground opens with nothing loaded. Models opened from files are not in the workspace and are not restored.
  let saveTimer: ReturnType<typeof setTimeout> | null = null;

  function scheduleSave(): void {
    if (saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      try {
        const rec = recording();
        if (rec && rec.models.some((m) => m.runId)) localStorage.setItem(PLAYGROUND_STATE_KEY, JSON.stringify(rec));
        else localStorage.removeItem(PLAYGROUND_STATE_KEY);
      } catch {
        // storage full or refused (a private window): the playground works on without it
      }
    }, 500);
  }

  /** Restores the replay saved before the last reload; false when there is none (or it no longer loads). */
  async function restoreSaved(): Promise<boolean> {
    let text: string | null;
    try {
      text = localStorage.getItem(PLAYGROUND_STATE_KEY);
    } catch {
      return false;
    }
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

  function minCanvasOf(list: PlaygroundModel[]): number {
    return Math.max(1, ...list.map((m) => (m.trainingCanvas ? Math.max(m.trainingCanvas.height, m.trainingCanvas.width) : 1)));
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
    const side = Math.min(MAX_PLAYGROUND_CANVAS, Math.max(canvasSide.value, minCanvasOf(list)));
    const inside = (c: [number, number]) => c[0] < side && c[1] < side;
    const cells = (opts.seeds ?? seeds.value).filter(inside);
    let next: GrowthReplay | null;
    try {
      next = markRaw(new GrowthReplay({
        models: list.map((m): ReplayModel => ({
          name: m.name, nca: m.nca, params: angle.value === 0 ? m.params : rotatePerception(m.nca, m.params, angle.value), target: m.target,
        })),
        height: side, width: side, seed: replaySeed.value,
        ...(cells.length > 0 ? { seeds: cells } : {}),
        damage: opts.damage ?? damage.value,
      }));
    } catch (err) {
      engineError.value = messageOf(err);
      return;
    }
    engine = next;
    models.value = list;
    canvasSide.value = side;
    kernel.value = simd && next.usesKernel ? 'wasm-simd' : 'js';
    samples = [];
    measuredSpeed.value = null;
    sync();
  }

  function addModel(m: Omit<PlaygroundModel, 'key' | 'colour'>, replace: boolean): Promise<void> {
    const keep = replace ? [] : models.value;
    const used = new Set(keep.map((x) => x.colour));
    const colour = RUN_COLOURS.find((c) => !used.has(c)) ?? RUN_COLOURS[keep.length % RUN_COLOURS.length];
    const list = [...keep, markRaw({ ...m, params: markRaw(m.params), key: `m${nextKey++}`, colour })];
    // a new first model starts on its own training canvas, with a fresh seed and no damage
    if (replace) {
      canvasSide.value = minCanvasOf(list);
      return rebuild({ models: list, seeds: [], damage: [] });
    }
    return rebuild({ models: list });
  }

  /** A run's newest parameters (generation undefined) or one of its checkpoints, with the run's exact target. */
  async function loadRun(runId: string, generation: number | undefined, replace: boolean): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      const [p, target] = await Promise.all([
        lab.models.params({ runId, ...(generation !== undefined ? { generation } : {}) }),
        lab.runs.target(runId),
      ]);
      // opened by address (a run page's link) before the catalogue arrived: the run itself names it
      const summary = catalogue.value.find((c) => c.runId === runId) ?? await lab.runs.get(runId);
      await addModel({
        name: summary.name,
        source: modelSourceText(p.source, summary.optimizer, p.generation),
        nca: p.nca,
        params: decodeFloat32Base64(p.paramsF32Base64),
        target: { height: target.height, width: target.width, rgba: decodeFloat32Base64(target.rgbaF32Base64) },
        targetProblem: null,
        trainingCanvas: { height: p.height, width: p.width },
        // a checkpoint is recorded by its generation; a run's final model (model/) has none to ask for again
        recorded: { name: summary.name, runId, ...(generation !== undefined ? { generation } : p.source === 'checkpoint' ? { generation: p.generation } : {}) },
      }, replace);
    } catch (err) {
      loadError.value = messageOf(err);
    } finally {
      loading.value = false;
    }
  }

  function addOpened(m: OpenedModel, source: string, recorded: RecordedModel, replace: boolean): Promise<void> {
    return addModel({
      name: m.name,
      source,
      nca: m.nca,
      params: decodeFloat32Base64(m.paramsF32Base64),
      target: m.target ? { height: m.target.height, width: m.target.width, rgba: decodeFloat32Base64(m.target.rgbaF32Base64) } : null,
      targetProblem: m.targetProblem,
      trainingCanvas: m.height !== null && m.width !== null ? { height: m.height, width: m.width } : null,
      recorded,
    }, replace);
  }

  /** A built-in or imported model (the gallery, services/models/model-library.ts). */
  async function loadLibrary(id: string, replace: boolean): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      const m = await lab.models.openLibrary(id);
      const info = library.value.find((l) => l.id === id);
      await addOpened({ ...m, name: info?.name ?? m.name }, info?.kind === 'builtin' ? 'built-in model' : 'imported model', { name: info?.name ?? id, file: id }, replace);
    } catch (err) {
      loadError.value = messageOf(err);
    } finally {
      loading.value = false;
    }
  }

  /** Rotates every model's perception (degrees); seed cells and damage stay, the replay restarts from t = 0. */
  function setAngle(degrees: number): Promise<void> {
    const v = Math.max(-180, Math.min(180, Math.round(degrees)));
    if (v === angle.value) return Promise.resolve();
    angle.value = v;
    return rebuild();
  }

  /** model.json + weights.bin of a model folder, or one checkpoint file, picked by the user. */
  async function openFiles(files: File[], replace: boolean): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      // checked before a byte is read, so a too-large pick says so instead of stalling the window
      const problem = modelFilesProblem(files);
      if (problem) throw new Error(problem);
      const request = { files: await Promise.all(files.map(async (f) => ({ name: f.name, bytesBase64: await fileToBase64(f) }))) };
      const m = await lab.models.open(request);
      const fileNames = files.map((f) => f.name).join(' + ');
      // a Distill demo file was imported into the workspace on the way: it is in the model list from now on
      if (m.libraryId) void loadCatalogue();
      await addOpened(m, m.libraryId ? `${fileNames}, imported as ${m.libraryId}` : fileNames, {
        name: m.name, file: fileNames, ...(m.runId ? { runId: m.runId } : {}), ...(m.generation !== null ? { generation: m.generation } : {}),
      }, replace);
    } catch (err) {
      loadError.value = messageOf(err);
    } finally {
      loading.value = false;
    }
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

  function guarded(action: () => void): void {
    if (!engine) return;
    try {
      action();
    } catch (err) {
      engineError.value = messageOf(err);
      pause();
    }
    sync();
  }

  function stepForward(): void {
    guarded(() => engine!.stepForward());
    if (t.value > timelineEnd.value) timelineEnd.value = t.value;
  }

  function stepBack(): void {
    guarded(() => engine!.stepBack());
  }

  function seek(target: number): void {
    guarded(() => engine!.seek(Math.max(0, Math.round(target))));
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
    if (until === null && speed.value === 0) {
      // as fast as possible: to the timeline's end; at the end already, one more timeline's length
      if (engine.t >= timelineEnd.value) timelineEnd.value = engine.t + DEFAULT_TIMELINE_END;
      until = timelineEnd.value;
    }
    playUntil.value = until;
    playing.value = true;
    last = performance.now();
    owed = 0;
    samples = [{ time: last, t: engine.t }];
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
    samples = engine ? [{ time: performance.now(), t: engine.t }] : [];
  }

  function tick(now: number): void {
    raf = 0;
    if (!playing.value || !engine) return;
    const stop = playUntil.value;
    try {
      if (speed.value === 0) {
        const start = performance.now();
        do engine.stepForward();
        while (performance.now() - start < FRAME_BUDGET_MS && (stop === null || engine.t < stop));
      } else {
        owed += ((now - last) / 1000) * speed.value;
        // never try to catch up more than a second (a background tab, a long pause of the page)
        owed = Math.min(owed, Math.max(1, speed.value));
        while (owed >= 1 && (stop === null || engine.t < stop)) {
          engine.stepForward();
          owed -= 1;
        }
      }
    } catch (err) {
      engineError.value = messageOf(err);
      pause();
    }
    last = now;
    if (engine.t > timelineEnd.value) timelineEnd.value = engine.t;
    samples.push({ time: now, t: engine.t });
    while (samples.length > 2 && now - samples[0].time > 1000) samples.shift();
    const span = samples[samples.length - 1].time - samples[0].time;
    if (span >= 250) measuredSpeed.value = ((samples[samples.length - 1].t - samples[0].t) * 1000) / span;
    sync();
    if (stop !== null && engine.t >= stop) {
      pause();
      return;
    }
    if (playing.value) raf = requestAnimationFrame(tick);
  }

  // ---- damage and seeds ----

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
    guarded(() => engine!.removeDamage(index));
  }

  function clearDamage(): void {
    guarded(() => engine!.setDamageLog([]));
  }

  /** Adds a seed cell, or removes it when it is one already (never the last); the replay starts again at 0. */
  function toggleSeed(y: number, x: number): void {
    if (!engine) return;
    const current = engine.seeds;
    const at = current.findIndex(([a, b]) => a === y && b === x);
    const next = at >= 0 ? current.filter((_, i) => i !== at) : [...current, [y, x] as [number, number]];
    if (next.length === 0) return;
    guarded(() => engine!.setSeeds(next));
  }

  function resetSeeds(): void {
    if (!engine) return;
    const c = Math.floor(canvasSide.value / 2);
    guarded(() => engine!.setSeeds([[c, c]]));
  }

  // ---- recordings ----

  function recording(): GrowthRecording | null {
    if (!engine) return null;
    return makeRecording({
      height: engine.height, width: engine.width, seeds: engine.seeds, seed: engine.seed, damage: [...engine.damage],
      models: models.value.map((m) => (angle.value !== 0 ? { ...m.recorded, angle: angle.value } : m.recorded)), steps: engine.frontier,
    });
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

  // ---- exports ----

  /** Runs `fn` on states t = …, then returns to the step the user was at. */
  function visiting<T>(fn: (e: GrowthReplay) => T): T {
    if (!engine) throw new Error('no model loaded');
    pause();
    const back = engine.t;
    try {
      return fn(engine);
    } finally {
      engine.seek(back);
      sync();
    }
  }

  function framesAt(e: GrowthReplay, t: number, v: FrameView): Uint8ClampedArray[] {
    e.seek(t);
    return e.models.map((_, m) => renderFrame(e.state(m), v));
  }

  /**
   * A GIF of updates from…to (every `every`-th), all models side by side, on white; with `labels`, a caption band
   * above every frame holds each model's name over its panel and "t = N".
   */
  function gifBytes(opts: { from: number; to: number; every: number; scale: number; fps: number; labels?: boolean }): { bytes: Uint8Array; width: number; height: number } {
    return visiting((e) => {
      const frames: Uint8ClampedArray[] = [];
      const steps: number[] = [];
      const n = e.models.length;
      for (let at = opts.from; at <= opts.to; at += opts.every) {
        const parts = framesAt(e, at, view.value);
        frames.push(framesSideBySide(parts, e.height, e.width));
        steps.push(at);
      }
      const width = e.width * n * opts.scale;
      let caption: GifCaption | undefined;
      if (opts.labels) {
        const layout = gifCaptionLayout({
          names: models.value.map((m) => m.name), width, panelHeight: e.height * opts.scale, lastStep: steps[steps.length - 1] ?? 0, measure: canvasMeasure,
        });
        caption = { height: layout.height, band: captionBands(layout, width, steps) };
      }
      const bytes = encodeGif(frames, e.height, e.width * n, { scale: opts.scale, fps: opts.fps, ...(caption ? { caption } : {}) });
      return { bytes, width, height: e.height * opts.scale + (caption?.height ?? 0) };
    });
  }

  /**
   * The strip as RGBA8: one row per model, one column per step, frames upscaled by `scale`. With `labels`, the
   * labelled figure (core/figures/strip-figure.ts): the model names as row labels, "t = N" above each column, and
   * the texts to draw over the pixels; without, the plain strip with grey gaps (no texts).
   */
  function strip(steps: number[], scale: number, labels = false): StripImage & { texts: FigureText[] } {
    return visiting((e) => {
      const rows: Uint8ClampedArray[][] = e.models.map(() => []);
      for (const at of steps) framesAt(e, at, view.value).forEach((f, m) => rows[m].push(f));
      if (!labels) return { ...composeStrip(rows, e.height, e.width, scale), texts: [] };
      const cell = { height: e.height, width: e.width };
      const layout = stripFigureLayout({
        columns: steps.map((s) => `t = ${s}`),
        rows: models.value.map((m) => ({ label: m.name, cells: steps.map(() => cell) })),
      }, { box: Math.max(e.height, e.width) * scale, measure: canvasMeasure });
      return { ...composeStripFigure(layout, rows), texts: layout.texts };
    });
  }

  function csv(): string {
    if (!engine) throw new Error('no model loaded');
    const e = engine;
    return lossCsv(models.value.map((m, i) => ({ name: m.name, losses: e.lossSeries(i) })));
  }

  return {
    catalogue, library, angle, catalogueError, models, loading, loadError, canvasSide, replaySeed, t, frontier, damage, seeds,
    playing, speed, measuredSpeed, frame, view, kernel, engineError, playUntil, timelineEnd, minCanvas, hasEngine,
    replay, loadCatalogue, loadRun, loadLibrary, setAngle, openFiles, removeModel, setCanvas, setReplaySeed, rebuild,
    stepForward, stepBack, seek, jumpTo, setTimelineEnd, restart, play, pause, togglePlay, setSpeed,
    addDamage, removeDamage, clearDamage, toggleSeed, resetSeeds,
    recording, applyRecording, restoreSaved, gifBytes, strip, csv,
  };
});
