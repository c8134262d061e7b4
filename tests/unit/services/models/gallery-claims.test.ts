import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { GrowthReplay } from '../../../../src/core/replay/growth-replay';
import { parseDamageEvent } from '../../../../src/core/replay/damage-event';
import { parseDamageText } from '../../../../src/core/replay/damage-text';
import { claimProblems, measureModel, type ModelToMeasure } from '../../../../src/services/models/gallery-claims';
import { LabStore } from '../../../../src/services/store/lab-store';
import { resolveTarget } from '../../../../src/services/targets/targets';
import { pickShipped } from '../../../../scripts/models/lab-models';
import { RECIPES, type LabRecipe } from '../../../../scripts/models/recipes';

// The gallery's ES carrot-9 as it was shipped before the gallery checked its claims (the `es` preset, 120 s): it
// grows the carrot (0.0102 after 40 updates) and then explodes (6.2e6 after 1000).
const EXPLODING = join(__dirname, '../../../fixtures/models/exploding-es-carrot-9/model.json');

async function exploding(): Promise<ModelToMeasure> {
  const m = await new LabStore(tmpdir()).loadModel(EXPLODING);
  return { nca: m.nca, params: m.params, target: m.target! };
}

describe('the gallery check (npm run models:build)', () => {
  it('measures what `nca-lab grow` shows: the same rollout, with and without the bottom-half erase at 52', async () => {
    const model = await exploding();
    const e = await measureModel(model);
    const t = await resolveTarget('carrot-9', { size: 9, padding: 0 });
    const replay = (damage: string[]) => {
      const r = new GrowthReplay({
        models: [{ name: 'm', nca: model.nca, params: model.params, target: { height: 9, width: 9, rgba: t.rgba } }],
        height: 9, width: 9, seed: 0, damage: damage.map((d) => parseDamageEvent(parseDamageText(d))),
      });
      r.seek(1000);
      return r;
    };
    const plain = replay([]);
    expect([e.loss40, e.loss200, e.loss1000, e.erase.before]).toEqual([plain.loss(0, 40), plain.loss(0, 200), plain.loss(0, 1000), plain.loss(0, 52)]);
    const erased = replay(['thesis:bottom@52']);
    expect([e.erase.erased, e.erase.after]).toEqual([erased.loss(0, 52), erased.loss(0, 102)]);
    expect(e.loss40).toBeCloseTo(0.0102, 4);
    expect(e.loss1000).toBeGreaterThan(1e6);
    expect(e.verdict).toBe('diverges');
  });

  it('refuses the old exploding ES carrot-9 for the ES card, naming each claim it fails with its figures', async () => {
    const e = await measureModel(await exploding());
    const es = RECIPES.find((r): r is LabRecipe => r.id === 'es-carrot-9')!;
    const problems = claimProblems({ shows: ['persists', 'heals'], loss40AtMost: 0.0005 }, e);
    expect(problems).toEqual([
      'it does not persist: its loss after 1000 updates is 6.2e+6 against 0.010 after 40 (diverges), not within 2×',
      "its loss after 40 updates (0.010) is above the card's 0.0005",
    ]);
    // what it does show passes: it heals 50 updates after the erase, and it does not stop growing
    expect(claimProblems({ shows: ['heals', 'overgrows'] }, e)).toEqual([]);
    await expect(
      pickShipped(es, [{ model: await exploding(), generation: 296, wallSeconds: 120, source: 'old es-carrot-9' }]),
    ).rejects.toThrow(/^es-carrot-9: refused, no model shows what its card claims \(persists, heals\):\n {2}old es-carrot-9 \(generation 296\): it does not persist/);
  });
});
