/**
 * What the Playground's damage tools and seed clicks ask the engine for (pure), and `useDamageAndSeeds`, the damage
 * log and seed cells kept on the replay (engine.ts), which the store composes.
 */
import type { DamageRequest } from '@core/damage/kinds';
import type { DamageEvent, DamageEventRequest } from '@core/replay/damage-event';
import { messageOf } from '@shared/validate';
import type { Replay } from './engine';

/** The event for a damage at `afterUpdate`, repeated up to `until` when that is later (the thesis's FGSM in growth). */
export function damageEvent(afterUpdate: number, damage: DamageRequest, until?: number): DamageEventRequest {
  return { afterUpdate, damage, ...(until !== undefined && until > afterUpdate ? { repeatUntil: until } : {}) };
}

/** The seed cells after a click on (y, x): added, or removed when it is one already; null when it is the last one. */
export function toggledSeeds(seeds: readonly [number, number][], y: number, x: number): [number, number][] | null {
  const at = seeds.findIndex(([a, b]) => a === y && b === x);
  const next = at >= 0 ? seeds.filter((_, i) => i !== at) : [...seeds, [y, x] as [number, number]];
  return next.length === 0 ? null : next;
}

/** The default seed: the centre cell (H//2, W//2), spec a.5. */
export function centreSeed(side: number): [number, number][] {
  const c = Math.floor(side / 2);
  return [[c, c]];
}

/** The damage log and the seed cells of the replay; every change is applied to the engine and shown at once. */
export function useDamageAndSeeds(replay: Pick<Replay, 'current' | 'guarded' | 'sync' | 'canvasSide' | 'engineError'>) {
  const { guarded } = replay;

  /** Records a damage; at the current step it is applied at once (the caller redraws in the same frame). */
  function addDamage(request: DamageEventRequest): DamageEvent | null {
    const engine = replay.current();
    if (!engine) return null;
    let event: DamageEvent | null = null;
    try {
      event = engine.addDamage(request);
    } catch (err) {
      replay.engineError.value = messageOf(err);
    }
    replay.sync();
    return event;
  }

  /** Adds a seed cell, or removes it when it is one already (never the last); the replay starts again at 0. */
  function toggleSeed(y: number, x: number): void {
    const engine = replay.current();
    const next = engine ? toggledSeeds(engine.seeds, y, x) : null;
    if (next) guarded((e) => e.setSeeds(next));
  }

  return {
    addDamage, toggleSeed,
    removeDamage: (index: number): void => guarded((e) => e.removeDamage(index)),
    clearDamage: (): void => guarded((e) => e.setDamageLog([])),
    resetSeeds: (): void => guarded((e) => e.setSeeds(centreSeed(replay.canvasSide.value))),
  };
}
