/**
 * The playground's model channels through LabService.dispatch: models.list (runs with parameters on disk) and
 * models.open (model files from the user's disk), with malformed and incompatible files refused by a message that
 * names the user's file, never the temporary folder the lab read it from.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import type { ModelSummary, OpenedModel } from '../../../../src/shared/lab-api';
import { parseModelFilesRequest } from '../../../../src/shared/ipc-schema';
import { configFromPreset } from '../../../../src/shared/training-config';
import { LabService } from '../../../../src/services/lab/lab-service';
import { LabStore } from '../../../../src/services/store/lab-store';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { TEST_VERSIONS, floats } from '../../helpers/store-helpers';

let workspace: string;
let service: LabService;
let store: LabStore;

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-playground-models-'));
  service = new LabService({ workspace, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { train: async () => { throw new Error('not in this test'); }, cores: 1 } });
  store = new LabStore(workspace, { versions: TEST_VERSIONS });
  await service.start();
});
afterEach(async () => {
  await service.close();
  await rm(workspace, { recursive: true, force: true });
});

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

describe('models.list', () => {
  it('lists the runs that have a model or a checkpoint, with their canvas and checkpoints', async () => {
    const withModel = await store.createRun(configFromPreset('thesis-es'), { backend: null, name: 'with model' });
    await store.writeModel(withModel.id, floats(2048), { config: withModel.config, generation: 10, loss: 0.5 });
    const adam = configFromPreset('thesis-adam');
    adam.target = { name: 'carrot-15', size: 15, padding: 0 };
    const withCkpt = await store.createRun(adam, { backend: null, name: 'with checkpoints' });
    for (const generation of [5, 10]) {
      await store.writeCheckpoint(withCkpt.id, { generation, evaluations: 0, wallSeconds: 0, params: floats(2080), arrays: {}, scalars: {}, pool: null, rng: null });
    }
    await store.createRun(configFromPreset('thesis-es'), { backend: null, name: 'nothing yet' });
    const list = (await service.dispatch('models:list', [])) as ModelSummary[];
    expect(list.map((m) => [m.name, m.optimizer, m.height, m.checkpoints, m.hasModel])).toEqual(expect.arrayContaining([
      ['with model', 'es', 9, [], true],
      ['with checkpoints', 'adam', 15, [5, 10], false],
    ]));
    expect(list).toHaveLength(2);
    expect(list.find((m) => m.name === 'with checkpoints')!.target).toEqual({ name: 'carrot-15', size: 15, padding: 0 });
    await expect(service.dispatch('models:list', [1])).rejects.toThrow('models:list: expected 0 arguments, got 1');
  });
});

describe('models.open', () => {
  it('reads a model folder\'s model.json + weights.bin, with its built-in target', async () => {
    const run = await store.createRun(configFromPreset('thesis-es'), { backend: null });
    const params = floats(2048, 3);
    const folder = await store.writeModel(run.id, params, { config: run.config, generation: 42, loss: 0.1 });
    const files = [
      { name: 'model.json', bytesBase64: b64(await readFile(join(folder, 'model.json'))) },
      { name: 'weights.bin', bytesBase64: b64(await readFile(join(folder, 'weights.bin'))) },
    ];
    const m = (await service.dispatch('models:open', [{ files }])) as OpenedModel;
    expect([m.name, m.runId, m.generation, m.height, m.width, m.nca.hidden, m.targetProblem]).toEqual([run.id, run.id, 42, 9, 9, 32, null]);
    expect(Buffer.from(decodeFloat32Base64(m.paramsF32Base64).buffer).equals(Buffer.from(params.buffer))).toBe(true);
    expect(m.target?.name).toBe('carrot-9');
    expect(m.target?.builtin).toBe(true);
    expect(Array.from(decodeFloat32Base64(m.target!.rgbaF32Base64))).toEqual(Array.from(loadBuiltinTarget('carrot-9').rgba));
  });

  it('reads a checkpoint file', async () => {
    const run = await store.createRun(configFromPreset('thesis-adam'), { backend: null });
    const params = floats(2080, 5);
    await store.writeCheckpoint(run.id, { generation: 7, evaluations: 56, wallSeconds: 1, params, arrays: {}, scalars: {}, pool: null, rng: null });
    const [ckpt] = await store.listCheckpoints(run.id);
    const m = (await service.dispatch('models:open', [{ files: [{ name: 'ckpt.nckpt', bytesBase64: b64(await readFile(ckpt.file)) }] }])) as OpenedModel;
    expect([m.name, m.nca.bias1, m.height]).toEqual(['ckpt.nckpt', true, 9]);
    expect(decodeFloat32Base64(m.paramsF32Base64)).toEqual(params);
  });

  it('refuses malformed and incompatible files, naming the user\'s file and the problem', async () => {
    const run = await store.createRun(configFromPreset('thesis-es'), { backend: null });
    const folder = await store.writeModel(run.id, floats(2048), { config: run.config, generation: 1, loss: null });
    const modelJson = await readFile(join(folder, 'model.json'), 'utf8');
    const open = (files: { name: string; bytes: Uint8Array | string }[]) =>
      service.dispatch('models:open', [{ files: files.map((f) => ({ name: f.name, bytesBase64: b64(f.bytes) })) }]);

    await expect(open([{ name: 'model.json', bytes: '{"weightsManifest": [' }])).rejects.toThrow(/^model\.json: not a model: the file is not JSON/);
    await expect(open([{ name: 'model.json', bytes: modelJson }])).rejects.toThrow('weights.bin: missing: model.json lists weights.bin but there is no such file');
    await expect(open([{ name: 'model.json', bytes: modelJson }, { name: 'weights.bin', bytes: new Uint8Array(8) }]))
      .rejects.toThrow(/^weights\.bin: wrong size: 8 bytes, but the model's config .* needs 2048 float32 = 8192 bytes$/);
    const hidden = JSON.parse(modelJson);
    hidden.userDefinedMetadata.ncaLab.nca.hidden = 0;
    await expect(open([{ name: 'model.json', bytes: JSON.stringify(hidden) }, { name: 'weights.bin', bytes: new Uint8Array(8) }]))
      .rejects.toThrow(/^model\.json: incompatible model: userDefinedMetadata\.ncaLab\.nca: model\.hidden must be an integer in \[1, 1024\], got 0$/);
    await expect(open([{ name: 'notes.txt', bytes: 'hello' }])).rejects.toThrow(/^notes\.txt: unknown format/);
    await expect(open([{ name: 'a.bin', bytes: 'x' }, { name: 'b.bin', bytes: 'y' }])).rejects.toThrow(/pick a model folder's model\.json together with its weights file/);
    for (const err of await Promise.allSettled([open([{ name: 'model.json', bytes: '{' }])])) {
      expect(String((err as PromiseRejectedResult).reason)).not.toContain(tmpdir());
    }
  });

  it('validates the request at the boundary', () => {
    expect(() => parseModelFilesRequest({ files: [] })).toThrow('models.open: pick one exported model (.nca-model.json), a model folder\'s model.json and weights.bin, or one checkpoint file (0 files given)');
    expect(() => parseModelFilesRequest({ files: [{ name: '../model.json', bytesBase64: '' }] })).toThrow(/files\[0\]\.name must be a plain file name/);
    expect(() => parseModelFilesRequest({ files: [{ name: 'model.json', bytesBase64: '***' }] })).toThrow('models.open: files[0].bytesBase64 is not valid base64');
    expect(() => parseModelFilesRequest({ files: [{ name: 'a', bytesBase64: '' }, { name: 'a', bytesBase64: '' }] })).toThrow('two files have the same name');
    expect(() => parseModelFilesRequest({ files: [{ name: 'big.bin', bytesBase64: 'A'.repeat(88 * 1024 * 1024) }] })).toThrow('larger than 64 MB');
    expect(parseModelFilesRequest({ files: [{ name: 'm.json', bytesBase64: 'e30=', extra: 1 }] })).toEqual({ files: [{ name: 'm.json', bytesBase64: 'e30=' }] });
  });
});
