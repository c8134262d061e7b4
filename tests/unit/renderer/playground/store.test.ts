// @vitest-environment happy-dom
/// <reference types="node" />
/**
 * The Playground store (src/renderer/playground/store.ts) with built-in models: the library is listed beside the
 * runs, a built-in loads with its target and canvas, and the rotation angle turns what the replay grows (the
 * model's own parameters stay as loaded; the recording keeps the angle).
 */
import { readFileSync } from 'node:fs';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeDistillModel } from '../../../../src/core/nca/distill-format';
import { rotatePerception } from '../../../../src/core/nca/perception-rotation';
import { encodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import { targetFromU8 } from '../../../../src/core/targets/target';
import { installFakeLab } from '../fake-lab';

const { nca, params } = decodeDistillModel(JSON.parse(readFileSync('../shared/data/distill/ex2_lizard.json', 'utf8')));
// the exact pixels of the built-in lizard-2018-40 (spec b.2), padded by 16 as it was trained
const u8 = JSON.parse(readFileSync('../shared/data/targets_u8.json', 'utf8')).targets.lizard_2018_40.rgba_u8 as number[][][];
const lizard = targetFromU8('lizard-2018-40', 40, Uint8Array.from(u8.flat(2)), 16);
let usePlaygroundStore: typeof import('../../../../src/renderer/playground/store').usePlaygroundStore;

beforeEach(async () => {
  installFakeLab({
    'models.list': () => [],
    'models.library': () => [{ kind: 'builtin', id: 'distill-lizard-persistent', name: 'Distill lizard (persistent)', nca, paramCount: 8336, target: { name: 'lizard-2018-40', size: 40, padding: 16 }, canvas: 72, origin: null, evaluation: null, thumbnailPngBase64: null }],
    'models.openLibrary': (id: string) => ({
      name: id, nca, paramsF32Base64: encodeFloat32Base64(params), height: 72, width: 72, targetProblem: null, runId: null, generation: null, libraryId: id,
      target: { name: 'lizard-2018-40', builtin: true, size: 40, padding: 16, height: 72, width: 72, rgbaF32Base64: encodeFloat32Base64(lizard.rgba) },
    }),
  });
  setActivePinia(createPinia());
  ({ usePlaygroundStore } = await import('../../../../src/renderer/playground/store'));
});

describe('the playground store with built-in models', () => {
  it('lists the library, loads a built-in and grows it rotated by the angle', async () => {
    const store = usePlaygroundStore();
    await store.loadCatalogue();
    expect(store.library.map((m) => m.id)).toEqual(['distill-lizard-persistent']);
    await store.loadLibrary('distill-lizard-persistent', true);
    expect(store.loadError).toBeNull();
    expect(store.models.map((m) => [m.name, m.source, m.trainingCanvas])).toEqual([['Distill lizard (persistent)', 'built-in model', { height: 72, width: 72 }]]);
    expect(store.canvasSide).toBe(72);
    store.seek(60);
    const upright = store.currentLosses[0].loss;
    expect(upright).toBeLessThan(4e-3);

    await store.setAngle(90);
    expect(store.angle).toBe(90);
    // the replay grows the rotated parameters; the model keeps its own
    expect(store.grownParams(0)).toEqual(rotatePerception(nca, params, 90));
    expect(store.models[0].params).toEqual(params);
    store.seek(60);
    expect(store.currentLosses[0].loss).toBeGreaterThan(3 * upright);
    expect(store.recording()!.models[0].angle).toBe(90);
    await store.setAngle(0);
    expect(store.grownParams(0)).toEqual(params);
  });
});
