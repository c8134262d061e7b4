import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { paramLayout } from '../../../../src/core/nca/config';
import type { ModelJson } from '../../../../src/services/store/model-format';
import { configFromPreset, ncaConfigOf, type RunConfig } from '../../../../src/shared/training-config';
import { esConfig, floats, sameBytes, testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

let ws: TestWorkspace;
beforeEach(() => {
  ws = testWorkspace();
});
afterEach(() => ws.cleanup());
beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function runWith(config: RunConfig) {
  return ws.store.createRun(config, { backend: 'cpu' });
}

function readModelJson(folder: string): ModelJson {
  return JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as ModelJson;
}

/** Every weight tfjs decodes equals the params slice at its layout offset. */
async function expectTfjsWeights(decoded: tf.NamedTensorMap, config: RunConfig, params: Float32Array): Promise<void> {
  const layout = paramLayout(ncaConfigOf(config));
  const parts = { kernel0: layout.kernel0, bias0: layout.bias0, kernel1: layout.kernel1, bias1: layout.bias1 };
  const present = Object.entries(parts).filter(([, p]) => p !== null).map(([k]) => k);
  expect(Object.keys(decoded).sort()).toEqual(present.sort());
  for (const [name, part] of Object.entries(parts)) {
    if (!part) continue;
    const t = decoded[name];
    expect(t.dtype).toBe('float32');
    expect(t.size).toBe(part.size);
    expect(sameBytes(t.dataSync() as Float32Array, params.subarray(part.offset, part.offset + part.size)), name).toBe(true);
  }
  Object.values(decoded).forEach((t) => t.dispose());
}

describe('LabStore models', () => {
  it('writes a tfjs weights manifest that tf.io.decodeWeights reads back exactly, and loadModel gives the exact params', async () => {
    const config = esConfig();
    const run = await runWith(config);
    const params = floats(2048, 5);
    const folder = await ws.store.writeModel(run.id, params, { config, generation: 1200, loss: 0.0123 });
    expect(folder).toBe(join(ws.store.runDir(run.id), 'model'));
    const json = readModelJson(folder);
    expect(json.weightsManifest).toEqual([{
      paths: ['weights.bin'],
      weights: [{ name: 'kernel0', shape: [48, 32], dtype: 'float32' }, { name: 'kernel1', shape: [32, 16], dtype: 'float32' }],
    }]);
    expect(json.userDefinedMetadata.ncaLab).toMatchObject({
      formatVersion: 1, paramLayoutVersion: 1, nca: ncaConfigOf(config), paramCount: 2048,
      target: { name: 'carrot-9', size: 9, padding: 0 }, runId: run.id, generation: 1200, loss: 0.0123,
    });
    const bin = readFileSync(join(folder, 'weights.bin'));
    expect(bin.length).toBe(2048 * 4);
    expect(bin.readFloatLE(4 * 1600)).toBe(params[1600]);
    const ab = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    await expectTfjsWeights(tf.io.decodeWeights(ab, json.weightsManifest[0].weights), config, params);

    for (const source of [run.id, folder, join(folder, 'model.json'), ws.store.runDir(run.id)]) {
      const m = await ws.store.loadModel(source);
      expect(sameBytes(m.params, params), source).toBe(true);
      expect(m.nca).toEqual(ncaConfigOf(config));
      expect(m.config).toEqual(config);
      expect(m.target).toEqual({ name: 'carrot-9', size: 9, padding: 0 });
      expect(m.source).toBe(join(folder, 'model.json'));
    }
  });

  it('lays out biases as tfjs expects (thesis Adam: bias0; Mordvintsev: bias0 and bias1), loadable over HTTP by tf.io.loadWeights', async () => {
    const server: Server = createServer((req, res) => {
      try {
        res.end(readFileSync(join(ws.dir, decodeURIComponent(req.url ?? '/'))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      for (const preset of ['thesis-adam', 'mordvintsev-growing']) {
        const config = configFromPreset(preset);
        const layout = paramLayout(ncaConfigOf(config));
        const run = await ws.store.createRun(config, { backend: 'cpu' });
        const params = floats(layout.total, 9);
        const folder = await ws.store.writeModel(run.id, params, { config, generation: 1, loss: null });
        const json = readModelJson(folder);
        const h = config.model.hidden;
        const expected = [
          { name: 'kernel0', shape: [48, h], dtype: 'float32' }, { name: 'bias0', shape: [h], dtype: 'float32' },
          { name: 'kernel1', shape: [h, 16], dtype: 'float32' },
          ...(config.model.bias2 ? [{ name: 'bias1', shape: [16], dtype: 'float32' }] : []),
        ];
        expect(json.weightsManifest[0].weights).toEqual(expected);
        expect(layout.total).toBe(preset === 'thesis-adam' ? 2080 : 8336);
        const prefix = `http://127.0.0.1:${port}/runs/${run.id}/model`;
        await expectTfjsWeights(await tf.io.loadWeights(json.weightsManifest, prefix), config, params);
        expect(sameBytes((await ws.store.loadModel(run.id)).params, params)).toBe(true);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('loads a run without a model from its newest checkpoint, and a checkpoint file by path', async () => {
    const config = esConfig();
    const run = await runWith(config);
    await expect(ws.store.loadModel(run.id)).rejects.toThrow(`run "${run.id}" has no model yet`);
    const params = floats(2048, 21);
    await ws.store.writeCheckpoint(run.id, { generation: 40, evaluations: 240, wallSeconds: 1, params, arrays: {}, scalars: {}, pool: null, rng: null });
    const file = join(ws.store.runDir(run.id), 'checkpoints', 'ckpt-000000040.nckpt');
    for (const source of [run.id, file]) {
      const m = await ws.store.loadModel(source);
      expect(sameBytes(m.params, params)).toBe(true);
      expect(m.source).toBe(file);
      expect(m.config).toEqual(config);
      expect(m.nca.hidden).toBe(32);
    }
  });

  it('refuses a truncated or missing weights.bin, a model.json that is not JSON, NaN weights and unknown formats, naming the file', async () => {
    const config = esConfig();
    const run = await runWith(config);
    const folder = await ws.store.writeModel(run.id, floats(2048, 3), { config, generation: 1, loss: 0.1 });
    const bin = join(folder, 'weights.bin');
    const modelJson = join(folder, 'model.json');
    const good = readFileSync(bin);

    writeFileSync(bin, good.subarray(0, 100));
    await expect(ws.store.loadModel(run.id)).rejects.toThrow(
      `${bin}: wrong size: 100 bytes, but the model's config (channels 16, hidden 32, bias1 false, bias2 false) needs 2048 float32 = 8192 bytes`,
    );
    const flipped = Buffer.from(good);
    flipped[17] ^= 1;
    writeFileSync(bin, flipped);
    await expect(ws.store.loadModel(folder)).rejects.toThrow(new RegExp(`^${bin.replace(/[/\\.]/g, '\\$&')}: checksum mismatch`));
    rmSync(bin);
    await expect(ws.store.loadModel(modelJson)).rejects.toThrow(`${bin}: missing: ${modelJson} lists weights.bin but there is no such file`);
    writeFileSync(bin, good);

    const text = readFileSync(modelJson, 'utf8');
    writeFileSync(modelJson, text.slice(0, 50));
    await expect(ws.store.loadModel(run.id)).rejects.toThrow(new RegExp(`^${modelJson.replace(/[/\\.]/g, '\\$&')}: not a model: the file is not JSON`));
    writeFileSync(modelJson, JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }));
    await expect(ws.store.loadModel(modelJson)).rejects.toThrow(`${modelJson}: unknown format: not an NCA Lab model`);
    const other = JSON.parse(text) as ModelJson;
    other.userDefinedMetadata.ncaLab.nca.hidden = 64;
    writeFileSync(modelJson, JSON.stringify(other));
    await expect(ws.store.loadModel(modelJson)).rejects.toThrow(/incompatible model: the weights manifest .* does not match the layout of its nca config/);
    writeFileSync(modelJson, text);
    expect(sameBytes((await ws.store.loadModel(run.id)).params, floats(2048, 3))).toBe(true);

    const nan = floats(2048, 3);
    nan[1600] = NaN;
    await ws.store.writeModel(run.id, nan, { config, generation: 2, loss: NaN });
    expect(readModelJson(folder).userDefinedMetadata.ncaLab.loss).toBe('NaN');
    await expect(ws.store.loadModel(run.id)).rejects.toThrow(`${bin}: the weights are not finite: NaN at parameter 1600 (kernel1[64])`);

    const notModel = join(ws.dir, 'notes.txt');
    writeFileSync(notModel, 'hello');
    await expect(ws.store.loadModel(notModel)).rejects.toThrow(`${notModel}: unknown format`);
    await expect(ws.store.loadModel('no-such-run')).rejects.toThrow(`"no-such-run" is neither a run in ${join(ws.dir, 'runs')} nor a model folder, model.json or checkpoint file`);
    await expect(ws.store.writeModel(run.id, new Float32Array(10), { config, generation: 1, loss: null })).rejects.toThrow(/needs 2048 floats, got 10/);
  });
});
