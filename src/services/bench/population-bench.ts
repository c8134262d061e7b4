/**
 * Population-evaluation throughput (the fused kernel against the tfjs strategies, spec c.8): mutants/s of `evaluatePopulation` for
 * each strategy (fused SIMD kernel, tfjs loop per member, tfjs batched) at 9, 15 and 40 px, 35 steps. `backend`
 * says what computed each row: `fused-wasm-simd` for the fused kernel, the tfjs backend for the tfjs strategies.
 * Two start conditions bracket real training: `seed` (growth from the single seed cell, as in every ES rollout;
 * the pattern fills in over the steps) and `grown` (every cell alive and non-zero: the worst case for the fused
 * kernel, which skips empty neighbourhoods).
 *
 * Every rate is printed beside the SIMD peak measured in the same run (`simdPeak`: the best of the kernel's
 * tight f32x4 mul+add loops, see scripts/kernel-wat-step.ts), as a fraction of it:
 *  - `gflops` counts the nominal dense work (every cell, every step), so it is comparable across strategies;
 *    the fused kernel skips cells that do not fire (half of them at fire rate 0.5), which is why it can exceed
 *    the dense rate and the peak;
 *  - `executedGflops` (fused only) counts the cells the kernel really ran the MLP on: how close the kernel
 *    itself is to the hardware.
 * Rates are per CPU-second of this process (process.cpuUsage), beside the wall-clock mutants/s: on a shared
 * machine the wall clock measures the neighbours too, while CPU time measures the work, and the peak is taken
 * the same way, so the ratios hold under load.
 */
import type { BenchIo } from './bench-io';
import { THESIS_ES_MODEL, initParams, paramLayout, type NcaConfig } from '../../core/nca/config';
import { evaluatePopulation, type PopulationStrategy } from '../../core/nca/population';
// the tfjs strategies (loop, batched) register themselves
import '../../core/nca/population-tfjs';
import { FusedNca, fusedBackendName } from '../../core/nca/fused';
import { mlpKernel } from '../../core/nca/mlp-kernel';
import { makeSeed, type StateBatch } from '../../core/nca/state';
import { Philox } from '../../core/rng/philox';

export interface PopulationBenchOptions {
  backend: string;
  sizes?: number[];
  population?: number;
  strategies?: PopulationStrategy[];
  starts?: ('seed' | 'grown')[];
  /** minimum measuring time per case */
  seconds?: number;
}

export interface PopulationBenchRow {
  bench: 'population';
  backend: string;
  strategy: PopulationStrategy;
  start: 'seed' | 'grown';
  size: number;
  population: number;
  steps: number;
  /** wall clock */
  mutantsPerSec: number;
  /** per CPU-second of this process */
  mutantsPerCpuSec: number;
  /** nominal dense GFLOP per CPU-second */
  gflops: number;
  /** GFLOP per CPU-second of the cells the fused kernel evaluated (null for the tfjs strategies) */
  executedGflops: number | null;
  /** the SIMD peak measured in this run, GFLOP per CPU-second */
  simdPeak: number;
  /** gflops / simdPeak */
  ofPeak: number;
  /** executedGflops / simdPeak */
  executedOfPeak: number | null;
  /** resident set of this process after the case, MB */
  rssMb: number;
}

/** Nominal FLOP of one rollout (dense): per cell-step, perception (2 kernels × 9 taps × 2) + the two layers. */
export function rolloutFlop(cfg: NcaConfig, cells: number, steps: number): number {
  const perCell = 2 * 9 * 2 * cfg.channels + 2 * (3 * cfg.channels * cfg.hidden + cfg.hidden * cfg.channels);
  return perCell * cells * steps;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export interface SimdPeak {
  /** GFLOP per CPU-second (a mul+add pair on f32x4 = 8 FLOP) */
  gflops: number;
  /** accumulator count of the best loop */
  chains: number;
}

/**
 * The f32x4 mul+add peak of this engine on one core: each of the kernel's peak loops (8, 10, 12 accumulators)
 * warmed up (compiled by the optimising tier), then timed `repeats` times; the best of all.
 */
export function measureSimdPeak(iterations = 2_000_000, repeats = 3): SimdPeak {
  const k = mlpKernel();
  if (!k) return { gflops: NaN, chains: 0 };
  let best: SimdPeak = { gflops: 0, chains: 0 };
  for (const [chains, loop] of k.peak) {
    for (let w = 0; w < 50; w++) loop(10_000);
    for (let r = 0; r < repeats; r++) {
      const t0 = cpuSeconds();
      loop(iterations);
      const sec = cpuSeconds() - t0;
      const gflops = (iterations * chains * 8) / sec / 1e9;
      if (sec > 0 && gflops > best.gflops) best = { gflops, chains };
    }
  }
  return best;
}

function benchParams(cfg: NcaConfig, seed: number): Float32Array {
  const rng = new Philox(seed);
  const p = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  // a small non-zero layer 2 so the rollout actually grows (a fresh model's layer 2 is zero: nothing happens)
  for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
  return p;
}

function grownState(size: number): StateBatch {
  const s = makeSeed(size, size);
  const r = new Philox(99);
  for (let i = 0; i < s.data.length; i++) s.data[i] = i % 16 === 3 ? 0.5 + 0.5 * r.uniform() : r.uniform() - 0.25;
  return s;
}

export async function benchPopulation(opts: PopulationBenchOptions, io: BenchIo): Promise<PopulationBenchRow[]> {
  const cfg = THESIS_ES_MODEL;
  const steps = 35;
  const rows: PopulationBenchRow[] = [];
  const peakStart = measureSimdPeak();
  io.note(`SIMD peak (f32x4 mul+add, ${peakStart.chains} accumulators): ${round(peakStart.gflops, 1)} GFLOP per CPU-second`);
  let peak = peakStart.gflops;
  const perCellFlop = rolloutFlop(cfg, 1, 1);
  for (const size of opts.sizes ?? [9, 15, 40]) {
    const population = opts.population ?? 40;
    const paramsList = Array.from({ length: population }, (_, i) => benchParams(cfg, i + 1));
    const target = new Float32Array(size * size * 4);
    for (const start of opts.starts ?? ['seed', 'grown']) {
      const x0 = start === 'seed' ? makeSeed(size, size) : grownState(size);
      for (const strategy of opts.strategies ?? ['fused', 'loop', 'batched']) {
        // the batched tfjs program at 40 px is minutes per case on wasm; measure it on a small population
        const P = strategy === 'batched' && size >= 40 ? Math.min(population, 8) : population;
        const run = () => evaluatePopulation({
          cfg, paramsList: paramsList.slice(0, P), startStates: x0, steps: new Array(P).fill(steps),
          rng: (i) => new Philox(7, i), target, strategy,
        });
        run(); // warm-up: kernels compiled, buffers allocated
        let mutants = 0;
        const cells0 = FusedNca.cellsEvaluatedTotal;
        const cpu0 = cpuSeconds();
        const t0 = performance.now();
        do {
          run();
          mutants += P;
        } while (performance.now() - t0 < (opts.seconds ?? 1.5) * 1000);
        const sec = (performance.now() - t0) / 1000;
        const cpu = cpuSeconds() - cpu0;
        const cellsDone = FusedNca.cellsEvaluatedTotal - cells0;
        const gflops = (mutants / cpu) * rolloutFlop(cfg, size * size, steps) / 1e9;
        const executed = strategy === 'fused' ? (cellsDone * perCellFlop) / cpu / 1e9 : null;
        rows.push({
          bench: 'population', backend: strategy === 'fused' ? fusedBackendName() : opts.backend, strategy, start, size, population: P, steps,
          mutantsPerSec: round(mutants / sec, 1),
          mutantsPerCpuSec: round(mutants / cpu, 1),
          gflops: round(gflops, 2),
          executedGflops: executed === null ? null : round(executed, 2),
          simdPeak: round(peak, 1),
          ofPeak: round(gflops / peak, 3),
          executedOfPeak: executed === null ? null : round(executed / peak, 3),
          rssMb: round(process.memoryUsage.rss() / 2 ** 20, 1),
        });
        io.json(rows[rows.length - 1]);
      }
    }
  }
  // the peak again at the end: the ratios use the best of the two (the machine's ceiling, not its worst moment)
  const peakEnd = measureSimdPeak();
  io.note(`SIMD peak again at the end: ${round(peakEnd.gflops, 1)} GFLOP per CPU-second`);
  if (peakEnd.gflops > peak) {
    peak = peakEnd.gflops;
    for (const r of rows) {
      r.simdPeak = round(peak, 1);
      r.ofPeak = round(r.gflops / peak, 3);
      r.executedOfPeak = r.executedGflops === null ? null : round(r.executedGflops / peak, 3);
    }
  }
  const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)}%`);
  io.table(`Population evaluation (one process, 35 steps, hidden 32; rates per CPU-second; SIMD peak ${round(peak, 1)} GFLOP/s)`,
    ['size', 'start', 'strategy', 'population', 'mutants/s', 'mutants/cpu-s', 'GFLOP/s', 'of peak', 'executed', 'of peak'],
    rows.map((r) => [r.size, r.start, r.strategy, r.population, r.mutantsPerSec, r.mutantsPerCpuSec, r.gflops, pct(r.ofPeak),
      r.executedGflops ?? '-', pct(r.executedOfPeak)]));
  io.note(`RSS ${rows.length ? rows[rows.length - 1].rssMb : round(process.memoryUsage.rss() / 2 ** 20, 1)} MB`);
  return rows;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
