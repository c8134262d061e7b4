/**
 * The thesis's Table 2 on this machine (issue "ES" §5): ES generations/s and mutants/s for population
 * {6, 10, 40, 100, 1000} × size {9, 15} × workers {1 … cores}, and the master's serial work per generation.
 *
 * Each case is a real training session of a scratch run: the training loop (metrics on disk, progress, growth
 * evaluations, checkpoints), the ES optimizer and its strategy, the WorkerPool evaluator and the slice job, as
 * `nca-lab train` runs them, with the preset's settings (default thesis-es, the thesis's Table 2) and the case's
 * population on a uniform target of the case's size. Only the start differs: a fresh model with a small random
 * layer 2, so rollouts grow (a fresh model's zero layer 2 makes every rollout of the first generations nearly a
 * no-op). The first two generations warm up; an EsMasterProbe splits the master's time into its phases.
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchIo } from './bench-io';
import { round } from './population-bench';
import { WorkerPool } from '../workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner, type WorkerSpawner } from '../workers/spawners';
import type { LabJobs } from '../training/run-training';
import { esComputeBackend, esRunSettings, openEs, workerPoolEvaluator } from '../training/optimizers/es';
import { PoolEsEvaluator } from '../training/es-evaluator';
import { runTrainingLoop } from '../training/training-loop';
import { EsMasterProbe, ES_MASTER_PHASES, type EsMasterTimes } from '../training/es-master-probe';
import type { StopRequest } from '../training/context';
import { LabStore } from '../store/lab-store';
import { configFromPreset, ncaConfigOf, type EsRunConfig } from '../../shared/training-config';
import { initParams, paramLayout } from '../../core/nca/config';
import { targetFromU8, type Target } from '../../core/targets/target';
import { Philox } from '../../core/rng/philox';

/** Table 2's populations; the default preset's 256 is measured beside them. */
export const ES_BENCH_POPULATIONS = [6, 10, 40, 100, 256, 1000];

export interface EsBenchOptions {
  populations?: number[];
  sizes?: number[];
  workers?: number[];
  /** the preset each case trains (default thesis-es); the case sets its population and target size */
  preset?: string;
  /**
   * where the update's noise sums are computed: 'workers' (default, each over a range of parameters) or 'master'
   * (built while the workers evaluate and summed by the master, as a session whose evaluator cannot sum: a cluster)
   */
  noiseSums?: NoiseSumsSite;
  /** minimum measuring time per case (at least 3 generations are always measured) */
  seconds?: number;
  backend?: string;
  /** how worker processes are started (Electron passes a utilityProcess spawner; default: Node's fork) */
  spawn?: WorkerSpawner;
  /** stops between two measurements (the study's cancel) */
  signal?: AbortSignal;
  /** after each measured case */
  onRow?: (row: EsBenchRow) => void;
}

export type NoiseSumsSite = 'workers' | 'master';
export const NOISE_SUMS_SITES: readonly NoiseSumsSite[] = ['workers', 'master'];

export interface EsBenchRow {
  bench: 'es';
  preset: string;
  noiseSums: NoiseSumsSite;
  size: number;
  population: number;
  /** the model's parameter count */
  params: number;
  workers: number;
  generationsPerSec: number;
  mutantsPerSec: number;
  backend: string;
  /** the master's own work per generation (every EsMasterProbe phase but the waits for workers), ms */
  masterMs: number;
  /** its phases, ms per generation (es-master-probe.ts), waits included */
  masterParts: EsMasterTimes;
  /** the master process's CPU time per generation, ms: its own work, decoding answers, garbage collection */
  masterCpuMs: number;
  /** the median over the measured generations of the master's own work, ms (robust to the machine's other load) */
  masterMedianMs: number;
  /** the largest worker's resident set after the case, and the most any worker held, MB */
  workerRssMb: number;
  workerPeakRssMb: number;
  /** whether any worker had tfjs loaded (an ES worker should not: issue 12 §4) */
  workerTfjs: boolean;
  /** 1-minute load average at the end of the case */
  load: number;
}

/** The case's start: a fresh model of the preset with layer 2 drawn in ±0.025 (Philox seed 1). */
function startParams(config: EsRunConfig): Float32Array {
  const nca = ncaConfigOf(config);
  const rng = new Philox(1);
  const theta = initParams(nca, config.model.init, () => rng.uniform());
  const L = paramLayout(nca);
  for (let i = 0; i < L.kernel1.size; i++) theta[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
  return theta;
}

/** A uniform target (every pixel premultiplied ≈ 0.1 and opaque enough to matter), size × size. */
function uniformTarget(size: number): Target {
  const u8 = new Uint8Array(size * size * 4);
  for (let i = 0; i < u8.length; i += 4) u8.set([80, 80, 80, 80], i);
  return targetFromU8(`bench-uniform-${size}`, size, u8);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface CaseSpec {
  preset: string;
  noiseSums: NoiseSumsSite;
  size: number;
  population: number;
  seconds: number;
}

/** One case: a scratch run trained on the pool until `seconds` have passed after the warm-up. */
async function esCase(store: LabStore, pool: WorkerPool<LabJobs>, spec: CaseSpec) {
  const config = configFromPreset(spec.preset);
  if (config.optimizer !== 'es') throw new Error(`bench es: preset ${spec.preset} is not an ES preset`);
  config.es.population = spec.population;
  config.es.workers = pool.size;
  config.target = { name: `bench-uniform-${spec.size}`, size: spec.size, padding: 0 };
  config.stop = { maxGenerations: null, maxSeconds: null, targetLoss: null };
  const target = uniformTarget(spec.size);
  const run = await store.createRun(config, { name: `bench es · ${spec.preset} · ${spec.population} · ${spec.size}`, backend: null, target });
  const theta = startParams(config);
  const settings = esRunSettings(config, target);
  const evaluator = spec.noiseSums === 'workers' ? workerPoolEvaluator(settings, pool)
    : new PoolEsEvaluator(settings, { size: pool.size, map: (payloads) => pool.map('es-slice', payloads) });
  const probe = new EsMasterProbe();
  const control: StopRequest = { requested: null };
  const WARM_UP = 2;
  let t0 = 0, tEnd = 0, cpu0 = 0, cpuEnd = 0, measured = 0;
  const outcome = await runTrainingLoop(
    { workspace: store.workspace, runId: run.id, config, target, backend: esComputeBackend(), control },
    {
      store,
      open: (start) => openEs({ ...start, startParams: start.checkpoint ? null : theta }, evaluator, probe),
      onStep: (g) => {
        const now = performance.now();
        if (g === WARM_UP) {
          probe.reset();
          t0 = now;
          cpu0 = cpuMs();
        } else if (g > WARM_UP) {
          tEnd = now;
          cpuEnd = cpuMs();
          measured = g - WARM_UP;
          if (measured >= 3 && now - t0 >= spec.seconds * 1000) control.requested = 'stop';
        }
      },
    },
  );
  if (outcome.status === 'failed') throw new Error(`bench es: ${spec.preset} at population ${spec.population} failed: ${outcome.reason}`);
  const sec = (tEnd - t0) / 1000;
  const master = probe.perGeneration();
  return {
    params: theta.length, generations: measured, sec, masterMs: master.serialMs, masterParts: master.parts,
    masterCpuMs: (cpuEnd - cpu0) / measured, masterMedianMs: master.serialMedianMs,
  };
}

export async function benchEs(opts: EsBenchOptions, io: BenchIo): Promise<EsBenchRow[]> {
  const cores = availableParallelism();
  const populations = opts.populations ?? ES_BENCH_POPULATIONS;
  const sizes = opts.sizes ?? [9, 15];
  const preset = opts.preset ?? 'thesis-es';
  const noiseSums = opts.noiseSums ?? 'workers';
  const workerCounts = opts.workers ?? Array.from({ length: cores }, (_, i) => i + 1);
  const rows: EsBenchRow[] = [];
  const backend = esComputeBackend();
  const workspace = await mkdtemp(join(tmpdir(), 'nca-bench-es-'));
  const store = new LabStore(workspace);
  io.note(`load before: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min) on ${cores} cores`);
  try {
    for (const W of workerCounts) {
      opts.signal?.throwIfAborted();
      const pool = new WorkerPool<LabJobs>({ size: W, spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS, init: opts.backend ? { backend: opts.backend } : {} });
      await pool.start();
      try {
        for (const size of sizes) {
          for (const population of populations) {
            opts.signal?.throwIfAborted();
            const c = await esCase(store, pool, { preset, noiseSums, size, population, seconds: opts.seconds ?? 2 });
            // one stats job per worker: all idle, so each takes one
            const stats = await pool.map('worker-stats', Array.from({ length: pool.size }, () => ({})));
            const mb = (b: number) => round(b / 2 ** 20, 1);
            const parts = Object.fromEntries(ES_MASTER_PHASES.map((p) => [p, round(c.masterParts[p], 3)])) as EsMasterTimes;
            const row: EsBenchRow = {
              bench: 'es', preset, noiseSums, size, population, params: c.params, workers: W,
              generationsPerSec: round(c.generations / c.sec, 2), mutantsPerSec: round((c.generations * population) / c.sec, 1), backend,
              masterMs: round(c.masterMs, 3), masterParts: parts, masterCpuMs: round(c.masterCpuMs, 3), masterMedianMs: round(c.masterMedianMs, 3),
              workerRssMb: mb(Math.max(...stats.map((s) => s.rssBytes))), workerPeakRssMb: mb(Math.max(...stats.map((s) => s.maxRssBytes))),
              workerTfjs: stats.some((s) => s.tfjsLoaded), load: round(loadavg()[0], 3),
            };
            rows.push(row);
            io.json(row);
            opts.onRow?.(row);
          }
        }
      } finally {
        await pool.close();
      }
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  printTables(rows, workerCounts, { cores, backend, preset, noiseSums }, io);
  return rows;
}

function printTables(rows: EsBenchRow[], workerCounts: number[], at: { cores: number; backend: string; preset: string; noiseSums: NoiseSumsSite }, io: BenchIo): void {
  io.table(`ES throughput (thesis Table 2 on this machine; preset ${at.preset}; ${at.cores} cores, population evaluation on ${at.backend}, the update's noise summed by the ${at.noiseSums})`,
    ['size', 'population', 'params', 'workers', 'generations/s', 'mutants/s', 'master ms', 'median', 'master CPU ms', 'worker RSS MB', 'peak', 'tfjs', 'load'],
    rows.map((r) => [r.size, r.population, r.params, r.workers, r.generationsPerSec, r.mutantsPerSec, r.masterMs, r.masterMedianMs, r.masterCpuMs,
      r.workerRssMb, r.workerPeakRssMb, r.workerTfjs ? 'loaded' : 'no', r.load]));
  io.table('The master\'s time per generation, ms (es-master-probe.ts; "master ms" is every phase but wait and sumsWait)',
    ['size', 'population', 'workers', ...ES_MASTER_PHASES, 'master ms'],
    rows.map((r) => [r.size, r.population, r.workers, ...ES_MASTER_PHASES.map((p) => round(r.masterParts[p], 3)), r.masterMs]));
  const maxW = Math.max(...workerCounts);
  if (workerCounts.includes(1) && maxW > 1) {
    const eff = rows.filter((r) => r.workers === maxW).map((r) => {
      const one = rows.find((o) => o.workers === 1 && o.size === r.size && o.population === r.population)!;
      const speedup = r.mutantsPerSec / one.mutantsPerSec;
      return [r.size, r.population, round(speedup, 2), `${round((100 * speedup) / maxW, 0)}%`];
    });
    io.table(`Scaling from 1 to ${maxW} workers`, ['size', 'population', 'speed-up', 'efficiency'], eff);
  }
  io.note(`load after: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min)`);
}
