/**
 * Reproducing the thesis's study (reproduce.ts, reproduce-service.ts): the shared orchestration on a subset of
 * the trainings with a tiny budget through the CLI's private queue (runs trained to their cap, stages in order,
 * the figure set with its index as data and its summary); the lab's service on that finished study (listed,
 * its index and files served, nothing outside the index); a study started through LabService and cancelled
 * during training (trained runs stopped, waiting ones removed, no folder left); requests checked at the boundary.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  reproduceThesis, THESIS_TRAININGS, REPRODUCE_TAG, trainingConfig, trainingLabel, type ReproduceOutcome, type ReproduceStage,
} from '../../../../src/services/experiments/reproduce';
import { quickBudgetFromEnv } from '../../../../src/services/experiments/reproduce-service';
import { LabService } from '../../../../src/services/lab/lab-service';
import type { TrainSessionFn } from '../../../../src/services/runs/run-manager';
import { decodePng } from '../../../../src/services/export/png';
import { LabStore } from '../../../../src/services/store/lab-store';
import type { LabEventMessage, RunListing } from '../../../../src/shared/lab-api';
import {
  FIGURE_INDEX_FILE, REPRODUCE_DIR, REPRODUCE_SUMMARY_FILE, makeStudyId, parseFigureIndex, parseReproduceSummary,
  type FigureFile, type FigureIndex, type ReproduceOverview, type ReproduceProgressEvent,
} from '../../../../src/shared/reproduce';

const TINY = { seconds: null, esGenerations: 2, adamIterations: 3 };
/** two models per optimizer: carrot-9 with and without pool */
const SUBSET = THESIS_TRAININGS.filter((t) => t.target === 'carrot-9');

let ws: string;
let studyId: string;
let out: string;
let outcome: ReproduceOutcome;
const stages: ReproduceStage[] = [];

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'nca-lab-reproduce-'));
  studyId = makeStudyId(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)), true, 'ab12');
  out = join(ws, REPRODUCE_DIR, studyId);
  outcome = await reproduceThesis({
    workspace: ws, out, budget: TINY, quick: true, trainings: SUBSET, workers: 2, benchPopulations: [6, 10],
    formats: ['png', 'csv', 'gif'], studyId, onStage: (s) => stages.push(s),
  });
}, 180_000);

afterAll(() => {
  if (ws) rmSync(ws, { recursive: true, force: true });
});

describe('reproduceThesis (the CLI and the window share it)', () => {
  it('trains each model of the study to its cap through the queue', async () => {
    expect(SUBSET.map((t) => `${t.optimizer}/${t.pool}`)).toEqual(['es/false', 'es/true', 'adam/false', 'adam/true']);
    expect(outcome.runIds).toHaveLength(4);
    const store = new LabStore(ws);
    for (const [i, id] of outcome.runIds.entries()) {
      const run = await store.getRun(id);
      expect(run.status).toBe('finished');
      expect(run.preset).toBe(SUBSET[i].preset);
      expect(run.config.target.name).toBe('carrot-9');
      expect(run.progress.generation).toBe(SUBSET[i].optimizer === 'es' ? 2 : 3);
      expect(run.tags).toEqual([REPRODUCE_TAG]);
      expect(run.notes).toContain('ES 2 generations, Adam 3 iterations');
    }
  });

  it('reports stages in order, the trainings counted one by one', () => {
    const phases = stages.map((s) => s.phase).filter((p, i, a) => a[i - 1] !== p);
    expect(phases).toEqual(['training', 'suite', 'table2', 'figures']);
    const trainingDone = stages.filter((s) => s.phase === 'training').map((s) => s.done);
    expect(new Set(trainingDone)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(trainingDone).toEqual([...trainingDone].sort((a, b) => a - b));
    expect(stages.every((s) => s.trainingsTotal === 4)).toBe(true);
    const suite = stages.filter((s) => s.phase === 'suite');
    // the thesis suite: 8 protocols per model (growth, 3 erases, 2 FGSM, big canvas on 15×15 only, strip)
    expect(suite.at(-1)!.done).toBe(suite.at(-1)!.total);
    expect(suite.at(-1)!.total).toBe(outcome.results.timing.jobs);
    expect(stages.filter((s) => s.phase === 'table2').map((s) => s.done)).toEqual([0, 1, 2]);
    expect(stages.at(-1)!.runIds).toEqual(outcome.runIds);
  });

  it('writes the figure set, its index as data and the summary', () => {
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const index = parseFigureIndex(JSON.parse(readFileSync(join(out, FIGURE_INDEX_FILE), 'utf8')));
    const items = index.sections.flatMap((s) => s.items);
    for (const f of [...index.data, ...items.flatMap((i) => i.files)]) expect(existsSync(join(out, f)), f).toBe(true);
    const table = items.find((i) => i.kind === 'table')!;
    expect(table.table!.header).toEqual(['population', 'generations/s', 'mutants/s']);
    expect(table.table!.rows.map((r) => r[0])).toEqual([6, 10]);
    expect(items.filter((i) => i.kind === 'gif').length).toBeGreaterThan(0);
    // with carrot-9 only, each growth figure has one chart: Adam and ES of its pool setting
    const growth = index.sections.filter((s) => /growth over 2000/.test(s.title));
    expect(growth.map((s) => s.items.length)).toEqual([1, 1]);
    const summary = parseReproduceSummary(JSON.parse(readFileSync(join(out, REPRODUCE_SUMMARY_FILE), 'utf8')));
    expect(summary).toMatchObject({ id: studyId, quick: true, budget: TINY, runIds: outcome.runIds, experimentId: outcome.results.id });
    expect(summary.table2.map((r) => r.population)).toEqual([6, 10]);
    expect(outcome.files.map((f) => f.file)).toEqual(expect.arrayContaining(['index.html', FIGURE_INDEX_FILE, REPRODUCE_SUMMARY_FILE]));
  });

  it('reuses the finished runs of an earlier study', async () => {
    const again = await reproduceThesis({
      workspace: ws, out: join(ws, 'again'), budget: TINY, quick: true, reuse: true, trainings: SUBSET.slice(0, 2), workers: 2,
      bench: false, formats: ['csv'],
    });
    expect(again.runIds).toEqual(outcome.runIds.slice(0, 2));
    expect((await new LabStore(ws).listRuns()).length).toBe(4);
  });

  it('resumes a paused run of an earlier study (one cut off when the lab closed)', async () => {
    const t = THESIS_TRAININGS.find((x) => x.optimizer === 'es' && !x.pool && x.target === 'rabbit-9')!;
    const store = new LabStore(ws);
    const cut = await store.createRun(trainingConfig(t, TINY, 1), { backend: null, name: 'cut off', tags: [REPRODUCE_TAG] });
    await store.updateRun(cut.id, { status: 'paused', statusReason: 'was waiting in the queue when the lab closed' });
    const lines: string[] = [];
    const again = await reproduceThesis({
      workspace: ws, out: join(ws, 'resumed'), budget: TINY, quick: true, reuse: true, trainings: [t], workers: 2,
      bench: false, formats: ['csv'], log: (l) => lines.push(l),
    });
    expect(again.runIds).toEqual([cut.id]);
    expect(lines).toContain(`[1/1] ${trainingLabel(t)}: resuming run ${cut.id}`);
    const run = await store.getRun(cut.id);
    expect([run.status, run.progress.generation]).toEqual(['finished', 2]);
  });
});

describe('the lab\'s study service', () => {
  let service: LabService;
  const events: LabEventMessage[] = [];

  beforeAll(async () => {
    service = new LabService({
      workspace: ws, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { cores: 2 },
      // long enough that the cancel below comes during training
      reproduce: { quickBudget: { seconds: 120, esGenerations: null, adamIterations: null }, benchPopulations: [6] },
    });
    service.onEvent((m) => events.push(m));
    await service.start();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('lists the finished study and serves its index and files, nothing else', async () => {
    const overview = (await service.dispatch('experiments:reproductions', [])) as ReproduceOverview;
    expect(overview).toMatchObject({ trainings: 16, quick: { seconds: 120 }, full: { esGenerations: 1_000_000, adamIterations: 20_000 } });
    const list = overview.studies;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: studyId, phase: 'done', runIds: outcome.runIds, trainingsDone: 4, outDir: out, indexHtml: join(out, 'index.html') });
    const index = (await service.dispatch('experiments:reproduceIndex', [studyId])) as FigureIndex;
    const chart = index.sections.flatMap((s) => s.items).find((i) => i.kind === 'chart')!;
    const png = chart.files.find((f) => f.endsWith('.png'))!;
    const file = (await service.dispatch('experiments:reproduceFile', [studyId, png])) as FigureFile;
    expect(file.mime).toBe('image/png');
    expect(decodePng(Buffer.from(file.bytesBase64, 'base64')).width).toBe(1280);
    await expect(service.dispatch('experiments:reproduceFile', [studyId, 'reproduce.json'])).rejects.toThrow('is not a file of its figure set');
    await expect(service.dispatch('experiments:reproduceFile', [studyId, '../../runs/x.png'])).rejects.toThrow('experiments.reproduceFile: file: must be a file of the figure set');
    await expect(service.dispatch('experiments:reproduceIndex', ['20250102-030405-reproduce-full-0000'])).rejects.toThrow('has no figures');
  });

  it('refuses bad requests, naming the field', async () => {
    await expect(service.dispatch('experiments:reproduce', [{ quick: 'yes', reuse: false }])).rejects.toThrow('experiments.reproduce: quick: must be true or false');
    await expect(service.dispatch('experiments:reproduce', [{ quick: true }])).rejects.toThrow('experiments.reproduce: reuse: must be true or false');
    await expect(service.dispatch('experiments:reproduce', [{ quick: true, reuse: false, models: 2 }])).rejects.toThrow('experiments.reproduce: models: is not a field');
    await expect(service.dispatch('experiments:cancelReproduce', ['../x'])).rejects.toThrow('experiments.cancelReproduce: id: must be a study id');
  });

  it('queues all 16 trainings in the lab\'s queue; a cancel stops the trained ones and removes the waiting ones', async () => {
    const before = new Set(outcome.runIds);
    const { id } = (await service.dispatch('experiments:reproduce', [{ quick: true, reuse: false }])) as { id: string };
    expect(id).toMatch(/^\d{8}-\d{6}-reproduce-quick-[0-9a-f]{4}$/);
    await expect(service.dispatch('experiments:reproduce', [{ quick: false, reuse: false }])).rejects.toThrow(`a study is already running (${id})`);
    const mine = () => events.filter((e): e is Extract<LabEventMessage, { event: 'reproduce:progress' }> => e.event === 'reproduce:progress' && e.payload.id === id).map((e) => e.payload);
    // wait until all 16 are queued and a training has made progress (a generation done), then cancel; on a
    // loaded machine the first training can report before the last run is created
    const ready = () => mine().at(-1)?.runIds.length === 16 && events.some((e) => e.event === 'run:progress' && !before.has(e.payload.runId));
    for (let i = 0; i < 1200 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    const queued = mine().at(-1)!;
    expect(queued.phase).toBe('training');
    expect(queued.runIds).toHaveLength(16);
    expect(queued.trainingsTotal).toBe(16);
    const listing = (await service.dispatch('runs:list', [])) as RunListing;
    const study = listing.runs.filter((r) => queued.runIds.includes(r.id));
    expect(study.filter((r) => r.queuePosition !== null).length).toBeGreaterThanOrEqual(14);

    await service.dispatch('experiments:cancelReproduce', [id]);
    const end = mine().at(-1)!;
    expect(end.phase).toBe('cancelled');
    expect(end.message).toContain('Cancelled by the user');
    const left = ((await service.dispatch('runs:list', [])) as RunListing).runs.filter((r) => queued.runIds.includes(r.id));
    expect(left.length).toBeGreaterThanOrEqual(1);
    expect(left.length).toBeLessThanOrEqual(2);
    for (const r of left) {
      expect(r.status).toBe('stopped');
      expect(r.live).toBeNull();
    }
    expect(service.activeRunIds()).toEqual([]);
    expect(existsSync(join(ws, REPRODUCE_DIR, id))).toBe(false);
    const list = ((await service.dispatch('experiments:reproductions', [])) as ReproduceOverview).studies;
    expect(list.map((e) => [e.id, e.phase])).toEqual([[id, 'cancelled'], [studyId, 'done']]);
  }, 120_000);

  it('leaves a study\'s runs paused when the lab closes (resumable), and starts no new study', async () => {
    const own = mkdtempSync(join(tmpdir(), 'nca-lab-reproduce-close-'));
    const lab = new LabService({
      workspace: own, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { cores: 2 },
      reproduce: { quickBudget: { seconds: 120, esGenerations: null, adamIterations: null } },
    });
    const seen: ReproduceProgressEvent[] = [];
    // closes once the study has made all 16 runs and one of them has trained (events, not an amount of time:
    // on a loaded machine the runs are made and started later)
    let allMade = false;
    let progressed = false;
    let ready!: () => void;
    const readyToClose = new Promise<void>((resolve) => (ready = resolve));
    lab.onEvent((m) => {
      if (m.event === 'reproduce:progress') {
        seen.push(m.payload);
        allMade ||= m.payload.runIds.length === 16;
      }
      if (m.event === 'run:progress') progressed = true;
      if (allMade && progressed) ready();
    });
    try {
      await lab.start();
      const { id } = (await lab.dispatch('experiments:reproduce', [{ quick: true, reuse: false }])) as { id: string };
      await readyToClose;
      await lab.close();
      expect(seen.at(-1)).toMatchObject({ id, phase: 'cancelled' });
      expect(seen.at(-1)!.message).toContain('its trainings were paused');
      const runs = await new LabStore(own).listRuns();
      expect(runs).toHaveLength(16);
      expect(new Set(runs.map((r) => r.status))).toEqual(new Set(['paused']));
      await expect(lab.dispatch('experiments:reproduce', [{ quick: true, reuse: true }])).rejects.toThrow('the lab is closing');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('a study whose training fails', () => {
  it('fails, naming the training, and settles its other runs', async () => {
    const own = mkdtempSync(join(tmpdir(), 'nca-lab-reproduce-fail-'));
    // ES finishes at once, Adam carrot-9 fails, the other Adam runs train until asked to stop
    const train: TrainSessionFn = async (o) => {
      const run = await new LabStore(o.workspace).getRun(o.runId);
      if (run.optimizer === 'es') return { status: 'finished', reason: 'reached max generations (2)', generation: 2, bestEval40: null };
      if (run.config.target.name === 'carrot-9') return { status: 'failed', reason: 'NaN loss at iteration 7', generation: 7, bestEval40: null };
      o.onProgress?.({ runId: o.runId, optimizer: 'adam', generation: 1, evaluations: 8, wallSeconds: 0.01, loss: 0.1, bestLoss: 0.1, lr: 0.002 });
      while (!o.control.requested) await new Promise((r) => setTimeout(r, 5));
      return { status: o.control.requested === 'stop' ? 'stopped' : 'paused', reason: `asked to ${o.control.requested}`, generation: 1, bestEval40: null };
    };
    const lab = new LabService({ workspace: own, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { train, cores: 2 } });
    const seen: ReproduceProgressEvent[] = [];
    lab.onEvent((m) => {
      if (m.event === 'reproduce:progress') seen.push(m.payload);
    });
    try {
      await lab.start();
      const { id } = (await lab.dispatch('experiments:reproduce', [{ quick: true, reuse: false }])) as { id: string };
      for (let i = 0; i < 400 && !['failed', 'done', 'cancelled'].includes(seen.at(-1)?.phase ?? ''); i++) await new Promise((r) => setTimeout(r, 25));
      const end = seen.at(-1)!;
      expect(end).toMatchObject({ id, phase: 'failed' });
      expect(end.message).toMatch(/^training Adam carrot-9 no pool \(thesis-adam-nopool\) \(run \S+\) failed: NaN loss at iteration 7$/);
      const runs = await new LabStore(own).listRuns();
      const byStatus = (st: string) => runs.filter((r) => r.status === st).length;
      expect(byStatus('finished')).toBe(8);
      expect(byStatus('failed')).toBe(1);
      expect(byStatus('queued') + byStatus('running') + byStatus('paused')).toBe(0);
      expect(runs.length - 9).toBe(byStatus('stopped'));
      // at most the two slots' worth: the Adam run beside the failed one, and the next one the freed slot started
      expect(byStatus('stopped')).toBeLessThanOrEqual(2);
      expect(existsSync(join(own, REPRODUCE_DIR, id))).toBe(false);
    } finally {
      await lab.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('NCA_LAB_QUICK_BUDGET', () => {
  it('reads a budget and names a bad part', () => {
    expect(quickBudgetFromEnv({})).toBeNull();
    expect(quickBudgetFromEnv({ NCA_LAB_QUICK_BUDGET: 'es=3, adam=4' })).toEqual({ seconds: null, esGenerations: 3, adamIterations: 4 });
    expect(quickBudgetFromEnv({ NCA_LAB_QUICK_BUDGET: 'seconds=20' })).toEqual({ seconds: 20, esGenerations: null, adamIterations: null });
    expect(() => quickBudgetFromEnv({ NCA_LAB_QUICK_BUDGET: 'es=0' })).toThrow('"es=0" is not seconds=S, es=N or adam=N');
    expect(() => quickBudgetFromEnv({ NCA_LAB_QUICK_BUDGET: 'gens=5' })).toThrow('"gens=5"');
  });
});
