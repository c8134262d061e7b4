/**
 * Population-evaluation throughput (issue "Foundation" §8): mutants/s of `evaluatePopulation` for each
 * strategy (fused SIMD kernel, tfjs loop per member, tfjs batched) at 9, 15 and 40 px, 35 steps. `backend`
 * says what computed each row: `fused-wasm-simd` for the fused kernel, the tfjs backend for the tfjs strategies. Two start conditions bracket real training: `seed` (growth from the single seed cell, as
 * in every ES rollout; the pattern fills in over the steps) and `grown` (every cell alive and non-zero: the
 * worst case for the fused kernel, which skips empty neighbourhoods).
 * `gflops` counts the nominal dense work (every cell, every step), so it is comparable across strategies;
 * the fused kernel skips cells that do not fire, which is why it can exceed the dense rate.
 */
import type { BenchIo } from './bench-io';
import { THESIS_ES_MODEL, initParams, paramLayout, type NcaConfig } from '../../core/nca/config';
import { evaluatePopulation, type PopulationStrategy } from '../../core/nca/population';
import { fusedBackendName } from '../../core/nca/fused';
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
  mutantsPerSec: number;
  gflops: number;
}

/** Nominal FLOP of one rollout (dense): per cell-step, perception (2 kernels × 9 taps × 2) + the two layers. */
export function rolloutFlop(cfg: NcaConfig, cells: number, steps: number): number {
  const perCell = 2 * 9 * 2 * cfg.channels + 2 * (3 * cfg.channels * cfg.hidden + cfg.hidden * cfg.channels);
  return perCell * cells * steps;
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
        const t0 = performance.now();
        do {
          run();
          mutants += P;
        } while (performance.now() - t0 < (opts.seconds ?? 1.5) * 1000);
        const sec = (performance.now() - t0) / 1000;
        const mutantsPerSec = mutants / sec;
        const row: PopulationBenchRow = {
          bench: 'population', backend: strategy === 'fused' ? fusedBackendName() : opts.backend, strategy, start, size, population: P, steps,
          mutantsPerSec: round(mutantsPerSec, 1),
          gflops: round((mutantsPerSec * rolloutFlop(cfg, size * size, steps)) / 1e9, 2),
        };
        rows.push(row);
        io.json(row);
      }
    }
  }
  io.table('Population evaluation (one process, 35 steps, hidden 32)', ['size', 'start', 'strategy', 'population', 'mutants/s', 'GFLOP/s'],
    rows.map((r) => [r.size, r.start, r.strategy, r.population, r.mutantsPerSec, r.gflops]));
  return rows;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
