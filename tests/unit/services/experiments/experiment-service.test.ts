/**
 * The experiments channels of LabService (what the Compare view calls): run answers at once with an id, progress
 * and the end arrive as `experiment:progress` events, results are listed and read back, bad requests are refused
 * naming the field, and a cancelled experiment saves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../../../src/core/nca/config';
import { Philox } from '../../../../src/core/rng/philox';
import { LabService } from '../../../../src/services/lab/lab-service';
import { LabStore } from '../../../../src/services/store/lab-store';
import type { ExperimentProgressEvent, ExperimentResults, ExperimentSummary } from '../../../../src/shared/experiment';
import { configFromPreset } from '../../../../src/shared/training-config';

let ws: string;
let service: LabService;
let runId: string;
const events: ExperimentProgressEvent[] = [];

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'nca-lab-exp-service-'));
  const store = new LabStore(ws);
  const c = configFromPreset('thesis-es');
  runId = (await store.createRun(c, { backend: null })).id;
  const rng = new Philox(4);
  const p = initParams(THESIS_ES_MODEL, 'torch', () => rng.uniform());
  const L = paramLayout(THESIS_ES_MODEL);
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.04;
  await store.writeModel(runId, p, { config: c, generation: 1, loss: null });
  service = new LabService({ workspace: ws });
  service.onEvent((m) => {
    if (m.event === 'experiment:progress') events.push(m.payload);
  });
});

afterAll(async () => {
  await service?.close();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

function ended(id: string): Promise<ExperimentProgressEvent> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      const e = events.find((x) => x.id === id && ['done', 'failed', 'cancelled'].includes(x.phase));
      if (e) {
        clearInterval(poll);
        resolve(e);
      }
    }, 20);
  });
}

describe('experiments channels', () => {
  it('runs a suite in the background and serves its results', async () => {
    const { id } = (await service.dispatch('experiments:run', [{ suite: 'erase-3x3', models: [runId], repeats: 2, seed: 10 }])) as { id: string };
    expect(id).toMatch(/^\d{8}-\d{6}-erase-3x3-[0-9a-f]{4}$/);
    const end = await ended(id);
    expect(end.phase, end.message).toBe('done');
    const mine = events.filter((e) => e.id === id);
    expect(mine.some((e) => e.phase === 'running')).toBe(true);
    expect(end.jobsDone).toBe(2);
    const list = (await service.dispatch('experiments:list', [])) as ExperimentSummary[];
    expect(list.map((e) => e.id)).toContain(id);
    const results = (await service.dispatch('experiments:get', [id])) as ExperimentResults;
    expect(results.seeds).toEqual([10, 11]);
    expect(results.curves[0].repeats.map((r) => r.loss.length)).toEqual([400, 400]);
  });

  it('refuses bad requests, naming the field', async () => {
    await expect(service.dispatch('experiments:run', [{ suite: 'erase-9x9', models: [runId] }])).rejects.toThrow('experiments.run: suite: must be one of growth');
    await expect(service.dispatch('experiments:run', [{ suite: 'growth', models: [] }])).rejects.toThrow('experiments.run: models: must be a list of 1 to 64 run ids');
    await expect(service.dispatch('experiments:run', [{ suite: 'growth', models: [runId], repeats: 1000 }])).rejects.toThrow('experiments.run: repeats: must be an integer from 1 to 100');
    await expect(service.dispatch('experiments:get', ['../etc'])).rejects.toThrow('experiments.get: id: must be an experiment id');
  });

  it('reports a model that cannot be loaded as a failed experiment', async () => {
    const { id } = (await service.dispatch('experiments:run', [{ suite: 'growth', models: ['20990101-000000-es-nothing-0000'] }])) as { id: string };
    const end = await ended(id);
    expect(end.phase).toBe('failed');
    expect(end.message).toContain('20990101-000000-es-nothing-0000');
  });

  it('cancels: the end is "cancelled" and nothing is stored', async () => {
    const { id } = (await service.dispatch('experiments:run', [{ suite: 'thesis', models: [runId], repeats: 3 }])) as { id: string };
    await service.dispatch('experiments:cancel', [id]);
    const end = await ended(id);
    expect(end.phase).toBe('cancelled');
    const list = (await service.dispatch('experiments:list', [])) as ExperimentSummary[];
    expect(list.map((e) => e.id)).not.toContain(id);
  });
});
