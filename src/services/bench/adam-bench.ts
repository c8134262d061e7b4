/**
 * `nca-lab bench adam` (issue "Adam" §7): ms per Adam iteration and iterations/s on the backend in use, for
 * thesis-adam at 9×9 and 15×15 (batch 8, hidden 32, 30–39 CA steps, pool "worst after rollout → seed") and M's
 * 72×72 (batch 8, hidden 128 with both biases, 64–95 steps, gradient normalisation, gradient checkpointing as
 * the trainer chooses it). Each iteration is the trainer's: pool draw, BPTT step, Adam update, pool write-back,
 * with the step count drawn per iteration from the run's stream, as in training. No disk, no evaluation.
 *
 * Sizes below 40 use the thesis-adam model and steps, sizes from 40 up M's. The target is a synthetic disc
 * (compute does not depend on the picture).
 */
import * as tf from '@tensorflow/tfjs';
import { configFromPreset, ncaConfigOf, type AdamRunConfig } from '../../shared/training-config';
import { initParams } from '../../core/nca/config';
import { makeSeed } from '../../core/nca/state';
import { AdamBptt } from '../../core/adam/bptt';
import { runStream, StreamPurpose } from '../../core/rng/run-streams';
import { drawBatch, seedPool, writeBack } from '../../core/adam/sample-pool';
import { learningRateAt } from '../../core/adam/schedule';
import { benchIo } from './bench-io';

export interface AdamBenchOptions {
  /** measured iterations per case (default 20 for thesis sizes, 2 for M's) */
  iterations?: number;
  /** canvas sizes (default 9, 15, 72) */
  sizes?: number[];
  /** print only the JSON lines */
  json: boolean;
}

export interface AdamBenchRow {
  bench: 'adam';
  size: number;
  batch: number;
  hidden: number;
  /** the CA step range per iteration, e.g. "30-39" */
  steps: string;
  /** mean step count of the measured iterations */
  meanSteps: number;
  msPerIteration: number;
  iterationsPerSec: number;
  /**
   * CPU time of this process per iteration (user + system): close to the wall time on an idle core, and the
   * figure to read when other work shares the machine (wall time then includes waiting for a core)
   */
  cpuMsPerIteration: number;
  /** steps per gradient-checkpoint segment, 0 = none */
  checkpointEvery: number;
  backend: string;
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

export async function benchAdam(opts: AdamBenchOptions, io: { out(line: string): void; err(line: string): void }): Promise<AdamBenchRow[]> {
  const out = benchIo(io, opts.json);
  const backend = tf.getBackend();
  const sizes = opts.sizes ?? [9, 15, 72];
  const rows: AdamBenchRow[] = [];
  for (const size of sizes) {
    const cfg = adamBenchConfig(size);
    const nca = ncaConfigOf(cfg);
    const adam = cfg.adam;
    const small = size < 40;
    const warmup = small ? 3 : 1;
    const measured = opts.iterations ?? (small ? 20 : 2);
    const target = { rgba: discTarget(size), height: size, width: size };
    const init = runStream(cfg.seed, 0, StreamPurpose.Init);
    const trainer = new AdamBptt(nca, adam, initParams(nca, cfg.model.init, () => init.uniform()), target, { maxSteps: cfg.stepsMax });
    const seed = makeSeed(size, size, nca.channels, 1);
    const pool = adam.pool.kind === 'none' ? null : seedPool(seed, adam.pool.size);
    let stepsSum = 0;
    const iterate = (it: number) => {
      const steps = runStream(cfg.seed, it, StreamPurpose.Steps).int(cfg.stepsMin, cfg.stepsMax + 1);
      const batch = drawBatch(adam.pool.kind, pool, adam.batchSize, seed, target.rgba, adam.pool.damageN, {
        pool: runStream(cfg.seed, it, StreamPurpose.Pool), damage: runStream(cfg.seed, it, StreamPurpose.Damage),
      });
      const r = trainer.iterate(batch.x0, steps, runStream(cfg.seed, it, StreamPurpose.FireMasks), learningRateAt(adam, it));
      if (r.applied) writeBack(adam.pool.kind, pool, batch, r.finals, r.sampleLosses, seed);
      return steps;
    };
    try {
      out.note(`adam ${size}×${size}: ${warmup} warm-up + ${measured} measured iterations…`);
      for (let i = 1; i <= warmup; i++) iterate(i);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 1; i <= measured; i++) stepsSum += iterate(warmup + i);
      const ms = (performance.now() - t0) / measured;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / measured;
      const row: AdamBenchRow = {
        bench: 'adam', size, batch: adam.batchSize, hidden: nca.hidden, steps: `${cfg.stepsMin}-${cfg.stepsMax}`,
        meanSteps: Math.round((stepsSum / measured) * 10) / 10, msPerIteration: Math.round(ms * 10) / 10,
        iterationsPerSec: Math.round((1000 / ms) * 100) / 100, cpuMsPerIteration: Math.round(cpuMs * 10) / 10, checkpointEvery: trainer.checkpointEvery, backend,
      };
      out.json(row);
      rows.push(row);
    } finally {
      trainer.dispose();
    }
  }
  out.table(`Adam iterations on ${backend} (batch 8; thesis-adam below 40 px, M's model from 40 px)`,
    ['size', 'hidden', 'steps', 'mean steps', 'ms/iteration', 'iterations/s', 'CPU ms/iteration', 'grad. checkpoint'],
    rows.map((r) => [`${r.size}×${r.size}`, r.hidden, r.steps, r.meanSteps, r.msPerIteration, r.iterationsPerSec, r.cpuMsPerIteration,
      r.checkpointEvery ? `every ${r.checkpointEvery} steps` : 'none']));
  return rows;
}
