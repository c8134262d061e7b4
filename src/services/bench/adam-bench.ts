/**
 * `nca-lab bench adam` (spec d.2): ms per Adam iteration and iterations/s for thesis-adam at
 * 9×9 and 15×15 (batch 8, hidden 32, 30–39 CA steps, pool "worst after rollout → seed") and M's 72×72 (batch 8,
 * hidden 128 with both biases, 64–95 steps, gradient normalisation), on every engine in the same run:
 *  - `tfjs-<backend>`: the tfjs reference session (core/adam/bptt.ts) in this process;
 *  - `fused`: the fused BPTT engine (core/adam/fused-bptt.ts) in this process (one core);
 *  - `fused ×W`: the batch split over W worker processes (adam-grad jobs), the update in this process;
 *  - with `engine: 'webgpu'`, `webgpu`: the whole batch's gradients on the GPU in one worker process (adam-gpu-grad
 *    jobs), the update in this process, as a webgpu session runs it; its row names the adapter and its speed-up
 *    over the fastest wasm row of the same case and run;
 * each row printed with its speed-up over the tfjs row of the same case. Each iteration is the trainer's: pool
 * draw, BPTT step, Adam update, pool write-back, with the step count drawn per iteration from the run's
 * stream. No disk, no evaluation.
 *
 * Two starts per size: `seed` (the pool as a fresh run has it, fresh parameters: the pattern is small, and the
 * fused engine skips the dead cells) and `alive` (every pool state a random state with every cell alive; layer 2
 * is zero, so every cell stays alive through the rollout: the dense worst case, as late in training).
 * Sizes below 40 use the thesis-adam model and steps, sizes from 40 up M's. The target is a synthetic disc.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { configFromPreset, ncaConfigOf, type AdamRunConfig } from '../../shared/training-config';
import { initParams } from '../../core/nca/config';
import { makeSeed, type StateBatch } from '../../core/nca/state';
import { AdamBptt } from '../../core/adam/bptt';
import { FusedAdam, inProcessGradients, type AdamSession } from '../../core/adam/fused-adam';
import { bpttEngineName } from '../../core/adam/bptt-kernel';
import { runStream, StreamPurpose } from '../../core/rng/run-streams';
import { Philox } from '../../core/rng/philox';
import { drawBatch, seedPool, writeBack } from '../../core/adam/sample-pool';
import { learningRateAt } from '../../core/adam/schedule';
import { WorkerPool } from '../workers/pool';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import type { LabJobs } from '../workers/lab-jobs';
import { poolGradients } from '../training/adam-gradients';
import { benchIo, type LineSink } from './bench-io';
import { benchEngines } from './es-bench';
import { adapterLabel } from '../compute/engine-choice';
import type { ComputeEngine } from '../../shared/compute-engine';

export type AdamBenchStart = 'seed' | 'alive';

export interface AdamBenchOptions {
  /** measured iterations per case (default 20 for thesis sizes, 2 for M's) */
  iterations?: number;
  /** warm-up iterations per case (default 3 for thesis sizes, 1 for M's) */
  warmup?: number;
  /** stop measuring a case after this many seconds (at least one iteration); default none */
  seconds?: number;
  /** canvas sizes (default 9, 15, 72) */
  sizes?: number[];
  /** starts (default seed, alive) */
  starts?: AdamBenchStart[];
  /** worker counts for the fused engine (default 1 … cores); the in-process rows always run */
  workers?: number[];
  /** skip the tfjs reference (its M rows take minutes) */
  skipTfjs?: boolean;
  /** 'webgpu': a GPU row beside the wasm rows of every case (default 'wasm') */
  engine?: ComputeEngine;
  /** print only the JSON lines */
  json: boolean;
  spawn?: WorkerSpawner;
}

export interface AdamBenchRow {
  bench: 'adam';
  size: number;
  start: AdamBenchStart;
  batch: number;
  hidden: number;
  /** the CA step range per iteration, e.g. "30-39" */
  steps: string;
  /** mean step count of the measured iterations */
  meanSteps: number;
  /** what computed it: `tfjs-wasm`, `fused-wasm-simd`, `fused-wasm-simd ×2` */
  engine: string;
  /** worker processes computing gradients (0 = this process) */
  workers: number;
  iterations: number;
  msPerIteration: number;
  iterationsPerSec: number;
  /**
   * CPU time of this process per iteration (user + system): close to the wall time on an idle core for the
   * in-process engines; with workers, the master's share only
   */
  cpuMsPerIteration: number;
  /** the tfjs row's ms per iteration over this row's, same case and run (null without a tfjs row) */
  speedupVsTfjs: number | null;
  /** the GPU's adapter (null on the CPU's rows) */
  adapter: string | null;
  /** the fastest wasm row's ms per iteration over this GPU row's, same case and run (null on the CPU's rows) */
  speedupVsWasm: number | null;
  /** steps per gradient-checkpoint segment, 0 = none */
  checkpointEvery: number;
}

/** A premultiplied disc target on a size×size canvas, the same fraction of the canvas for every size. */
function discTarget(size: number): Float32Array {
  const t = new Float32Array(size * size * 4);
  const c = (size - 1) / 2;
  const r = size * 0.35;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if ((y - c) ** 2 + (x - c) ** 2 > r * r) continue;
      const i = (y * size + x) * 4;
      t[i] = 0.9; t[i + 1] = 0.5; t[i + 2] = 0.1; t[i + 3] = 1;
    }
  }
  return t;
}

/** The run config a size is benchmarked with. */
export function adamBenchConfig(size: number): AdamRunConfig {
  const c = configFromPreset(size < 40 ? 'thesis-adam' : 'mordvintsev-growing') as AdamRunConfig;
  c.seed = 1;
  return c;
}

/** A pool of `n` random states with every cell alive (alpha in [0.2, 1.2)), the same for every engine. */
function alivePool(size: number, channels: number, n: number): StateBatch {
  const r = new Philox(7, 12);
  const data = new Float32Array(n * size * size * channels);
  for (let i = 0; i < data.length; i++) data[i] = i % channels === 3 ? 0.2 + r.uniform() : (r.uniform() - 0.5) * 0.5;
  return { n, height: size, width: size, channels, data };
}

export async function benchAdam(opts: AdamBenchOptions, io: LineSink): Promise<AdamBenchRow[]> {
  const out = benchIo(io, opts.json);
  const backend = tf.getBackend();
  const sizes = opts.sizes ?? [9, 15, 72];
  const starts = opts.starts ?? ['seed', 'alive'];
  const workerCounts = opts.workers ?? Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  const fused = bpttEngineName();
  const gpu = (await benchEngines(opts.engine)).find((e) => e.adapter)?.adapter ?? null;
  const rows: AdamBenchRow[] = [];
  // worker pools by size (the GPU's, one process holding the device, under -1)
  const pools = new Map<number, WorkerPool<LabJobs>>();
  const poolOf = async (w: number) => {
    let p = pools.get(w);
    if (!p) {
      p = new WorkerPool<LabJobs>({ size: Math.abs(w), spawn: opts.spawn ?? forkSpawner() });
      await p.start();
      pools.set(w, p);
    }
    return p;
  };
  try {
    for (const size of sizes) {
      for (const start of starts) {
        const cfg = adamBenchConfig(size);
        const nca = ncaConfigOf(cfg);
        const adam = cfg.adam;
        const small = size < 40;
        const target = { rgba: discTarget(size), height: size, width: size };
        const init = () => { const r = runStream(cfg.seed, 0, StreamPurpose.Init); return initParams(nca, cfg.model.init, () => r.uniform()); };
        const seed = makeSeed(size, size, nca.channels, 1);
        const engines: { engine: string; workers: number; adapter?: string; make: () => Promise<AdamSession> }[] = [];
        if (!opts.skipTfjs) engines.push({ engine: `tfjs-${backend}`, workers: 0, make: async () => new AdamBptt(nca, adam, init(), target, { maxSteps: cfg.stepsMax }) });
        engines.push({ engine: fused, workers: 0, make: async () => new FusedAdam(nca, adam, init(), target, inProcessGradients(nca, target, cfg.stepsMax), { maxSteps: cfg.stepsMax }) });
        for (const w of workerCounts) {
          engines.push({
            engine: `${fused} ×${w}`, workers: w, make: async () => {
              const p = await poolOf(w);
              return new FusedAdam(nca, adam, init(), target, poolGradients(nca, target, cfg.stepsMax, w, (payloads) => p.map('adam-grad', payloads)), { maxSteps: cfg.stepsMax });
            },
          });
        }
        if (gpu) {
          engines.push({
            engine: 'webgpu', workers: 1, adapter: adapterLabel(gpu), make: async () => {
              const p = await poolOf(-1);
              return new FusedAdam(nca, adam, init(), target, poolGradients(nca, target, cfg.stepsMax, 1, (payloads) => p.map('adam-gpu-grad', payloads.map((q) => ({ ...q, adapter: gpu })))), { maxSteps: cfg.stepsMax });
            },
          });
        }
        let tfjsMs: number | null = null;
        let wasmMs = Infinity;
        for (const e of engines) {
          const trainer = await e.make();
          const pool = adam.pool.kind === 'none' ? null : start === 'seed' ? seedPool(seed, adam.pool.size) : alivePool(size, nca.channels, adam.pool.size);
          // the growing preset has no pool: the alive start feeds the batch from a fixed alive pool instead
          const fixed = adam.pool.kind === 'none' && start === 'alive' ? alivePool(size, nca.channels, adam.batchSize) : null;
          const iterate = async (it: number) => {
            const steps = runStream(cfg.seed, it, StreamPurpose.Steps).int(cfg.stepsMin, cfg.stepsMax + 1);
            const batch = fixed ? { x0: fixed } : drawBatch(adam.pool.kind, pool, adam.batchSize, seed, target.rgba, adam.pool.damageN, {
              pool: runStream(cfg.seed, it, StreamPurpose.Pool), damage: runStream(cfg.seed, it, StreamPurpose.Damage),
            });
            const r = await trainer.iterate(batch.x0, steps, runStream(cfg.seed, it, StreamPurpose.FireMasks), learningRateAt(adam, it));
            if (r.applied && !fixed && 'slots' in batch) writeBack(adam.pool.kind, pool, batch, r.finals, r.sampleLosses, seed);
            return steps;
          };
          try {
            const warmup = opts.warmup ?? (small ? 3 : 1);
            const measured = opts.iterations ?? (small ? 20 : 2);
            out.note(`adam ${size}×${size} from ${start}, ${e.engine}: ${warmup} warm-up + up to ${measured} measured iterations…`);
            for (let i = 1; i <= warmup; i++) await iterate(i);
            const cpu0 = process.cpuUsage();
            const t0 = performance.now();
            let done = 0;
            let stepsSum = 0;
            while (done < measured) {
              stepsSum += await iterate(warmup + done + 1);
              done++;
              if (opts.seconds !== undefined && performance.now() - t0 > opts.seconds * 1000) break;
            }
            const ms = (performance.now() - t0) / done;
            const cpu = process.cpuUsage(cpu0);
            if (e.workers === 0 && e.engine.startsWith('tfjs')) tfjsMs = ms;
            else if (!e.adapter) wasmMs = Math.min(wasmMs, ms);
            const row: AdamBenchRow = {
              bench: 'adam', size, start, batch: adam.batchSize, hidden: nca.hidden, steps: `${cfg.stepsMin}-${cfg.stepsMax}`,
              meanSteps: Math.round((stepsSum / done) * 10) / 10, engine: e.engine, workers: e.workers, iterations: done,
              msPerIteration: Math.round(ms * 10) / 10, iterationsPerSec: Math.round((1000 / ms) * 100) / 100,
              cpuMsPerIteration: Math.round(((cpu.user + cpu.system) / 1000 / done) * 10) / 10,
              speedupVsTfjs: tfjsMs === null ? null : Math.round((tfjsMs / ms) * 100) / 100, checkpointEvery: trainer.checkpointEvery,
              adapter: e.adapter ?? null, speedupVsWasm: e.adapter && wasmMs < Infinity ? Math.round((wasmMs / ms) * 100) / 100 : null,
            };
            out.json(row);
            rows.push(row);
          } finally {
            trainer.dispose();
          }
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  out.table(`Adam iterations (batch 8; thesis-adam below 40 px, M's model from 40 px; tfjs on ${backend}, fused = ${fused}${gpu ? `, webgpu on ${adapterLabel(gpu)}` : ''})`,
    ['size', 'start', 'engine', 'steps', 'mean steps', 'ms/iteration', 'iterations/s', 'vs tfjs', 'vs wasm', 'CPU ms/it. (this process)', 'grad. checkpoint'],
    rows.map((r) => [`${r.size}×${r.size}`, r.start, r.engine, r.steps, r.meanSteps, r.msPerIteration, r.iterationsPerSec,
      r.speedupVsTfjs === null ? '—' : `×${r.speedupVsTfjs}`, r.speedupVsWasm === null ? '—' : `×${r.speedupVsWasm}`, r.cpuMsPerIteration,
      r.checkpointEvery ? `every ${r.checkpointEvery} steps` : 'none']));
  return rows;
}
