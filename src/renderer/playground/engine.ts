/**
 * The replay engine the Playground grows its models on (core/replay's GrowthReplay, on FusedNca's WebAssembly SIMD
 * kernel in the page's main thread): its canvas and seed cells for a model list, and a new engine from the
 * playground's settings (pure apart from the engine itself); and `useReplay`, the engine with what the window
 * shows of it, which the store composes.
 */
import { initMlpKernel } from '@core/nca/mlp-kernel';
import { rotatePerception } from '@core/nca/perception-rotation';
import type { StateBatch } from '@core/nca/state';
import type { DamageEvent } from '@core/replay/damage-event';
import type { FrameView } from '@core/replay/frames';
import { GrowthReplay, type ReplayModel } from '@core/replay/growth-replay';
import { divergedAt } from '@core/divergence';
import { messageOf } from '@shared/validate';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { minCanvasOf, nextColour, type LoadedModel, type PlaygroundModel } from './catalogue';

/** Largest canvas side the playground offers (the engine takes up to 512). */
export const MAX_PLAYGROUND_CANVAS = 256;

/** The canvas side for `models`: the one asked for, at least every training canvas, at most the playground's limit. */
export function canvasSideFor(asked: number, models: readonly PlaygroundModel[]): number {
  return Math.min(MAX_PLAYGROUND_CANVAS, Math.max(asked, minCanvasOf(models)));
}

export interface ReplaySettings {
  models: readonly PlaygroundModel[];
  /** perception rotation in degrees for every model (spec a.2) */
  angle: number;
  side: number;
  replaySeed: number;
  /** seed cells; those off the canvas are dropped, none left = the centre */
  seeds: readonly [number, number][];
  damage: readonly DamageEvent[];
}

/** A new engine at t = 0 (throws the engine's message on a setting it refuses). */
export function buildReplay(s: ReplaySettings): GrowthReplay {
  const cells = s.seeds.filter((c) => c[0] < s.side && c[1] < s.side);
  return new GrowthReplay({
    models: s.models.map((m): ReplayModel => ({
      name: m.name, nca: m.nca, params: s.angle === 0 ? m.params : rotatePerception(m.nca, m.params, s.angle), target: m.target,
    })),
    height: s.side, width: s.side, seed: s.replaySeed,
    ...(cells.length > 0 ? { seeds: cells.map((c) => [c[0], c[1]] as [number, number]) } : {}),
    damage: [...s.damage],
  });
}

/** One model's curve as the chart and the CSV show it. */
export interface LossCurve {
  name: string;
  colour: string;
  /** loss after t updates, t = 0 … the frontier */
  losses: readonly number[];
}

export function lossCurves(engine: GrowthReplay, models: readonly PlaygroundModel[]): LossCurve[] {
  return models.slice(0, engine.models.length).map((m, i) => ({ name: m.name, colour: m.colour, losses: engine.lossSeries(i) }));
}

/** Each model's loss now, and the step its loss diverged at (null: it has not; no target: never). */
export function currentLosses(engine: GrowthReplay, models: readonly PlaygroundModel[]): { name: string; colour: string; loss: number; divergedAt: number | null }[] {
  return models.slice(0, engine.models.length).map((m, i) => ({
    name: m.name, colour: m.colour, loss: engine.loss(i, engine.t),
    divergedAt: m.target ? divergedAt(engine.lossSeries(i)) : null,
  }));
}

/** What the replay tells the rest of the playground: stop playing, a new engine was built, what it shows changed. */
export interface ReplayHooks {
  stop(): void;
  rebuilt(): void;
  changed(): void;
}

/**
 * The engine and what the window shows of it. The engine is not reactive (markRaw, mutated in place thousands of
 * times a second): after every change `sync` copies what the UI shows (t, frontier, the damage log, seed cells)
 * into refs and bumps `frame`, which the stage and the chart watch. Nothing outside reads the engine itself but the
 * playground's own composables (through `current`).
 */
export function useReplay(hooks: ReplayHooks) {
  const models = shallowRef<PlaygroundModel[]>([]);
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
  let nextKey = 1;

  const minCanvas = computed(() => minCanvasOf(models.value));
  const hasEngine = computed(() => models.value.length > 0 && frame.value >= 0 && engine !== null);
  /** each model's loss now and where it diverged (the losses line under the stage) */
  const currentLossesNow = computed(() => (frame.value >= 0 && engine ? currentLosses(engine, models.value) : []));

  /** Copies what the UI shows out of the engine. */
  function sync(): void {
    if (!engine) return;
    t.value = engine.t;
    frontier.value = engine.frontier;
    damage.value = [...engine.damage];
    seeds.value = engine.seeds;
    frame.value++;
    hooks.changed();
  }

  /** Runs `action` on the engine; a refusal is shown as the engine error and stops playing. */
  function guarded(action: (e: GrowthReplay) => void): void {
    if (!engine) return;
    try {
      action(engine);
    } catch (err) {
      engineError.value = messageOf(err);
      hooks.stop();
    }
    sync();
  }

  /**
   * Builds a new engine (t = 0) for `list` (default: the current models) with the current canvas, seed cells,
   * replay seed and damage log. The model list and the engine change together, so the UI never sees one without
   * the other.
   */
  async function rebuild(opts: { models?: PlaygroundModel[]; seeds?: [number, number][]; damage?: DamageEvent[] } = {}): Promise<void> {
    hooks.stop();
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
    hooks.rebuilt();
    sync();
  }

  /** Adds a model (or replaces them all): a new first model starts on its own training canvas, fresh seed, no damage. */
  function addModel(m: LoadedModel, replace: boolean): Promise<void> {
    const keep = replace ? [] : models.value;
    const list = [...keep, markRaw({ ...m, params: markRaw(m.params), key: `m${nextKey++}`, colour: nextColour(keep) })];
    if (replace) {
      canvasSide.value = minCanvasOf(list);
      return rebuild({ models: list, seeds: [], damage: [] });
    }
    return rebuild({ models: list });
  }

  /** Rotates every model's perception (degrees); seed cells and damage stay, the replay restarts from t = 0. */
  function setAngle(degrees: number): Promise<void> {
    const v = Math.max(-180, Math.min(180, Math.round(degrees)));
    if (v === angle.value) return Promise.resolve();
    angle.value = v;
    return rebuild();
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

  return {
    models, angle, canvasSide, replaySeed, t, frontier, damage, seeds, frame, view, kernel, engineError,
    minCanvas, hasEngine, currentLosses: currentLossesNow,
    /** the engine, for the playground's own composables (null: no model loaded) */
    current: (): GrowthReplay | null => engine,
    sync, guarded, rebuild, addModel, setAngle, setCanvas, setReplaySeed,
    removeModel: (key: string): Promise<void> => rebuild({ models: models.value.filter((m) => m.key !== key) }),
    /** Model m's state now (the stage draws it; read only). */
    stateOf: (m: number): StateBatch | null => (engine && m < engine.models.length ? engine.state(m) : null),
    /** Every model's loss after each update computed so far (the chart, the CSV). */
    lossCurves: (): LossCurve[] => (engine ? lossCurves(engine, models.value) : []),
    /** The parameters model m grows with (its own, turned by the angle). */
    grownParams: (m: number): Float32Array | null => engine?.models[m]?.params ?? null,
  };
}

export type Replay = ReturnType<typeof useReplay>;
