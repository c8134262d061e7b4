/** What the Playground's damage tools and seed clicks ask for (src/renderer/playground/damage-and-seeds.ts). */
import { describe, expect, it } from 'vitest';
import { centreSeed, damageEvent, toggledSeeds } from '../../../../src/renderer/playground/damage-and-seeds';

describe('playground damage and seed cells', () => {
  it('repeats a damage only up to a later step', () => {
    const fgsm = { kind: 'fgsm' as const, eps: 0.01, clamp: 'all' as const };
    expect(damageEvent(21, fgsm, 40)).toEqual({ afterUpdate: 21, damage: fgsm, repeatUntil: 40 });
    expect(damageEvent(21, fgsm, 21)).toEqual({ afterUpdate: 21, damage: fgsm });
    expect(damageEvent(21, fgsm, 5)).toEqual({ afterUpdate: 21, damage: fgsm });
    expect(damageEvent(21, fgsm)).toEqual({ afterUpdate: 21, damage: fgsm });
  });

  it('adds a seed cell, removes one clicked again, never the last', () => {
    expect(toggledSeeds([[7, 7]], 2, 2)).toEqual([[7, 7], [2, 2]]);
    expect(toggledSeeds([[7, 7], [2, 2]], 7, 7)).toEqual([[2, 2]]);
    expect(toggledSeeds([[7, 7]], 7, 7)).toBeNull();
    expect(centreSeed(15)).toEqual([[7, 7]]);
    expect(centreSeed(40)).toEqual([[20, 20]]);
  });
});
