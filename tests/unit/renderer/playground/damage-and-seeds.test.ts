/**
 * What the Playground's damage tools and seed clicks ask for (src/renderer/playground/damage-and-seeds.ts), and
 * useDamageAndSeeds keeping them on the replay.
 */
import { describe, expect, it } from 'vitest';
import { centreSeed, damageEvent, toggledSeeds, useDamageAndSeeds } from '../../../../src/renderer/playground/damage-and-seeds';
import { useReplay } from '../../../../src/renderer/playground/engine';
import { testModel } from './fixtures';

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

describe('useDamageAndSeeds on the replay', () => {
  async function onModel() {
    const replay = useReplay({ stop: () => {}, rebuilt: () => {}, changed: () => {} });
    await replay.addModel(testModel('a', 1), true);
    return { replay, tools: useDamageAndSeeds(replay) };
  }

  it('records a damage, applied at once at the current step, and removes or clears the log', async () => {
    const { replay, tools } = await onModel();
    replay.guarded((e) => e.seek(4));
    const before = replay.frame.value;
    const event = tools.addDamage({ afterUpdate: 4, damage: { kind: 'thesis', variant: 'bottom' } });
    expect(event).toMatchObject({ afterUpdate: 4 });
    expect(replay.damage.value).toHaveLength(1);
    expect(replay.frame.value).toBe(before + 1);
    tools.addDamage({ afterUpdate: 6, damage: { kind: 'thesis', variant: '3x3' } });
    expect(replay.engineError.value).toBeNull();
    tools.removeDamage(0);
    expect(replay.damage.value.map((d) => d.afterUpdate)).toEqual([6]);
    tools.clearDamage();
    expect(replay.damage.value).toEqual([]);
  });

  it('shows a damage the engine refuses and records nothing', async () => {
    const { replay, tools } = await onModel();
    expect(tools.addDamage({ afterUpdate: -1, damage: { kind: 'thesis', variant: 'bottom' } })).toBeNull();
    expect(replay.engineError.value).toBeTruthy();
    expect(replay.damage.value).toEqual([]);
  });

  it('toggles seed cells (never the last) and puts the seed back in the centre', async () => {
    const { replay, tools } = await onModel();
    tools.toggleSeed(1, 2);
    expect(replay.seeds.value).toEqual([[4, 4], [1, 2]]);
    tools.toggleSeed(4, 4);
    tools.toggleSeed(1, 2);
    expect(replay.seeds.value).toEqual([[1, 2]]);
    tools.resetSeeds();
    expect(replay.seeds.value).toEqual([[4, 4]]);
  });

  it('does nothing without a model', () => {
    const tools = useDamageAndSeeds(useReplay({ stop: () => {}, rebuilt: () => {}, changed: () => {} }));
    expect(tools.addDamage({ afterUpdate: 0, damage: { kind: 'thesis', variant: 'bottom' } })).toBeNull();
    expect(() => tools.toggleSeed(0, 0)).not.toThrow();
  });
});
