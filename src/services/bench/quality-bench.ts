/**
 * Time to quality (the evidence behind the tuned ES presets, docs/benchmarks.md): for each preset × target, train a real run (the lab's trainer, worker pool,
 * checkpoints) until its 40-step loss is at or below the goal **and** the model persists (loss after 1000 steps
 * within 2× of the loss after 40), or until the time cap. Each eval whose 40-step loss
 * meets the goal pauses the run; the bench scores the paused model for persistence and resumes it (bit-exact)
 * when it does not persist yet. Prints a JSON line per case, then a table with the thesis's row beside it
 * (Table 2: carrot-9 to fitness −0.003 in 36 min on 128 cores; "two days" for rabbit-15), and the machine's
 * load before and after. With `engine: 'webgpu'` each case trains twice in the same run, on the wasm engine and on
 * the GPU (the row names the adapter the run recorded).
 */
import { loadavg, availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchIo } from './bench-io';
import { LabStore } from '../store/lab-store';
import { runTrainingSession } from '../training/run-training';
import type { StopRequest } from '../training/context';
import type { WorkerSpawner } from '../workers/spawners';
import { configFromPreset, ncaConfigOf, setPath, validateRunConfig } from '../../shared/training-config';
import { findBuiltinTarget } from '../targets/targets';
import { persistenceEval, qualityGoal, type PersistenceVerdict } from '../../core/nca/growth-eval';
import type { ComputeEngine } from '../../shared/compute-engine';
import { benchEngines } from './es-bench';

export type { PersistenceVerdict } from '../../core/nca/growth-eval';
export { persistenceVerdict } from '../../core/nca/growth-eval';

/** The growth evaluation of training carried on to 1000 steps (core/nca/growth-eval.ts). */
export const qualityEval = persistenceEval;

export const QUALITY_TARGETS = ['carrot-9', 'rabbit-9', 'carrot-15', 'rabbit-15'];

export { qualityGoal } from '../../core/nca/growth-eval';

/** The thesis's time to its goal (Table 2; fitness −0.003 is a 40-step loss of 0.003), for the table. */
const THESIS_ROWS: Record<string, string> = {
  'carrot-9': 'thesis: loss 0.003 in 36 min on 128 cores',
  'rabbit-15': 'thesis: "two days" on 128 cores',
};

export interface QualityBenchOptions {
  presets: string[];
  targets?: string[];
  /** time cap per case, in training seconds */
  maxSeconds: number;
  /** 40-step goal; default qualityGoal(target size) */
  goal?: number;
  /** config fields changed after the preset (dotted path → value, as `--set` parses them) */
  set?: [string, unknown][];
  /** ES worker processes (0 = in this process); default: the preset's */
  workers?: number;
  /** 'webgpu': every case on the wasm engine and on the GPU (default 'wasm') */
  engine?: ComputeEngine;
  /** where the runs go (default: a temporary folder, removed afterwards) */
  workspace?: string;
  spawn?: WorkerSpawner;
  signal?: AbortSignal;
  onRow?: (row: QualityRow) => void;
}

export interface QualityRow {
  bench: 'quality';
  preset: string;
  target: string;
  /** what trained it, as the run recorded (run.json compute) */
  engine: ComputeEngine;
  adapter: string | null;
  goal: number;
  /** the 40-step goal met and persistent */
  reached: boolean;
  /** the run's training seconds (what the time cap counts) */
  wallSeconds: number;
  /** the bench's own clock for the case: training, worker start-ups and the persistence checks */
  elapsedSeconds: number;
  generations: number;
  evaluations: number;
  eval40: number;
  eval200: number;
  eval1000: number;
  verdict: PersistenceVerdict;
  /** 1-minute load average when the case started and ended */
  loadBefore: number;
  loadAfter: number;
}

const round = (x: number, digits: number) => Number(x.toPrecision(digits));

export async function benchQuality(opts: QualityBenchOptions, io: BenchIo): Promise<QualityRow[]> {
  const targets = opts.targets ?? QUALITY_TARGETS;
  const workspace = opts.workspace ?? await mkdtemp(join(tmpdir(), 'nca-quality-'));
  const rows: QualityRow[] = [];
  const loadAtStart = loadavg();
  io.note(`load before: ${loadAtStart.map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min) on ${availableParallelism()} cores`);
  // without --engine the runs compute on what their config asks for (the preset's auto, or --set engine=…)
  const engines = opts.engine ? (await benchEngines(opts.engine)).map((e) => e.engine) : [null];
  try {
    for (const preset of opts.presets) {
      for (const targetName of targets) {
        for (const engine of engines) {
          opts.signal?.throwIfAborted();
          const row = await qualityCase(workspace, preset, targetName, engine, opts);
          rows.push(row);
          io.json(row);
          opts.onRow?.(row);
        }
      }
    }
  } finally {
    if (!opts.workspace) await rm(workspace, { recursive: true, force: true });
  }
  const loadAtEnd = loadavg();
  io.table('Time to quality: 40-step loss ≤ goal and persistent (loss at 1000 ≤ 2 × loss at 40)',
    ['preset', 'target', 'engine', 'goal', 'reached', 'wall s', 'generations', 'evaluations', 'loss 40', 'loss 200', 'loss 1000', 'verdict', 'load'],
    rows.flatMap((r) => {
      const line = [r.preset, r.target, r.adapter ? `webgpu on ${r.adapter}` : r.engine, r.goal, r.reached ? 'yes' : 'no', Math.round(r.wallSeconds), r.generations, r.evaluations,
        round(r.eval40, 3), round(r.eval200, 3), round(r.eval1000, 3), r.verdict, `${r.loadBefore.toFixed(1)}→${r.loadAfter.toFixed(1)}`];
      return [line];
    }).concat(targets.filter((t) => THESIS_ROWS[t]).map((t) => [THESIS_ROWS[t], t, '', '', '', '', '', '', '', '', '', '', ''])));
  io.note(`load after: ${loadAtEnd.map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min)`);
  return rows;
}

async function qualityCase(workspace: string, preset: string, targetName: string, engine: ComputeEngine | null, opts: QualityBenchOptions): Promise<QualityRow> {
  const store = new LabStore(workspace);
  const config = configFromPreset(preset);
  const builtin = findBuiltinTarget(targetName);
  config.target = { name: targetName, size: builtin?.size ?? config.target.size, padding: builtin?.padding ?? 0 };
  config.stop = { maxGenerations: null, maxSeconds: opts.maxSeconds, targetLoss: null };
  for (const [path, value] of opts.set ?? []) setPath(config, path, value);
  if (engine) config.engine = engine;
  validateRunConfig(config);
  const goal = opts.goal ?? qualityGoal(config.target.size);
  const run = await store.createRun(config, { name: `quality · ${preset} · ${targetName}${engine ? ` · ${engine}` : ''}`, backend: null });
  const target = await store.loadRunTarget(run.id);
  const nca = ncaConfigOf(config);
  const loadBefore = loadavg()[0];
  const t0 = performance.now();
  // after a candidate that does not persist yet, look again only a few evals later (each look is a pause/resume)
  let lookAfter = 0;
  let gap = config.evalEvery;
  for (;;) {
    opts.signal?.throwIfAborted();
    const control: StopRequest = { requested: null };
    const outcome = await runTrainingSession({
      workspace, runId: run.id, control, workers: opts.workers, spawn: opts.spawn,
      onProgress: (ev) => {
        if (ev.eval40 !== undefined && ev.eval40 !== null && ev.eval40 <= goal && ev.generation >= lookAfter) control.requested = 'pause';
      },
    });
    if (outcome.status === 'failed') throw new Error(`quality bench: ${preset} on ${targetName} failed: ${outcome.reason}`);
    const ckpt = await store.readLatestCheckpoint(run.id);
    if (!ckpt) throw new Error(`quality bench: ${preset} on ${targetName} left no checkpoint`);
    const e = qualityEval(nca, config.seed, ckpt.params, target, ckpt.generation);
    const reached = e.eval40 <= goal && e.verdict === 'persists';
    if (reached || outcome.status !== 'paused') {
      const compute = (await store.getRun(run.id)).compute;
      return {
        bench: 'quality', preset, target: targetName, engine: compute?.engine ?? engine ?? 'wasm', adapter: compute?.adapter ?? null, goal, reached, wallSeconds: round(ckpt.wallSeconds, 4),
        elapsedSeconds: round((performance.now() - t0) / 1000, 4),
        generations: ckpt.generation, evaluations: ckpt.evaluations, eval40: e.eval40, eval200: e.eval200, eval1000: e.eval1000,
        verdict: e.verdict, loadBefore: round(loadBefore, 3), loadAfter: round(loadavg()[0], 3),
      };
    }
    lookAfter = ckpt.generation + gap;
    gap = Math.min(gap * 2, config.evalEvery * 16);
  }
}
