/**
 * The Playground's models (src/renderer/playground/catalogue.ts): made from what the lab sends, coloured, sized; and
 * useCatalogue asking a lab for them.
 */
import { describe, expect, it } from 'vitest';
import { minCanvasOf, modelFromOpened, modelFromRun, nextColour, openedFromFiles, useCatalogue, type LoadedModel } from '../../../../src/renderer/playground/catalogue';
import { CURVE_COLOURS } from '../../../../src/renderer/lib/charts/chart';
import { encodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import type { ModelParams, OpenedModel, TargetData } from '../../../../src/shared/lab-api';
import { testModel } from './fixtures';

const params = Float32Array.from([0.5, -1, 2]);
const target: TargetData = {
  name: 'carrot-9', builtin: true, size: 9, padding: 0, height: 9, width: 9, rgbaF32Base64: encodeFloat32Base64(new Float32Array(324).fill(0.5)),
} as TargetData;
const p = (source: 'checkpoint' | 'model', generation: number): ModelParams => ({
  runId: 'r1', generation, source, nca: THESIS_ES_MODEL, paramsF32Base64: encodeFloat32Base64(params), height: 9, width: 9,
});

describe('playground models', () => {
  it('records a checkpoint by its generation so a recording asks for it again; a final model has none', () => {
    const newest = modelFromRun(p('checkpoint', 300), target, { name: 'es run', optimizer: 'es' }, undefined);
    expect(newest.recorded).toEqual({ name: 'es run', runId: 'r1', generation: 300 });
    expect(newest.source).toBe('checkpoint at generation 300');
    expect(newest.params).toEqual(params);
    expect(newest.target!.rgba.length).toBe(324);
    expect(newest.trainingCanvas).toEqual({ height: 9, width: 9 });
    expect(modelFromRun(p('model', 916), target, { name: 'adam run', optimizer: 'adam' }, undefined)).toMatchObject({
      source: 'model at iteration 916', recorded: { name: 'adam run', runId: 'r1' },
    });
    expect(modelFromRun(p('model', 916), target, { name: 'adam run', optimizer: 'adam' }, undefined).recorded).not.toHaveProperty('generation');
    expect(modelFromRun(p('checkpoint', 40), target, { name: 'x', optimizer: 'es' }, 40).recorded.generation).toBe(40);
  });

  it('keeps what the files say of a model opened from disk, and says where it was imported', () => {
    const opened: OpenedModel = {
      name: 'model', nca: THESIS_ES_MODEL, paramsF32Base64: encodeFloat32Base64(params), height: null, width: null, target: null,
      targetProblem: 'its target image is gone', runId: 'r9', generation: 12, libraryId: 'imported-lizard',
    };
    const { source, recorded } = openedFromFiles(opened, 'model.json + weights.bin');
    expect(source).toBe('model.json + weights.bin, imported as imported-lizard');
    expect(recorded).toEqual({ name: 'model', file: 'model.json + weights.bin', runId: 'r9', generation: 12 });
    const m = modelFromOpened(opened, source, recorded);
    expect(m).toMatchObject({ target: null, targetProblem: 'its target image is gone', trainingCanvas: null });
  });

  it('gives each model the first colour not in use, and the canvas every model fits', () => {
    expect(nextColour([])).toBe(CURVE_COLOURS[0]);
    const a = testModel('a', 1, { colour: CURVE_COLOURS[0] });
    const c = testModel('c', 2, { colour: CURVE_COLOURS[2] });
    expect(nextColour([a, c])).toBe(CURVE_COLOURS[1]);
    expect(minCanvasOf([])).toBe(1);
    expect(minCanvasOf([a, testModel('big', 3, { trainingCanvas: { height: 40, width: 36 } }), testModel('unknown', 4, { trainingCanvas: null })])).toBe(40);
  });
});

describe('useCatalogue: what the lab offers, loaded one model at a time', () => {
  function withLab(lab: Record<string, Record<string, (...a: any[]) => Promise<unknown>>>) {
    const added: { model: LoadedModel; replace: boolean }[] = [];
    const cat = useCatalogue(lab as any, async (model, replace) => {
      added.push({ model, replace });
    });
    return { cat, added };
  }

  it('lists the runs and the library, and names a lab that fails', async () => {
    const ok = withLab({ models: { list: async () => [{ runId: 'r1', name: 'es run' }], library: async () => [{ id: 'lib', name: 'Lizard' }] } });
    await ok.cat.loadCatalogue();
    expect([ok.cat.catalogue.value.length, ok.cat.library.value.length, ok.cat.catalogueError.value]).toEqual([1, 1, null]);
    const down = withLab({ models: { list: async () => Promise.reject(new Error('the lab is not running')), library: async () => [] } });
    await down.cat.loadCatalogue();
    expect(down.cat.catalogueError.value).toBe('the lab is not running');
  });

  it('loads a run\'s checkpoint with its target, named by the run itself when the list has not arrived', async () => {
    const { cat, added } = withLab({
      models: { params: async (req: { generation?: number }) => p('checkpoint', req.generation ?? 0) },
      runs: { target: async () => target, get: async () => ({ name: 'es run', optimizer: 'es' }) },
    });
    await cat.loadRun('r1', 300, true);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ replace: true, model: { name: 'es run', recorded: { runId: 'r1', generation: 300 } } });
    expect([cat.loading.value, cat.loadError.value]).toEqual([false, null]);
  });

  it('shows why a model does not load, and refuses too many files before reading them', async () => {
    const { cat, added } = withLab({ models: { openLibrary: async () => Promise.reject(new Error('no such model: x')) } });
    await cat.loadLibrary('x', false);
    expect(cat.loadError.value).toBe('no such model: x');
    const files = ['a', 'b', 'c', 'd'].map((n) => new File(['{}'], `${n}.json`));
    await cat.openFiles(files, false);
    expect(cat.loadError.value).toMatch(/4 files picked/);
    expect([added.length, cat.loading.value]).toEqual([0, false]);
  });
});
