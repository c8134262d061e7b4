/**
 * The Adam training loop (spec d.2, d.4, e): each iteration draws its batch (seeds or the sample pool), rolls it
 * out for K steps with gradients through time, updates with Adam, writes the pool back, evaluates growth every
 * `evalEvery` iterations (c.2 convention: 41 and 201 steps, logged as eval40/eval200), logs, checkpoints, and
 * stops on the configured conditions or on request.
 *
 * Every random number of iteration i derives from (seed, i, purpose) (core/adam/streams.ts) and a checkpoint holds
 * parameters, Adam's moments, step and bias-correction products, and the pool, so a resumed run retraces the
 * uninterrupted trajectory bit for bit. A non-finite loss or gradient (or a gradient norm above adam.maxGradNorm)
 * ends the run as 'failed' before the update is applied: the last checkpoint stays the last good state.
 */
import { ncaConfigOf, validateRunConfig, type AdamRunConfig } from '../../shared/training-config';
import type { Checkpoint, MetricRow } from '../../shared/run-record';
import { LabStore } from '../store/lab-store';
import { initParams } from '../../core/nca/config';
import { makeSeed, type StateBatch } from '../../core/nca/state';
import { AdamBptt, type AdamOptimizerState } from '../../core/adam/bptt';
import { FusedAdam, type AdamSession, type GradientSource } from '../../core/adam/fused-adam';
import { runStream, StreamPurpose } from '../../core/rng/run-streams';
import { learningRateAt } from '../../core/adam/schedule';
import { drawBatch, seedPool, writeBack } from '../../core/adam/sample-pool';
import { growthEval } from '../../core/nca/growth-eval';
import type { TrainerContext, TrainOutcome } from './context';
import { TrainingLog } from './training-log';
import { messageOf } from '../../shared/validate';

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
  /** for tests: called after each applied update with the trainer (the parameters can be read or changed) */
  onIteration?: (iteration: number, trainer: AdamSession) => void;
}

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

/** Lets the worker's message loop run (a cancel arrives as a message) between synchronous iterations. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function trainAdam(ctx: TrainerContext, deps: AdamTrainerDeps = {}): Promise<TrainOutcome> {
  if (ctx.config.optimizer !== 'adam') throw new Error(`trainAdam: run ${ctx.runId} is an ${ctx.config.optimizer} run`);
  const cfg = validateRunConfig(ctx.config) as AdamRunConfig;
  const store = deps.store ?? new LabStore(ctx.workspace);
  const adam = cfg.adam;
  const nca = ncaConfigOf(cfg);
  const { target } = ctx;
  const B = adam.batchSize;
  const seedOne = makeSeed(target.height, target.width, nca.channels, 1);
  const poolKind = adam.pool.kind;
  const damageN = poolKind === 'mordvintsev-regenerating' ? adam.pool.damageN : 0;

  // --- state: fresh, or from the latest checkpoint
  let params: Float32Array;
  let optState: AdamOptimizerState | null = null;
  let iteration = 0;
  let evaluations = 0;
  let wallBefore = 0;
  let pool: StateBatch | null = null;
  let bestEval40: number | null = null;
  let bestLoss: number | null = null;
  let trainer: AdamSession | null = null;
  let ckpt: Checkpoint | null;
  try {
    ckpt = await store.readLatestCheckpoint(ctx.runId);
    if (ckpt) {
      params = ckpt.params.slice();
      optState = optimizerStateOf(ckpt, ctx.runId);
      iteration = ckpt.generation;
      evaluations = ckpt.evaluations;
      wallBefore = ckpt.wallSeconds;
      pool = ckpt.pool;
      bestEval40 = typeof ckpt.scalars.bestEval40 === 'number' ? ckpt.scalars.bestEval40 : null;
      bestLoss = typeof ckpt.scalars.bestLoss === 'number' ? ckpt.scalars.bestLoss : null;
    } else {
      const rng = runStream(cfg.seed, 0, StreamPurpose.Init);
      params = initParams(nca, cfg.model.init, () => rng.uniform());
      if (poolKind !== 'none') pool = seedPool(seedOne, adam.pool.size);
    }
    if (poolKind !== 'none') {
      if (!pool) throw new Error(`run ${ctx.runId}: the checkpoint has no sample pool but the config asks for one`);
      if (pool.n !== adam.pool.size || pool.height !== target.height || pool.width !== target.width || pool.channels !== nca.channels) {
        throw new Error(`run ${ctx.runId}: the checkpoint's pool is ${pool.n}×${pool.height}×${pool.width}×${pool.channels}, ` +
          `the config asks for ${adam.pool.size}×${target.height}×${target.width}×${nca.channels}`);
      }
    }
    // checks the backend's kernels (MissingKernelError names the one that is missing)
    const sessionOpts = { checkpointEvery: deps.checkpointEvery ?? 'auto', maxSteps: cfg.stepsMax } as const;
    trainer = deps.gradients
      ? new FusedAdam(nca, adam, params, target, deps.gradients, sessionOpts)
      : new AdamBptt(nca, adam, params, target, sessionOpts);
    if (optState) await trainer.setOptimizerState(optState);
  } catch (err) {
    trainer?.dispose();
    // the run cannot start: say why in run.json, on this backend, and leave its checkpoints as they are
    const reason = messageOf(err);
    await store.updateRun(ctx.runId, { status: 'failed', statusReason: reason, backend: ctx.backend }).catch(() => undefined);
    return { status: 'failed', reason, generation: iteration, bestEval40 };
  }
  const session = trainer;
  try {
    if (ckpt) await store.truncateMetricsAfter(ctx.runId, iteration);
    return await loop(session, ckpt);
  } finally {
    session.dispose();
  }

  async function loop(trainer: AdamSession, ckpt: Checkpoint | null): Promise<TrainOutcome> {
    const log = new TrainingLog(store, ctx, { generation: iteration, evaluations, wallSeconds: wallBefore, bestEval40, bestLoss });
    let lastCheckpoint: number | null = ckpt ? ckpt.generation : null;

    const goodParams = (): Float32Array => {
      const p = trainer.getParams();
      const bad = p.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`parameter ${bad} became ${p[bad]} at iteration ${iteration}; nothing was written`);
      return p;
    };

    const checkpoint = async () => {
      const p = goodParams();
      const s = await trainer.getOptimizerState();
      await log.flush();
      const K = ADAM_CHECKPOINT_KEYS;
      await store.writeCheckpoint(ctx.runId, {
        generation: iteration, evaluations: log.evaluations, wallSeconds: log.wall(), params: p,
        arrays: { [K.m]: s.m, [K.v]: s.v },
        scalars: { [K.step]: s.step, [K.accBeta1]: s.accBeta1, [K.accBeta2]: s.accBeta2, bestEval40: log.bestEval40, bestLoss: log.bestLoss, gradientCheckpointEvery: trainer.checkpointEvery },
        pool,
        // not needed to resume (streams are per iteration), recorded for inspection: where the next iteration's
        // fire masks start
        rng: runStream(cfg.seed, iteration + 1, StreamPurpose.FireMasks).getState(),
      });
      lastCheckpoint = iteration;
      await store.updateRun(ctx.runId, { progress: log.progress() });
    };

    const lastGood = () => (lastCheckpoint === null ? 'none' : String(lastCheckpoint));

    const fail = async (reason: string): Promise<TrainOutcome> => {
      // keep what is good on disk: flushed metrics stay; the last checkpoint stays the last good state
      await log.flush().catch(() => undefined);
      await store.updateRun(ctx.runId, { status: 'failed', statusReason: reason, progress: log.progress() }).catch(() => undefined);
      return { status: 'failed', reason, generation: iteration, bestEval40: log.bestEval40 };
    };

    const finish = async (status: 'finished' | 'stopped' | 'paused', reason: string): Promise<TrainOutcome> => {
      if (iteration !== lastCheckpoint) await checkpoint();
      else await log.flush();
      if (status !== 'paused') {
        await store.writeModel(ctx.runId, goodParams(), { config: cfg, generation: iteration, loss: log.lastEval?.eval40 ?? log.lastLoss });
      }
      await store.updateRun(ctx.runId, { status, statusReason: reason, progress: log.progress() });
      return { status, reason, generation: iteration, bestEval40: log.bestEval40 };
    };

    await store.updateRun(ctx.runId, { status: 'running', statusReason: null, backend: ctx.backend });

    try {
      for (;;) {
        await yieldToEventLoop();
        if (ctx.control.requested === 'stop') return await finish('stopped', `stopped by the user at iteration ${iteration}`);
        if (ctx.control.requested === 'pause') return await finish('paused', `paused at iteration ${iteration}`);
        if (cfg.stop.maxGenerations !== null && iteration >= cfg.stop.maxGenerations) {
          return await finish('finished', `reached max iterations (${cfg.stop.maxGenerations})`);
        }
        if (cfg.stop.maxSeconds !== null && log.wall() >= cfg.stop.maxSeconds) {
          return await finish('finished', `reached max time (${cfg.stop.maxSeconds} s)`);
        }

        const it = iteration + 1;
        const steps = runStream(cfg.seed, it, StreamPurpose.Steps).int(cfg.stepsMin, cfg.stepsMax + 1);
        const batch = drawBatch(poolKind, pool, B, seedOne, target.rgba, damageN, {
          pool: runStream(cfg.seed, it, StreamPurpose.Pool),
          damage: runStream(cfg.seed, it, StreamPurpose.Damage),
        });
        const lr = learningRateAt(adam, it);
        const r = await trainer.iterate(batch.x0, steps, runStream(cfg.seed, it, StreamPurpose.FireMasks), lr);
        if (!r.applied) {
          // the diverged iteration is logged (non-finite numbers are stored as such); its update is not applied
          log.keep({ generation: it, evaluations: log.evaluations + B, wallSeconds: log.wall(), loss: r.loss, bestLoss: r.loss, lr, gradNorm: r.gradNorm });
          return await fail(`${r.rejected} at iteration ${it}; last good checkpoint: ${lastGood()}`);
        }
        writeBack(poolKind, pool, batch, r.finals, r.sampleLosses, seedOne);
        iteration = it;
        log.advance(it, B, r.loss, r.loss);
        deps.onIteration?.(it, trainer);

        let evalNow: { eval40: number; eval200: number } | null = null;
        if (it === 1 || it % cfg.evalEvery === 0) {
          evalNow = growthEval(nca, cfg.seed, trainer.getParams(), target, it);
          log.noteEval(evalNow);
        }

        const row: MetricRow = { generation: it, evaluations: log.evaluations, wallSeconds: log.wall(), loss: r.loss, bestLoss: r.loss, lr, gradNorm: r.gradNorm };
        if (evalNow) { row.eval40 = evalNow.eval40; row.eval200 = evalNow.eval200; }
        await log.record(row, evalNow !== null);
        if (it % cfg.checkpointEvery === 0) await checkpoint();
        if (evalNow && cfg.stop.targetLoss !== null && evalNow.eval40 <= cfg.stop.targetLoss) {
          return await finish('finished', `reached the target 40-step loss ${cfg.stop.targetLoss} (${evalNow.eval40.toPrecision(4)}) at iteration ${it}`);
        }
      }
    } catch (err) {
      const message = messageOf(err);
      return await fail(`${message} (at iteration ${iteration + 1}; last good checkpoint: ${lastGood()})`);
    }
  }
}
