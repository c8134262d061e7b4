/**
 * Exporting a model and importing it back (services/models/model-export.ts, model-library.ts, LabApi
 * `models.export` / `models.import`, `nca-lab import`): the lab's export is one file that imports back under its
 * own name with its metadata, for every kind of model the lab has (the Distill lizards, the lab's ES and Adam
 * models, an imported file, a run's ES and Adam models and checkpoints, a fine-tuned run); a Distill export of a lab
 * model imports back in its own shape and origin; every refused import names the problem and writes nothing.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { paramCount } from '../../../../src/core/nca/config';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { LabService } from '../../../../src/services/lab/lab-service';
import { prepareStart } from '../../../../src/services/models/start-model';
import { findLibraryModel, importModelFiles, loadLibraryModel, type LibraryModel } from '../../../../src/services/models/model-library';
import { MODEL_FILE_SUFFIX, WEIGHTS_BIN } from '../../../../src/services/store/model-format';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import type { LibraryModelInfo, ModelFileSet, ModelRef } from '../../../../src/shared/lab-api';
import type { ModelFileFormat } from '../../../../src/shared/model-source';
import { configFromPreset, type RunConfig } from '../../../../src/shared/training-config';
import { runCli } from '../../helpers/cli-run';
import { sameBytes, testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

const DISTILL = '../shared/data/distill';
let ws: TestWorkspace | null = null;
let service: LabService | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
  ws?.cleanup();
  ws = null;
});
beforeAll(async () => {
  await initNodeBackend();
});

function open(): { ws: TestWorkspace; service: LabService } {
  ws = testWorkspace();
  service = new LabService({ workspace: ws.dir });
  return { ws, service };
}

const exportModel = (s: LabService, ref: ModelRef, format: ModelFileFormat) => s.dispatch('models:export', [ref, format]) as Promise<ModelFileSet>;
const importFiles = (s: LabService, files: ModelFileSet['files']) => s.dispatch('models:import', [{ files }]) as Promise<LibraryModelInfo[]>;
const modelJsonOf = (m: LibraryModel) => JSON.parse(readFileSync(join(m.dir, 'model.json'), 'utf8')).userDefinedMetadata.ncaLab;

function small(preset: string, steps: number): RunConfig {
  const c = configFromPreset(preset);
  c.seed = 5;
  c.evalEvery = steps;
  c.checkpointEvery = 2;
  c.stop.maxGenerations = steps;
  if (c.optimizer === 'es') c.es.population = 6;
  if (c.optimizer === 'adam') c.adam.batchSize = 2;
  return c;
}

/** A trained run of the workspace, made as the window makes one (a fine-tuned one starts from `from`). */
async function trainedRun(w: TestWorkspace, preset: string, steps: number, from: string | null = null): Promise<string> {
  const startFrom = from ? { kind: 'library' as const, id: from, label: '' } : null;
  const { config, startModel } = await prepareStart(w.store, { ...small(preset, steps), startFrom });
  const run = await w.store.createRun(config, { backend: null, ...(startModel ? { startModel } : {}) });
  await runTrainingSession({ workspace: w.dir, runId: run.id, control: { requested: null }, workers: 0 });
  return run.id;
}

/**
 * Exports `ref` in the lab's format, imports the one file back through the window and through `nca-lab import`,
 * and checks that both imports are the model: its name, shape, target, parameters bit for bit, and what it says
 * of where it came from.
 */
async function roundTrip(w: TestWorkspace, s: LabService, ref: ModelRef, expected: { name: string; params: Float32Array }): Promise<LibraryModel[]> {
  const set = await exportModel(s, ref, 'nca-lab');
  expect(set.files).toHaveLength(1);
  const [file] = set.files;
  expect(file.name.endsWith(MODEL_FILE_SUFFIX)).toBe(true);
  const [viaWindow] = await importFiles(s, [file]);
  const onDisk = join(w.dir, file.name);
  writeFileSync(onDisk, Buffer.from(file.bytesBase64, 'base64'));
  const cli = await runCli('import', onDisk, '--json', '--workspace', w.dir);
  expect(cli.code, cli.err.join('\n')).toBe(0);
  const viaCli = JSON.parse(cli.out[0]).models[0];
  const out: LibraryModel[] = [];
  for (const id of [viaWindow.id, viaCli.id]) {
    const m = (await findLibraryModel(w.dir, id))!;
    expect(m.name).toBe(expected.name);
    expect(sameBytes((await loadLibraryModel(m)).params, expected.params), `${id}: the parameters, bit for bit`).toBe(true);
    out.push(m);
  }
  return out;
}

describe('the lab\'s export is one file that imports back', () => {
  it('built-in models (Distill lizard, lab ES, lab Adam) and an imported one: same name, shape, target, origin, losses and thumbnail', async () => {
    const { ws: w, service: s } = open();
    const [imported] = await importModelFiles(w.dir, [join(DISTILL, 'ex3_lizard.json')]);
    for (const id of ['distill-lizard-growing', 'es-carrot-9', 'thesis-adam-carrot-9', imported.id]) {
      const source = (await findLibraryModel(w.dir, id))!;
      const params = (await loadLibraryModel(source)).params;
      const back = await roundTrip(w, s, { kind: 'library', id }, { name: source.name, params });
      for (const m of back) {
        expect(m.nca, id).toEqual(source.nca);
        expect(m.paramCount, id).toBe(paramCount(source.nca));
        expect(m.target, id).toEqual(source.target);
        expect(m.origin, id).toEqual(source.origin);
        // it grows the same: the same losses and the same thumbnail, byte for byte
        expect(m.evaluation, id).toEqual(source.evaluation);
        expect(readFileSync(m.thumbnail!).equals(readFileSync(source.thumbnail!)), `${id}: thumbnail`).toBe(true);
      }
    }
    // the Distill lizard keeps its credit; the lab's own models do not borrow it
    expect((await findLibraryModel(w.dir, 'distill-lizard-growing'))!.origin?.licence).toBe('CC-BY-4.0');
    const lab = (await findLibraryModel(w.dir, 'es-carrot-9'))!.origin;
    expect(lab?.licence).not.toBe('CC-BY-4.0');
    expect(lab?.attribution ?? '').not.toMatch(/Mordvintsev/);
  });

  it('runs\' models and checkpoints (ES, Adam, fine-tuned): the run\'s name, config, generation and where it came from', async () => {
    const { ws: w, service: s } = open();
    const es = await trainedRun(w, 'thesis-es', 4);
    const adam = await trainedRun(w, 'thesis-adam', 4);
    const tuned = await trainedRun(w, 'es-256', 2, 'es-carrot-9');
    for (const [runId, generation] of [[es, undefined], [adam, undefined], [tuned, undefined], [es, 2]] as const) {
      const record = await w.store.getRun(runId);
      const params = generation === undefined ? (await w.store.loadModel(runId)).params : (await w.store.readCheckpoint(runId, generation)).params;
      const ref: ModelRef = { kind: 'run', runId, ...(generation === undefined ? {} : { generation }) };
      const back = await roundTrip(w, s, ref, { name: record.name, params });
      for (const m of back) {
        const meta = modelJsonOf(m);
        expect(meta.runId).toBe(runId);
        expect(meta.generation).toBe(generation ?? record.progress.generation);
        expect(meta.config.optimizer).toBe(record.config.optimizer);
        expect(m.target).toEqual(record.config.target);
        expect(m.origin?.description).toContain(`"${record.name}" (${runId})`);
        expect(m.origin?.trainedWith).toContain(`preset ${record.preset}`);
        expect(m.evaluation?.loss40).toBeGreaterThan(0);
      }
    }
    // the Playground's "Open model files…" opens the same file under the run's name, with its run and generation
    const [esFile] = (await exportModel(s, { kind: 'run', runId: es, generation: 2 }, 'nca-lab')).files;
    const opened = (await s.dispatch('models:open', [{ files: [esFile] }])) as import('../../../../src/shared/lab-api').OpenedModel;
    expect(opened).toMatchObject({ name: (await w.store.getRun(es)).name, runId: es, generation: 2, targetProblem: null });
    expect(opened.target?.name).toBe('carrot-9');
    const tunedBack = (await findLibraryModel(w.dir, (await importFiles(s, (await exportModel(s, { kind: 'run', runId: tuned }, 'nca-lab')).files))[0].id))!;
    expect(tunedBack.origin?.description).toContain('fine-tuned from built-in model');
  });

  it('the lab\'s older exports still import: the two downloaded files under their prefixed names, and a model folder', async () => {
    const { ws: w, service: s } = open();
    const runId = await trainedRun(w, 'thesis-es', 2);
    const folder = join(w.store.runDir(runId), 'model');
    const files = [
      { name: `${runId}-model.json`, bytesBase64: readFileSync(join(folder, 'model.json')).toString('base64') },
      { name: `${runId}-${WEIGHTS_BIN}`, bytesBase64: readFileSync(join(folder, WEIGHTS_BIN)).toString('base64') },
    ];
    const [m] = await importFiles(s, files);
    // a run's model.json names its run: the import is named after it, not after a temporary folder
    expect(m.name).toBe(runId);
    expect(sameBytes((await loadLibraryModel((await findLibraryModel(w.dir, m.id))!)).params, (await w.store.loadModel(runId)).params)).toBe(true);
    const cli = await runCli('import', folder, '--json', '--workspace', w.dir);
    expect(cli.code, cli.err.join('\n')).toBe(0);
  });

  it('refuses bad base64, truncated weights, a wrong shape and an unknown format, naming the problem; nothing is written', async () => {
    const { ws: w, service: s } = open();
    const [file] = (await exportModel(s, { kind: 'library', id: 'es-carrot-9' }, 'nca-lab')).files;
    const json = JSON.parse(Buffer.from(file.bytesBase64, 'base64').toString('utf8'));
    const variant = (edit: (j: typeof json) => void) => {
      const j = structuredClone(json);
      edit(j);
      return [{ name: file.name, bytesBase64: Buffer.from(JSON.stringify(j)).toString('base64') }];
    };
    const cases: [ModelFileSet['files'], RegExp][] = [
      [variant((j) => void (j.weightsBase64 = `${j.weightsBase64.slice(0, 40)}*${j.weightsBase64.slice(41)}`)), /weightsBase64 is not base64: character "\*" at 40/],
      [variant((j) => void (j.weightsBase64 = j.weightsBase64.slice(0, 1000))), /wrong size: 750 bytes, but the model's config .* needs 2080 float32 = 8320 bytes/],
      [variant((j) => void (j.userDefinedMetadata.ncaLab.nca.hidden = 64)), /the weights manifest .* does not match the layout of its nca config/],
      [variant((j) => void (j.format = 'keras')), /unknown format "keras"/],
      [[{ name: 'notes.json', bytesBase64: Buffer.from('{"hello": 1}').toString('base64') }], /unknown format: not an NCA Lab model/],
      [[{ name: 'weights.bin', bytesBase64: Buffer.from('not a model').toString('base64') }], /unknown format: not a model\.json, a model folder or an NCA Lab checkpoint/],
    ];
    for (const [files, message] of cases) {
      await expect(importFiles(s, files)).rejects.toThrow(message);
      // the error names the file the user picked, never the temporary folder it was read from
      await expect(importFiles(s, files)).rejects.not.toThrow(/nca-lab-model-/);
    }
    expect(readdirSync(w.dir)).not.toContain('models');
  });
});

describe('nca-lab export', () => {
  it('writes the file the window downloads, which nca-lab import reads back; refuses a bad model, format or folder, writing nothing', async () => {
    const { ws: w } = open();
    const runId = await trainedRun(w, 'thesis-es', 4);
    const out = join(w.dir, 'out');
    const lab = await runCli('export', `${runId}@2`, '--out', `${out}/`, '--json', '--workspace', w.dir);
    expect(lab.code, lab.err.join('\n')).toBe(0);
    const written = JSON.parse(lab.out[0]);
    expect(written).toMatchObject({ file: join(out, `${runId}-generation-2${MODEL_FILE_SUFFIX}`), format: 'nca-lab' });
    const back = await runCli('import', written.file, '--json', '--workspace', w.dir);
    expect(back.code, back.err.join('\n')).toBe(0);
    const m = (await findLibraryModel(w.dir, JSON.parse(back.out[0]).models[0].id))!;
    expect(m.name).toBe((await w.store.getRun(runId)).name);
    expect(modelJsonOf(m)).toMatchObject({ runId, generation: 2 });
    expect(sameBytes((await loadLibraryModel(m)).params, (await w.store.readCheckpoint(runId, 2)).params)).toBe(true);

    const distill = await runCli('export', 'es-carrot-9', '--format', 'distill', '--out', join(out, 'carrot.json'), '--workspace', w.dir);
    expect(distill.code, distill.err.join('\n')).toBe(0);
    expect(distill.out[0]).toMatch(/wrote .*carrot\.json \([\d,]+ bytes, the Distill demo's format\)/);
    const [carrot] = await importModelFiles(w.dir, [join(out, 'carrot.json')]);
    expect(carrot.nca.hidden).toBe(32);

    const refused: [string[], number, RegExp][] = [
      [['export', 'no-such-model'], 2, /"no-such-model" is neither a run of .* nor a built-in or imported model/],
      [['export', 'es-carrot-9', '--format', 'onnx'], 2, /--format must be lab or distill, got "onnx"/],
      [['export', 'es-carrot-9', '--out', join(w.dir, 'out', 'carrot.json', 'x.json')], 1, /--out folder/],
    ];
    for (const [argv, code, message] of refused) {
      const r = await runCli(...argv, '--workspace', w.dir);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err.join('\n')).toMatch(message);
    }
    expect(readdirSync(out).sort()).toEqual([`${runId}-generation-2${MODEL_FILE_SUFFIX}`, 'carrot.json']);
  });
});

describe('a lab model exported as Distill JSON imports back as itself', () => {
  it('keeps the hidden-32 carrot\'s shape, target, name and origin; the demo\'s own files keep Mordvintsev\'s credit', async () => {
    const { ws: w, service: s } = open();
    const source = (await findLibraryModel(w.dir, 'es-carrot-9'))!;
    const [file] = (await exportModel(s, { kind: 'library', id: 'es-carrot-9' }, 'distill-webgl')).files;
    expect(file.name).toBe('es-carrot-9.distill.json');
    const layers = JSON.parse(Buffer.from(file.bytesBase64, 'base64').toString('utf8'));
    // the demo's shape (128 hidden units, both biases), with the lab's note of the model's own
    expect([layers[0].in_ch, layers[0].out_ch, layers[1].out_ch]).toEqual([48, 128, 16]);
    expect(layers[0].nca_lab.nca).toEqual(source.nca);
    const [back] = await importFiles(s, [file]);
    expect(back.name).toBe(source.name);
    expect(back.nca).toEqual(source.nca);
    expect(back.paramCount).toBe(paramCount(source.nca));
    expect(back.paramCount).not.toBe(8336);
    expect(back.target).toEqual(source.target);
    // the lab's model, under the lab's licence: not credited to the article
    expect(back.origin?.licence).toBe(source.origin?.licence);
    expect(back.origin?.licence).not.toBe('CC-BY-4.0');
    expect(back.origin?.attribution ?? '').not.toMatch(/Mordvintsev/);
    expect(back.origin?.trainedWith).toBe(source.origin?.trainedWith);
    expect(back.origin?.description).toMatch(/Exported by NCA Lab in the Distill demo's format \(8-bit weights\) as es-carrot-9\.distill\.json/);
    // 8-bit weights: close to the model, not the same
    const params = (await loadLibraryModel((await findLibraryModel(w.dir, back.id))!)).params;
    const original = (await loadLibraryModel(source)).params;
    const maxAbs = original.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(params.every((v, i) => Math.abs(v - original[i]) <= maxAbs / 255 + 1e-6)).toBe(true);

    // the lab's older Distill export (no note): its shape is read from the weights, its origin unknown
    delete layers[0].nca_lab;
    const [old] = await importFiles(s, [{ name: 'carrot-old.distill.json', bytesBase64: Buffer.from(JSON.stringify(layers)).toString('base64') }]);
    expect(old.nca).toEqual(source.nca);
    expect(old.origin).toMatchObject({ licence: null, attribution: null, description: 'Distill-format model carrot-old.distill.json of unknown origin' });

    // a Distill lizard exported by the lab keeps the article's credit (the model is theirs)
    const [lizard] = (await exportModel(s, { kind: 'library', id: 'distill-lizard-persistent' }, 'distill-webgl')).files;
    const [lizardBack] = await importFiles(s, [lizard]);
    expect(lizardBack.nca.hidden).toBe(128);
    expect(lizardBack.origin?.licence).toBe('CC-BY-4.0');
    expect(lizardBack.origin?.attribution).toMatch(/Mordvintsev, Randazzo, Niklasson, Levin/);
  });

  it('refuses a lab Distill file whose padding carries weights, whose note does not fit its layers, or whose bytes are not base64 or cut short; nothing is written', async () => {
    const { service: s } = open();
    const [file] = (await exportModel(s, { kind: 'library', id: 'es-carrot-9' }, 'distill-webgl')).files;
    const layers = JSON.parse(Buffer.from(file.bytesBase64, 'base64').toString('utf8'));
    const bytes = Buffer.from(layers[1].data_b64, 'base64');
    bytes[100 * 16] = 7; // hidden unit 100's first output weight
    const changed = structuredClone(layers);
    changed[1].data_b64 = bytes.toString('base64');
    const asFile = (l: unknown) => [{ name: 'carrot.distill.json', bytesBase64: Buffer.from(JSON.stringify(l)).toString('base64') }];
    await expect(importFiles(s, asFile(changed))).rejects.toThrow(/says hidden 32, layer-1 bias on, layer-2 bias off, but hidden unit 100 carries weights/);
    const wide = structuredClone(layers);
    wide[0].nca_lab.nca.hidden = 256;
    await expect(importFiles(s, asFile(wide))).rejects.toThrow(/nca_lab\.nca\.hidden is 256, more than the layers' 128 hidden units/);
    const garbled = structuredClone(layers);
    garbled[0].data_b64 = `*${garbled[0].data_b64.slice(1)}`;
    await expect(importFiles(s, asFile(garbled))).rejects.toThrow(/carrot\.distill\.json: not a Distill demo model: layer 0\.data_b64 is not base64/);
    const cut = structuredClone(layers);
    cut[1].data_b64 = cut[1].data_b64.slice(0, 400);
    await expect(importFiles(s, asFile(cut))).rejects.toThrow(/layer 1\.data_b64 holds 300 bytes; \(in_ch \+ 1\) × out_ch = 2064 expected/);
    expect(readdirSync(ws!.dir)).not.toContain('models');
  });

  it('a Distill file of an emoji the lab has no target for grows on the demo\'s 72×72 canvas: a thumbnail, and grow needs no --canvas', async () => {
    const { ws: w } = open();
    const copy = join(w.dir, 'ex1_🦋.json');
    writeFileSync(copy, readFileSync(join(DISTILL, 'ex1_lizard.json')));
    const [m] = await importModelFiles(w.dir, [copy]);
    expect(m.target).toBeNull();
    expect(m.evaluation).toMatchObject({ canvas: 72, loss40: null });
    expect(m.thumbnail).not.toBeNull();
    const grown = await runCli('grow', m.id, '--steps', '40', '--json', '--workspace', w.dir);
    expect(grown.code, grown.err.join('\n')).toBe(0);
    expect(JSON.parse(grown.out[0]).canvas).toBe(72);
    // a Distill-format file that is not one of the demo's own is credited to no one
    const other = join(w.dir, 'mine.json');
    renameSync(copy, other);
    const [unknown] = await importModelFiles(w.dir, [other]);
    expect(unknown.origin).toMatchObject({ licence: null, attribution: null, description: 'Distill-format model mine.json of unknown origin' });
  });
});
