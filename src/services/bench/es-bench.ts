/**
 * The thesis's Table 2 on this machine (spec c.8: what parallel evaluation buys): ES generations/s and mutants/s for population
 * {6, 10, 40, 100, 1000} × size {9, 15} × workers {1 … cores}, and the master's serial work per generation.
 *
 * Each case is a real training session of a scratch run: the training loop (metrics on disk, progress, growth
 * evaluations, checkpoints), the ES optimizer and its strategy, the WorkerPool evaluator and the slice job, as
 * `nca-lab train` runs them, with the preset's settings (default thesis-es, the thesis's Table 2) and the case's
 * population on a uniform target of the case's size. Only the start differs: a fresh model with a small random
 * layer 2, so rollouts grow (a fresh model's zero layer 2 makes every rollout of the first generations nearly a
 * no-op). The first two generations warm up; an EsMasterProbe splits the master's time into its phases.
 *
 * With `engine: 'webgpu'` every case is measured twice in the same run, on the wasm engine (W workers) and on the
 * GPU (one worker holding the device, W workers forming the update's noise sums, as a webgpu session runs it),
 * the GPU row naming its adapter and its generations/s over the wasm row's.
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchIo } from './bench-io';
import { round } from './population-bench';
import { WorkerPool } from '../workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner, type WorkerSpawner } from '../workers/spawners';
import type { LabJobs } from '../training/run-training';
import { esComputeBackend, esRunSettings, gpuPoolEvaluator, openEs, workerPoolEvaluator } from '../training/optimizers/es';
import { PoolEsEvaluator, type EsEvaluator, type EsRunSettings } from '../training/es-evaluator';
import { adapterLabel, resolveEngine } from '../compute/engine-choice';
import type { GpuAdapterReport } from '../compute/gpu-adapters';
import type { ComputeEngine } from '../../shared/compute-engine';
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
  /** 'webgpu': every case on the wasm engine and on the GPU, side by side (default 'wasm': the wasm engine only) */
  engine?: ComputeEngine;
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
  /** what evaluated the population: the wasm engine, or the GPU on `adapter` */
  engine: ComputeEngine;
  adapter: string | null;
  /** this row's generations/s over the wasm row's of the same case and run (null on the wasm row) */
  vsWasm: number | null;
  backend: string;
  /** the master's own work per generation (every EsMasterProbe phase but the waits for workers), ms */
  masterMs: number;
  /** its phases, ms per generation (es-master-probe.ts), waits included */
  masterParts: EsMasterTimes;
  /** the master process's CPU time per generation, ms: its own work, decoding answers, garbage collection */
  masterCpuMs: number;
  /** the median over the measured generations of the master's own work, ms (robust to the machine's other load) */
  masterMedianMs: number;
  /** the least of them, ms (the generation the machine's other load disturbed least) */
  masterMinMs: number;
  /** the largest worker's resident set after the case, and the most any worker held, MB */
  workerRssMb: number;
  workerPeakRssMb: number;
  /** whether any worker had tfjs loaded (an ES worker should not: tfjs alone would break its 80 MB budget) */
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

/** An engine a bench measures: the wasm engine, or the GPU on an adapter. */
export interface BenchEngine {
  engine: ComputeEngine;
  adapter: GpuAdapterReport | null;
}

/**
 * The engines a bench measures for `--engine`: the wasm engine, and with webgpu the GPU beside it (its adapter
 * found first: none is a clear error naming what was found, engine-choice.ts).
 */
export async function benchEngines(engine: ComputeEngine | undefined): Promise<BenchEngine[]> {
  const wasm: BenchEngine = { engine: 'wasm', adapter: null };
  return engine === 'webgpu' ? [wasm, { engine: 'webgpu', adapter: (await resolveEngine('webgpu')).adapter }] : [wasm];
}

/** An engine's worker processes for one worker count, and the evaluator a case trains with. */
interface EngineRig {
  engine: ComputeEngine;
  adapter: string | null;
  backend: string;
  /** the CPU workers (population slices on wasm, the noise sums on the GPU) */
  workers: number;
  pools: WorkerPool<LabJobs>[];
  evaluator(settings: EsRunSettings, noiseSums: NoiseSumsSite): EsEvaluator;
}

async function openRigs(W: number, engines: BenchEngine[], opts: EsBenchOptions): Promise<EngineRig[]> {
  const workerPool = (size: number) => new WorkerPool<LabJobs>({ size, spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS, init: opts.backend ? { backend: opts.backend } : {} });
  const rigs: EngineRig[] = [];
  for (const { engine, adapter } of engines) {
    if (engine === 'wasm' || !adapter) {
      const pool = workerPool(W);
      rigs.push({
        engine: 'wasm', adapter: null, backend: esComputeBackend(), workers: W, pools: [pool],
        evaluator: (settings, sums) => sums === 'workers' ? workerPoolEvaluator(settings, pool)
          : new PoolEsEvaluator(settings, { size: pool.size, map: (payloads) => pool.map('es-slice', payloads) }),
      });
    } else {
      const [gpu, sumsPool] = [workerPool(1), workerPool(W)];
      const label = adapterLabel(adapter);
      rigs.push({
        engine: 'webgpu', adapter: label, backend: `webgpu on ${label}`, workers: W, pools: [gpu, sumsPool],
        evaluator: (settings, sums) => sums === 'workers' ? gpuPoolEvaluator(settings, gpu, sumsPool, adapter)
          : new PoolEsEvaluator(settings, { size: 1, map: (payloads) => gpu.map('es-gpu-slice', payloads.map((p) => ({ ...p, adapter }))) }),
      });
    }
  }
  await Promise.all(rigs.flatMap((r) => r.pools.map((p) => p.start())));
  return rigs;
}

/** One case: a scratch run trained on the rig's workers until `seconds` have passed after the warm-up. */
async function esCase(store: LabStore, rig: EngineRig, spec: CaseSpec) {
  const config = configFromPreset(spec.preset);
  if (config.optimizer !== 'es') throw new Error(`bench es: preset ${spec.preset} is not an ES preset`);
  config.es.population = spec.population;
  config.es.workers = rig.workers;
  config.engine = rig.engine;
  config.target = { name: `bench-uniform-${spec.size}`, size: spec.size, padding: 0 };
  config.stop = { maxGenerations: null, maxSeconds: null, targetLoss: null };
  const target = uniformTarget(spec.size);
  const run = await store.createRun(config, { name: `bench es · ${spec.preset} · ${spec.population} · ${spec.size} · ${rig.engine}`, backend: null, target });
  const theta = startParams(config);
  const settings = esRunSettings(config, target);
  const evaluator = rig.evaluator(settings, spec.noiseSums);
  const probe = new EsMasterProbe();
  const control: StopRequest = { requested: null };
  const WARM_UP = 2;
  let t0 = 0, tEnd = 0, cpu0 = 0, cpuEnd = 0, measured = 0;
  const outcome = await runTrainingLoop(
    { workspace: store.workspace, runId: run.id, config, target, backend: rig.backend, control },
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
    masterCpuMs: (cpuEnd - cpu0) / measured, masterMedianMs: master.serialMedianMs, masterMinMs: master.serialMinMs,
  };
}

export async function benchEs(opts: EsBenchOptions, io: BenchIo): Promise<EsBenchRow[]> {
  const cores = availableParallelism();
  const populations = opts.populations ?? ES_BENCH_POPULATIONS;
  const sizes = opts.sizes ?? [9, 15];
  const preset = opts.preset ?? 'thesis-es';
  const noiseSums = opts.noiseSums ?? 'workers';
  const workerCounts = opts.workers ?? Array.from({ length: cores }, (_, i) => i + 1);
  const engines = await benchEngines(opts.engine);
  const rows: EsBenchRow[] = [];
  const workspace = await mkdtemp(join(tmpdir(), 'nca-bench-es-'));
  const store = new LabStore(workspace);
  io.note(`load before: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min) on ${cores} cores`);
  try {
    for (const W of workerCounts) {
      opts.signal?.throwIfAborted();
      const rigs = await openRigs(W, engines, opts);
      try {
        for (const size of sizes) {
          for (const population of populations) {
            let wasmRate: number | null = null;
            for (const rig of rigs) {
              opts.signal?.throwIfAborted();
              const row = await measureCase(store, rig, { preset, noiseSums, size, population, seconds: opts.seconds ?? 2 }, wasmRate);
              if (rig.engine === 'wasm') wasmRate = row.generationsPerSec;
              rows.push(row);
              io.json(row);
              opts.onRow?.(row);
            }
          }
        }
      } finally {
        await Promise.all(rigs.flatMap((r) => r.pools.map((p) => p.close())));
      }
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  printTables(rows, workerCounts, { cores, preset, noiseSums }, io);
  return rows;
}

/** A case on one rig, as its row (`wasmRate`: the wasm row's generations/s of the same case, for the GPU row). */
async function measureCase(store: LabStore, rig: EngineRig, spec: CaseSpec, wasmRate: number | null): Promise<EsBenchRow> {
  const c = await esCase(store, rig, spec);
  // one stats job per worker: all idle, so each takes one
  const stats = (await Promise.all(rig.pools.map((p) => p.map('worker-stats', Array.from({ length: p.size }, () => ({})))))).flat();
  const mb = (b: number) => round(b / 2 ** 20, 1);
  const parts = Object.fromEntries(ES_MASTER_PHASES.map((p) => [p, round(c.masterParts[p], 3)])) as EsMasterTimes;
  const generationsPerSec = round(c.generations / c.sec, 2);
  return {
    bench: 'es', preset: spec.preset, noiseSums: spec.noiseSums, size: spec.size, population: spec.population, params: c.params, workers: rig.workers,
    generationsPerSec, mutantsPerSec: round((c.generations * spec.population) / c.sec, 1),
    engine: rig.engine, adapter: rig.adapter, vsWasm: wasmRate === null || rig.engine === 'wasm' ? null : round(generationsPerSec / wasmRate, 2), backend: rig.backend,
    masterMs: round(c.masterMs, 3), masterParts: parts, masterCpuMs: round(c.masterCpuMs, 3), masterMedianMs: round(c.masterMedianMs, 3), masterMinMs: round(c.masterMinMs, 3),
    workerRssMb: mb(Math.max(...stats.map((s) => s.rssBytes))), workerPeakRssMb: mb(Math.max(...stats.map((s) => s.maxRssBytes))),
    workerTfjs: stats.some((s) => s.tfjsLoaded), load: round(loadavg()[0], 3),
  };
}

function printTables(rows: EsBenchRow[], workerCounts: number[], at: { cores: number; preset: string; noiseSums: NoiseSumsSite }, io: BenchIo): void {
  const gpu = rows.find((r) => r.adapter !== null)?.adapter;
  io.table(`ES throughput (thesis Table 2 on this machine; preset ${at.preset}; ${at.cores} cores, population evaluation on ${esComputeBackend()}${gpu ? ` and on the GPU ${gpu}` : ''}, the update's noise summed by the ${at.noiseSums})`,
    ['size', 'population', 'params', 'engine', 'workers', 'generations/s', 'vs wasm', 'mutants/s', 'master ms', 'median', 'least', 'master CPU ms', 'worker RSS MB', 'peak', 'tfjs', 'load'],
    rows.map((r) => [r.size, r.population, r.params, r.engine, r.workers, r.generationsPerSec, r.vsWasm === null ? '—' : `×${r.vsWasm}`, r.mutantsPerSec, r.masterMs, r.masterMedianMs, r.masterMinMs, r.masterCpuMs,
      r.workerRssMb, r.workerPeakRssMb, r.workerTfjs ? 'loaded' : 'no', r.load]));
  io.table('The master\'s time per generation, ms (es-master-probe.ts; "master ms" is every phase but wait and sumsWait)',
    ['size', 'population', 'engine', 'workers', ...ES_MASTER_PHASES, 'master ms'],
    rows.map((r) => [r.size, r.population, r.engine, r.workers, ...ES_MASTER_PHASES.map((p) => round(r.masterParts[p], 3)), r.masterMs]));
  const maxW = Math.max(...workerCounts);
  if (workerCounts.includes(1) && maxW > 1) {
    const eff = rows.filter((r) => r.workers === maxW).map((r) => {
      const one = rows.find((o) => o.workers === 1 && o.engine === r.engine && o.size === r.size && o.population === r.population)!;
      const speedup = r.mutantsPerSec / one.mutantsPerSec;
      return [r.size, r.population, r.engine, round(speedup, 2), `${round((100 * speedup) / maxW, 0)}%`];
    });
    io.table(`Scaling from 1 to ${maxW} workers`, ['size', 'population', 'engine', 'speed-up', 'efficiency'], eff);
  }
  io.note(`load after: ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min)`);
}
