/**
 * The runs, models and settings channels of LabService through `dispatch` (what Electron's ipcMain and the
 * bridge call): argument validation with messages that name the field, an imported image as a run's target
 * (kept in the workspace so the run can be resumed), events relayed, settings persisted. Training is faked
 * (run-manager.test.ts covers the manager; run-manager-training.test.ts the real trainers).
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import type { LabEventMessage, ModelParams, RunInfo, RunListing, TargetData } from '../../../../src/shared/lab-api';
import { configFromPreset } from '../../../../src/shared/training-config';
import { LabService } from '../../../../src/services/lab/lab-service';
import { encodePng } from '../../../../src/services/export/png';
import { LabStore } from '../../../../src/services/store/lab-store';
import { paramCount } from '../../../../src/core/nca/config';
import type { TrainSessionFn } from '../../../../src/services/runs/run-manager';

let workspace: string;
let service: LabService;
let events: LabEventMessage[];

/** Finishes at once with a checkpoint of all-0.25 parameters, as a trainer would. */
const instantTrainer: TrainSessionFn = async (o) => {
  const store = new LabStore(o.workspace);
  const run = await store.getRun(o.runId);
  const n = paramCount({ ...run.config.model });
  await store.updateRun(o.runId, { status: 'running', backend: 'fake' });
  o.onProgress?.({ runId: o.runId, optimizer: run.optimizer, generation: 1, evaluations: 6, wallSeconds: 0.01, loss: NaN, bestLoss: 0.1, lr: 0.005 });
  await store.writeCheckpoint(o.runId, { generation: 1, evaluations: 6, wallSeconds: 0.01, params: new Float32Array(n).fill(0.25), arrays: {}, scalars: {}, pool: null, rng: null });
  await store.appendMetrics(o.runId, [{ generation: 1, evaluations: 6, wallSeconds: 0.01, loss: NaN, bestLoss: 0.1, lr: 0.005 }]);
  await store.updateRun(o.runId, { status: 'finished', statusReason: 'reached max generations (1)', progress: { ...run.progress, generation: 1, evaluations: 6 } });
  return { status: 'finished', reason: 'reached max generations (1)', generation: 1, bestEval40: null };
};

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-service-runs-'));
  service = new LabService({ workspace, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { train: instantTrainer, cores: 2 } });
  events = [];
  service.onEvent((m) => events.push(m));
  await service.start();
});
afterEach(async () => {
  await service.close();
  await rm(workspace, { recursive: true, force: true });
});

function discPng(size: number): string {
  const px = new Uint8Array(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if ((x - c) ** 2 + (y - c) ** 2 <= (size * 0.4) ** 2) px.set([220, 20, 20, 255], (y * size + x) * 4);
  return encodePng(px, size, size).toString('base64');
}

async function finished(id: string): Promise<RunInfo> {
  for (let i = 0; i < 400; i++) {
    const run = (await service.dispatch('runs:get', [id])) as RunInfo;
    if (run.status === 'finished' && run.live === null) return run;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`run ${id} did not finish`);
}

describe('runs channels', () => {
  it('creates and trains a run; lists it; metrics with NaN as null; parameters for the preview; events on the way', async () => {
    const config = configFromPreset('thesis-es');
    const created = (await service.dispatch('runs:create', [{ config, name: 'carrot', tags: ['a', ' a ', 'b'] }])) as RunInfo;
    expect(created.tags).toEqual(['a', 'b']);
    const run = await finished(created.id);
    expect(run.name).toBe('carrot');
    const listing = (await service.dispatch('runs:list', [])) as RunListing;
    expect(listing.runs.map((r) => r.id)).toEqual([created.id]);
    expect(listing.problems).toEqual([]);
    expect(await service.dispatch('runs:metrics', [{ runId: created.id }])).toEqual([
      { generation: 1, evaluations: 6, wallSeconds: 0.01, loss: null, bestLoss: 0.1, lr: 0.005 },
    ]);
    expect(await service.dispatch('runs:checkpoints', [created.id])).toEqual([{ generation: 1, bytes: expect.any(Number) }]);
    const params = (await service.dispatch('models:params', [{ runId: created.id }])) as ModelParams;
    expect([params.generation, params.source, params.height, params.width]).toEqual([1, 'checkpoint', 9, 9]);
    const values = decodeFloat32Base64(params.paramsF32Base64);
    expect(values.length).toBe(2048);
    expect(values.every((v) => v === 0.25)).toBe(true);
    const target = (await service.dispatch('runs:target', [created.id])) as TargetData;
    expect([target.name, target.width]).toEqual(['carrot-9', 9]);

    const names = events.map((e) => e.event);
    expect(names).toContain('run:status');
    const progress = events.find((e) => e.event === 'run:progress');
    expect(progress?.payload).toMatchObject({ runId: created.id, generation: 1, loss: null, bestLoss: 0.1 });

    await service.dispatch('runs:delete', [created.id]);
    expect(events.at(-1)).toEqual({ event: 'run:deleted', payload: { runId: created.id } });
  });

  it('refuses bad requests with messages that name the field', async () => {
    const config = configFromPreset('thesis-es') as ReturnType<typeof configFromPreset> & { es: { sigma: number } };
    config.es.sigma = -1;
    await expect(service.dispatch('runs:create', [{ config }])).rejects.toThrow('runs.create: config.es.sigma: must be a number > 0 and ≤ 10, got -1');
    await expect(service.dispatch('runs:create', [{ config: { optimizer: 'sgd' } }])).rejects.toThrow('runs.create: config.optimizer must be "es" or "adam", got "sgd"');
    await expect(service.dispatch('runs:create', [{ config: { optimizer: 'es', preset: 'x' } }])).rejects.toThrow('runs.create: config.target: must be an object, got nothing');
    await expect(service.dispatch('runs:get', ['../etc'])).rejects.toThrow('runs.get: runId must be a run id');
    await expect(service.dispatch('runs:get', ['nope'])).rejects.toThrow('no run "nope"');
    await expect(service.dispatch('runs:setTags', ['x', ['ok', '']])).rejects.toThrow('runs.setTags: tags: each tag must be a word of 1 to 40 characters, got ""');
    await expect(service.dispatch('runs:metrics', [{ runId: 'x', maxPoints: 2 }])).rejects.toThrow('runs.metrics: maxPoints must be an integer from 10 to 1000000, got 2');
    await expect(service.dispatch('settings:update', [{ maxConcurrentRuns: 0 }])).rejects.toThrow('settings.update: maxConcurrentRuns must be an integer from 1 to 64, got 0');
    await expect(service.dispatch('settings:update', [{ theme: 'dark' }])).rejects.toThrow('settings.update: unknown setting "theme" (settings: maxConcurrentRuns, compute)');
  });

  it('trains on an imported image, kept in the workspace under its content hash', async () => {
    const config = configFromPreset('thesis-es');
    config.target = { name: 'disc', size: 12, padding: 1 };
    const created = (await service.dispatch('runs:create', [{ config, targetImage: { fileName: 'red disc.png', bytesBase64: discPng(40) } }])) as RunInfo;
    // the image and its JSON: it is listed among the imported targets afterwards
    const files = (await readdir(join(workspace, 'targets'))).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^red-disc-[0-9a-f]{8}\.png$/);
    expect(files[1]).toBe(`${files[0]}.target.json`);
    expect((await service.targets.list()).filter((t) => t.imported).map((t) => [t.name, t.size, t.padding])).toEqual([['red disc', 12, 1]]);
    expect(created.config.target).toEqual({ name: join(workspace, 'targets', files[0]), size: 12, padding: 1 });
    const target = (await service.dispatch('runs:target', [created.id])) as TargetData;
    expect([target.size, target.padding, target.width]).toEqual([12, 1, 14]);
    const rgba = decodeFloat32Base64(target.rgbaF32Base64);
    const centre = (7 * 14 + 7) * 4;
    expect(rgba[centre + 3]).toBe(1);
    expect(rgba[centre]).toBeCloseTo(220 / 255, 5);
    await finished(created.id);

    const err = await service.dispatch('runs:create', [{ config, targetImage: { fileName: 'notes.png', bytesBase64: Buffer.from('not a png').toString('base64') } }]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^notes\.png: not an image/);
    expect(await readdir(join(workspace, 'targets'))).toHaveLength(2);
  });

  it('keeps the number of runs at once in settings.json, next to other keys', async () => {
    const cores = { localCores: true, cluster: null };
    expect(await service.dispatch('settings:get', [])).toEqual({ maxConcurrentRuns: 2, compute: cores });
    expect(await service.dispatch('settings:update', [{ maxConcurrentRuns: 3 }])).toEqual({ maxConcurrentRuns: 3, compute: cores });
    expect(events.at(-1)).toEqual({ event: 'settings:changed', payload: { maxConcurrentRuns: 3, compute: cores } });
    expect(JSON.parse(await readFile(join(workspace, 'settings.json'), 'utf8'))).toEqual({ lab: { maxConcurrentRuns: 3, compute: cores } });
    const again = new LabService({ workspace, runs: { train: instantTrainer, cores: 2 } });
    expect(await again.dispatch('settings:get', [])).toEqual({ maxConcurrentRuns: 3, compute: cores });
  });
});
