/**
 * Fine-tuning: a run that starts from a model's parameters instead of a fresh initialisation.
 * It records the start in its config (older configs read as null), copies the parameters into its folder, starts
 * exactly from them for every optimizer with the optimizer's own state fresh and every random stream as a fresh
 * run's, refuses a model whose shape does not fit, and resumes like any run. The CLI's --from and the window's
 * runs.create resolve and check the model before a run exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initParams, paramCount } from '../../../../src/core/nca/config';
import { runStream, StreamPurpose } from '../../../../src/core/rng/run-streams';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { LabService } from '../../../../src/services/lab/lab-service';
import { findLibraryModel, loadLibraryModel } from '../../../../src/services/models/model-library';
import { prepareStart, StartModelError } from '../../../../src/services/models/start-model';
import type { TrainSessionFn } from '../../../../src/services/runs/run-manager';
import { createFork } from '../../../../src/services/runs/fork';
import { LabStore, RUN_JSON } from '../../../../src/services/store/lab-store';
import { encodeModelFile } from '../../../../src/services/store/model-format';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { parseCreateRunRequest } from '../../../../src/shared/ipc-schema';
import type { RunInfo } from '../../../../src/shared/lab-api';
import type { StartModel } from '../../../../src/shared/start-model';
import { configFromPreset, configProblems, ncaConfigOf, PRESETS, upgradeRunConfig, type RunConfig } from '../../../../src/shared/training-config';
import { runCli } from '../../helpers/cli-run';
import { comparable, FAULT_SEED, killScenario, reportLine } from '../../helpers/fault-kills';

beforeAll(async () => {
  await initNodeBackend();
});

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
function workspace(): string {
  const d = mkdtempSync(join(tmpdir(), 'nca-fine-tune-'));
  dirs.push(d);
  return d;
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a: Float32Array, b: Float32Array) => bytes(a).equals(bytes(b));

function small(preset: string, edit: (c: RunConfig) => void = () => undefined): RunConfig {
  const c = configFromPreset(preset);
  c.seed = 11;
  c.evalEvery = 5;
  c.checkpointEvery = 5;
  c.stop.maxGenerations = 10;
  if (c.optimizer === 'es') c.es.population = 6;
  if (c.optimizer === 'adam') c.adam.batchSize = 2;
  edit(c);
  return c;
}

/** A run created as RunManager.create does it: the start resolved and checked, its parameters copied. */
async function createFrom(store: LabStore, config: RunConfig, from: StartModel | null) {
  const { config: cfg, startModel } = await prepareStart(store, { ...config, startFrom: from });
  return store.createRun(cfg, { backend: null, ...(startModel ? { startModel } : {}) });
}

const train = (ws: string, runId: string, requested: null | 'stop' = null) =>
  runTrainingSession({ workspace: ws, runId, control: { requested }, workers: 0 });

const library = (id: string): StartModel => ({ kind: 'library', id, label: '' });

async function libraryParams(ws: string, id: string): Promise<Float32Array> {
  return (await loadLibraryModel((await findLibraryModel(ws, id))!)).params;
}

describe('the config records where a run starts', () => {
  it('every preset starts fresh; a config written before startFrom existed validates as null; a bad reference is named', () => {
    for (const p of PRESETS) expect(p.config.startFrom, p.name).toBeNull();
    const old = configFromPreset('thesis-adam') as Partial<RunConfig>;
    delete old.startFrom;
    // validation never fills it in; the upgrade at load does
    expect(configProblems(old as RunConfig)[0]?.field).toBe('startFrom');
    const upgraded = upgradeRunConfig(old) as RunConfig;
    expect(configProblems(upgraded)).toEqual([]);
    expect(upgraded.startFrom).toBeNull();
    expect(old.startFrom).toBeUndefined();

    const problem = (startFrom: unknown) => configProblems({ ...configFromPreset('es'), startFrom } as RunConfig)[0];
    expect(problem({ kind: 'checkpoint', id: 'x', label: '' })).toEqual({
      field: 'startFrom.kind',
      message: 'must be "run", "library", "file", got "checkpoint"',
    });
    expect(problem({ kind: 'run', runId: '../x', generation: null, label: '' })?.field).toBe('startFrom.runId');
    expect(problem({ kind: 'run', runId: 'a', generation: -1, label: '' })?.field).toBe('startFrom.generation');
    expect(problem({ kind: 'library', id: 'Has Caps', label: '' })?.field).toBe('startFrom.id');
    expect(problem({ kind: 'library', id: 'es-carrot-9', label: 'two\nlines' })?.field).toBe('startFrom.label');
    expect(problem('es-carrot-9')?.field).toBe('startFrom');
    expect(problem({ kind: 'run', runId: 'a', generation: 3, label: 'run a' })).toBeUndefined();
  });

  it('a run.json without startFrom (an older lab) reads back as a fresh run and trains as one', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const cfg = small('thesis-es', (c) => {
      c.stop.maxGenerations = 3;
    });
    const now = await store.createRun(cfg, { backend: null });
    const old = await store.createRun(cfg, { backend: null });
    const file = join(store.runDir(old.id), RUN_JSON);
    const json = JSON.parse(await readFile(file, 'utf8'));
    delete json.config.startFrom;
    await writeFile(file, JSON.stringify(json));
    expect((await store.getRun(old.id)).config.startFrom).toBeNull();
    expect(await store.readStartModel(old.id)).toBeNull();
    await train(ws, now.id);
    await train(ws, old.id);
    expect(sameBytes((await store.loadModel(old.id)).params, (await store.loadModel(now.id)).params)).toBe(true);
  });
});

describe('a run created from a model starts exactly from its parameters', () => {
  it('ES from the built-in Adam model, Adam from the built-in ES model and from the Distill lizard: the checkpoint before step 1 is the source, the optimizer state fresh', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const cases: [string, RunConfig, string][] = [
      [
        'ES from Adam',
        small('thesis-es', (c) => {
          c.model.bias1 = true;
        }),
        'thesis-adam-carrot-9',
      ],
      // the es-256 model has the layer-1 bias, as the thesis-adam preset
      ['Adam from ES', small('thesis-adam'), 'es-carrot-9'],
      [
        'Adam from Distill',
        small('mordvintsev-growing', (c) => {
          c.target = { name: 'carrot-9', size: 9, padding: 0 };
        }),
        'distill-lizard-growing',
      ],
    ];
    for (const [what, cfg, id] of cases) {
      const source = await libraryParams(ws, id);
      const run = await createFrom(store, cfg, library(id));
      const record = await store.getRun(run.id);
      expect(record.config.startFrom, what).toMatchObject({
        kind: 'library',
        id,
        label: expect.stringMatching(new RegExp(`^built-in model ".+" \\(${id}\\)$`)),
      });
      expect(sameBytes((await store.readStartModel(run.id))!.params, source), what).toBe(true);
      // stopped before its first step: the checkpoint at step 0 holds the parameters it starts from
      const outcome = await train(ws, run.id, 'stop');
      expect(outcome.generation, what).toBe(0);
      const ckpt = await store.readCheckpoint(run.id, 0);
      expect(sameBytes(ckpt.params, source), what).toBe(true);
      if (cfg.optimizer === 'adam') {
        expect(ckpt.scalars['adam.step'], what).toBe(0);
        expect(ckpt.arrays['adam.m'].every((x) => x === 0) && ckpt.arrays['adam.v'].every((x) => x === 0), what).toBe(true);
      } else {
        expect(ckpt.scalars, what).toMatchObject({ lr: cfg.es.lr });
      }
    }
  });

  it("draws every random number as a fresh run does: started from its own seed's initialisation, it retraces the fresh run bit for bit (ES and Adam)", async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    for (const preset of ['thesis-es', 'thesis-adam']) {
      const cfg = small(preset);
      const rng = runStream(cfg.seed, 0, StreamPurpose.Init, 0);
      const init = initParams(ncaConfigOf(cfg), cfg.model.init, () => rng.uniform());
      const folder = join(ws, `init-${preset}`);
      await mkdir(folder);
      const { modelJson, weights } = encodeModelFile(init, {
        nca: ncaConfigOf(cfg),
        target: null,
        config: null,
        generation: null,
        loss: null,
        runId: null,
        labVersion: 'test',
      });
      await writeFile(join(folder, 'weights.bin'), weights);
      await writeFile(join(folder, 'model.json'), JSON.stringify(modelJson));
      const fresh = await store.createRun(cfg, { backend: null });
      const tuned = await createFrom(store, cfg, { kind: 'file', path: folder, label: '' });
      expect((await store.getRun(tuned.id)).config.startFrom).toMatchObject({
        kind: 'file',
        path: folder,
        label: `model file ${join(folder, 'model.json')}`,
      });
      await train(ws, fresh.id);
      await train(ws, tuned.id);
      expect((await store.readMetrics(tuned.id)).map(comparable), preset).toEqual((await store.readMetrics(fresh.id)).map(comparable));
      expect(sameBytes((await store.loadModel(tuned.id)).params, (await store.loadModel(fresh.id)).params), preset).toBe(true);
    }
  });

  it("from a run's model or checkpoint; the run keeps its copy, so it trains the same after the source is deleted; a fork keeps the start", async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const adam = await store.createRun(
      small('thesis-adam', (c) => {
        c.stop.maxGenerations = 6;
        c.checkpointEvery = 3;
      }),
      { backend: null },
    );
    await train(ws, adam.id);
    const adamModel = (await store.loadModel(adam.id)).params;
    const adamAt3 = (await store.readCheckpoint(adam.id, 3)).params;
    expect(sameBytes(adamModel, adamAt3)).toBe(false);

    const esCfg = small('thesis-es', (c) => {
      c.model.bias1 = true;
      c.stop.maxGenerations = 4;
    });
    const fromModel = await createFrom(store, esCfg, { kind: 'run', runId: adam.id, generation: null, label: 'ignored' });
    const fromCkpt = await createFrom(store, esCfg, { kind: 'run', runId: adam.id, generation: 3, label: '' });
    const twin = await createFrom(store, esCfg, { kind: 'run', runId: adam.id, generation: null, label: '' });
    expect((await store.getRun(fromModel.id)).config.startFrom!.label).toBe(`run "${adam.name}" (${adam.id}), its model at iteration 6`);
    expect((await store.getRun(fromCkpt.id)).config.startFrom!.label).toBe(`run "${adam.name}" (${adam.id}), checkpoint at iteration 3`);
    expect(sameBytes((await store.readStartModel(fromModel.id))!.params, adamModel)).toBe(true);
    expect(sameBytes((await store.readStartModel(fromCkpt.id))!.params, adamAt3)).toBe(true);

    await train(ws, twin.id);
    await store.deleteRun(adam.id);
    const outcome = await train(ws, fromModel.id);
    expect(outcome.status).toBe('finished');
    expect(sameBytes((await store.loadModel(fromModel.id)).params, (await store.loadModel(twin.id)).params)).toBe(true);
    // and not as a fresh run of the same config would
    const fresh = await store.createRun(esCfg, { backend: null });
    await train(ws, fresh.id);
    expect(sameBytes((await store.loadModel(fromModel.id)).params, (await store.loadModel(fresh.id)).params)).toBe(false);
    // the source is gone: a new run can no longer start from it, and says so
    await expect(createFrom(store, esCfg, { kind: 'run', runId: adam.id, generation: null, label: '' })).rejects.toThrow(
      `cannot start from run "${adam.id}": no run "${adam.id}"`,
    );

    const fork = await createFork(store, { runId: fromModel.id, generation: 4, start: false }, (why) => new Error(why));
    expect(fork.record.config.startFrom).toEqual((await store.getRun(fromModel.id)).config.startFrom);
    expect(sameBytes((await store.readStartModel(fork.record.id))!.params, adamModel)).toBe(true);
  });

  it("refuses a model whose shape does not fit the run's model settings, naming both, and creates nothing", async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    await expect(createFrom(store, small('thesis-es'), library('thesis-adam-carrot-9'))).rejects.toThrow(
      'cannot start from built-in model "Adam carrot-9 (thesis-adam)" (thesis-adam-carrot-9): its model has channels 16, hidden 32, layer-1 bias on, layer-2 bias off, ' +
        "the run's model settings have channels 16, hidden 32, layer-1 bias off, layer-2 bias off",
    );
    await expect(createFrom(store, small('thesis-adam'), library('distill-lizard-growing'))).rejects.toBeInstanceOf(StartModelError);
    await expect(createFrom(store, small('thesis-adam'), library('no-such-model'))).rejects.toThrow(
      'cannot start from model "no-such-model": no built-in model and no model imported',
    );
    // the store itself refuses a start without parameters, and parameters that do not fit
    const cfg = small('thesis-es');
    await expect(store.createRun({ ...cfg, startFrom: library('es-carrot-9') }, { backend: null })).rejects.toThrow(
      'no parameters were given',
    );
    await expect(
      store.createRun(
        { ...cfg, startFrom: { ...library('x'), label: 'model x' } },
        {
          backend: null,
          startModel: { nca: { ...ncaConfigOf(cfg), hidden: 8 }, params: new Float32Array(paramCount({ ...ncaConfigOf(cfg), hidden: 8 })) },
        },
      ),
    ).rejects.toThrow('its model has channels 16, hidden 8');
    expect(await readdir(store.runsDir).catch(() => [])).toEqual([]);
  });
});

describe('the window and the command line', () => {
  it('runs.create resolves the start (label from the lab), refuses a misfit and a file path, and leaves no run behind', async () => {
    const ws = workspace();
    const instant: TrainSessionFn = async () => ({ status: 'finished', reason: 'fake', generation: 0, bestEval40: null });
    const service = new LabService({
      workspace: ws,
      selectBackend: async () => ({ name: 'cpu', skipped: [] }),
      runs: { train: instant, cores: 2 },
    });
    await service.start();
    try {
      const config = { ...small('thesis-adam'), startFrom: library('es-carrot-9') };
      const run = (await service.dispatch('runs:create', [{ config, start: false }])) as RunInfo;
      expect(run.config.startFrom).toEqual({
        kind: 'library',
        id: 'es-carrot-9',
        label: 'built-in model "ES carrot-9 (es-256)" (es-carrot-9)',
      });
      const store = new LabStore(ws);
      expect(sameBytes((await store.readStartModel(run.id))!.params, await libraryParams(ws, 'es-carrot-9'))).toBe(true);
      await expect(
        service.dispatch('runs:create', [{ config: { ...config, model: { ...config.model, bias1: false } }, start: false }]),
      ).rejects.toThrow("layer-1 bias on, layer-2 bias off, the run's model settings have channels 16, hidden 32, layer-1 bias off");
      await expect(
        service.dispatch('runs:create', [{ config: { ...config, startFrom: { kind: 'file', path: '/etc/passwd', label: '' } } }]),
      ).rejects.toThrow('runs.create: config.startFrom.kind: must be "run" or "library"');
      expect(() =>
        parseCreateRunRequest({ config: { ...config, startFrom: { kind: 'run', runId: 'a b', generation: null, label: '' } } }),
      ).toThrow('runs.create: config.startFrom.runId: must be a run id');
      expect((await store.listRuns()).map((r) => r.id)).toEqual([run.id]);
    } finally {
      await service.close();
    }
  });

  it('nca-lab train --from: a built-in id (taking its shape, and saying so), RUN_ID@GENERATION and a run id; bad ids and misfits refused before a run exists', async () => {
    const ws = workspace();
    const store = new LabStore(ws);
    const base = [
      'train',
      '--optimizer',
      'es',
      '--preset',
      'thesis-es',
      '--target',
      'carrot-9',
      '--max-generations',
      '2',
      '--set',
      'checkpointEvery=1',
      '--workers',
      '0',
      '--workspace',
      ws,
    ];

    const first = await runCli(...base, '--from', 'thesis-adam-carrot-9');
    expect(first.code, first.err.join('\n')).toBe(0);
    expect(first.err.join('\n')).toContain(
      'starting from built-in model "Adam carrot-9 (thesis-adam)" (thesis-adam-carrot-9): the run takes its model\'s shape (channels 16, hidden 32, layer-1 bias on, layer-2 bias off) instead of the preset\'s (channels 16, hidden 32, layer-1 bias off, layer-2 bias off)',
    );
    const [tuned] = await store.listRuns();
    expect(tuned.config.model.bias1).toBe(true);
    expect(tuned.config.startFrom).toMatchObject({ kind: 'library', id: 'thesis-adam-carrot-9' });
    expect(sameBytes((await store.readStartModel(tuned.id))!.params, await libraryParams(ws, 'thesis-adam-carrot-9'))).toBe(true);

    // Adam from that ES run's checkpoint, and from its model; the JSON header carries the start
    const adam = [
      'train',
      '--optimizer',
      'adam',
      '--preset',
      'thesis-adam',
      '--target',
      'carrot-9',
      '--max-generations',
      '1',
      '--set',
      'adam.batchSize=2',
      '--workers',
      '0',
      '--json',
      '--workspace',
      ws,
    ];
    const atCkpt = await runCli(...adam, '--from', `${tuned.id}@1`);
    expect(atCkpt.code, atCkpt.err.join('\n')).toBe(0);
    const header = JSON.parse(atCkpt.out[0]);
    expect(header.startFrom).toEqual({
      kind: 'run',
      runId: tuned.id,
      generation: 1,
      label: `run "${tuned.name}" (${tuned.id}), checkpoint at generation 1`,
    });
    expect(sameBytes((await store.readStartModel(header.runId))!.params, (await store.readCheckpoint(tuned.id, 1)).params)).toBe(true);
    const fromRun = await runCli(...adam, '--from', tuned.id);
    expect(fromRun.code, fromRun.err.join('\n')).toBe(0);
    expect(JSON.parse(fromRun.out[0]).startFrom.label).toBe(`run "${tuned.name}" (${tuned.id}), its model at generation 2`);

    const before = (await readdir(store.runsDir)).sort();
    const refused = [
      [
        ['--from', 'no-such-thing'],
        `--from no-such-thing: "no-such-thing" is no run in ${store.runsDir}, no built-in model, no model imported into ${join(ws, 'models')} and no model file`,
      ],
      [
        ['--from', `${tuned.id}@7`],
        `--from ${tuned.id}@7: cannot start from ${tuned.id}@7: run "${tuned.id}" has no checkpoint at generation 7 (it has 1, 2)`,
      ],
      [
        ['--from', 'thesis-adam-carrot-9', '--set', 'model.hidden=64'],
        "its model has channels 16, hidden 32, layer-1 bias on, layer-2 bias off, the run's model settings have channels 16, hidden 64, layer-1 bias off",
      ],
      [['--from', ''], '--from needs a run id'],
    ] as const;
    for (const [flags, message] of refused) {
      const r = await runCli(...base, ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err.join('\n')).toContain(message);
    }
    expect((await readdir(store.runsDir)).sort()).toEqual(before);
  }, 60_000);
});

describe('resume of a fine-tuned run', () => {
  it('ES fine-tuned from the built-in Adam model, killed at random instants, resumes onto the uninterrupted weights and metrics', async () => {
    const args = [
      '--optimizer',
      'es',
      '--preset',
      'thesis-es',
      '--target',
      'carrot-9',
      '--seed',
      '5',
      '--max-generations',
      '40',
      // population 32: ≈ 14 ms a generation from the grown Adam model, so the 18+ generations after the first
      // kill's trigger outlast its delay (< 150 ms); at 8 the run could end first and the kill find it finished
      '--set',
      'es.population=32',
      '--workers',
      '1',
      '--set',
      'evalEvery=10',
      '--set',
      'checkpointEvery=7',
      '--from',
      'thesis-adam-carrot-9',
    ];
    const report = await killScenario('ES from thesis-adam-carrot-9, checkpoint every 7', args, 40, FAULT_SEED + 7);
    console.log(`faults-kill: ${reportLine(report)}`);
    expect(report.dataLost).toBe(0);
    expect(report.kills.length).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
