/**
 * The replay engine the Playground grows its models on (core/replay's GrowthReplay, on FusedNca's WebAssembly SIMD
 * kernel in the page's main thread): its canvas and seed cells for a model list, and a new engine from the
 * playground's settings. Pure apart from the engine itself.
 */
import { rotatePerception } from '@core/nca/perception-rotation';
import type { DamageEvent } from '@core/replay/damage-event';
import { GrowthReplay, type ReplayModel } from '@core/replay/growth-replay';
import { divergedAt } from '@core/divergence';
import { minCanvasOf, type PlaygroundModel } from './catalogue';

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
