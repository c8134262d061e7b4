/**
 * The thesis's Table 2 on this machine (issue "ES" §5): ES generations/s and mutants/s for population
 * {6, 10, 40, 100, 1000} × size {9, 15} × workers {1 … cores}, through the same WorkerPool, slice job, fitness
 * shaping and update as training (no disk). Parameters are a fresh thesis-es model with a small random layer 2
 * so rollouts grow (a fresh model's zero layer 2 would make every rollout a no-op).
 */
import { availableParallelism } from 'node:os';
import type { BenchIo } from './bench-io';
import { round } from './population-bench';
import { WorkerPool } from '../workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner, type WorkerSpawner } from '../workers/spawners';
import type { LabJobs } from '../training/run-training';
import { esComputeBackend } from '../training/optimizers/es';
import { PoolEsEvaluator, type EsRunSettings } from '../training/es-evaluator';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../core/nca/config';
import { makeSeed } from '../../core/nca/state';
import { centredRankShaping } from '../../core/es/shaping';
import { applyEsUpdate, GenerationNoise } from '../../core/es/update';
import { Philox } from '../../core/rng/philox';

export interface EsBenchOptions {
  populations?: number[];
  sizes?: number[];
  workers?: number[];
  /** minimum measuring time per case (at least 2 generations are always measured) */
  seconds?: number;
  backend?: string;
  /** how worker processes are started (Electron passes a utilityProcess spawner; default: Node's fork) */
  spawn?: WorkerSpawner;
  /** stops between two measurements (the study's cancel) */
  signal?: AbortSignal;
  /** after each measured case */
  onRow?: (row: EsBenchRow) => void;
}

export interface EsBenchRow {
  bench: 'es';
  size: number;
  population: number;
  workers: number;
  generationsPerSec: number;
  mutantsPerSec: number;
  backend: string;
  /** the largest worker's resident set after the case, and the most any worker held, MB */
  workerRssMb: number;
  workerPeakRssMb: number;
  /** whether any worker had tfjs loaded (an ES worker should not: issue 12 §4) */
  workerTfjs: boolean;
}

export async function benchEs(opts: EsBenchOptions, io: BenchIo): Promise<EsBenchRow[]> {
  const cores = availableParallelism();
  const populations = opts.populations ?? [6, 10, 40, 100, 1000];
  const sizes = opts.sizes ?? [9, 15];
  const workerCounts = opts.workers ?? Array.from({ length: cores }, (_, i) => i + 1);
  const cfg = THESIS_ES_MODEL;
  const rows: EsBenchRow[] = [];
  const backend = esComputeBackend();
  for (const W of workerCounts) {
    opts.signal?.throwIfAborted();
    const pool = new WorkerPool<LabJobs>({ size: W, spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS, init: opts.backend ? { backend: opts.backend } : {} });
    await pool.start();
    try {
      for (const size of sizes) {
        for (const population of populations) {
          opts.signal?.throwIfAborted();
          const rng = new Philox(1);
          const theta = initParams(cfg, 'torch', () => rng.uniform());
          const L = paramLayout(cfg);
          for (let i = 0; i < L.kernel1.size; i++) theta[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
          const run: EsRunSettings = {
            cfg, seed: 1, population, target: new Float32Array(size * size * 4).fill(0.1),
            sigma: 0.01, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
          };
          const evaluator = new PoolEsEvaluator(run, { size: pool.size, map: (p) => pool.map('es-slice', p) });
          const x0 = makeSeed(size, size);
          const generation = async (g: number) => {
            const pending = evaluator.evaluate({ generation: g, params: theta, x0, wantBest: false });
            const noise = GenerationNoise.forPopulation(1, g, population, true, theta.length);
            const out = await pending;
            applyEsUpdate({ theta, shaped: centredRankShaping(out.losses.map((l) => -l)), seed: 1, generation: g, mirrored: true, lr: 0.005, sigma: 0.01, form: 'thesis', noise });
          };
          await generation(1); // warm-up
          let g = 1;
          const t0 = performance.now();
          do await generation(++g);
          while (g < 3 || performance.now() - t0 < (opts.seconds ?? 2) * 1000);
          const sec = (performance.now() - t0) / 1000;
          const gens = g - 1;
          // one stats job per worker: all idle, so each takes one
          const stats = await pool.map('worker-stats', Array.from({ length: pool.size }, () => ({})));
          const mb = (b: number) => round(b / 2 ** 20, 1);
          const row: EsBenchRow = {
            bench: 'es', size, population, workers: W,
            generationsPerSec: round(gens / sec, 2), mutantsPerSec: round((gens * population) / sec, 1), backend,
            workerRssMb: mb(Math.max(...stats.map((s) => s.rssBytes))), workerPeakRssMb: mb(Math.max(...stats.map((s) => s.maxRssBytes))),
            workerTfjs: stats.some((s) => s.tfjsLoaded),
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
  io.table(`ES throughput (thesis Table 2 on this machine; ${cores} cores, population evaluation on ${backend})`,
    ['size', 'population', 'workers', 'generations/s', 'mutants/s', 'worker RSS MB', 'peak', 'tfjs'],
    rows.map((r) => [r.size, r.population, r.workers, r.generationsPerSec, r.mutantsPerSec, r.workerRssMb, r.workerPeakRssMb, r.workerTfjs ? 'loaded' : 'no']));
  const maxW = Math.max(...workerCounts);
  if (workerCounts.includes(1) && maxW > 1) {
    const eff = rows.filter((r) => r.workers === maxW).map((r) => {
      const one = rows.find((o) => o.workers === 1 && o.size === r.size && o.population === r.population)!;
      const speedup = r.mutantsPerSec / one.mutantsPerSec;
      return [r.size, r.population, round(speedup, 2), `${round((100 * speedup) / maxW, 0)}%`];
    });
    io.table(`Scaling from 1 to ${maxW} workers`, ['size', 'population', 'speed-up', 'efficiency'], eff);
  }
  return rows;
}
