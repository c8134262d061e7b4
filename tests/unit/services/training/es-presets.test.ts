/**
 * Issue 10's ES presets train through the lab's trainer and resume bit-exactly (strategy state in the
 * checkpoint), in process and on worker processes; configs written before the new ES options load with the
 * thesis's behaviour.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { LabStore } from '../../../../src/services/store/lab-store';
import { configFromPreset, configProblems, esRuleDefaults, upgradeRunConfig, type EsRunConfig } from '../../../../src/shared/training-config';
import { runTrainingSession } from '../../../../src/services/training/run-training';

beforeAll(async () => { await initNodeBackend(); });

const dirs: string[] = [];
afterEach(() => { while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true }); });
function workspace(): string {
  const d = mkdtempSync(join(tmpdir(), 'nca-es-presets-'));
  dirs.push(d);
  return d;
}

/** A preset shrunk to test size, with every objective option on: a window, and a long rollout every 4th generation. */
function small(preset: string, maxGenerations: number): EsRunConfig {
  const c = configFromPreset(preset) as EsRunConfig;
  c.seed = 5;
  c.es.population = 8;
  c.stepsMin = 12;
  c.stepsMax = 15;
  c.es.objective = { lossWindow: 6, lossEvery: 2, longEvery: 4, longSteps: 30 };
  c.evalEvery = 5;
  c.checkpointEvery = 5;
  c.stop.maxGenerations = maxGenerations;
  return c;
}

const train = (ws: string, runId: string, workers: number) => runTrainingSession({ workspace: ws, runId, control: { requested: null }, workers });

describe('the ES presets', () => {
  // one preset on worker processes (a σ vector travels with θ), the others in process: the same code either way
  it.each([['es', 0], ['es-256', 0], ['openai-es-adam', 0], ['pgpe', 2], ['snes', 0]])('%s trains and resumes onto the uninterrupted trajectory (%i workers)', async (preset, workers) => {
    const ws = workspace();
    const store = new LabStore(ws);
    const straight = await store.createRun(small(preset, 12), { backend: null });
    expect((await train(ws, straight.id, 0)).status).toBe('finished');
    const split = await store.createRun(small(preset, 6), { backend: null });
    await train(ws, split.id, workers);
    await store.updateRun(split.id, { stop: { maxGenerations: 12, maxSeconds: null, targetLoss: null } });
    expect((await train(ws, split.id, workers)).generation).toBe(12);
    const a = (await store.loadModel(straight.id)).params;
    const b = (await store.loadModel(split.id)).params;
    expect(Array.from(b)).toEqual(Array.from(a));
    const rows = (id: string) => store.readMetrics(id).then((m) => m.map((r) => [r.generation, r.loss, r.eval40]));
    // the split run finished at 6 and was evaluated there (every end is); apart from that evaluation, and it does
    // not touch the trajectory (its own random stream), the rows are the uninterrupted run's
    const splitRows = await rows(split.id);
    expect(splitRows.find((r) => r[0] === 6)?.[2]).toBeTypeOf('number');
    expect(splitRows.map((r) => (r[0] === 6 ? [r[0], r[1], undefined] : r))).toEqual(await rows(straight.id));
    // the strategy moved the model and its state is in the checkpoint
    const init = small(preset, 0);
    const ckpt = (await store.readLatestCheckpoint(straight.id))!;
    expect(ckpt.generation).toBe(12);
    if (init.es.update === 'openai-adam') expect(ckpt.scalars['adam.t']).toBe(12);
    if (init.es.update === 'pgpe') expect(ckpt.arrays['pgpe.sigma'].some((s) => s !== init.es.sigma)).toBe(true);
    if (init.es.update === 'snes') expect(ckpt.arrays['snes.sigma'].length).toBe(2048);
  }, 60_000);

  it('es-plateau resumes mid-window onto the uninterrupted trajectory, its window in the checkpoint', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const plateau = (n: number) => {
      const c = small('es-plateau', n);
      // windows of 4 generations (ending at 4, 8, 12); the split at 6 falls inside one
      c.es.decay = { ...c.es.decay, every: 4, patience: 1, minLr: 1e-6 };
      return c;
    };
    const straight = await store.createRun(plateau(12), { backend: null });
    expect((await train(ws, straight.id, 0)).status).toBe('finished');
    const split = await store.createRun(plateau(6), { backend: null });
    await train(ws, split.id, 0);
    const mid = (await store.readLatestCheckpoint(split.id))!;
    expect(mid.scalars).toMatchObject({ 'decay.n': 2, 'decay.since': 0 });
    expect(typeof mid.scalars['decay.acc']).toBe('number');
    await store.updateRun(split.id, { stop: { maxGenerations: 12, maxSeconds: null, targetLoss: null } });
    expect((await train(ws, split.id, 0)).generation).toBe(12);
    expect(Array.from((await store.loadModel(split.id)).params)).toEqual(Array.from((await store.loadModel(straight.id)).params));
    const rows = (id: string) => store.readMetrics(id).then((m) => m.map((r) => [r.generation, r.loss, r.lr]));
    expect(await rows(split.id)).toEqual(await rows(straight.id));
  }, 60_000);

  it('σ following α (decay.sigmaPower): members drawn with σ₀·(α/α₀)^p from the generation after a cut; a resume is bit-exact', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const cfg = (n: number, sigmaPower: number) => {
      const c = small('es', n);
      // a c.5 check at generations 1, 5, 9 that always passes (every loss is > −1 in fitness): α halves at 1 and 5
      c.es.decay = { ...c.es.decay, rule: 'thresholds', every: 4, thresholds: [-1, -1], factors: [0.5, 0.5], sigmaPower };
      return c;
    };
    const rows = (id: string) => store.readMetrics(id).then((m) => m.map((r) => [r.generation, r.loss, r.lr]));
    const straight = await store.createRun(cfg(10, 1), { backend: null });
    await train(ws, straight.id, 0);
    const fixed = await store.createRun(cfg(10, 0), { backend: null });
    await train(ws, fixed.id, 0);
    const [mine, theirs] = [await rows(straight.id), await rows(fixed.id)];
    // generation 1 drew σ₀ in both; α was cut after it, so from generation 2 σ differs and so do the losses
    expect(mine[0]).toEqual(theirs[0]);
    expect(mine.map((r) => r[2])).toEqual(theirs.map((r) => r[2]));
    expect(mine[1][1]).not.toBe(theirs[1][1]);
    // split at 6, after the second cut, on 2 workers: the same bytes
    const split = await store.createRun(cfg(6, 1), { backend: null });
    await train(ws, split.id, 2);
    await store.updateRun(split.id, { stop: { maxGenerations: 10, maxSeconds: null, targetLoss: null } });
    expect((await train(ws, split.id, 0)).generation).toBe(10);
    expect(Array.from((await store.loadModel(split.id)).params)).toEqual(Array.from((await store.loadModel(straight.id)).params));
    expect(await rows(split.id)).toEqual(mine);
  }, 60_000);
});

describe('configs written before the objective and strategy settings', () => {
  it('get the thesis objective and the published strategy defaults, and validate', () => {
    const old = configFromPreset('thesis-es') as EsRunConfig;
    const es = old.es as unknown as Record<string, unknown>;
    for (const k of ['objective', 'adam', 'pgpe', 'snes']) delete es[k];
    const upgraded = upgradeRunConfig(old) as EsRunConfig;
    expect(configProblems(upgraded)).toEqual([]);
    expect(upgraded.es.objective).toEqual({ lossWindow: 1, lossEvery: 1, longEvery: 0, longSteps: 200 });
    expect(upgraded.es.adam).toEqual(esRuleDefaults('adam'));
    expect(configFromPreset('thesis-es')).toEqual(upgraded);
    // a decay written before the plateau rule is the thresholds rule (c.5), as it was
    const noRule = configFromPreset('thesis-es') as EsRunConfig;
    for (const k of ['rule', 'patience', 'minLr', 'sigmaPower']) delete (noRule.es.decay as unknown as Record<string, unknown>)[k];
    expect((upgradeRunConfig(noRule) as EsRunConfig).es.decay).toEqual((configFromPreset('thesis-es') as EsRunConfig).es.decay);
    // a group written with fewer keys than today's gets the missing ones
    const partial = configFromPreset('es') as EsRunConfig;
    delete (partial.es.objective as unknown as Record<string, unknown>).lossEvery;
    expect(configProblems(partial)[0]?.field).toBe('es.objective.lossEvery');
    expect((upgradeRunConfig(partial) as EsRunConfig).es.objective.lossEvery).toBe(1);
  });

  it('names the field of an impossible objective', () => {
    const c = configFromPreset('es') as EsRunConfig;
    c.es.objective.lossWindow = c.stepsMin + 1;
    expect(configProblems(c)[0]).toEqual({ field: 'es.objective.lossWindow', message: `must be ≤ the shortest rollout (stepsMin ${c.stepsMin}), got ${c.stepsMin + 1}` });
    const s = configFromPreset('snes') as EsRunConfig;
    s.es.decay.sigmaPower = 0.5;
    expect(configProblems(s)[0]).toEqual({ field: 'es.decay.sigmaPower', message: 'must be 0 with SNES, which adapts σ itself, got 0.5' });
    const p = configFromPreset('pgpe') as EsRunConfig;
    p.es.mirrored = false;
    p.es.commonRandomNumbers = false;
    expect(configProblems(p)[0].field).toBe('es.mirrored');
  });
});
