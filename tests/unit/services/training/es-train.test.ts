import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { LabStore } from '../../../../src/services/store/lab-store';
import { configFromPreset, ncaConfigOf, type EsRunConfig } from '../../../../src/shared/training-config';
import { persistenceEval } from '../../../../src/core/nca/growth-eval';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import type { RunProgressEvent } from '../../../../src/shared/metrics';
import { main } from '../../../../src/cli/index';
import { trainThenKill } from '../../helpers/cli-kill';
import { forkSpawner, type WorkerHandle, type WorkerSpawner } from '../../../../src/services/workers/spawners';

beforeAll(async () => { await initNodeBackend(); });

const dirs: string[] = [];
afterEach(() => { while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true }); });
function workspace(): string {
  const d = mkdtempSync(join(tmpdir(), 'nca-es-train-'));
  dirs.push(d);
  return d;
}

function smallConfig(edit: (c: EsRunConfig) => void = () => undefined): EsRunConfig {
  const c = configFromPreset('thesis-es') as EsRunConfig;
  c.seed = 11;
  c.evalEvery = 10;
  c.checkpointEvery = 10;
  c.stop.maxGenerations = 40;
  edit(c);
  return c;
}

async function train(ws: string, runId: string, workers = 0, onProgress?: (e: RunProgressEvent) => void) {
  return runTrainingSession({ workspace: ws, runId, control: { requested: null }, workers, onProgress });
}

describe('ES training (spec c.2)', () => {
  it('learns: the 40-step growth loss drops below the seed-vs-target MSE on carrot-9', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const run = await store.createRun(smallConfig((c) => { c.stop.maxGenerations = 300; c.evalEvery = 50; c.es.population = 10; }), { backend: null });
    const events: RunProgressEvent[] = [];
    const outcome = await train(ws, run.id, 0, (e) => events.push(e));
    expect(outcome.status).toBe('finished');
    expect(outcome.generation).toBe(300);
    const rows = await store.readMetrics(run.id);
    const evals = rows.filter((r) => r.eval40 !== undefined);
    expect(evals.map((r) => r.generation)).toEqual([1, 50, 100, 150, 200, 250, 300]);
    // the seed alone scores 0.089656 against carrot-9 (b.2); training must do clearly better
    expect(evals[evals.length - 1].eval40!).toBeLessThan(0.07);
    expect(evals[evals.length - 1].eval40!).toBeLessThan(evals[0].eval40!);
    const final = await store.getRun(run.id);
    expect(final.status).toBe('finished');
    expect(final.progress.generation).toBe(300);
    expect(final.progress.evaluations).toBe(3000);
    expect(final.backend).toMatch(/fused/);
    const model = await store.loadModel(run.id);
    expect(model.params.length).toBe(2048);
    expect(events.some((e) => e.eval40 !== undefined)).toBe(true);
    // every evaluation also looks 1000 steps ahead: the last one is bench quality's own evaluation of the final
    // parameters (same Eval stream), and the run's verdict is that evaluation's
    expect(evals.every((r) => r.eval1000 !== undefined)).toBe(true);
    const target = await store.loadRunTarget(run.id);
    const measured = persistenceEval(ncaConfigOf(final.config), final.config.seed, model.params, target, 300);
    expect(evals.at(-1)!.eval1000).toBe(measured.eval1000);
    expect(evals.at(-1)!.eval40).toBe(measured.eval40);
    expect(final.progress.lastEval1000).toBe(measured.eval1000);
    expect(final.progress.verdict).toBe(measured.verdict);
    expect(events.filter((e) => e.eval40 !== undefined).every((e) => e.eval1000 !== undefined)).toBe(true);
  });

  it('evaluates the last step of every stop: a run that ends before its first interval has its final growth losses', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const run = await store.createRun(smallConfig((c) => { c.stop.maxGenerations = 7; c.evalEvery = 1000; c.checkpointEvery = 1000; c.es.population = 8; }), { backend: null });
    expect((await train(ws, run.id, 0)).status).toBe('finished');
    const rows = await store.readMetrics(run.id);
    expect(rows.filter((r) => r.eval40 !== undefined).map((r) => r.generation)).toEqual([1, 7]);
    const final = await store.getRun(run.id);
    const model = await store.loadModel(run.id);
    const measured = persistenceEval(ncaConfigOf(final.config), final.config.seed, model.params, await store.loadRunTarget(run.id), 7);
    expect(final.progress.lastEval40).toBe(measured.eval40);
    expect(final.progress.bestEval40).toBe(Math.min(rows[0].eval40!, measured.eval40));
    // a pause is not an end: the step it pauses after is evaluated only at its interval, so that a paused and
    // resumed run has exactly the rows of an uninterrupted one
    const paused = await store.createRun(smallConfig((c) => { c.stop.maxGenerations = null; c.evalEvery = 1000; c.es.population = 8; }), { backend: null });
    const control: { requested: 'pause' | 'stop' | null } = { requested: null };
    const outcome = await runTrainingSession({ workspace: ws, runId: paused.id, control, workers: 0, onProgress: (e) => { if (e.generation >= 3) control.requested = 'pause'; } });
    expect(outcome.status).toBe('paused');
    const pausedRows = await store.readMetrics(paused.id);
    expect(pausedRows.at(-1)!.generation).toBe(outcome.generation);
    expect(pausedRows.at(-1)!.eval40).toBeUndefined();
  });

  it('resumes on the exact trajectory of an uninterrupted run, in process and on 2 workers', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const straight = await store.createRun(smallConfig(), { backend: null });
    await train(ws, straight.id, 0);
    const split = await store.createRun(smallConfig((c) => { c.stop.maxGenerations = 20; }), { backend: null });
    await train(ws, split.id, 2);
    await store.updateRun(split.id, { stop: { maxGenerations: 40, maxSeconds: null, targetLoss: null } });
    const second = await train(ws, split.id, 2);
    expect(second.generation).toBe(40);
    const a = (await store.loadModel(straight.id)).params;
    const b = (await store.loadModel(split.id)).params;
    expect(Array.from(b)).toEqual(Array.from(a));
    const ma = (await store.readMetrics(straight.id)).map((r) => [r.generation, r.loss, r.eval40]);
    const mb = (await store.readMetrics(split.id)).map((r) => [r.generation, r.loss, r.eval40]);
    expect(mb).toEqual(ma);
  });

  it('replaces a worker killed mid-generation and re-evaluates its slice: the result is unchanged', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const reference = await store.createRun(smallConfig((c) => { c.es.population = 10; }), { backend: null });
    await train(ws, reference.id, 0);
    const run = await store.createRun(smallConfig((c) => { c.es.population = 10; }), { backend: null });
    const handles: WorkerHandle[] = [];
    const spawn: WorkerSpawner = (info) => {
      const h = forkSpawner()(info);
      handles.push(h);
      return h;
    };
    const logs: string[] = [];
    let killed = 0;
    const outcome = await runTrainingSession({
      workspace: ws, runId: run.id, control: { requested: null }, workers: 2, spawn,
      onLog: (l) => void logs.push(l),
      onProgress: (e) => {
        if (e.generation >= 15 && killed < 2) {
          handles[killed].kill('SIGKILL');
          killed++;
        }
      },
    });
    expect(outcome.status).toBe('finished');
    expect(killed).toBe(2);
    expect(handles.length).toBeGreaterThanOrEqual(4); // 2 originals + 2 replacements
    expect(logs.filter((l) => /replaced/.test(l))).toHaveLength(2);
    expect(Array.from((await store.loadModel(run.id)).params)).toEqual(Array.from((await store.loadModel(reference.id)).params));
  });

  it('trains with a sample pool (thesis rule) and batch 2, and keeps the pool in checkpoints', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const run = await store.createRun(smallConfig((c) => { c.es.pool = { kind: 'thesis', size: 16 }; c.es.batchSize = 2; c.stop.maxGenerations = 20; }), { backend: null });
    const outcome = await train(ws, run.id, 0);
    expect(outcome.status).toBe('finished');
    const ckpt = await store.readLatestCheckpoint(run.id);
    expect(ckpt!.pool!.n).toBe(16);
    // some pool samples were replaced by grown states (differ from the seed)
    const size = 81 * 16;
    let changed = 0;
    for (let i = 0; i < 16; i++) {
      const s = ckpt!.pool!.data.subarray(i * size, (i + 1) * size);
      if (s.some((v, k) => v !== (k === 40 * 16 + 3 || (k >= 40 * 16 + 3 && k < 41 * 16) ? 1 : 0))) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('stops with status failed and keeps the last good checkpoint when fitness becomes NaN', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    // a huge step size makes the state overflow to Infinity/NaN within a few generations
    const run = await store.createRun(smallConfig((c) => { c.es.lr = 50; c.es.update = 'salimans'; c.checkpointEvery = 1; c.stop.maxGenerations = 200; }), { backend: null });
    const outcome = await train(ws, run.id, 0);
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/fitness of member \d+ is (NaN|Infinity)|non-finite/);
    const rec = await store.getRun(run.id);
    expect(rec.status).toBe('failed');
    expect(rec.statusReason).toMatch(/last good checkpoint: (\d+|none)$/);
    const ckpt = await store.readLatestCheckpoint(run.id);
    expect(ckpt).not.toBeNull();
    expect(ckpt!.params.every(Number.isFinite)).toBe(true);
  });

  it('refuses a population of 0, an odd mirrored population and σ ≤ 0 with the field named', async () => {
    const io = { out: () => undefined, err: (l: string) => void errs.push(l) };
    const errs: string[] = [];
    const ws = workspace();
    expect(await main(['train', '--target', 'carrot-9', '--set', 'es.population=0', '--workspace', ws], io)).toBe(2);
    expect(errs.join('\n')).toMatch(/es\.population: must be an integer ≥ 2/);
    expect(await main(['train', '--target', 'carrot-9', '--set', 'es.population=7', '--workspace', ws], io)).toBe(2);
    expect(errs.join('\n')).toMatch(/es\.population: must be even with mirrored sampling, got 7/);
    expect(await main(['train', '--target', 'carrot-9', '--set', 'es.sigma=0', '--workspace', ws], io)).toBe(2);
    expect(errs.join('\n')).toMatch(/es\.sigma: must be a number > 0/);
    expect(existsSync(join(ws, 'runs')) ? readdirSync(join(ws, 'runs')).length : 0).toBe(0);
  });

  it('survives SIGKILL of the CLI mid-run: resume reaches the uninterrupted result', async () => {
    const ws = workspace();
    const { runId, killedAt } = await trainThenKill(['--optimizer', 'es', '--preset', 'thesis-es', '--target', 'carrot-9', '--seed', '5', '--max-generations', '400',
      '--set', 'checkpointEvery=25', '--set', 'evalEvery=100', '--workers', '1', '--workspace', ws], 120);
    expect(killedAt).toBeGreaterThan(0);
    const store = new LabStore(ws);
    expect((await store.getRun(runId)).status).toBe('running'); // what a kill leaves: the lock's owner is gone
    const io = { out: () => undefined, err: () => undefined };
    expect(await main(['resume', runId, '--workers', '0', '--workspace', ws], io)).toBe(0);
    const resumed = await store.getRun(runId);
    expect(resumed.status).toBe('finished');
    expect(resumed.progress.generation).toBe(400);
    // the same run uninterrupted, in this process
    const straight = await store.createRun({ ...resumed.config }, { backend: null });
    await train(ws, straight.id, 0);
    expect(Array.from((await store.loadModel(runId)).params)).toEqual(Array.from((await store.loadModel(straight.id)).params));
  });
});
