/** Seed groups (shared/seed-groups.ts): runs that differ only in the seed (and how long, how often evaluated, on how many workers) group; any other setting splits them. */
import { describe, expect, it } from 'vitest';
import { seedGroupKey, seedGroups } from '../../../src/shared/seed-groups';
import { configFromPreset, type EsRunConfig } from '../../../src/shared/training-config';

function es(edit: (c: EsRunConfig) => void = () => {}): EsRunConfig {
  const c = configFromPreset('es-256') as EsRunConfig;
  edit(c);
  return c;
}

describe('seed groups', () => {
  it('groups runs that differ in seed, stop conditions, evaluation, checkpoints and workers only', () => {
    const a = es((c) => { c.seed = 1; });
    const b = es((c) => { c.seed = 2; c.stop.maxGenerations = 10; c.evalEvery = 5; c.checkpointEvery = 3; c.es.workers = 1; });
    expect(seedGroupKey(a)).toBe(seedGroupKey(b));
    // the same config with its keys in another order (an older lab's run.json) is the same group
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(a).reverse()))) as EsRunConfig;
    expect(seedGroupKey(reordered)).toBe(seedGroupKey(a));
  });

  it('splits on any setting of the experiment', () => {
    const base = seedGroupKey(es());
    expect(seedGroupKey(es((c) => { c.es.sigma *= 2; }))).not.toBe(base);
    expect(seedGroupKey(es((c) => { c.target.name = 'rabbit-15'; }))).not.toBe(base);
    expect(seedGroupKey(es((c) => { c.model.fireRate = 0.4; }))).not.toBe(base);
    expect(seedGroupKey(configFromPreset('thesis-adam'))).not.toBe(base);
  });

  it('keeps groups in first-seen order and members in the order given', () => {
    const runs = [
      { id: 'a', config: es((c) => { c.seed = 1; }) },
      { id: 'x', config: es((c) => { c.es.sigma *= 2; }) },
      { id: 'b', config: es((c) => { c.seed = 2; }) },
    ];
    expect(seedGroups(runs).map((g) => g.members.map((m) => m.id))).toEqual([['a', 'b'], ['x']]);
  });
});
