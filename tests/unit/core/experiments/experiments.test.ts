/**
 * Experiment suites (spec f) on a small trained model: the protocols, the damage index (the loss departs from
 * plain growth exactly at index 51), the curve lengths (2001 / 400 / 1000), seeds and repeats, worker and
 * in-process runs giving the same numbers, cancellation leaving nothing behind, and the files written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseThesis } from '../../../../src/core/damage/damage';
import {
  bigCanvasSize, DAMAGE_INDEX, expandSuite, hookIndices, INDEXING_NOTE, RUNNABLE_SUITES, suiteProtocols,
} from '../../../../src/core/experiments/protocols';
import { experimentDamageLog, runProtocol } from '../../../../src/core/experiments/rollout';
import { GrowthReplay } from '../../../../src/core/replay/growth-replay';
import { STREAM_FIRE } from '../../../../src/core/replay/damage-event';
import { repeatBand } from '../../../../src/core/experiments/stats';
import { FusedNca, FusedScratch } from '../../../../src/core/nca/fused';
import { THESIS_ADAM_MODEL, initParams, paramLayout, type NcaConfig } from '../../../../src/core/nca/config';
import { rgbaMsePerSample } from '../../../../src/core/nca/loss';
import { makeSeed } from '../../../../src/core/nca/state';
import { Philox } from '../../../../src/core/rng/philox';
import type { Target } from '../../../../src/core/targets/target';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { listExperiments, readExperiment } from '../../../../src/services/experiments/experiment-store';
import { runExperiment, type ExperimentProgress } from '../../../../src/services/experiments/run-experiment';
import { LabStore } from '../../../../src/services/store/lab-store';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { parseExperimentResults, type ExperimentResults } from '../../../../src/shared/experiment';
import { configFromPreset } from '../../../../src/shared/training-config';

const EXPECTED_LENGTHS: Record<string, number> = {
  growth: 2001, 'erase-2x2': 400, 'erase-3x3': 400, 'erase-bottom': 400, 'fgsm-growth': 1000,
  'fgsm-after-0.007': 1000, 'fgsm-after-0.07': 1000, 'big-canvas': 1000, strip: 1000,
};

let ws: string;
let store: LabStore;
let esRun: string;
let adamRun: string;
let target: Target;
let nca: FusedNca;
let model: { nca: NcaConfig; params: Float32Array };

beforeAll(async () => {
  await initNodeBackend();
  ws = mkdtempSync(join(tmpdir(), 'nca-lab-experiments-'));
  store = new LabStore(ws);
  // a small trained model: thesis-es on carrot-9, 300 generations in this process
  const es = configFromPreset('thesis-es');
  es.seed = 3;
  es.stop.maxGenerations = 300;
  es.evalEvery = 100;
  es.checkpointEvery = 300;
  esRun = (await store.createRun(es, { backend: null, name: 'test ES' })).id;
  const outcome = await runTrainingSession({ workspace: ws, runId: esRun, control: { requested: null }, workers: 0 });
  expect(outcome.status).toBe('finished');
  // an "Adam" model written straight into the store: thesis-adam layout, small random weights
  const adam = configFromPreset('thesis-adam');
  adamRun = (await store.createRun(adam, { backend: null, name: 'test Adam' })).id;
  const rng = new Philox(9);
  const params = initParams(THESIS_ADAM_MODEL, 'torch', () => rng.uniform());
  const L = paramLayout(THESIS_ADAM_MODEL);
  for (let i = 0; i < L.kernel1.size; i++) params[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.04;
  await store.writeModel(adamRun, params, { config: adam, generation: 1, loss: null });
  target = await store.loadRunTarget(esRun);
  const m = await store.loadModel(esRun);
  nca = new FusedNca(m.nca, m.params);
  model = { nca: m.nca, params: m.params };
}, 120_000);

afterAll(() => {
  if (ws) rmSync(ws, { recursive: true, force: true });
});

describe('suite definitions (spec f)', () => {
  it('has the thesis protocols with their lengths, hooks and frames', () => {
    const thesis = suiteProtocols('thesis');
    expect(thesis.map((p) => p.id)).toEqual(Object.keys(EXPECTED_LENGTHS));
    for (const p of thesis) expect(p.steps).toBe(EXPECTED_LENGTHS[p.id]);
    expect(expandSuite('thesis')).toEqual([...RUNNABLE_SUITES]);
    for (const v of ['2x2', '3x3', 'bottom']) {
      const [p] = suiteProtocols(`erase-${v}` as 'erase-2x2');
      expect(p.hooks).toEqual([{ kind: 'erase', variant: v, atIndex: 51 }]);
    }
    const [g] = suiteProtocols('fgsm-growth');
    expect(hookIndices(g)).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(g.hooks[0]).toMatchObject({ kind: 'fgsm', eps: 7e-7, clamp: 'all' });
    const after = suiteProtocols('fgsm-after', { fgsmClamp: 'rgba' });
    expect(after.map((p) => [p.id, hookIndices(p), p.hooks[0].kind === 'fgsm' && p.hooks[0].eps, p.hooks[0].kind === 'fgsm' && p.hooks[0].clamp]))
      .toEqual([['fgsm-after-0.007', [51], 0.007, 'rgba'], ['fgsm-after-0.07', [51], 0.07, 'rgba']]);
    expect(suiteProtocols('strip')[0].frames).toEqual([0, 1, 2, 3, 4, 10, 30, 40, 100, 1000]);
    // f.5: -s 40 gives 39×39 for both target sizes
    expect([bigCanvasSize(9), bigCanvasSize(15)]).toEqual([39, 39]);
    expect(INDEXING_NOTE).toMatch(/loss index k is the RGBA MSE of the state after k\+1 CA updates/);
  });
});

describe('rollouts (spec f.1)', () => {
  const run = (id: string, seed = 1) => runProtocol({ model, protocol: suiteProtocols('thesis').find((p) => p.id === id)!, target, seed });

  it('follows growth exactly up to index 50 and departs at index 51 in every damage protocol', () => {
    const growth = run('growth');
    for (const id of ['erase-2x2', 'erase-3x3', 'erase-bottom', 'fgsm-after-0.007', 'fgsm-after-0.07']) {
      const dmg = run(id);
      for (let k = 0; k <= 50; k++) expect(dmg.loss[k], `${id} index ${k}`).toBe(growth.loss[k]);
      expect(dmg.loss[DAMAGE_INDEX], id).not.toBe(growth.loss[DAMAGE_INDEX]);
      // erasing: the largest step-to-step change around the damage is exactly at index 51. (FGSM with the thesis's
      // clamp can even lower the loss, spec f.4: for it, the exact departure above is the check.)
      if (id.startsWith('fgsm')) continue;
      let at = -1;
      let biggest = -1;
      for (let k = 41; k <= 60; k++) {
        const jump = Math.abs(dmg.loss[k] - dmg.loss[k - 1]);
        if (jump > biggest) { biggest = jump; at = k; }
      }
      expect(at, id).toBe(DAMAGE_INDEX);
    }
  });

  it('logs index k after k+1 updates and after the hook (the loss at 51 already sees the erase)', () => {
    // by hand: 52 updates with the replay's fire-mask streams (replay seed, STREAM_FIRE, update), then the erase
    const s = makeSeed(9, 9);
    const scratch = new FusedScratch(s);
    for (let u = 1; u <= DAMAGE_INDEX + 1; u++) nca.step(s, new Philox(1, STREAM_FIRE, u), scratch);
    eraseThesis(s, 'bottom');
    expect(run('erase-bottom').loss[DAMAGE_INDEX]).toBe(rgbaMsePerSample(s, target.rgba)[0]);
  });

  it('is the replay engine\'s rollout: the same model, seed and damage log replayed give the same losses', () => {
    const protocol = suiteProtocols('fgsm-growth')[0];
    expect(experimentDamageLog(protocol)).toEqual([{ afterUpdate: 1, repeatUntil: 40, damage: { kind: 'fgsm', eps: 7e-7, clamp: 'all' } }]);
    expect(experimentDamageLog(suiteProtocols('erase-3x3')[0])).toEqual([{ afterUpdate: 52, damage: { kind: 'thesis', variant: '3x3' } }]);
    const replay = new GrowthReplay({
      models: [{ name: 'm', ...model, target: { height: 9, width: 9, rgba: target.rgba } }], height: 9, width: 9, seed: 5,
      damage: experimentDamageLog(protocol),
    });
    replay.seek(1000);
    expect(Array.from(run('fgsm-growth', 5).loss)).toEqual(replay.lossSeries().slice(1));
  });

  it('keeps frames by updates applied: frame 0 is the seed (one black cell), frames as listed', () => {
    const strip = run('strip');
    expect(strip.frames.map((f) => f.updates)).toEqual([0, 1, 2, 3, 4, 10, 30, 40, 100, 1000]);
    const seed = strip.frames[0].rgba8;
    let dark = 0;
    for (let i = 0; i < 81; i++) if (seed[i * 4] < 255) dark++;
    expect(dark).toBe(1);
    expect(Array.from(seed.slice((4 * 9 + 4) * 4, (4 * 9 + 4) * 4 + 4))).toEqual([0, 0, 0, 255]);
    const damage = run('erase-bottom');
    expect(damage.frames.map((f) => f.updates)).toEqual([41, 51, 52, 61, 81, 101, 151, 201]);
    // frame 52 (index 51) shows the erased bottom half: rows 5..8 white
    const f52 = damage.frames.find((f) => f.updates === 52)!.rgba8;
    for (let y = 5; y < 9; y++) for (let x = 0; x < 9; x++) expect(f52[(y * 9 + x) * 4]).toBe(255);
  });

  it('runs the big canvas at 39×39 against the padded target', () => {
    const big = run('big-canvas');
    expect([big.height, big.width]).toEqual([39, 39]);
    expect(big.frames[0].height).toBe(39);
    expect(big.loss.length).toBe(1000);
  });

  it('is a pure function of the seed', () => {
    expect(Array.from(run('erase-3x3', 7).loss)).toEqual(Array.from(run('erase-3x3', 7).loss));
    expect(Array.from(run('erase-3x3', 7).loss)).not.toEqual(Array.from(run('erase-3x3', 8).loss));
  });

  it('bands over repeats skip non-finite values', () => {
    const b = repeatBand([[1, 2, null], [3, NaN, null]]);
    expect(b).toEqual({ mean: [2, 2, null], min: [1, 2, null], max: [3, 2, null] });
  });
});

describe('runExperiment', () => {
  it('runs every suite on a trained model and writes results.json and the suite CSV', async () => {
    for (const suite of RUNNABLE_SUITES) {
      const out = await runExperiment({ workspace: ws, suite, models: [esRun], workers: 0 });
      const r = out.results;
      expect(r.suites).toEqual([suite]);
      for (const c of r.curves) {
        expect(c.repeats).toHaveLength(1);
        expect(c.repeats[0].loss, `${suite}/${c.protocol}`).toHaveLength(EXPECTED_LENGTHS[c.protocol]);
      }
      const files = readdirSync(out.dir).sort();
      expect(files).toEqual([`${suite}.csv`, 'results.json'].sort());
      const csv = readFileSync(join(out.dir, `${suite}.csv`), 'utf8').trimEnd().split('\n');
      expect(csv[0]).toBe('suite,protocol,model,label,optimizer,pool,target,repeat,seed,index,updates_applied,loss');
      expect(csv.length - 1).toBe(r.curves.reduce((a, c) => a + c.repeats[0].loss.length, 0));
      // the label is the run's own name (names are the run's everywhere: legend, strip, CSV)
      expect(csv[1]).toMatch(new RegExp(`^${suite},[^,]+,${esRun},test ES,es,false,carrot-9,0,1,0,1,0\\.\\d+`));
      const stored = parseExperimentResults(JSON.parse(readFileSync(join(out.dir, 'results.json'), 'utf8')));
      expect(stored.indexing).toBe(INDEXING_NOTE);
      expect(stored.seeds).toEqual([1]);
    }
  });

  it('runs the thesis suite in worker processes with the same numbers as in process', async () => {
    const progress: ExperimentProgress[] = [];
    const viaWorkers = await runExperiment({ workspace: ws, suite: 'thesis', models: [esRun, adamRun], workers: 2, onProgress: (p) => progress.push(p) });
    const inProcess = await runExperiment({ workspace: ws, suite: 'thesis', models: [esRun, adamRun], workers: 0 });
    const a = viaWorkers.results;
    expect(a.timing).toMatchObject({ workers: 2, jobs: 2 * RUNNABLE_SUITES.length });
    expect(a.curves).toHaveLength(2 * 9);
    expect(a.curves).toEqual(inProcess.results.curves);
    expect(a.frames.length).toBeGreaterThan(0);
    expect(a.frames).toEqual(inProcess.results.frames);
    expect(a.models.map((m) => [m.key, m.optimizer, m.pool, m.target.size])).toEqual([[esRun, 'es', false, 9], [adamRun, 'adam', true, 9]]);
    const phases = progress.map((p) => p.phase);
    expect(phases[0]).toBe('loading');
    expect(phases.at(-1)).toBe('done');
    const last = progress.filter((p) => p.phase === 'running').at(-1)!;
    expect(last.jobsDone).toBe(last.jobs);
    expect(last.updatesDone).toBe(last.updatesTotal);
    expect(last.updatesTotal).toBe(2 * Object.values(EXPECTED_LENGTHS).reduce((x, y) => x + y, 0));
    const listed = await listExperiments(ws);
    expect(listed.map((e) => e.id)).toContain(a.id);
    expect((await readExperiment(ws, a.id)).curves).toEqual(a.curves);
  });

  it('records seeds and a mean with a min–max band for R > 1', async () => {
    const out = await runExperiment({ workspace: ws, suite: 'erase-3x3', models: [esRun], workers: 0, repeats: 3, seed: 5 });
    const r: ExperimentResults = out.results;
    expect(r.seeds).toEqual([5, 6, 7]);
    const c = r.curves[0];
    expect(c.repeats.map((x) => x.seed)).toEqual([5, 6, 7]);
    for (let k = 0; k < 400; k++) {
      expect(c.min![k]!).toBeLessThanOrEqual(c.mean![k]! * (1 + 1e-7));
      expect(c.mean![k]!).toBeLessThanOrEqual(c.max![k]! * (1 + 1e-7));
    }
    const single = await runExperiment({ workspace: ws, suite: 'erase-3x3', models: [esRun], workers: 0, seed: 6 });
    expect(c.repeats[1].loss).toEqual(single.results.curves[0].repeats[0].loss);
    expect(readdirSync(out.dir).sort()).toEqual(['erase-3x3-mean.csv', 'erase-3x3.csv', 'results.json']);
  });

  it('cancels: rejects and leaves no experiment folder behind', async () => {
    const before = readdirSync(join(ws, 'experiments')).length;
    const abort = new AbortController();
    const run = runExperiment({
      workspace: ws, suite: 'thesis', models: [esRun, adamRun], workers: 2, signal: abort.signal,
      onProgress: (p) => { if (p.phase === 'running' && p.updatesDone > 0) abort.abort('test'); },
    });
    await expect(run).rejects.toThrow();
    expect(readdirSync(join(ws, 'experiments'))).toHaveLength(before);
  });

  it('refuses bad requests naming the field', async () => {
    await expect(runExperiment({ workspace: ws, suite: 'growth', models: [], workers: 0 })).rejects.toThrow(/models: choose 1 to 64/);
    await expect(runExperiment({ workspace: ws, suite: 'growth', models: [esRun], repeats: 0, workers: 0 })).rejects.toThrow(/repeats must be an integer from 1 to 100/);
    await expect(runExperiment({ workspace: ws, suite: 'growth', models: ['no-such-run'], workers: 0 })).rejects.toThrow(/no-such-run/);
  });

  it('keeps only finished data: no hidden staging folders remain', () => {
    expect(readdirSync(join(ws, 'experiments')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(join(ws, 'experiments'))).toBe(true);
  });
});
