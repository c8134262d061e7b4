/**
 * RunManager over the real trainers (runTrainingSession, worker processes from the TypeScript sources): a small
 * thesis-es run on carrot-9 (population 6, one worker) trains to its generation limit, pauses and resumes from
 * its checkpoint on the way, and leaves metrics, checkpoints and parameters that the preview can load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import type { RunProgressEvent } from '../../../../src/shared/lab-api';
import { configFromPreset } from '../../../../src/shared/training-config';
import { RunManager } from '../../../../src/services/runs/run-manager';

let workspace: string;
let manager: RunManager;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-runs-real-'));
  manager = new RunManager({ workspace, cores: 2 });
  await manager.init();
});
afterAll(async () => {
  await manager.stopAll();
  await rm(workspace, { recursive: true, force: true });
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RunManager with the ES trainer', () => {
  it('trains thesis-es on carrot-9 with one worker, pausing and resuming on the way', async () => {
    const config = configFromPreset('thesis-es');
    if (config.optimizer !== 'es') throw new Error('unreachable');
    config.es.population = 6;
    config.es.workers = 1;
    config.stop.maxGenerations = 60;
    config.evalEvery = 20;
    config.checkpointEvery = 20;
    const progress: RunProgressEvent[] = [];
    const off = manager.on((e) => {
      if (e.type === 'progress') progress.push(e.progress);
    });
    const run = await manager.create({ config, name: 'real ES' });
    await until('generation 10', async () => (await manager.get(run.id)).progress.generation >= 10);
    const live = await manager.get(run.id);
    expect(live.status).toBe('running');
    expect(live.live?.workers).toBe(1);

    const paused = await manager.pause(run.id);
    expect(paused.status).toBe('paused');
    const at = paused.progress.generation;
    expect(at).toBeGreaterThanOrEqual(10);
    expect(paused.checkpointGeneration).toBe(at);
    await manager.resume(run.id);
    await until('the run to finish', async () => {
      const r = await manager.get(run.id);
      return r.status === 'finished' && r.live === null;
    });
    off();

    const done = await manager.get(run.id);
    expect(done.statusReason).toBe('reached max generations (60)');
    expect(done.progress.generation).toBe(60);
    expect(done.progress.evaluations).toBe(360);
    expect(done.backend).toMatch(/×1 worker$/); // one worker, not "×1 workers"
    expect(done.progress.bestEval40).not.toBeNull();
    // the ES loss on carrot-9 starts near the seed-vs-target MSE (spec b.2: 0.089656) and stays finite
    const metrics = await manager.metrics(run.id);
    expect(metrics.map((m) => m.generation)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(metrics[0].loss).toBeGreaterThan(0.05);
    expect(metrics[0].loss).toBeLessThan(0.2);
    expect(metrics.filter((m) => m.eval40 !== undefined).map((m) => m.generation)).toEqual([1, 20, 40, 60]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => p.generation > at)).toBe(true);

    const params = await manager.modelParams(run.id);
    expect([params.generation, params.source, params.nca.hidden]).toEqual([60, 'checkpoint', 32]);
    const theta = decodeFloat32Base64(params.paramsF32Base64);
    expect(theta.length).toBe(2048);
    expect(theta.every(Number.isFinite)).toBe(true);
  }, 120_000);
});
