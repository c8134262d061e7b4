/**
 * Built-in and imported models (services/models/model-library.ts) and `nca-lab import`: a Distill demo file
 * becomes a model of the workspace in the lab's format, with its source, licence and attribution, its losses and
 * a thumbnail; `nca-lab grow` takes its id (and --angle); built-ins are listed in gallery order and cannot be
 * deleted; an imported model can.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeDistillModel } from '../../../../src/core/nca/distill-format';
import { decodePng } from '../../../../src/services/export/png';
import {
  distillFileFacts, findLibraryModel, importModelFiles, listBuiltinModels, listImportedModels, loadLibraryModel, modelIdFor,
  removeImportedModel,
} from '../../../../src/services/models/model-library';
import { runCli } from '../../helpers/cli-run';
import { testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

const DISTILL = '../shared/data/distill';
let ws: TestWorkspace | null = null;
afterEach(() => {
  ws?.cleanup();
  ws = null;
});

describe('nca-lab import', () => {
  it('imports a Distill demo lizard in the lab format with its source, losses and thumbnail', async () => {
    ws = testWorkspace();
    const { code, out } = await runCli('import', join(DISTILL, 'ex2_lizard.json'), '--json', '--workspace', ws.dir);
    expect(code).toBe(0);
    const [m] = JSON.parse(out[0]).models;
    // the gallery already has a model of that name: an import never takes a built-in's id
    expect(m.id).toBe('distill-lizard-persistent-2');
    expect(m.name).toBe('Distill lizard (persistent)');
    expect(m.target).toEqual({ name: 'lizard-2018-40', size: 40, padding: 16 });
    expect(m.origin).toMatchObject({ format: 'distill-webgl', file: 'ex2_lizard.json', licence: 'CC-BY-4.0' });
    expect(m.origin.attribution).toMatch(/Mordvintsev, Randazzo, Niklasson, Levin.*Distill, 2020.*CC-BY 4\.0/);
    // the persistent lizard: far from the target at 40 updates, on it from 200 to 1000 (distill-format.test.ts)
    expect(m.evaluation.canvas).toBe(72);
    expect(m.evaluation.loss40).toBeGreaterThan(2e-3);
    expect(m.evaluation.loss200).toBeLessThan(2e-4);
    expect(m.evaluation.loss1000).toBeLessThan(2e-4);
    const thumb = decodePng(readFileSync(m.thumbnail));
    expect([thumb.width, thumb.height]).toEqual([72, 72]);
    // the lizard is green in the middle of its thumbnail and white at the corner
    const px = (y: number, x: number) => Array.from(thumb.data.subarray((y * 72 + x) * 4, (y * 72 + x) * 4 + 3));
    expect(px(0, 0)).toEqual([255, 255, 255]);
    const [r, g, b] = px(36, 36);
    expect(g).toBeGreaterThan(r);
    expect(g).toBeGreaterThan(b);
    // the stored parameters are the file's, exactly
    const loaded = await loadLibraryModel((await findLibraryModel(ws.dir, m.id))!);
    const fromFile = decodeDistillModel(JSON.parse(readFileSync(join(DISTILL, 'ex2_lizard.json'), 'utf8')));
    expect(loaded.params).toEqual(fromFile.params);
    expect(loaded.nca).toEqual(fromFile.nca);
  });

  it('grows an imported model by its id, rotated with --angle', async () => {
    ws = testWorkspace();
    await importModelFiles(ws.dir, [join(DISTILL, 'ex2_lizard.json')]);
    const plain = await runCli('grow', 'distill-lizard-persistent-2', '--steps', '200', '--json', '--workspace', ws.dir);
    expect(plain.code).toBe(0);
    const a = JSON.parse(plain.out[0]);
    expect(a.canvas).toBe(72);
    expect(a.loss[0]['200']).toBeLessThan(2e-4);
    const turned = await runCli('grow', 'distill-lizard-persistent-2', '--steps', '200', '--angle', '90', '--json', '--workspace', ws.dir);
    const b = JSON.parse(turned.out[0]);
    expect(b.angle).toBe(90);
    // turned by 90°, the same lizard is far from the upright target (distill-format.test.ts: it matches the turned one)
    expect(b.loss[0]['200']).toBeGreaterThan(1e-2);
    const bad = await runCli('grow', 'distill-lizard-persistent-2', '--angle', 'left', '--workspace', ws.dir);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--angle must be a number of degrees/);
  });

  it('names ids uniquely, lists and deletes imports; refuses what is not a model, naming the file', async () => {
    ws = testWorkspace();
    const copy = join(ws.dir, 'ex1_🦎.json');
    copyFileSync(join(DISTILL, 'ex1_lizard.json'), copy);
    const [first] = await importModelFiles(ws.dir, [copy]);
    const [second] = await importModelFiles(ws.dir, [join(DISTILL, 'ex1_lizard.json')]);
    expect([first.id, second.id]).toEqual(['distill-lizard-growing-2', 'distill-lizard-growing-3']);
    expect(first.origin?.file).toBe('ex1_🦎.json');
    expect((await listImportedModels(ws.dir)).map((m) => m.id)).toEqual(['distill-lizard-growing-2', 'distill-lizard-growing-3']);
    await removeImportedModel(ws.dir, 'distill-lizard-growing-2');
    expect((await listImportedModels(ws.dir)).map((m) => m.id)).toEqual(['distill-lizard-growing-3']);
    await expect(removeImportedModel(ws.dir, 'nothing-here')).rejects.toThrow(/no imported model "nothing-here"/);

    const notModel = join(ws.dir, 'layers.json');
    writeFileSync(notModel, JSON.stringify([{ data_b64: 'AAAA', in_ch: 48, out_ch: 128, weight_scale: 1, bias_scale: 1, type: 'uint8' }, {}]));
    const r = await runCli('import', notModel, '--workspace', ws.dir);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/layers\.json: not a Distill demo model: layer 0\.data_b64 holds 3 bytes; \(in_ch \+ 1\) × out_ch = 6272 expected/);
    const none = await runCli('import', '--workspace', ws.dir);
    expect(none.code).toBe(2);
  });

  it('reads what a Distill file name says, and makes safe ids', () => {
    expect(distillFileFacts('ex3_🦎.json')).toEqual({ variant: 'regenerating', lizard: true });
    expect(distillFileFacts('ex1_🐠.json')).toEqual({ variant: 'growing', lizard: false });
    expect(distillFileFacts('my-model.json')).toEqual({ variant: null, lizard: false });
    expect(modelIdFor('Distill lizard (growing)', new Set())).toBe('distill-lizard-growing');
    expect(modelIdFor('🦎', new Set(['model']))).toBe('model-2');
  });
});

describe('the built-in gallery', () => {
  it('lists the Distill lizards first, with their attribution, losses and thumbnails; they cannot be deleted', async () => {
    const builtins = await listBuiltinModels();
    expect(builtins.slice(0, 3).map((m) => m.id)).toEqual(['distill-lizard-growing', 'distill-lizard-persistent', 'distill-lizard-regenerating']);
    for (const m of builtins) {
      expect(m.kind).toBe('builtin');
      expect(m.thumbnail).not.toBeNull();
      expect(m.evaluation?.loss40).toBeGreaterThan(0);
      expect(m.origin?.description.length).toBeGreaterThan(10);
    }
    expect(builtins[0].origin?.licence).toBe('CC-BY-4.0');
    // the growing lizard grows, then does not stop; the persistent one stays
    expect(builtins[0].evaluation!.loss1000!).toBeGreaterThan(1e-3);
    expect(builtins[1].evaluation!.loss1000!).toBeLessThan(2e-4);
    ws = testWorkspace();
    await expect(removeImportedModel(ws.dir, 'distill-lizard-growing')).rejects.toThrow(/built-in model: it cannot be deleted/);
    expect(readFileSync('resources/models/ATTRIBUTION.md', 'utf8')).toMatch(/CC-BY|Creative Commons Attribution 4\.0/);
  });
});

describe('the models domain of the LabApi (lab-service)', () => {
  it('lists built-ins first, opens one, imports and opens Distill files, exports both formats, deletes imports', async () => {
    const { LabService } = await import('../../../../src/services/lab/lab-service');
    const { encodeDistillModel } = await import('../../../../src/core/nca/distill-format');
    const { decodeFloat32Base64 } = await import('../../../../src/shared/float32-base64');
    ws = testWorkspace();
    const service = new LabService({ workspace: ws.dir });
    try {
      type Info = import('../../../../src/shared/lab-api').LibraryModelInfo;
      type Opened = import('../../../../src/shared/lab-api').OpenedModel;
      const listed = (await service.dispatch('models:library', [])) as Info[];
      expect(listed[0]).toMatchObject({ kind: 'builtin', id: 'distill-lizard-growing', canvas: 72 });
      expect(decodePng(Buffer.from(listed[0].thumbnailPngBase64!, 'base64')).width).toBe(72);

      const opened = (await service.dispatch('models:openLibrary', ['distill-lizard-persistent'])) as Opened;
      expect(opened).toMatchObject({ libraryId: 'distill-lizard-persistent', height: 72, width: 72, targetProblem: null });
      expect(opened.target?.name).toBe('lizard-2018-40');
      const params = decodeFloat32Base64(opened.paramsF32Base64);
      expect(params.length).toBe(8336);

      // "Open model files…" with a Distill file: imported into the workspace in the lab's format, then opened
      const bytes = readFileSync(join(DISTILL, 'ex3_lizard.json')).toString('base64');
      const fromFile = (await service.dispatch('models:open', [{ files: [{ name: 'ex3_🦎.json', bytesBase64: bytes }] }])) as Opened;
      expect(fromFile.libraryId).toBe('distill-lizard-regenerating-2');
      expect((await listImportedModels(ws.dir)).map((m) => m.id)).toEqual(['distill-lizard-regenerating-2']);
      const imported = (await service.dispatch('models:import', [{ files: [{ name: 'ex1_lizard.json', bytesBase64: readFileSync(join(DISTILL, 'ex1_lizard.json')).toString('base64') }] }])) as Info[];
      expect(imported.map((m) => m.id)).toEqual(['distill-lizard-growing-2']);

      // the lab's format: one file, model.json with the weights inline, which the lab reads back to the same parameters
      const set = (await service.dispatch('models:export', [{ kind: 'library', id: 'distill-lizard-persistent' }, 'nca-lab'])) as { files: { name: string; bytesBase64: string }[] };
      expect(set.files.map((f) => f.name)).toEqual(['distill-lizard-persistent.nca-model.json']);
      const file = join(ws.dir, set.files[0].name);
      writeFileSync(file, Buffer.from(set.files[0].bytesBase64, 'base64'));
      const back = await ws.store.loadModel(file);
      expect(back.params).toEqual(params);
      expect(back.origin?.licence).toBe('CC-BY-4.0');
      // and the Distill JSON of the same parameters is the published file, byte for byte
      const published = JSON.parse(readFileSync(join(DISTILL, 'ex2_lizard.json'), 'utf8'));
      expect(encodeDistillModel(back.nca, back.params)[0].data_b64).toBe(published[0].data_b64);

      await service.dispatch('models:remove', ['distill-lizard-growing-2']);
      expect((await listImportedModels(ws.dir)).map((m) => m.id)).toEqual(['distill-lizard-regenerating-2']);
      await expect(service.dispatch('models:remove', ['distill-lizard-growing'])).rejects.toThrow(/built-in model: it cannot be deleted/);
      await expect(service.dispatch('models:openLibrary', ['../runs'])).rejects.toThrow(/models\.openLibrary: id must be a model id/);
      await expect(service.dispatch('models:export', [{ kind: 'file', id: 'x' }, 'nca-lab'])).rejects.toThrow(/models\.export: kind must be "run" or "library"/);
      await expect(service.dispatch('models:export', [{ kind: 'library', id: 'es-carrot-9' }, 'onnx'])).rejects.toThrow(/models\.export: format must be "nca-lab" or "distill-webgl", got "onnx"/);
    } finally {
      await service.close();
    }
  });
});

describe('built-in and imported models in experiments (Compare, nca-lab experiment)', () => {
  it('loads a built-in model by id with its target', async () => {
    const { loadExperimentModel } = await import('../../../../src/services/experiments/run-experiment');
    ws = testWorkspace();
    const m = await loadExperimentModel(ws.store, 'distill-lizard-persistent');
    expect(m.info.key).toBe('distill-lizard-persistent');
    expect(m.info.target).toEqual({ name: 'lizard-2018-40', size: 40, padding: 16 });
    expect(m.params.length).toBe(8336);
    expect([m.target.height, m.target.width]).toEqual([72, 72]);
  });
});
