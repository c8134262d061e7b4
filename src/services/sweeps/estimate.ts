/**
 * How long a sweep will take, before it starts: each configuration's unit of work is measured here and now on
 * one core (an ES generation: population × batch rollouts of the mean step count; an Adam iteration: one batch's
 * BPTT gradient), on a state with every cell alive (as late in training: a young pattern's dead cells are
 * skipped, so early generations are faster and the estimate errs long). Runs share the cores as the scheduler
 * shares them (worker-share.ts: the runs at once split the cores). A stop rule in seconds caps a run's time.
 */
import { availableParallelism } from 'node:os';
import { computeAdamGradientSlice } from '../../core/adam/gradient-slice';
import { initParams } from '../../core/nca/config';
import { FusedNca, FusedScratch } from '../../core/nca/fused';
import type { StateBatch } from '../../core/nca/state';
import { Philox } from '../../core/rng/philox';
import { halvingCost } from '../../core/sweeps/halving';
import { GROWTH_EVAL_STEPS } from '../../shared/metrics';
import type { Target } from '../../core/targets/target';
import type { SweepPlan } from '../../shared/sweep-plan';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import { OPTIMIZERS, optimizerOf } from '../../shared/optimizers';
import { counted } from '../../shared/words';

export interface SweepEstimate {
  /** wall seconds for the whole sweep; null when it cannot be told */
  seconds: number | null;
  /** how it was worked out, in a sentence */
  basis: string;
}

function aliveStates(n: number, h: number, w: number, c: number): StateBatch {
  const r = new Philox(7, 13);
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = i % c === 3 ? 0.2 + r.uniform() : (r.uniform() - 0.5) * 0.5;
  return { n, height: h, width: w, channels: c, data };
}

function timeIt(work: () => void, minMs = 40): number {
  const t0 = performance.now();
  let n = 0;
  do {
    work();
    n++;
  } while (performance.now() - t0 < minMs && n < 1000);
  return (performance.now() - t0) / 1000 / n;
}

/** Seconds of one CA step on one core for this config's model and canvas, every cell alive. */
function stepSeconds(cfg: RunConfig): number {
  const nca = ncaConfigOf(cfg);
  const side = cfg.target.size + 2 * cfg.target.padding;
  const r = new Philox(1, 3);
  const params = initParams(nca, cfg.model.init, () => r.uniform());
  // a non-zero layer 2, so the cells change (the step kernel skips nothing)
  const model = new FusedNca(nca, params.map((v, i) => (v === 0 ? ((i % 7) - 3) * 1e-3 : v)));
  const s = aliveStates(1, side, side, nca.channels);
  const scratch = new FusedScratch(s);
  const rng = new Philox(2, 5);
  const steps = 8;
  return timeIt(() => {
    for (let k = 0; k < steps; k++) model.step(s, rng, scratch);
  }) / steps;
}

/** Seconds of one Adam iteration's gradient on one core. */
function adamIterationSeconds(cfg: Extract<RunConfig, { optimizer: 'adam' }>, target: Target): number {
  const nca = ncaConfigOf(cfg);
  const params = initParams(nca, cfg.model.init, () => 0.3);
  const steps = Math.round((cfg.stepsMin + cfg.stepsMax) / 2);
  const x0 = aliveStates(cfg.adam.batchSize, target.height, target.width, nca.channels);
  const fire = new Philox(3, 1).getState();
  return timeIt(() => {
    computeAdamGradientSlice({ cfg: nca, target, params, x0, steps, fire: { stream: fire, batchSize: x0.n, sampleStart: 0 }, checkpointEvery: 0, maxSteps: cfg.stepsMax });
  }, 60);
}

/** One training step (generation or iteration) of this config on one core, with its share of growth evaluations. */
function unitSeconds(cfg: RunConfig, target: Target, cache: Map<string, number>): number {
  const key = JSON.stringify([cfg.optimizer, cfg.model, cfg.target.size, cfg.target.padding, cfg.stepsMin, cfg.stepsMax, cfg.optimizer === 'es' ? [cfg.es.population, cfg.es.batchSize] : cfg.adam.batchSize]);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const step = stepSeconds(cfg);
  // a growth evaluation rolls out the longest growth metric (shared/metrics.ts)
  const evalShare = (GROWTH_EVAL_STEPS * step) / cfg.evalEvery;
  const mean = (cfg.stepsMin + cfg.stepsMax) / 2;
  const unit = cfg.optimizer === 'es'
    ? cfg.es.population * cfg.es.batchSize * mean * step + evalShare
    : adamIterationSeconds(cfg, target) + evalShare;
  cache.set(key, unit);
  return unit;
}

/**
 * The sweep's wall time: per run, its steps × its unit over the workers its share of the cores gives it (capped
 * by a stop rule in seconds); the runs at once train side by side. With successive halving, the budget the
 * rungs spend (core/sweeps/halving.ts) instead of every run's full one.
 */
export function estimateSweep(plan: SweepPlan, targets: (cfg: RunConfig) => Target, opts: { cores?: number; atOnce: number }): SweepEstimate {
  const cores = Math.max(1, opts.cores ?? availableParallelism());
  const atOnce = Math.max(1, Math.min(opts.atOnce, plan.runs.length));
  const perRunCores = Math.max(1, Math.floor(cores / atOnce));
  const cache = new Map<string, number>();
  let total = 0;
  for (const run of plan.runs) {
    const cfg = run.config;
    const workers = Math.max(1, Math.min(perRunCores, optimizerOf(cfg).workerCap(cfg)));
    const unit = unitSeconds(cfg, targets(cfg), cache) / workers;
    const byCount = cfg.stop.maxGenerations !== null ? cfg.stop.maxGenerations * unit : Infinity;
    total += Math.min(byCount, cfg.stop.maxSeconds ?? Infinity);
  }
  const scale = plan.rungs ? halvingCost(plan.rungs, plan.groups.length) / plan.groups.length : 1;
  const seconds = (total * scale) / atOnce;
  const units = [...new Set(plan.runs.map((r) => OPTIMIZERS[r.config.optimizer].unit))].join(' / ');
  const halving = plan.rungs ? `; successive halving spends ${(scale * plan.groups.length).toFixed(1)} of ${plan.groups.length} configurations' full budgets` : '';
  return {
    seconds: Number.isFinite(seconds) ? seconds : null,
    basis: `each ${units} measured here on one core with every cell alive (a young pattern is faster); ${counted(atOnce, 'run')} at once on ${cores} cores${halving}; not counted: starting each run's worker processes (a few seconds per run)`,
  };
}
