/**
 * Reproduce the thesis's study in one action (issue "Experiments" §2): train its 16 models (ES and Adam ×
 * carrot and rabbit × 9 and 15 px × with and without sample pool, from the presets thesis-es, thesis-es-pool,
 * thesis-adam, thesis-adam-nopool), run the `thesis` suite on them, measure Table 2 with the ES benchmark, and
 * write the chapter-6 figure set into one folder with an index page.
 *
 * The thesis trained ES for 1.04M–2.21M generations (stopped by hand) and Adam for 20,000 iterations: days on
 * a laptop. A budget caps every training (seconds and/or generations), and the output says which budget was used.
 */
import { availableParallelism } from 'node:os';
import type { FigureSize } from '../../core/figures/line-chart';
import type { ColorOverrides } from '../../shared/experiment-charts';
import type { ExperimentResults } from '../../shared/experiment';
import { configFromPreset, type RunConfig } from '../../shared/training-config';
import { benchEs, type EsBenchRow } from '../bench/es-bench';
import type { BenchIo } from '../bench/bench-io';
import { LabStore } from '../store/lab-store';
import type { ProgressEvent, StopRequest } from '../training/context';
import { runTrainingSession } from '../training/run-training';
import { writeFigureSet, type FigureFormat, type WrittenFigure } from './figure-set';
import { runExperiment, type ExperimentProgress } from './run-experiment';
import { thesisPlan } from './thesis-figures';

export const REPRODUCE_TAG = 'thesis-reproduce';

export interface ThesisTraining {
  optimizer: 'es' | 'adam';
  pool: boolean;
  preset: string;
  target: string;
  size: number;
}

/** The 16 trainings of the study, in the order they are queued. */
export const THESIS_TRAININGS: ThesisTraining[] = (['es', 'adam'] as const).flatMap((optimizer) =>
  [false, true].flatMap((pool) => ['carrot', 'rabbit'].flatMap((family) => [9, 15].map((size) => ({
    optimizer, pool, size, target: `${family}-${size}`,
    preset: optimizer === 'es' ? (pool ? 'thesis-es-pool' : 'thesis-es') : pool ? 'thesis-adam' : 'thesis-adam-nopool',
  })))));

export interface ReproduceBudget {
  /** wall-clock cap of each training (null = none) */
  seconds: number | null;
  /** ES generations of each ES training (null = none) */
  esGenerations: number | null;
  /** Adam iterations of each Adam training */
  adamIterations: number | null;
}

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

export interface ReproduceOptions {
  workspace: string;
  out: string;
  budget: ReproduceBudget;
  quick: boolean;
  /** reuse finished runs of an earlier reproduce (same preset and target) instead of training again */
  reuse?: boolean;
  /** measure Table 2 (default true) */
  bench?: boolean;
  /** worker processes for ES training, the experiments and the benchmark (default: one per core) */
  workers?: number;
  formats?: FigureFormat[];
  size?: FigureSize;
  colors?: ColorOverrides;
  /** seed of every training (default 1) */
  seed?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onTraining?: (index: number, total: number, t: ThesisTraining, ev: ProgressEvent) => void;
  onExperiment?: (p: ExperimentProgress) => void;
}

export interface ReproduceOutcome {
  runIds: string[];
  results: ExperimentResults;
  experimentDir: string;
  files: WrittenFigure[];
  table2: EsBenchRow[];
  budgetNote: string;
  seconds: { training: number; experiment: number; bench: number; figures: number };
}

async function findReusable(store: LabStore, t: ThesisTraining): Promise<string | null> {
  const runs = await store.listRuns();
  const hit = runs.find((r) => r.tags.includes(REPRODUCE_TAG) && r.preset === t.preset && r.config.target.name === t.target &&
    (r.status === 'finished' || r.status === 'stopped'));
  return hit?.id ?? null;
}

export async function reproduceThesis(opts: ReproduceOptions): Promise<ReproduceOutcome> {
  const log = opts.log ?? (() => undefined);
  const store = new LabStore(opts.workspace);
  const workers = opts.workers ?? availableParallelism();
  const budgetNote = describeBudget(opts.budget, opts.quick);
  log(budgetNote);
  const seconds = { training: 0, experiment: 0, bench: 0, figures: 0 };

  // 1. the 16 trainings, one after the other (ES on every core, Adam in one worker)
  const t0 = performance.now();
  const runIds: string[] = [];
  for (const [i, t] of THESIS_TRAININGS.entries()) {
    opts.signal?.throwIfAborted();
    const label = `${t.optimizer === 'es' ? 'ES' : 'Adam'} ${t.target} ${t.pool ? 'pool' : 'no pool'} (${t.preset})`;
    const reused = opts.reuse ? await findReusable(store, t) : null;
    if (reused) {
      log(`[${i + 1}/${THESIS_TRAININGS.length}] ${label}: reusing run ${reused}`);
      runIds.push(reused);
      continue;
    }
    const run = await store.createRun(trainingConfig(t, opts.budget, opts.seed ?? 1), {
      backend: null, name: `reproduce · ${label}`, tags: [REPRODUCE_TAG], notes: budgetNote,
    });
    log(`[${i + 1}/${THESIS_TRAININGS.length}] training ${label}: run ${run.id}`);
    const control: StopRequest = { requested: null };
    const onAbort = () => { control.requested = 'stop'; };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await runTrainingSession({
        workspace: opts.workspace, runId: run.id, control, workers: t.optimizer === 'es' ? workers : undefined,
        onProgress: (ev) => opts.onTraining?.(i, THESIS_TRAININGS.length, t, ev),
      });
      log(`  ${outcome.status}: ${outcome.reason}; best 40-step loss ${outcome.bestEval40?.toPrecision(4) ?? '–'}`);
      if (outcome.status === 'failed') throw new Error(`training ${label} failed: ${outcome.reason}`);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    opts.signal?.throwIfAborted();
    runIds.push(run.id);
  }
  seconds.training = (performance.now() - t0) / 1000;

  // 2. the thesis suite on the 16 models
  log(`running the thesis suite on ${runIds.length} models`);
  const animated = ['growth', 'erase-bottom'];
  const exp = await runExperiment({
    workspace: opts.workspace, suite: 'thesis', models: runIds, workers, animate: animated,
    signal: opts.signal, onProgress: opts.onExperiment,
  });
  seconds.experiment = exp.results.timing.seconds;
  log(`  ${exp.results.timing.jobs} jobs on ${exp.results.timing.workers} workers in ${seconds.experiment.toFixed(1)} s; data in ${exp.dir}`);

  // 3. Table 2 on this machine
  let table2: EsBenchRow[] = [];
  if (opts.bench ?? true) {
    opts.signal?.throwIfAborted();
    log('measuring Table 2 (ES population vs generations/s vs mutants/s, 9×9)');
    const tb = performance.now();
    const quiet: BenchIo = { json: () => undefined, table: () => undefined, note: () => undefined };
    table2 = await benchEs({ populations: [6, 10, 40, 100, 1000], sizes: [9], workers: [workers], seconds: opts.quick ? 1 : 3 }, quiet);
    seconds.bench = (performance.now() - tb) / 1000;
  }

  // 4. the figure set
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
  seconds.figures = (performance.now() - tf) / 1000;
  log(`wrote ${files.length} files into ${opts.out} in ${seconds.figures.toFixed(1)} s`);
  return { runIds, results: exp.results, experimentDir: exp.dir, files, table2, budgetNote, seconds };
}
