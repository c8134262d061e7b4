/**
 * What the Playground's damage tools and seed clicks ask the engine for. Pure.
 */
import type { DamageRequest } from '@core/damage/kinds';
import type { DamageEventRequest } from '@core/replay/damage-event';

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
