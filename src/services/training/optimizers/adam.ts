/**
 * Adam as an optimizer of the training loop (spec d.2, d.4, e): each iteration draws its batch (seeds or the
 * sample pool), rolls it out for K steps with gradients through time, updates with Adam and writes the pool back.
 * Every random number of iteration i derives from (seed, i, purpose) (core/adam/streams.ts) and a checkpoint holds
 * parameters, Adam's moments, step and bias-correction products, and the pool, so a resumed run retraces the
 * uninterrupted trajectory bit for bit. A non-finite loss or gradient (or a gradient norm above adam.maxGradNorm)
 * fails the run before the update is applied.
 *
 * A session computes gradients on the fused BPTT engine, in this process or split over one worker process per
 * core (adam-gradients.ts; the update stays here), or, where the workers' tfjs backend is tensorflow (native and
 * multi-threaded), runs the tfjs reference session as one job in one worker (services/workers/adam-train-job.ts).
 */
import { availableParallelism } from 'node:os';
import { ncaConfigOf, type AdamRunConfig, type RunConfig } from '../../../shared/training-config';
import type { Checkpoint } from '../../../shared/run-record';
import { resolveEngine } from '../../compute/engine-choice';
import type { GpuAdapterReport } from '../../compute/gpu-adapters';
import { makeSeed, type StateBatch } from '../../../core/nca/state';
import { AdamBptt, type AdamOptimizerState } from '../../../core/adam/bptt';
import { FusedAdam, inProcessGradients, type AdamSession, type GradientSource } from '../../../core/adam/fused-adam';
import { bpttEngineName } from '../../../core/adam/bptt-kernel';
import { runStream, StreamPurpose } from '../../../core/rng/run-streams';
import { learningRateAt } from '../../../core/adam/schedule';
import { drawBatch, seedPool, writeBack } from '../../../core/adam/sample-pool';
import { LabStore } from '../../store/lab-store';
import { WorkerPool } from '../../workers/pool';
import { forkSpawner } from '../../workers/spawners';
import type { LabJobs } from '../../workers/lab-jobs';
import type { TrainerContext, TrainOutcome } from '../context';
import { runTrainingLoop } from '../training-loop';
import { poolGradients } from '../adam-gradients';
import { restartLine } from './worker-lines';
import { freshParams, type OptimizerPlugin, type OptimizerStart, type SessionStart, type StepResult, type TrainingOptimizer } from './optimizer';

/** Names of the Adam state in a checkpoint's arrays and scalars. */
export const ADAM_CHECKPOINT_KEYS = {
  m: 'adam.m',
  v: 'adam.v',
  step: 'adam.step',
  accBeta1: 'adam.accBeta1',
  accBeta2: 'adam.accBeta2',
} as const;

function optimizerStateOf(ckpt: Checkpoint, runId: string): AdamOptimizerState {
  const K = ADAM_CHECKPOINT_KEYS;
  const m = ckpt.arrays[K.m];
  const v = ckpt.arrays[K.v];
  const num = (key: string) => {
    const x = ckpt.scalars[key];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`run ${runId}: checkpoint ${ckpt.generation} has no Adam state (scalar "${key}")`);
    return x;
  };
  if (!m || !v) throw new Error(`run ${runId}: checkpoint ${ckpt.generation} has no Adam moments (arrays "${K.m}", "${K.v}")`);
  return { step: num(K.step), accBeta1: num(K.accBeta1), accBeta2: num(K.accBeta2), m, v };
}

function asAdam(cfg: RunConfig, runId: string): AdamRunConfig {
  if (cfg.optimizer !== 'adam') throw new Error(`Adam: run ${runId} is an ${cfg.optimizer} run`);
  return cfg;
}

/** Adam's state in the loop: the session (θ and the moments, tfjs or fused) and the sample pool. */
class AdamOptimizer implements TrainingOptimizer {
  private readonly seedOne: StateBatch;

  constructor(private readonly cfg: AdamRunConfig, private readonly target: TrainerContext['target'], readonly session: AdamSession, private readonly pool: StateBatch | null) {
    this.seedOne = makeSeed(target.height, target.width, cfg.model.channels, 1);
  }

  params(): Float32Array {
    return this.session.getParams();
  }

  async step(it: number): Promise<StepResult> {
    const { cfg, pool } = this;
    const adam = cfg.adam;
    const B = adam.batchSize;
    const steps = runStream(cfg.seed, it, StreamPurpose.Steps).int(cfg.stepsMin, cfg.stepsMax + 1);
    const damageN = adam.pool.kind === 'mordvintsev-regenerating' ? adam.pool.damageN : 0;
    const batch = drawBatch(adam.pool.kind, pool, B, this.seedOne, this.target.rgba, damageN, {
      pool: runStream(cfg.seed, it, StreamPurpose.Pool),
      damage: runStream(cfg.seed, it, StreamPurpose.Damage),
    });
    const lr = learningRateAt(adam, it);
    const r = await this.session.iterate(batch.x0, steps, runStream(cfg.seed, it, StreamPurpose.FireMasks), lr);
    if (!r.applied) {
      // the diverged iteration is logged (non-finite numbers are stored as such); its update is not applied
      return { kind: 'failed', reason: String(r.rejected), row: { loss: r.loss, bestLoss: r.loss, lr, gradNorm: r.gradNorm, rollouts: B } };
    }
    writeBack(adam.pool.kind, pool, batch, r.finals, r.sampleLosses, this.seedOne);
    return { kind: 'done', loss: r.loss, bestLoss: r.loss, lr, gradNorm: r.gradNorm, rollouts: B };
  }

  async checkpointState(iteration: number) {
    const s = await this.session.getOptimizerState();
    const K = ADAM_CHECKPOINT_KEYS;
    return {
      arrays: { [K.m]: s.m, [K.v]: s.v },
      scalars: { [K.step]: s.step, [K.accBeta1]: s.accBeta1, [K.accBeta2]: s.accBeta2, gradientCheckpointEvery: this.session.checkpointEvery },
      pool: this.pool,
      // not needed to resume (streams are per iteration), recorded for inspection: where the next iteration's
      // fire masks start
      rng: runStream(this.cfg.seed, iteration + 1, StreamPurpose.FireMasks).getState(),
    };
  }

  dispose(): void {
    this.session.dispose();
  }
}

export interface AdamTrainerDeps {
  /** the workspace's store (default: a LabStore on ctx.workspace) */
  store?: LabStore;
  /** gradient checkpointing: steps per recomputed segment, 0 = none, 'auto' (default) = by tape memory */
  checkpointEvery?: number | 'auto';
  /**
   * gradients from the fused BPTT engine (core/adam/fused-bptt.ts: in this process, or split over worker
   * processes, adam-gradients.ts), the update in this process; without, the tfjs session (core/adam/bptt.ts)
   */
  gradients?: GradientSource;
  /** for tests: called after each applied update with the session (the parameters can be read or changed) */
  onIteration?: (iteration: number, trainer: AdamSession) => void;
}

/** The Adam optimizer of a run, fresh (freshParams: the init stream of the seed or the start model; moments zero) or restored from the loop's checkpoint. */
export async function openAdam(start: OptimizerStart, deps: AdamTrainerDeps): Promise<TrainingOptimizer> {
  const { ctx, checkpoint } = start;
  const cfg = asAdam(ctx.config, ctx.runId);
  const adam = cfg.adam;
  const nca = ncaConfigOf(cfg);
  const { target } = ctx;
  let params: Float32Array;
  let optState: AdamOptimizerState | null = null;
  let pool: StateBatch | null = null;
  if (checkpoint) {
    params = checkpoint.params.slice();
    optState = optimizerStateOf(checkpoint, ctx.runId);
    pool = checkpoint.pool;
  } else {
    params = freshParams(start);
    if (adam.pool.kind !== 'none') pool = seedPool(makeSeed(target.height, target.width, nca.channels, 1), adam.pool.size);
  }
  if (adam.pool.kind !== 'none') {
    if (!pool) throw new Error(`run ${ctx.runId}: the checkpoint has no sample pool but the config asks for one`);
    if (pool.n !== adam.pool.size || pool.height !== target.height || pool.width !== target.width || pool.channels !== nca.channels) {
      throw new Error(`run ${ctx.runId}: the checkpoint's pool is ${pool.n}×${pool.height}×${pool.width}×${pool.channels}, ` +
        `the config asks for ${adam.pool.size}×${target.height}×${target.width}×${nca.channels}`);
    }
  }
  // checks the backend's kernels (MissingKernelError names the one that is missing)
  const sessionOpts = { checkpointEvery: deps.checkpointEvery ?? 'auto', maxSteps: cfg.stepsMax } as const;
  const session: AdamSession = deps.gradients
    ? new FusedAdam(nca, adam, params, target, deps.gradients, sessionOpts)
    : new AdamBptt(nca, adam, params, target, sessionOpts);
  try {
    if (optState) await session.setOptimizerState(optState);
  } catch (err) {
    session.dispose();
    throw err;
  }
  return new AdamOptimizer(cfg, target, session, pool);
}

/** One Adam session of the loop: the tfjs reference session, or the fused engine on `deps.gradients`. */
export function trainAdam(ctx: TrainerContext, deps: AdamTrainerDeps = {}): Promise<TrainOutcome> {
  return runTrainingLoop(ctx, {
    store: deps.store ?? new LabStore(ctx.workspace),
    open: (start) => openAdam(start, deps),
    onStep: deps.onIteration ? (it, opt) => deps.onIteration!(it, (opt as AdamOptimizer).session) : undefined,
  });
}

/** The tfjs reference path: the whole Adam session as one job in one worker (pool.backend is its backend). */
async function tfjsAdamJob(start: SessionStart, pool: WorkerPool<LabJobs>): Promise<TrainOutcome> {
  const { opts } = start;
  const abort = new AbortController();
  // the worker checks its control flag every iteration; relay the request as a cancel carrying stop/pause
  const poll = setInterval(() => {
    if (opts.control.requested && !abort.signal.aborted) abort.abort(opts.control.requested);
  }, 100);
  try {
    start.log(`Adam worker ready (tfjs backend ${pool.backend})`);
    return await pool.run('adam-train', { workspace: opts.workspace, runId: opts.runId }, {
      signal: abort.signal, onProgress: opts.onProgress, graceful: true, cancelGraceMs: 120_000,
    });
  } finally {
    clearInterval(poll);
  }
}

export const adamPlugin: OptimizerPlugin = {
  id: 'adam',
  async runSession(start: SessionStart): Promise<TrainOutcome> {
    const { opts, store, target, log } = start;
    const config = asAdam(start.config, opts.runId);
    const engine = await resolveEngine(opts.engine ?? config.engine);
    const compute = engine.record;
    log(`compute engine: ${compute.engine}${compute.adapter ? ` on ${compute.adapter}` : ''} (${compute.reason})`);
    const ctxBase = { workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress, onLog: opts.onLog, compute };
    const requested = opts.workers ?? availableParallelism();
    if (engine.adapter) return adamOnGpu(start, ctxBase, engine.adapter, requested);
    if (requested <= 0 && opts.backend !== 'tensorflow') {
      return trainAdam({ ...ctxBase, backend: `${bpttEngineName()} (in process)`, workers: 0 }, { store, gradients: inProcessGradients(ncaConfigOf(config), target, config.stepsMax) });
    }
    const pool = new WorkerPool<LabJobs>({
      // loadBackend: the engine is chosen by the workers' tfjs backend, so they pick it at start (ES workers do not)
      size: Math.max(1, Math.min(requested, config.adam.batchSize)), spawn: opts.spawn ?? forkSpawner(),
      init: { ...(opts.backend ? { backend: opts.backend } : {}), loadBackend: true },
      onWorkerRestart: (info) => log(restartLine(info)),
    });
    try {
      await pool.start();
      if (pool.backend !== 'tensorflow') {
        log(`Adam: ${pool.size} worker process${pool.size === 1 ? '' : 'es'} ready, gradients on ${bpttEngineName()}`);
        const gradients = poolGradients(ncaConfigOf(config), target, config.stepsMax, pool.size, (payloads) => pool.map('adam-grad', payloads));
        return await trainAdam({ ...ctxBase, backend: `${bpttEngineName()} ×${pool.size} worker${pool.size === 1 ? '' : 's'}`, workers: pool.size }, { store, gradients });
      }
      return await tfjsAdamJob(start, pool);
    } finally {
      await pool.close();
    }
  },
};

/**
 * Adam with its gradients on the GPU: one worker process holds the device and computes the whole batch (job
 * adam-gpu-grad), or this process does with --workers 0; the update stays here (FusedAdam), as on the CPU engine.
 */
async function adamOnGpu(start: SessionStart, ctxBase: Omit<TrainerContext, 'backend'>, adapter: GpuAdapterReport, requested: number): Promise<TrainOutcome> {
  const { opts, store, target, log } = start;
  const config = asAdam(start.config, opts.runId);
  const nca = ncaConfigOf(config);
  const backend = `webgpu on ${ctxBase.compute!.adapter}`;
  if (requested <= 0) {
    const { GpuDevice } = await import('../../compute/gpu-device');
    const { GpuBptt } = await import('../../compute/gpu-bptt');
    const device = await GpuDevice.open(adapter);
    const bptt = new GpuBptt(device);
    try {
      const gradients = poolGradients(nca, target, config.stepsMax, 1, (payloads) => Promise.all(payloads.map((p) => bptt.sliceGradients(p))));
      return await trainAdam({ ...ctxBase, backend: `${backend} (in process)` }, { store, gradients });
    } finally {
      bptt.dispose();
      device.destroy();
    }
  }
  const pool = new WorkerPool<LabJobs>({ size: 1, spawn: opts.spawn ?? forkSpawner(), onWorkerRestart: (info) => log(restartLine(info)) });
  try {
    await pool.start();
    log(`Adam: 1 worker process ready, gradients on the GPU (${ctxBase.compute!.adapter})`);
    const gradients = poolGradients(nca, target, config.stepsMax, 1, (payloads) => pool.map('adam-gpu-grad', payloads.map((p) => ({ ...p, adapter }))));
    return await trainAdam({ ...ctxBase, backend }, { store, gradients });
  } finally {
    await pool.close();
  }
}
