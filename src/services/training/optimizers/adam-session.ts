/**
 * One Adam session of the training loop (spec d.2, d.4, e): each iteration draws its batch (seeds or the sample
 * pool), rolls it out for K steps with gradients through time, updates with Adam and writes the pool back. Every
 * random number of iteration i derives from (seed, i, purpose) (core/adam/streams.ts) and a checkpoint holds
 * parameters, Adam's moments, step and bias-correction products, and the pool, so a resumed run retraces the
 * uninterrupted trajectory bit for bit. A non-finite loss or gradient (or a gradient norm above adam.maxGradNorm)
 * fails the run before the update is applied.
 *
 * It runs wherever it is given its gradients: in the master (optimizers/adam.ts, the plugin that chooses the engine
 * and the worker processes) or whole inside a worker (services/workers/adam-train-job.ts). It knows no worker pool,
 * so the job table that runs it in a worker does not import the plugin that uses that table.
 */
import { ncaConfigOf, type AdamRunConfig, type RunConfig } from '../../../shared/training-config';
import type { Checkpoint } from '../../../shared/run-record';
import { makeSeed, type StateBatch } from '../../../core/nca/state';
import { AdamBptt, type AdamOptimizerState } from '../../../core/adam/bptt';
import { FusedAdam, type AdamSession, type GradientSource } from '../../../core/adam/fused-adam';
import { runStream, StreamPurpose } from '../../../core/rng/run-streams';
import { learningRateAt } from '../../../core/adam/schedule';
import { drawBatch, seedPool, writeBack } from '../../../core/adam/sample-pool';
import { LabStore } from '../../store/lab-store';
import type { TrainerContext, TrainOutcome } from '../context';
import { runTrainingLoop } from '../training-loop';
import { freshParams, type OptimizerStart, type StepResult, type TrainingOptimizer } from './optimizer';

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

/** The run's config as an Adam run's, refused (naming the run) when it is another optimizer's. */
export function asAdam(cfg: RunConfig, runId: string): AdamRunConfig {
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
