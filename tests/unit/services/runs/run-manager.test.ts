/**
 * RunManager with a fake trainer (fast, deterministic): the status machine, the queue, the core sharing,
 * relayed progress, crash recovery at start-up, stopAll, fork. The fake does what the real trainers do to
 * the store (status, checkpoints, metrics), one generation every few milliseconds. run-manager-training.test.ts
 * drives the real trainers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paramCount } from '../../../../src/core/nca/config';
import type { RunInfo, RunProgressEvent } from '../../../../src/shared/lab-api';
import type { RunStatus } from '../../../../src/shared/run-record';
import { configFromPreset, ncaConfigOf, type RunConfig } from '../../../../src/shared/training-config';
import { RunManager, thinRows, type RunManagerEvent, type TrainSessionFn } from '../../../../src/services/runs/run-manager';
import { LabStore } from '../../../../src/services/store/lab-store';
import type { TrainOutcome } from '../../../../src/services/training/context';
import { shareWorkers } from '../../../../src/services/runs/worker-share';

const VERSIONS = { lab: '0.0.0-test', tfjs: '0.0.0', node: process.version };

let workspace: string;
let store: LabStore;
let managers: RunManager[];

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-runs-'));
  store = new LabStore(workspace, { versions: VERSIONS });
  managers = [];
});
afterEach(async () => {
  for (const m of managers) await m.stopAll();
  await rm(workspace, { recursive: true, force: true });
});

interface SessionCall {
  runId: string;
  workers: number;
  from: number;
}

/**
 * Trains nothing, but like trainEs: status `running` with a backend, a metrics row per generation, a growth
 * evaluation every `evalEvery`, a checkpoint every `checkpointEvery` and at every end, resumes from the newest
 * checkpoint, honours the stop request once per generation and the stop conditions.
 */
function fakeTrainer(calls: SessionCall[], genMs = 2): TrainSessionFn {
  return async (o): Promise<TrainOutcome> => {
    const s = new LabStore(o.workspace, { versions: VERSIONS });
    const run = await s.getRun(o.runId);
    const cfg = run.config;
    const ckpt = await s.readLatestCheckpoint(o.runId);
    let g = ckpt?.generation ?? 0;
    calls.push({ runId: o.runId, workers: o.workers ?? -1, from: g });
    await s.updateRun(o.runId, { status: 'running', statusReason: null, backend: `fake ×${o.workers}` });
    const checkpoint = () => s.writeCheckpoint(o.runId, {
      generation: g, evaluations: g * 6, wallSeconds: g * genMs / 1000,
      params: new Float32Array(paramCount(ncaConfigOf(cfg))).fill(g / 1000), arrays: {}, scalars: { lr: 0.005, decayStage: 0 }, pool: null, rng: null,
    });
    const progress = () => ({
      ...run.progress, generation: g, evaluations: g * 6, wallSeconds: g * genMs / 1000, lastLoss: g ? 1 / g : null, bestLoss: g ? 0.5 / g : null,
    });
    const end = async (status: TrainOutcome['status'], reason: string): Promise<TrainOutcome> => {
      await checkpoint();
      await s.updateRun(o.runId, { status, statusReason: reason, progress: progress() });
      return { status, reason, generation: g, bestEval40: null };
    };
    for (;;) {
      if (o.control.requested === 'stop') return end('stopped', `stopped by the user at generation ${g}`);
      if (o.control.requested === 'pause') return end('paused', `paused at generation ${g}`);
      if (cfg.stop.maxGenerations !== null && g >= cfg.stop.maxGenerations) return end('finished', `reached max generations (${cfg.stop.maxGenerations})`);
      await new Promise((r) => setTimeout(r, genMs));
      g++;
      const row = { generation: g, evaluations: g * 6, wallSeconds: (g * genMs) / 1000, loss: 1 / g, bestLoss: 0.5 / g, lr: 0.005 };
      const evalRow = g % cfg.evalEvery === 0 ? { eval40: 0.9 / g, eval200: 1 / g } : {};
      await s.appendMetrics(o.runId, [{ ...row, ...evalRow }]);
      o.onProgress?.({ runId: o.runId, optimizer: cfg.optimizer, ...row, ...evalRow, generationsPerSec: 1000 / genMs, mutantsPerSec: 6000 / genMs });
      if (g % cfg.checkpointEvery === 0) {
        await checkpoint();
        await s.updateRun(o.runId, { progress: progress() });
      }
    }
  };
}

/** The run's checkpoint generations once `ok` holds for them (polled: the fake trainer writes them as it goes). */
async function untilCheckpoint(m: RunManager, runId: string, ok: (gens: number[]) => boolean): Promise<number[]> {
  for (;;) {
    const gens = (await m.checkpoints(runId)).map((c) => c.generation);
    if (ok(gens)) return gens;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function esConfig(over: { maxGenerations?: number | null; workers?: number; evalEvery?: number; checkpointEvery?: number } = {}): RunConfig {
  const cfg = configFromPreset('thesis-es');
  if (cfg.optimizer !== 'es') throw new Error('unreachable');
  cfg.stop.maxGenerations = over.maxGenerations === undefined ? 40 : over.maxGenerations;
  cfg.es.workers = over.workers ?? 0;
  cfg.evalEvery = over.evalEvery ?? 10;
  cfg.checkpointEvery = over.checkpointEvery ?? 10;
  return cfg;
}

function adamConfig(maxGenerations: number | null = 40): RunConfig {
  const cfg = configFromPreset('thesis-adam');
  cfg.stop.maxGenerations = maxGenerations;
  cfg.evalEvery = 10;
  cfg.checkpointEvery = 10;
  return cfg;
}

function manager(calls: SessionCall[], opts: { cores?: number; maxConcurrent?: number; genMs?: number; minReshareAgeMs?: number } = {}) {
  const events: RunManagerEvent[] = [];
  const m = new RunManager({
    workspace, store, cores: opts.cores ?? 2, maxConcurrent: opts.maxConcurrent, train: fakeTrainer(calls, opts.genMs ?? 2),
    minReshareAgeMs: opts.minReshareAgeMs ?? 0,
  });
  m.on((e) => events.push(e));
  managers.push(m);
  return { m, events };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const statusOf = async (m: RunManager, id: string) => (await m.get(id)).status;
/** The status on disk, once the manager has finished with the session (the trainer writes its status first). */
const untilStatus = (m: RunManager, id: string, status: RunStatus) =>
  until(`${id} to be ${status}`, async () => (!m.activeRunIds().includes(id) && (await statusOf(m, id)) === status ? true : undefined));
const statusEvents = (events: RunManagerEvent[], id: string) =>
  events.filter((e): e is { type: 'status'; run: RunInfo } => e.type === 'status' && e.run.id === id).map((e) => e.run.status);

describe('shareWorkers', () => {
  it('splits the cores between ES runs, one core per Adam run, at least one worker each', () => {
    const es = (id: string, cap = Infinity) => ({ id, optimizer: 'es' as const, cap });
    const adam = (id: string) => ({ id, optimizer: 'adam' as const, cap: 1 });
    expect([...shareWorkers(2, [es('a')]).values()]).toEqual([2]);
    expect([...shareWorkers(2, [es('a'), es('b')]).values()]).toEqual([1, 1]);
    expect([...shareWorkers(4, [es('a'), es('b'), adam('c')]).values()]).toEqual([2, 1, 1]);
    expect([...shareWorkers(8, [es('a', 2), es('b')]).values()]).toEqual([2, 6]);
    expect([...shareWorkers(16, [es('a', 6), es('b', 6)]).values()]).toEqual([6, 6]);
    expect([...shareWorkers(2, [es('a'), es('b'), es('c')]).values()]).toEqual([1, 1, 1]);
    expect([...shareWorkers(1, [adam('a'), es('b')]).values()]).toEqual([1, 1]);
  });
});

describe('RunManager: one run', () => {
  it('creates, queues and trains a run to its stop condition, relaying its progress', async () => {
    const calls: SessionCall[] = [];
    const { m, events } = manager(calls, { genMs: 3 });
    const created = await m.create({ config: esConfig({ maxGenerations: 120, workers: 1 }), name: 'first', tags: ['smoke'] });
    expect(created.name).toBe('first');
    expect(created.tags).toEqual(['smoke']);
    await untilStatus(m, created.id, 'finished');

    const run = await m.get(created.id);
    expect(run.statusReason).toBe('reached max generations (120)');
    expect(run.live).toBeNull();
    expect(run.backend).toBe('fake ×1');
    expect(calls).toEqual([{ runId: created.id, workers: 1, from: 0 }]);
    const statuses = statusEvents(events, created.id);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('finished');

    const progress = events.filter((e): e is { type: 'progress'; progress: RunProgressEvent } => e.type === 'progress').map((e) => e.progress);
    const evals = progress.filter((p) => p.eval40 !== undefined).map((p) => p.generation);
    // the manager relays what the trainer sends (a real trainer throttles where it makes them: training-log.test.ts)
    expect(evals).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect(progress.length).toBe(120);
    expect(progress.at(-1)!.generation).toBe(120);
    const generations = progress.map((p) => p.generation);
    expect([...generations].sort((a, b) => a - b)).toEqual(generations);

    const metrics = await m.metrics(created.id);
    expect(metrics.length).toBe(120);
    expect(metrics[9]).toEqual({ generation: 10, evaluations: 60, wallSeconds: 0.03, loss: 0.1, bestLoss: 0.05, lr: 0.005, eval40: 0.09, eval200: 0.1 });
    const thin = await m.metrics(created.id, 20);
    expect(thin.length).toBeLessThanOrEqual(20 + 12);
    expect(thin.at(-1)!.generation).toBe(120);
    expect(thin.filter((r) => r.eval40 !== undefined).length).toBe(12);
    expect((await m.checkpoints(created.id)).map((c) => c.generation)).toEqual([100, 110, 120]);
    const params = await m.modelParams(created.id);
    expect([params.generation, params.source, params.height, params.width, params.nca.hidden]).toEqual([120, 'checkpoint', 9, 9, 32]);
  });

  it('pauses, resumes from the checkpoint, stops; refuses what the status machine does not allow', async () => {
    const calls: SessionCall[] = [];
    const { m, events } = manager(calls);
    const { id } = await m.create({ config: esConfig({ maxGenerations: null }) });
    await until('some progress', async () => (await m.get(id)).progress.generation >= 15);

    const paused = await m.pause(id);
    expect(paused.status).toBe('paused');
    expect(paused.statusReason).toMatch(/^paused by the user at generation \d+$/);
    const at = paused.progress.generation;
    expect((await m.checkpoints(id)).at(-1)!.generation).toBe(at);
    await expect(m.pause(id)).rejects.toThrow(`run "${id}": a paused run cannot be paused: it is already paused`);

    const resumed = await m.resume(id);
    expect(['queued', 'running']).toContain(resumed.status);
    await until('the resumed session', () => calls.length === 2);
    expect(calls[1]).toEqual({ runId: id, workers: 2, from: at });
    await until('progress after the resume', async () => (await m.get(id)).progress.generation > at);
    await expect(m.resume(id)).rejects.toThrow('cannot be resumed: it is already training');
    await expect(m.delete(id)).rejects.toThrow(`run "${id}" is training; stop it before deleting it`);

    const stopped = await m.stop(id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.statusReason).toMatch(/^stopped by the user at generation \d+$/);
    expect(stopped.progress.generation).toBeGreaterThan(at);
    expect(stopped.live).toBeNull();
    await expect(m.stop(id)).rejects.toThrow('a stopped run cannot be stopped: it is already stopped');
    await expect(m.pause(id)).rejects.toThrow('a stopped run cannot be paused: it is not training; resume it to continue');

    expect(statusEvents(events, id)).toEqual(expect.arrayContaining(['queued', 'running', 'paused', 'stopped']));
    await m.delete(id);
    expect(events.at(-1)).toEqual({ type: 'deleted', runId: id });
    await expect(m.get(id)).rejects.toThrow(`no run "${id}"`);
  });

  it('refuses to resume a finished run, and says to fork it', async () => {
    const { m } = manager([]);
    const { id } = await m.create({ config: esConfig({ maxGenerations: 5 }) });
    await untilStatus(m, id, 'finished');
    await expect(m.resume(id)).rejects.toThrow(
      `run "${id}": a finished run cannot be resumed: it reached its stop condition; fork it from a checkpoint to train further`);
  });

  it('creates a run without starting it, then starts it with resume', async () => {
    const calls: SessionCall[] = [];
    const { m } = manager(calls);
    const run = await m.create({ config: esConfig({ maxGenerations: 5 }), start: false });
    expect([run.status, run.statusReason]).toEqual(['paused', 'created; not started yet']);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([]);
    await m.resume(run.id);
    await untilStatus(m, run.id, 'finished');
  });

  it('records a trainer that throws as failed, with its message, and frees the slot', async () => {
    const m = new RunManager({ workspace, store, cores: 1, train: async () => { throw new Error('the target file vanished'); } });
    managers.push(m);
    const { id } = await m.create({ config: esConfig() });
    await untilStatus(m, id, 'failed');
    expect((await m.get(id)).statusReason).toBe('the target file vanished');
    expect(m.activeRunIds()).toEqual([]);
  });
});

describe('RunManager: several runs', () => {
  it('trains at most maxConcurrent runs, queues the rest in order, and starts them as slots free up', async () => {
    const calls: SessionCall[] = [];
    const { m } = manager(calls, { cores: 2, maxConcurrent: 2 });
    const a = await m.create({ config: esConfig({ maxGenerations: null, workers: 1 }) });
    const b = await m.create({ config: esConfig({ maxGenerations: null, workers: 1 }) });
    const c = await m.create({ config: esConfig({ maxGenerations: null, workers: 1 }) });
    const d = await m.create({ config: esConfig({ maxGenerations: null, workers: 1 }) });
    await until('two sessions', () => calls.length === 2);
    expect(calls.map((x) => x.runId)).toEqual([a.id, b.id]);
    const [ia, ic, id] = await Promise.all([m.get(a.id), m.get(c.id), m.get(d.id)]);
    expect([ia.status, ia.queuePosition, ia.live?.workers]).toEqual(['running', null, 1]);
    expect([ic.status, ic.queuePosition]).toEqual(['queued', 1]);
    expect([id.status, id.queuePosition]).toEqual(['queued', 2]);

    // a queued run can be paused (out of the queue); the next one moves up
    expect((await m.pause(c.id)).status).toBe('paused');
    expect((await m.get(d.id)).queuePosition).toBe(1);
    await m.stop(a.id);
    await until('d to start', () => calls.length === 3);
    expect(calls[2].runId).toBe(d.id);
    expect((await m.list()).runs.filter((r) => r.status === 'running').map((r) => r.id).sort()).toEqual([b.id, d.id].sort());
  });

  it('shares the cores: a second ES run makes the first restart with half the workers, and it grows back', async () => {
    const calls: SessionCall[] = [];
    const { m } = manager(calls, { cores: 2, minReshareAgeMs: 0 });
    const a = await m.create({ config: esConfig({ maxGenerations: null }) });
    await until('a to train', async () => (await m.get(a.id)).progress.generation > 3);
    expect(m.workerShares().get(a.id)).toBe(2);

    const b = await m.create({ config: esConfig({ maxGenerations: null }) });
    await until('a to restart with 1 worker', () => calls.length === 3);
    await until('both sessions to run', async () => (await m.get(a.id)).live !== null && (await m.get(b.id)).live !== null);
    expect(calls[0]).toEqual({ runId: a.id, workers: 2, from: 0 });
    const restart = calls.find((c, i) => i > 0 && c.runId === a.id)!;
    expect(restart.workers).toBe(1);
    expect(restart.from).toBeGreaterThan(0); // continued from the checkpoint written when it was paused
    expect(calls.find((c) => c.runId === b.id)!.workers).toBe(1);
    expect(m.workerShares()).toEqual(new Map([[a.id, 1], [b.id, 1]]));
    // the restart is not a status the user sees
    expect((await m.get(a.id)).status).toBe('running');

    await m.stop(b.id);
    await until('a to grow back to 2 workers', () => calls.at(-1)!.runId === a.id && calls.at(-1)!.workers === 2);
    expect(m.workerShares()).toEqual(new Map([[a.id, 2]]));
  });

  it('gives an Adam run one core next to an ES run', async () => {
    const calls: SessionCall[] = [];
    const { m } = manager(calls, { cores: 4, minReshareAgeMs: 60_000 });
    const e = await m.create({ config: esConfig({ maxGenerations: null }) });
    const a = await m.create({ config: adamConfig(null) });
    await until('both', async () => (await m.get(a.id)).live !== null && (await m.get(e.id)).live !== null);
    await until('e to restart with 3', () => m.workerShares().get(e.id) === 3);
    expect(m.workerShares().get(a.id)).toBe(1);
  });
});

describe('RunManager: start-up and quitting', () => {
  it('turns runs found running into interrupted (resumable) and leftover queued runs into paused', async () => {
    const running = await store.createRun(esConfig({ maxGenerations: 30 }), { backend: null });
    await store.updateRun(running.id, { status: 'running' });
    const queued = await store.createRun(esConfig(), { backend: null });
    const done = await store.createRun(esConfig(), { backend: null });
    await store.updateRun(done.id, { status: 'finished', statusReason: 'reached max generations (40)' });

    const calls: SessionCall[] = [];
    const { m } = manager(calls);
    expect(await m.init()).toEqual({ interrupted: [running.id], unqueued: [queued.id] });
    const r = await m.get(running.id);
    expect(r.status).toBe('interrupted');
    expect(r.statusReason).toContain('no checkpoint had been written, so it restarts from the beginning');
    expect((await m.get(queued.id)).status).toBe('paused');
    expect((await m.get(done.id)).status).toBe('finished');
    expect(calls).toEqual([]);

    await m.resume(running.id);
    await untilStatus(m, running.id, 'finished');
  });

  it('stopAll pauses every session after a checkpoint and the queued runs, and refuses new work', async () => {
    const calls: SessionCall[] = [];
    const { m } = manager(calls, { cores: 2, maxConcurrent: 2 });
    const runs = await Promise.all([0, 1, 2].map(() => m.create({ config: esConfig({ maxGenerations: null, workers: 1 }) })));
    await until('two sessions going', async () => (await m.list()).runs.filter((r) => r.progress.generation > 2).length === 2);
    const ids = await m.stopAll();
    expect(ids.sort()).toEqual(runs.map((r) => r.id).sort());
    for (const r of runs) {
      const info = await m.get(r.id);
      expect(info.status).toBe('paused');
      expect(info.live).toBeNull();
    }
    const trained = (await m.list()).runs.filter((r) => r.progress.generation > 0);
    expect(trained.length).toBe(2);
    for (const r of trained) {
      expect(r.statusReason).toBe(`paused when the lab closed, at generation ${r.progress.generation}; resume to continue`);
      expect(r.checkpointGeneration).toBe(r.progress.generation);
    }
    const waiting = (await m.list()).runs.find((r) => r.progress.generation === 0)!;
    expect(waiting.statusReason).toBe('was waiting in the queue when the lab closed; resume to start it');
    await expect(m.resume(runs[0].id)).rejects.toThrow('the lab is closing: no new training starts');
    expect(m.activeRunIds()).toEqual([]);
  });
});

describe('RunManager: fork, tags, notes', () => {
  it('forks from a checkpoint with new stop conditions; the metrics up to it come along', async () => {
    const { m } = manager([]);
    const src = await m.create({ config: esConfig({ maxGenerations: 30 }), name: 'source', tags: ['a'] });
    await untilStatus(m, src.id, 'finished');
    expect((await m.checkpoints(src.id)).map((c) => c.generation)).toEqual([10, 20, 30]);

    const config = (await m.get(src.id)).config;
    config.stop.maxGenerations = 50;
    const fork = await m.fork({ runId: src.id, generation: 20, config, start: false });
    expect(fork.name).toBe('source · fork @20');
    expect(fork.tags).toEqual(['a']);
    expect(fork.forkedFrom).toEqual({ runId: src.id, generation: 20 });
    expect([fork.status, fork.progress.generation, fork.progress.evaluations]).toEqual(['paused', 20, 120]);
    expect(fork.progress.lastLoss).toBeCloseTo(1 / 20);
    expect(fork.progress.lastEval40).toBeCloseTo(0.9 / 20);
    expect((await m.metrics(fork.id)).map((r) => r.generation)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const p = await m.modelParams(fork.id);
    expect([p.source, p.generation]).toEqual(['checkpoint', 20]);

    await m.resume(fork.id);
    await untilStatus(m, fork.id, 'finished');
    const done = await m.get(fork.id);
    expect(done.progress.generation).toBe(50);
    expect((await m.metrics(fork.id)).map((r) => r.generation)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('forks a training run from the next checkpoint when the one chosen was replaced meanwhile', async () => {
    const { m } = manager([]);
    const src = await m.create({ config: esConfig({ maxGenerations: null, checkpointEvery: 5 }), name: 'source' });
    // a checkpoint the window could have chosen, then three newer ones: the run keeps only its newest three
    const first = (await untilCheckpoint(m, src.id, (gs) => gs.length > 0))[0];
    await untilCheckpoint(m, src.id, (gs) => !gs.includes(first));
    expect((await m.get(src.id)).status).toBe('running');
    const fork = await m.fork({ runId: src.id, generation: first, name: `source · fork @${first}`, start: false });
    expect(fork.forkedFrom!.generation).toBeGreaterThan(first);
    expect(fork.name).toBe(`source · fork @${fork.forkedFrom!.generation}`);
    expect(fork.progress.generation).toBe(fork.forkedFrom!.generation);
    // a name the user wrote stays
    const named = await m.fork({ runId: src.id, generation: first, name: 'my fork', start: false });
    expect(named.name).toBe('my fork');
    await m.stop(src.id);
    // a run that no longer trains keeps the plain refusal
    await expect(m.fork({ runId: src.id, generation: first })).rejects.toThrow(`run "${src.id}" has no checkpoint at generation ${first}`);
  });

  it('refuses forks whose checkpoint cannot fit, and a missing checkpoint', async () => {
    const { m } = manager([]);
    const src = await m.create({ config: esConfig({ maxGenerations: 10 }) });
    await untilStatus(m, src.id, 'finished');
    const wider = esConfig();
    wider.model.hidden = 64;
    await expect(m.fork({ runId: src.id, generation: 10, config: wider })).rejects.toThrow(/a fork keeps the model's shape/);
    await expect(m.fork({ runId: src.id, generation: 10, config: adamConfig() })).rejects.toThrow('a fork keeps the optimizer');
    await expect(m.fork({ runId: src.id, generation: 7 })).rejects.toThrow(`run "${src.id}" has no checkpoint at generation 7 (it has 10)`);
    expect((await m.list()).runs.length).toBe(1);
  });

  it('renames, tags and annotates, with a status event each', async () => {
    const { m, events } = manager([]);
    const run = await m.create({ config: esConfig(), start: false });
    expect((await m.rename(run.id, 'carrot baseline')).name).toBe('carrot baseline');
    expect((await m.setTags(run.id, ['baseline', 'es'])).tags).toEqual(['baseline', 'es']);
    expect((await m.setNotes(run.id, 'σ 0.01, as in the thesis')).notes).toBe('σ 0.01, as in the thesis');
    const last = events.filter((e) => e.type === 'status').at(-1) as { run: RunInfo };
    expect([last.run.name, last.run.tags, last.run.notes]).toEqual(['carrot baseline', ['baseline', 'es'], 'σ 0.01, as in the thesis']);
  });

  it('explains that a run has no parameters before its first checkpoint', async () => {
    const { m } = manager([]);
    const run = await m.create({ config: esConfig(), start: false });
    await expect(m.modelParams(run.id)).rejects.toThrow(`run "${run.id}" has no parameters on disk yet: they appear with its first checkpoint (every 10 generations`);
  });
});

describe('thinRows', () => {
  it('keeps every k-th row, every evaluation row and the last', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({
      generation: i + 1, evaluations: i + 1, wallSeconds: i, loss: 1, bestLoss: 1, lr: 1, ...(i === 54 ? { eval40: 0.5 } : {}),
    }));
    const thin = thinRows(rows, 10);
    expect(thin.map((r) => r.generation)).toEqual([1, 11, 21, 31, 41, 51, 55, 61, 71, 81, 91, 100]);
    expect(thinRows(rows, 200)).toBe(rows);
  });
});
