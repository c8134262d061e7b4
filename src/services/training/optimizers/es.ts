/**
 * Evolution Strategies as an optimizer of the training loop: the master of thesis Algorithm 2 (spec c.2). Each
 * generation draws the start batch (seed or sample pool, spec e), has the evaluator score every member, shapes
 * the fitness (c.3), has the weighted noise sums the strategy asks for formed where the noise is cheap to rebuild
 * in parallel (the workers, core/es/noise-sums.ts), lets the run's strategy update θ (c.4 with the c.5 decay, or
 * the lab's OpenAI-ES with Adam, PGPE, SNES: the rows of shared/run-config/es-rules.ts) and writes the best member's states back to the
 * pool. Every random number derives
 * from (seed, generation), so a resumed run retraces the trajectory of an uninterrupted one exactly.
 *
 * A session computes on a WorkerPool (one worker process per core), in this process, or on the cluster
 * (es-cluster.ts); the evaluator hides which.
 */
import { availableParallelism } from 'node:os';
import { esStrategyFor, ncaConfigOf, type EsRunConfig, type RunConfig } from '../../../shared/training-config';
import { makeSeed, stackStates, type StateBatch } from '../../../core/nca/state';
import { centredRankShaping } from '../../../core/es/shaping';
import { GenerationNoise } from '../../../core/es/update';
import { PopulationNoise, type EsStrategy } from '../../../core/es/strategy';
import { localNoiseSums } from '../../../core/es/noise-sums';
import { runStream, StreamPurpose } from '../../../core/rng/run-streams';
import { drawFromPool, commitToPool } from '../../../core/es/sample-pool';
import { fusedBackendName } from '../../../core/nca/fused';
import { WorkerPool } from '../../workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner } from '../../workers/spawners';
import type { LabJobs } from '../../workers/lab-jobs';
import type { LabStore } from '../../store/lab-store';
import { EvaluationPaused, InProcessEsEvaluator, PoolEsEvaluator, esObjectiveSettings, type EsEvaluator, type EsRunSettings, type NoiseSumsRunner } from '../es-evaluator';
import type { EsMasterProbe } from '../es-master-probe';
import type { TrainerContext, TrainOutcome } from '../context';
import { runTrainingLoop } from '../training-loop';

import { runEsOnCluster } from './es-cluster';
import { restartLine } from './worker-lines';
import { resolveEngine } from '../../compute/engine-choice';
import type { GpuAdapterReport } from '../../compute/gpu-adapters';
import type { ComputeRecord } from '../../../shared/compute-engine';
import { freshParams, type OptimizerPlugin, type OptimizerStart, type SessionStart, type StepResult, type TrainingOptimizer } from './optimizer';
import { counted } from '../../../shared/words';

/** What computes the ES population: the fused WebAssembly SIMD kernel, or its plain TypeScript fallback. */
export const esComputeBackend = fusedBackendName;

function asEs(cfg: RunConfig, runId: string): EsRunConfig {
  if (cfg.optimizer !== 'es') throw new Error(`ES: run ${runId} is an ${cfg.optimizer} run`);
  return cfg;
}

/** ES's state in the loop: the strategy (θ, σ, its own moments), the sample pool, the evaluator. */
class EsOptimizer implements TrainingOptimizer {
  private readonly seedBatch: StateBatch;

  constructor(
    private readonly cfg: EsRunConfig,
    private readonly target: TrainerContext['target'],
    private readonly strategy: EsStrategy,
    private readonly pool: StateBatch | null,
    private readonly evaluator: EsEvaluator,
    /** where the master's time goes (nca-lab bench es); absent in a normal session */
    private readonly probe: EsMasterProbe | null = null,
  ) {
    this.seedBatch = makeSeed(target.height, target.width, cfg.model.channels, cfg.es.batchSize);
  }

  params(): Float32Array {
    return this.strategy.ask().center;
  }

  async step(g: number): Promise<StepResult> {
    const { cfg, pool, strategy, probe } = this;
    const es = cfg.es;
    probe?.begin();
    const draw = pool ? drawFromPool(pool, es.batchSize, this.seedBatch, this.target.rgba, runStream(cfg.seed, g, StreamPurpose.Pool, 0)) : null;
    const { center, sigma } = strategy.ask();
    probe?.lap('ask');
    const pending = this.evaluator.evaluate({ generation: g, params: center, sigma, x0: draw ? draw.x0 : this.seedBatch, wantBest: !!pool });
    probe?.lap('send');
    // the update's noise sums: the workers form them beside the population (the master's serial part of a
    // generation stays well under a millisecond); otherwise (a cluster) the master builds the noise while the
    // workers evaluate, once the jobs are on their way, and sums it after
    const sumsBeside = this.evaluator.noiseSums?.bind(this.evaluator);
    let prebuilt: GenerationNoise | null = null;
    if (!sumsBeside && this.evaluator.workers > 0 && !this.evaluator.inProcess) {
      if (this.evaluator.dispatched) await this.evaluator.dispatched();
      prebuilt = GenerationNoise.forPopulation(cfg.seed, g, es.population, es.mirrored, center.length);
    }
    probe?.lap('noise');
    let out: Awaited<typeof pending>;
    try {
      out = await pending;
    } catch (err) {
      // the cluster is away: the loop keeps what is done (a checkpoint at generation g − 1) and pauses
      if (err instanceof EvaluationPaused) return { kind: 'paused', reason: err.message };
      throw err;
    }
    probe?.lap('wait');
    const bad = out.losses.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) return { kind: 'failed', reason: `fitness of member ${bad} is ${out.losses[bad]}` };
    const fitness = out.losses.map((l) => -l);
    const result = { generation: g, fitness, shaped: centredRankShaping(fitness), mirrored: es.mirrored };
    const requests = strategy.noiseSums(result);
    probe?.lap('rank');
    let sums: Float64Array[];
    if (sumsBeside) {
      const asked = sumsBeside({ generation: g, dim: center.length, requests });
      probe?.lap('sums');
      sums = await asked;
      probe?.lap('sumsWait');
    } else {
      sums = localNoiseSums(new PopulationNoise(cfg.seed, g, es.population, es.mirrored, center.length, prebuilt), requests);
      probe?.lap('sums');
    }
    const { lr } = strategy.tell({ ...result, sums });
    probe?.lap('tell');
    if (!strategy.ask().center.every(Number.isFinite)) return { kind: 'failed', reason: 'the update made the parameters non-finite' };
    if (pool && draw && out.best) commitToPool(pool, draw.indices, out.best.final, es.pool.kind === 'thesis' ? 'thesis' : 'mordvintsev', cfg.model.aliveThreshold);
    const loss = out.losses.reduce((a, b) => a + b, 0) / out.losses.length;
    const bestLoss = Math.min(...out.losses);
    probe?.end();
    return { kind: 'done', loss, bestLoss, lr, rollouts: es.population * es.batchSize };
  }

  async checkpointState() {
    const state = this.strategy.checkpointState();
    return { arrays: state.arrays, scalars: state.scalars, pool: this.pool, rng: null };
  }

  dispose(): void {}
}

/** The ES optimizer of a run, fresh (freshParams: the init stream of the seed or the start model) or restored from the loop's checkpoint. */
export function openEs(start: OptimizerStart, evaluator: EsEvaluator, probe: EsMasterProbe | null = null): TrainingOptimizer {
  const { ctx, checkpoint } = start;
  const cfg = asEs(ctx.config, ctx.runId);
  const es = cfg.es;
  const nca = ncaConfigOf(cfg);
  let strategy: EsStrategy;
  let pool: StateBatch | null = null;
  if (checkpoint) {
    strategy = esStrategyFor(cfg).restore(cfg, checkpoint.params, checkpoint);
    pool = checkpoint.pool;
  } else {
    strategy = esStrategyFor(cfg).create(cfg, freshParams(start));
    if (es.pool.kind !== 'none') {
      const seedOne = makeSeed(ctx.target.height, ctx.target.width, nca.channels, 1);
      pool = stackStates(Array.from({ length: es.pool.size }, () => seedOne));
    }
  }
  if (es.pool.kind !== 'none' && !pool) throw new Error(`run ${ctx.runId}: the checkpoint has no sample pool but the config asks for one`);
  return new EsOptimizer(cfg, ctx.target, strategy, pool, evaluator, probe);
}

export interface EsTrainerDeps {
  store: LabStore;
  evaluator: EsEvaluator;
  /** for tests: called after each generation with θ */
  onGeneration?: (generation: number, params: Float32Array) => void;
}

/** One ES session of the loop on this evaluator. */
export function trainEs(ctx: TrainerContext, deps: EsTrainerDeps): Promise<TrainOutcome> {
  return runTrainingLoop(ctx, {
    store: deps.store,
    open: (start) => openEs(start, deps.evaluator),
    onStep: deps.onGeneration ? (g, opt) => deps.onGeneration!(g, opt.params()) : undefined,
  });
}

/** What every ES member's evaluation needs of the run, fixed for the whole run. */
export function esRunSettings(config: EsRunConfig, target: TrainerContext['target']): EsRunSettings {
  return {
    cfg: ncaConfigOf(config), seed: config.seed, population: config.es.population, target: target.rgba,
    sigma: config.es.sigma, mirrored: config.es.mirrored, commonRandomNumbers: config.es.commonRandomNumbers,
    perMemberSteps: config.es.perMemberSteps, stepsMin: config.stepsMin, stepsMax: config.stepsMax,
    ...esObjectiveSettings(config.es.objective),
  };
}

/** The evaluator of a session on this machine's worker processes (Algorithm 2: one slice job per worker). */
export function workerPoolEvaluator(settings: EsRunSettings, pool: WorkerPool<LabJobs>): PoolEsEvaluator {
  return new PoolEsEvaluator(settings, { size: pool.size, map: (payloads) => pool.map('es-slice', payloads), sums: noiseSumsOn(pool) });
}

/**
 * The evaluator of a GPU session: the whole population one slice for the worker that holds the device on
 * `adapter` ('es-gpu-slice'), the update's noise sums formed by `sumsPool`'s CPU workers.
 */
export function gpuPoolEvaluator(settings: EsRunSettings, gpuPool: WorkerPool<LabJobs>, sumsPool: WorkerPool<LabJobs>, adapter: GpuAdapterReport): PoolEsEvaluator {
  return new PoolEsEvaluator(settings, {
    size: 1, map: (payloads) => gpuPool.map('es-gpu-slice', payloads.map((p) => ({ ...p, adapter }))), sums: noiseSumsOn(sumsPool),
  });
}

/** The pool's workers form the update's noise sums, one range of parameters each. */
function noiseSumsOn(pool: WorkerPool<LabJobs>): NoiseSumsRunner {
  return { size: pool.size, map: (payloads) => pool.map('es-noise-sums', payloads) };
}

export const esPlugin: OptimizerPlugin = {
  id: 'es',
  async runSession({ opts, store, config: anyConfig, target, log }: SessionStart): Promise<TrainOutcome> {
    const config = asEs(anyConfig, opts.runId);
    const requested = opts.workers ?? (config.es.workers || availableParallelism());
    const settings = esRunSettings(config, target);
    const ctxBase = { workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress, onLog: opts.onLog };
    const choice = opts.engine ?? config.engine;
    if (opts.cluster) {
      // the cluster's workers compute on their CPUs
      if (choice === 'webgpu') throw new Error('engine webgpu computes on this machine\'s GPU; a cluster run evaluates on its workers\' CPUs (use --engine wasm or auto)');
      const compute: ComputeRecord = { engine: 'wasm', adapter: null, reason: 'a cluster run evaluates on its workers\' CPUs' };
      const train = (backend: string, evaluator: EsEvaluator) => trainEs({ ...ctxBase, backend, compute }, { store, evaluator });
      return runEsOnCluster({ opts, store, settings, train, url: opts.cluster, localWorkers: requested, log });
    }
    const engine = await resolveEngine(choice);
    log(`compute engine: ${engine.record.engine}${engine.record.adapter ? ` on ${engine.record.adapter}` : ''} (${engine.record.reason})`);
    if (engine.adapter) return runEsOnGpu({ opts, store, settings, ctxBase, log }, engine.record, engine.adapter, requested);
    const compute = engine.record;
    if (requested <= 0) {
      return trainEs({ ...ctxBase, backend: `${esComputeBackend()} (in process)`, compute, workers: 0 }, { store, evaluator: new InProcessEsEvaluator(settings) });
    }
    const pool = new WorkerPool<LabJobs>({
      size: Math.min(requested, config.es.population), spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS,
      init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: (info) => log(restartLine(info)),
    });
    try {
      await pool.start();
      log(`${counted(pool.size, 'worker process', 'worker processes')} ready (population evaluation on ${esComputeBackend()}; tfjs ${pool.backend})`);
      const evaluator = workerPoolEvaluator(settings, pool);
      return await trainEs({ ...ctxBase, backend: `${esComputeBackend()} ×${counted(pool.size, 'worker')}`, compute, workers: pool.size }, { store, evaluator });
    } finally {
      await pool.close();
    }
  },
};

interface GpuSessionParts {
  opts: SessionStart['opts'];
  store: LabStore;
  settings: EsRunSettings;
  ctxBase: Omit<TrainerContext, 'backend' | 'compute'>;
  log: (line: string) => void;
}

/**
 * ES on the GPU: the whole population of a generation is one slice, evaluated by one worker process that holds
 * the WebGPU device (or this process with --workers 0). The update's noise sums are formed on the CPU cores the
 * run was given, by as many worker processes, so the master's serial part stays as small as on the wasm engine
 * (and the sums, bit for bit those of the wasm engine, never wait for the GPU).
 */
async function runEsOnGpu(parts: GpuSessionParts, compute: ComputeRecord, adapter: GpuAdapterReport, requested: number): Promise<TrainOutcome> {
  const { opts, store, settings, ctxBase, log } = parts;
  const backend = `webgpu on ${compute.adapter}`;
  if (requested <= 0) {
    const { GpuDevice } = await import('../../compute/gpu-device');
    const { GpuEsPopulation } = await import('../../compute/gpu-es');
    const device = await GpuDevice.open(adapter);
    const population = new GpuEsPopulation(device);
    try {
      const evaluator = new PoolEsEvaluator(settings, { size: 1, map: (payloads) => Promise.all(payloads.map((p) => population.evaluate(p))) });
      return await trainEs({ ...ctxBase, backend: `${backend} (in process)`, compute }, { store, evaluator });
    } finally {
      population.dispose();
      device.destroy();
    }
  }
  const workerPool = (size: number) => new WorkerPool<LabJobs>({
    size, spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS,
    init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: (info) => log(restartLine(info)),
  });
  const pool = workerPool(1);
  const sumsPool = workerPool(requested);
  try {
    await Promise.all([pool.start(), sumsPool.start()]);
    log(`1 worker process ready (population evaluation on the GPU: ${compute.adapter}); ${sumsPool.size} for the update's noise sums`);
    const evaluator = gpuPoolEvaluator(settings, pool, sumsPool, adapter);
    return await trainEs({ ...ctxBase, backend, compute }, { store, evaluator });
  } finally {
    await Promise.all([pool.close(), sumsPool.close()]);
  }
}
