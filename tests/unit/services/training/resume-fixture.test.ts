/**
 * Runs trained before the optimizer plug-ins resume bit-exactly after them: tests/fixtures/resume holds an ES
 * and an Adam run as the code at main 6f49da4 left them after a kill past checkpoint 5 (metrics to 10, newest
 * checkpoint 5), and the hashes of the same runs trained uninterrupted to 20 by that code (make-fixtures.ts).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { LabStore } from '../../../../src/services/store/lab-store';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { trainAdam } from '../../../../src/services/training/optimizers/adam-session';
import { hashMetrics, hashParams } from '../../../fixtures/resume/make-fixtures-hash';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'resume');
interface Expected { runId: string; resumedTo: number; params: string; firstParams: number[]; metrics: string }
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { adamBackend: string; es: Expected; adam: Expected };

let backend = '';
beforeAll(async () => { backend = (await initNodeBackend()).name; });
const dirs: string[] = [];
afterEach(() => { while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true }); });

async function fixtureRun(kind: 'es' | 'adam'): Promise<{ ws: string; store: LabStore; runId: string }> {
  const ws = mkdtempSync(join(tmpdir(), `nca-resume-fixture-${kind}-`));
  dirs.push(ws);
  const runId = expected[kind].runId;
  cpSync(join(FIXTURES, kind), join(ws, 'runs', runId), { recursive: true });
  const store = new LabStore(ws);
  const run = await store.getRun(runId);
  expect(run.id).toBe(runId);
  expect((await store.listCheckpoints(runId)).map((c) => c.generation)).toEqual([5]);
  expect((await store.readMetrics(runId)).length).toBe(10);
  await store.updateRun(runId, { stop: { ...run.config.stop, maxGenerations: expected[kind].resumedTo } });
  return { ws, store, runId };
}

describe('runs written before the optimizer plug-ins resume bit-exactly', () => {
  // in process the master sums the update's noise; on 2 workers each worker sums a range of parameters
  it.each([0, 2])('ES (thesis pool, batch 2, c.5 decay) on %i workers: from checkpoint 5 to 20, the uninterrupted parameters and metrics', async (workers) => {
    const { ws, store, runId } = await fixtureRun('es');
    const out = await runTrainingSession({ workspace: ws, runId, control: { requested: null }, workers });
    expect(out).toMatchObject({ status: 'finished', generation: 20 });
    const params = (await store.loadModel(runId)).params;
    expect(Array.from(params.slice(0, 4))).toEqual(expected.es.firstParams);
    expect(hashParams(params)).toBe(expected.es.params);
    const rows = await store.readMetrics(runId);
    expect(rows.map((r) => r.generation)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(hashMetrics(rows)).toBe(expected.es.metrics);
  });

  it('Adam (thesis pool): from checkpoint 5 to 20, the uninterrupted parameters and metrics', async () => {
    // the expected hashes were computed on this backend; another backend's float order differs
    expect(backend).toBe(expected.adamBackend);
    const { ws, store, runId } = await fixtureRun('adam');
    const run = await store.getRun(runId);
    const out = await trainAdam({ workspace: ws, runId, config: run.config, target: await store.loadRunTarget(runId), backend, control: { requested: null } }, { store });
    expect(out).toMatchObject({ status: 'finished', generation: 20 });
    const params = (await store.loadModel(runId)).params;
    expect(Array.from(params.slice(0, 4))).toEqual(expected.adam.firstParams);
    expect(hashParams(params)).toBe(expected.adam.params);
    expect(hashMetrics(await store.readMetrics(runId))).toBe(expected.adam.metrics);
  });
});
