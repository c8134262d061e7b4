/**
 * Reproduce the thesis's study in one action: train its 16 models (ES and Adam ×
 * carrot and rabbit × 9 and 15 px × with and without sample pool, from the presets thesis-es, thesis-es-pool,
 * thesis-adam, thesis-adam-nopool), run the `thesis` suite on them, measure Table 2 with the ES benchmark, and
 * write the chapter-6 figure set into one folder with an index page (and the same index as data, figures.json,
 * plus reproduce.json: what was trained, on which budget, how long each phase took).
 *
 * One code path for `nca-lab reproduce` and the lab's window: the trainings go through a RunManager queue —
 * the lab's own (they show in Runs and share the cores with the user's other runs) or, for the CLI, a private
 * one that trains one run at a time on every core. Progress comes as stages (phase, done/total, a message);
 * cancelling stops the trainings that ran (checkpoint and model kept, reusable) and removes those still waiting.
 *
 * The thesis trained ES for 1.04M–2.21M generations (stopped by hand) and Adam for 20,000 iterations: days on
 * a laptop. A budget caps every training (seconds and/or generations), and the output says which budget was used.
 *
 * Why one file of this length: the study is one script in four phases (train, suite, Table 2, figures) whose
 * cancel and reuse rules span them all; the figure layout is in figure-set.ts and thesis-figures.ts.
 */
import { checkFolderCanBeMade } from '../store/writable-dir';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { FigureSize } from '../../core/figures/line-chart';
import type { ColorOverrides } from '../../shared/experiment-charts';
import type { ExperimentResults } from '../../shared/experiment';
import type { RunInfo, RunProgressEvent } from '../../shared/lab-api';
import {
  FIGURE_INDEX_FILE, REPRODUCE_SUMMARY_FILE, type ReproduceBudget, type ReproducePhase, type ReproduceSummary,
} from '../../shared/reproduce';
import { configFromPreset, type RunConfig } from '../../shared/training-config';
import { benchEs, type EsBenchRow } from '../bench/es-bench';
import type { BenchIo } from '../bench/bench-io';
import { RunManager } from '../runs/run-manager';
import { LabStore } from '../store/lab-store';
import type { WorkerSpawner } from '../workers/spawners';
import { figureIndex, writeFigureSet, type FigureFormat, type WrittenFigure } from './figure-set';
import { runExperiment, type ExperimentProgress } from './run-experiment';
import { thesisPlan } from './thesis-figures';
import { messageOf } from '../../shared/validate';
import type { Optimizer } from '../../shared/training-config';
import { OPTIMIZERS } from '../../shared/optimizers';

export type { ReproduceBudget } from '../../shared/reproduce';

export const REPRODUCE_TAG = 'thesis-reproduce';

export interface ThesisTraining {
  optimizer: Optimizer;
  pool: boolean;
  preset: string;
  target: string;
  size: number;
}

/** The 16 trainings of the study (the thesis compares its two optimizers, chapter 7), in the order they are queued. */
export const THESIS_TRAININGS: ThesisTraining[] = (['es', 'adam'] as const).flatMap((optimizer) =>
  [false, true].flatMap((pool) => ['carrot', 'rabbit'].flatMap((family) => [9, 15].map((size) => ({
    optimizer, pool, size, target: `${family}-${size}`,
    preset: optimizer === 'es' ? (pool ? 'thesis-es-pool' : 'thesis-es') : pool ? 'thesis-adam' : 'thesis-adam-nopool',
  })))));

/** --quick: 15 s a training, ≈ 4 minutes of training in all on a laptop. */
export const QUICK_BUDGET: ReproduceBudget = { seconds: 15, esGenerations: null, adamIterations: null };
/** The thesis's own lengths: ES 1M generations (it stopped its runs by hand at 1.04M–2.21M), Adam 20,000. */
export const FULL_BUDGET: ReproduceBudget = { seconds: null, esGenerations: 1_000_000, adamIterations: 20_000 };

export function describeBudget(b: ReproduceBudget, quick: boolean): string {
  const parts: string[] = [];
  if (b.seconds !== null) parts.push(`${b.seconds} s per training`);
  if (b.esGenerations !== null) parts.push(`ES ${b.esGenerations.toLocaleString('en')} generations`);
  if (b.adamIterations !== null) parts.push(`Adam ${b.adamIterations.toLocaleString('en')} iterations`);
  const cap = parts.join(', ') || 'no cap';
  return quick
    ? `Quick budget: each training is capped (${cap}). The thesis trained ES for 1.04M–2.21M generations and Adam for 20,000 iterations, so these models are far less trained: the figures show the thesis's protocol and layout, not its numbers.`
    : `Budget: ${cap} (the thesis: ES 1.04M–2.21M generations, stopped by hand; Adam 20,000 iterations).`;
}

export function trainingConfig(t: ThesisTraining, budget: ReproduceBudget, seed: number): RunConfig {
  const c = configFromPreset(t.preset);
  c.target = { name: t.target, size: t.size, padding: 0 };
  c.seed = seed;
  c.stop.maxSeconds = budget.seconds;
  const gens = t.optimizer === 'es' ? budget.esGenerations : budget.adamIterations;
  c.stop.maxGenerations = gens ?? (budget.seconds === null ? c.stop.maxGenerations : null);
  return c;
}


/** A training's name in logs and messages: `ES carrot-9 pool (thesis-es-pool)`. */
export function trainingLabel(t: ThesisTraining): string {
  return `${OPTIMIZERS[t.optimizer].short} ${t.target} ${t.pool ? 'pool' : 'no pool'} (${t.preset})`;
}

/** Where the study is, for a progress bar: the phase, progress within it, and the trainings so far. */
export interface ReproduceStage {
  phase: Exclude<ReproducePhase, 'done' | 'failed' | 'cancelled'>;
  message: string;
  done: number;
  total: number;
  trainingsDone: number;
  trainingsTotal: number;
  runIds: string[];
}

export interface ReproduceOptions {
  workspace: string;
  out: string;
  budget: ReproduceBudget;
  quick: boolean;
  /**
   * reuse the runs of an earlier study (same preset and target) instead of training again: finished or stopped
   * ones as they are, paused or interrupted ones resumed
   */
  reuse?: boolean;
  /**
   * The queue the trainings go through: the lab's (runs show in its Runs view and share the cores with other
   * runs). Default: a private queue that trains one run at a time on `workers` cores (the CLI).
   */
  runs?: RunManager;
  /** the trainings of the study (default all 16, THESIS_TRAININGS; tests pass a few) */
  trainings?: ThesisTraining[];
  /** measure Table 2 (default true) */
  bench?: boolean;
  /** Table 2's populations (default the thesis's 6, 10, 40, 100, 1000) */
  benchPopulations?: number[];
  /** worker processes for the experiments and the benchmark, and the private queue's cores (default: one per core) */
  workers?: number;
  /** how worker processes are started for the experiments and the benchmark (Electron: utilityProcess) */
  spawn?: WorkerSpawner;
  formats?: FigureFormat[];
  size?: FigureSize;
  colors?: ColorOverrides;
  /** seed of every training (default 1) */
  seed?: number;
  /** recorded in reproduce.json: the lab's id of the study (null from the CLI) */
  studyId?: string | null;
  signal?: AbortSignal;
  /**
   * asked when the signal aborts the trainings: true leaves the study's runs to the queue's owner (the lab is
   * closing: it pauses them, and a later study with `reuse` resumes them); default false: trained runs are
   * stopped, waiting ones removed
   */
  leaveRunsOnAbort?: () => boolean;
  log?: (line: string) => void;
  onStage?: (stage: ReproduceStage) => void;
  onTraining?: (index: number, total: number, t: ThesisTraining, ev: RunProgressEvent) => void;
  onExperiment?: (p: ExperimentProgress) => void;
}

export interface ReproduceOutcome {
  runIds: string[];
  results: ExperimentResults;
  experimentDir: string;
  files: WrittenFigure[];
  table2: EsBenchRow[];
  budgetNote: string;
  summary: ReproduceSummary;
  seconds: { training: number; experiment: number; bench: number; figures: number };
}

/** Table 2's populations, as the thesis measured them. */
export const TABLE2_POPULATIONS = [6, 10, 40, 100, 1000];

/**
 * An earlier study's run for this training: a finished or stopped one is used as it is; failing that, a paused
 * or interrupted one (a study cut off when the lab closed) is resumed.
 */
async function findReusable(store: LabStore, t: ThesisTraining, taken: Set<string>): Promise<{ id: string; resume: boolean } | null> {
  const runs = (await store.listRuns()).filter((r) => r.tags.includes(REPRODUCE_TAG) && r.preset === t.preset &&
    r.config.target.name === t.target && !taken.has(r.id));
  const done = runs.find((r) => (r.status === 'finished' || r.status === 'stopped') && r.progress.generation > 0);
  if (done) return { id: done.id, resume: false };
  const cut = runs.find((r) => r.status === 'paused' || r.status === 'interrupted');
  return cut ? { id: cut.id, resume: true } : null;
}

export async function reproduceThesis(opts: ReproduceOptions): Promise<ReproduceOutcome> {
  const log = opts.log ?? (() => undefined);
  const workers = opts.workers ?? availableParallelism();
  const trainings = opts.trainings ?? THESIS_TRAININGS;
  const budgetNote = describeBudget(opts.budget, opts.quick);
  const startedAt = new Date().toISOString();
  // the figure folder is checked before a run is queued (a file or a read-only folder would fail only at the end)
  await checkFolderCanBeMade(opts.out, 'the figure folder');
  log(budgetNote);
  const seconds = { training: 0, experiment: 0, bench: 0, figures: 0 };
  const n = trainings.length;
  const stage = (s: Omit<ReproduceStage, 'trainingsDone' | 'trainingsTotal' | 'runIds'>, runIds: string[]) =>
    opts.onStage?.({ ...s, trainingsDone: n, trainingsTotal: n, runIds });

  // 1. the trainings, through the queue
  const t0 = performance.now();
  const runs = opts.runs ?? new RunManager({ workspace: opts.workspace, cores: workers, maxConcurrent: 1, lowPriorityWorkers: false });
  const runIds = await trainStudy(runs, trainings, opts, budgetNote, log);
  seconds.training = (performance.now() - t0) / 1000;

  // 2. the thesis suite on the models
  opts.signal?.throwIfAborted();
  log(`running the thesis suite on ${runIds.length} models`);
  stage({ phase: 'suite', message: `loading ${runIds.length} models`, done: 0, total: 0 }, runIds);
  const animated = ['growth', 'erase-bottom'];
  const exp = await runExperiment({
    workspace: opts.workspace, store: runs.store, suite: 'thesis', models: runIds, workers, animate: animated, spawn: opts.spawn,
    signal: opts.signal,
    onProgress: (p) => {
      opts.onExperiment?.(p);
      if (p.phase === 'loading' || p.phase === 'running' || p.phase === 'saving') {
        const message = p.phase === 'running'
          ? `thesis suite: ${p.jobsDone}/${p.jobs} jobs, ${p.updatesDone.toLocaleString('en')} of ${p.updatesTotal.toLocaleString('en')} CA updates`
          : `thesis suite: ${p.message ?? p.phase}`;
        stage({ phase: 'suite', message, done: p.jobsDone, total: p.jobs }, runIds);
      }
    },
  });
  seconds.experiment = exp.results.timing.seconds;
  log(`  ${exp.results.timing.jobs} jobs on ${exp.results.timing.workers} workers in ${seconds.experiment.toFixed(1)} s; data in ${exp.dir}`);

  // 3. Table 2 on this machine
  let table2: EsBenchRow[] = [];
  if (opts.bench ?? true) {
    opts.signal?.throwIfAborted();
    const populations = opts.benchPopulations ?? TABLE2_POPULATIONS;
    log('measuring Table 2 (ES population vs generations/s vs mutants/s, 9×9)');
    stage({ phase: 'table2', message: `Table 2: population ${populations[0]} on ${workers} workers`, done: 0, total: populations.length }, runIds);
    const tb = performance.now();
    const quiet: BenchIo = { json: () => undefined, table: () => undefined, note: () => undefined };
    table2 = await benchEs({
      populations, sizes: [9], workers: [workers], seconds: opts.quick ? 1 : 3, spawn: opts.spawn, signal: opts.signal,
      onRow: (row) => {
        const i = populations.indexOf(row.population) + 1;
        const next = populations[i];
        stage({
          phase: 'table2', done: i, total: populations.length,
          message: `Table 2: population ${row.population}: ${row.generationsPerSec} generations/s, ${row.mutantsPerSec} mutants/s${next !== undefined ? `; measuring ${next}` : ''}`,
        }, runIds);
      },
    }, quiet);
    seconds.bench = (performance.now() - tb) / 1000;
  }

  // 4. the figure set, its index as data, and the study's summary last (a folder with reproduce.json is complete)
  opts.signal?.throwIfAborted();
  stage({ phase: 'figures', message: `writing the chapter-6 figure set into ${opts.out}`, done: 0, total: 1 }, runIds);
  const tf = performance.now();
  const formats = opts.formats ?? ['png', 'svg', 'csv', 'gif'];
  const plan = thesisPlan(exp.results, {
    table2: table2.map((r) => ({ population: r.population, generationsPerSec: r.generationsPerSec, mutantsPerSec: r.mutantsPerSec })),
    trainingNote: `${budgetNote} Runs: ${runIds.join(', ')}.`,
    animated: formats.includes('gif') ? animated : [],
  });
  const files = await writeFigureSet(exp.results, opts.out, {
    formats, size: opts.size, colors: opts.colors, plan, animations: exp.animations,
  });
  await writeFile(join(opts.out, FIGURE_INDEX_FILE), JSON.stringify(figureIndex(plan, files), null, 1) + '\n');
  files.push({ kind: 'index', file: FIGURE_INDEX_FILE });
  seconds.figures = (performance.now() - tf) / 1000;
  const summary: ReproduceSummary = {
    formatVersion: 1, id: opts.studyId ?? null, quick: opts.quick, budget: opts.budget, budgetNote, runIds,
    experimentId: exp.results.id, startedAt, finishedAt: new Date().toISOString(), seconds,
    table2: table2.map((r) => ({ population: r.population, generationsPerSec: r.generationsPerSec, mutantsPerSec: r.mutantsPerSec, workers: r.workers })),
  };
  await writeFile(join(opts.out, REPRODUCE_SUMMARY_FILE), JSON.stringify(summary, null, 1) + '\n');
  files.push({ kind: 'index', file: REPRODUCE_SUMMARY_FILE });
  log(`wrote ${files.length} files into ${opts.out} in ${seconds.figures.toFixed(1)} s`);
  return { runIds, results: exp.results, experimentDir: exp.dir, files, table2, budgetNote, summary, seconds };
}

/**
 * Queues every training of the study (reusing earlier ones when asked) and waits until each has finished or
 * been stopped. A run the user pauses in the Runs view is waited for (the message says so). A failed or deleted
 * run, or the signal, ends the wait: then the study's runs that trained are stopped (checkpoint and model kept)
 * and those that never started are removed, and the error is thrown.
 */
async function trainStudy(
  runs: RunManager, trainings: ThesisTraining[], opts: ReproduceOptions, budgetNote: string, log: (line: string) => void,
): Promise<string[]> {
  const n = trainings.length;
  const ids: string[] = [];
  const index = new Map<string, number>();
  const pending = new Set<string>();
  const ended = new Map<string, RunInfo>();
  const latest = new Map<string, RunProgressEvent>();
  const paused = new Set<string>();
  /** runs with a training session (from the queue's status events) */
  const live = new Set<string>();
  let created = false;
  let done = 0;
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  let failed = false;
  const allEnded = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = (err) => {
      failed = true;
      reject(err);
    };
  });
  allEnded.catch(() => undefined);

  const report = () => {
    const parts: string[] = [];
    for (const id of pending) {
      const p = latest.get(id);
      const t = trainings[index.get(id)!];
      if (paused.has(id)) parts.push(`${trainingLabel(t)} is paused: resume it in Runs to go on`);
      else if (p) parts.push(`${OPTIMIZERS[t.optimizer].short} ${t.target}${t.pool ? ' pool' : ''}: ${OPTIMIZERS[t.optimizer].unit} ${p.generation.toLocaleString('en')}${p.loss !== null ? `, loss ${p.loss.toPrecision(3)}` : ''}`);
    }
    const starting = [...live].filter((id) => pending.has(id) && !latest.has(id)).length;
    const waiting = pending.size - parts.length - starting;
    if (starting) parts.push(`${starting} starting`);
    if (waiting > 0) parts.push(`${waiting} waiting in the queue`);
    const message = parts.length ? `training ${parts.join('; ')}` : `${done} of ${n} trainings done`;
    opts.onStage?.({ phase: 'training', message, done, total: n, trainingsDone: done, trainingsTotal: n, runIds: [...ids] });
  };

  const onEnd = (info: RunInfo) => {
    const i = index.get(info.id);
    if (i === undefined || !pending.has(info.id)) return;
    const label = trainingLabel(trainings[i]);
    if (info.status === 'finished' || info.status === 'stopped') {
      pending.delete(info.id);
      paused.delete(info.id);
      done++;
      log(`[${i + 1}/${n}] ${label}: ${info.status}: ${info.statusReason ?? ''}; best 40-step loss ${info.progress.bestEval40?.toPrecision(4) ?? '–'}`);
      report();
      if (created && pending.size === 0) finish();
    } else if (info.status === 'failed') {
      pending.delete(info.id);
      fail(new Error(`training ${label} (run ${info.id}) failed: ${info.statusReason ?? 'no reason given'}`));
    } else if (info.status === 'paused' || info.status === 'interrupted') {
      paused.add(info.id);
      report();
    }
  };

  const off = runs.on((ev) => {
    if (ev.type === 'progress') {
      const i = index.get(ev.progress.runId);
      if (i === undefined) return;
      latest.set(ev.progress.runId, ev.progress);
      paused.delete(ev.progress.runId);
      opts.onTraining?.(i, n, trainings[i], ev.progress);
      report();
    } else if (ev.type === 'status') {
      // a run of the queue can end before `create` has answered: keep every end until then
      if (ev.run.live === null && ['finished', 'stopped', 'failed', 'paused', 'interrupted'].includes(ev.run.status)) ended.set(ev.run.id, ev.run);
      if (ev.run.live) live.add(ev.run.id);
      else live.delete(ev.run.id);
      if (ev.run.live || ev.run.status === 'queued' || ev.run.status === 'running') paused.delete(ev.run.id);
      else onEnd(ev.run);
      if (index.has(ev.run.id)) report();
    } else if (ev.type === 'deleted' && pending.has(ev.runId)) {
      fail(new Error(`run ${ev.runId} (${trainingLabel(trainings[index.get(ev.runId)!])}) was deleted while the study waited for it`));
    }
  });
  const onAbort = () => fail(opts.signal!.reason ?? new Error('cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    opts.signal?.throwIfAborted();
    const store = runs.store;
    const reused = new Set<string>();
    for (const [i, t] of trainings.entries()) {
      opts.signal?.throwIfAborted();
      if (failed) break; // a queued training failed already: allEnded throws below
      const label = trainingLabel(t);
      const hit = opts.reuse ? await findReusable(store, t, reused) : null;
      if (hit && !hit.resume) {
        log(`[${i + 1}/${n}] ${label}: reusing run ${hit.id}`);
        reused.add(hit.id);
        ids.push(hit.id);
        done++;
        continue;
      }
      if (hit) {
        reused.add(hit.id);
        try {
          index.set(hit.id, i);
          pending.add(hit.id);
          await runs.resume(hit.id);
          ids.push(hit.id);
          log(`[${i + 1}/${n}] ${label}: resuming run ${hit.id}`);
          const early = ended.get(hit.id);
          if (early) onEnd(early);
          continue;
        } catch (err) {
          index.delete(hit.id);
          pending.delete(hit.id);
          log(`[${i + 1}/${n}] ${label}: could not resume run ${hit.id} (${messageOf(err)}); training a new one`);
        }
      }
      const info = await runs.create({
        config: trainingConfig(t, opts.budget, opts.seed ?? 1), name: `reproduce · ${label}`, tags: [REPRODUCE_TAG], notes: budgetNote,
      });
      ids.push(info.id);
      index.set(info.id, i);
      pending.add(info.id);
      log(`[${i + 1}/${n}] queued ${label}: run ${info.id}`);
      const early = ended.get(info.id);
      if (early) onEnd(early);
    }
    created = true;
    report();
    if (pending.size === 0) finish();
    await allEnded;
    return ids;
  } catch (err) {
    if (!(opts.signal?.aborted && opts.leaveRunsOnAbort?.())) await settleStudyRuns(runs, [...pending], log);
    throw err;
  } finally {
    off();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * After a cancel or a failure: runs that never trained are removed (first, so that stopping the others does
 * not start them), the rest are stopped, which checkpoints them and writes their model (reusable later).
 */
async function settleStudyRuns(runs: RunManager, ids: string[], log: (line: string) => void): Promise<void> {
  const toStop: string[] = [];
  for (const id of ids) {
    try {
      const info = await runs.get(id);
      if (info.live === null && info.progress.generation === 0 && info.checkpointGeneration === null) {
        await runs.delete(id);
        continue;
      }
    } catch {
      // it started between the look and the delete (or is gone): stop it below
    }
    toStop.push(id);
  }
  await Promise.all(toStop.map((id) => runs.stop(id).then(
    (info) => log(`  run ${id}: ${info.status} at generation ${info.progress.generation}`),
    () => undefined,
  )));
}
