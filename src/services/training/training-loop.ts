/**
 * The one training loop, for every optimizer (optimizers/optimizer.ts): resume from the newest checkpoint, stop
 * on the configured conditions or on request, evaluate growth every `evalEvery` steps and at the last step of every
 * stop (finish, pause, stop, time limit) (spec c.2: 41 and 201 steps
 * from the seed, logged as eval40/eval200, carried on to 1001 steps for eval1000 and the persistence verdict), keep metrics and progress (training-log.ts), checkpoint every
 * `checkpointEvery` steps and at every end, write the model at every end but a failure, and fail with the step and
 * the last good checkpoint named. The optimizer only steps.
 *
 * Every random number of step g derives from (seed, g, purpose), and a checkpoint holds the optimizer's whole
 * state, so a resumed run retraces the uninterrupted trajectory bit for bit; the loop itself draws nothing.
 */
import { ncaConfigOf, validateRunConfig } from '../../shared/training-config';
import { OPTIMIZERS } from '../../shared/optimizers';
import type { Checkpoint, MetricRow } from '../../shared/run-record';
import { messageOf } from '../../shared/validate';
import { persistenceEval } from '../../core/nca/growth-eval';
import type { LabStore } from '../store/lab-store';
import type { TrainerContext, TrainOutcome } from './context';
import { TrainingLog } from './training-log';
import { stripPng, writeEvaluationStrip } from '../store/evaluation-strips';
import type { OptimizerStart, TrainingOptimizer } from './optimizers/optimizer';

export interface TrainingLoopOptions {
  store: LabStore;
  /** creates the optimizer fresh (checkpoint null) or restored from the newest checkpoint */
  open: (start: OptimizerStart) => Promise<TrainingOptimizer> | TrainingOptimizer;
  /** for tests: called after each applied step with the optimizer (its parameters can be read) */
  onStep?: (step: number, optimizer: TrainingOptimizer) => void;
}

/** Lets the event loop run between steps (a cancel or a worker's message arrives as an event). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const bestOf = (ckpt: Checkpoint, key: string): number | null => (typeof ckpt.scalars[key] === 'number' ? (ckpt.scalars[key] as number) : null);

export async function runTrainingLoop(ctx: TrainerContext, loop: TrainingLoopOptions): Promise<TrainOutcome> {
  const { store } = loop;
  const cfg = ctx.config;
  const unit = OPTIMIZERS[cfg.optimizer].unit;
  const nca = ncaConfigOf(cfg);

  // a config that is not valid is refused before anything is written (ConfigError names the field)
  validateRunConfig(cfg);
  // --- the optimizer, fresh or from the newest checkpoint; a run that cannot start says why in run.json
  let ckpt: Checkpoint | null = null;
  let optimizer: TrainingOptimizer;
  try {
    ckpt = await store.readLatestCheckpoint(ctx.runId);
    // a fine-tuned run without a checkpoint starts from its copy of the start model (start/), any optimizer alike
    const startParams = ckpt || !cfg.startFrom ? null : (await store.readStartModel(ctx.runId))!.params;
    optimizer = await loop.open({ ctx, checkpoint: ckpt, startParams });
  } catch (err) {
    const reason = messageOf(err);
    await store.updateRun(ctx.runId, { status: 'failed', statusReason: reason, backend: ctx.backend, ...(ctx.compute ? { compute: ctx.compute } : {}) }).catch(() => undefined);
    return { status: 'failed', reason, generation: ckpt?.generation ?? 0, bestEval40: ckpt ? bestOf(ckpt, 'bestEval40') : null };
  }
  try {
    if (ckpt) await store.truncateMetricsAfter(ctx.runId, ckpt.generation);
    return await drive(optimizer, ckpt);
  } finally {
    optimizer.dispose();
  }

  async function drive(opt: TrainingOptimizer, ckpt: Checkpoint | null): Promise<TrainOutcome> {
    let step = ckpt?.generation ?? 0;
    const log = new TrainingLog(store, ctx, {
      generation: step, evaluations: ckpt?.evaluations ?? 0, wallSeconds: ckpt?.wallSeconds ?? 0,
      bestEval40: ckpt ? bestOf(ckpt, 'bestEval40') : null, bestLoss: ckpt ? bestOf(ckpt, 'bestLoss') : null,
    });
    let lastCheckpoint: number | null = ckpt ? ckpt.generation : null;
    const lastGood = () => (lastCheckpoint === null ? 'none' : String(lastCheckpoint));

    /** θ, refused when not finite: nothing non-finite is ever written */
    const goodParams = (): Float32Array => {
      const p = opt.params();
      const bad = p.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`parameter ${bad} became ${p[bad]} at ${unit} ${step}; nothing was written`);
      return p;
    };

    const checkpoint = async () => {
      const params = goodParams();
      const own = await opt.checkpointState(step);
      await log.flush();
      await store.writeCheckpoint(ctx.runId, {
        generation: step, evaluations: log.evaluations, wallSeconds: log.wall(), params, arrays: own.arrays,
        scalars: { ...own.scalars, bestEval40: log.bestEval40, bestLoss: log.bestLoss }, pool: own.pool, rng: own.rng,
      });
      lastCheckpoint = step;
      await store.updateRun(ctx.runId, { progress: log.progress() });
    };

    const fail = async (reason: string): Promise<TrainOutcome> => {
      // keep what is good on disk: flushed metrics stay; the last checkpoint stays the last good state
      await log.flush().catch(() => undefined);
      await store.updateRun(ctx.runId, { status: 'failed', statusReason: reason, progress: log.progress() }).catch(() => undefined);
      return { status: 'failed', reason, generation: step, bestEval40: log.bestEval40 };
    };

    const finish = async (status: 'finished' | 'stopped' | 'paused', reason: string): Promise<TrainOutcome> => {
      if (step !== lastCheckpoint) await checkpoint();
      else await log.flush();
      // a paused run's model too: the Playground and Compare open it while the run waits
      await store.writeModel(ctx.runId, goodParams(), { config: cfg, generation: step, loss: log.lastEval?.eval40 ?? log.lastLoss });
      await store.updateRun(ctx.runId, { status, statusReason: reason, progress: log.progress() });
      return { status, reason, generation: step, bestEval40: log.bestEval40 };
    };

    /** Why the run ends after the steps done so far (a request, a limit), or null; lets a request arrive first. */
    const endingNow = async (): Promise<[status: 'finished' | 'stopped' | 'paused', reason: string] | null> => {
      await yieldToEventLoop();
      if (ctx.control.requested === 'stop') return ['stopped', `stopped by the user at ${unit} ${step}`];
      if (ctx.control.requested === 'pause') return ['paused', `paused at ${unit} ${step}`];
      if (cfg.stop.maxGenerations !== null && step >= cfg.stop.maxGenerations) {
        return ['finished', `reached max ${OPTIMIZERS[cfg.optimizer].units} (${cfg.stop.maxGenerations})`];
      }
      if (cfg.stop.maxSeconds !== null && log.wall() >= cfg.stop.maxSeconds) return ['finished', `reached max time (${cfg.stop.maxSeconds} s)`];
      return null;
    };

    await store.updateRun(ctx.runId, {
      status: 'running', statusReason: null, backend: ctx.backend, ...(ctx.compute ? { compute: ctx.compute } : {}), workers: ctx.workers ?? null,
    });

    try {
      let ending = await endingNow();
      for (;;) {
        if (ending) return await finish(...ending);

        const g = step + 1;
        const r = await opt.step(g);
        if (r.kind === 'paused') return await finish('paused', r.reason);
        if (r.kind === 'failed') {
          // the failed step is logged (non-finite numbers are stored as such); its update is not kept
          if (r.row) log.keep({ generation: g, evaluations: log.evaluations + r.row.rollouts, wallSeconds: log.wall(), loss: r.row.loss, bestLoss: r.row.bestLoss, lr: r.row.lr, gradNorm: r.row.gradNorm });
          return await fail(`${r.reason} at ${unit} ${g}; last good checkpoint: ${lastGood()}`);
        }
        step = g;
        log.advance(g, r.rollouts, r.loss, r.bestLoss);
        loop.onStep?.(g, opt);

        // whether this step is the run's last (a request, a limit): then it is evaluated too, so the growth losses a
        // run ends with (cards, summaries, the model's loss) are its final parameters', not the last interval's
        ending = await endingNow();
        let evalNow: { eval40: number; eval200: number; eval1000: number } | null = null;
        if (g === 1 || g % cfg.evalEvery === 0 || ending) {
          // the thesis's headline question (does it stop growing?) at every evaluation, not only in a suite
          const e = persistenceEval(nca, cfg.seed, opt.params(), ctx.target, g, { frames: true });
          evalNow = e;
          log.noteEval(e);
          await writeEvaluationStrip(store.runDir(ctx.runId), g, stripPng(e.frames, ctx.target.height, ctx.target.width));
        }

        const row: MetricRow = { generation: g, evaluations: log.evaluations, wallSeconds: log.wall(), loss: r.loss, bestLoss: r.bestLoss, lr: r.lr };
        if (r.gradNorm !== undefined) row.gradNorm = r.gradNorm;
        if (evalNow) { row.eval40 = evalNow.eval40; row.eval200 = evalNow.eval200; row.eval1000 = evalNow.eval1000; }
        await log.record(row, evalNow !== null);
        // a listener that asks to end on this step's evaluation (bench quality's goal, a sweep's halving rung) ends
        // the run here, on the step it judged, rather than one step later
        if (!ending && evalNow) ending = await endingNow();
        if (g % cfg.checkpointEvery === 0) await checkpoint();
        if (evalNow && cfg.stop.targetLoss !== null && evalNow.eval40 <= cfg.stop.targetLoss) {
          ending = ['finished', `reached the target 40-step loss ${cfg.stop.targetLoss} (${evalNow.eval40.toPrecision(4)}) at ${unit} ${g}`];
        }
      }
    } catch (err) {
      return await fail(`${messageOf(err)} (at ${unit} ${step + 1}; last good checkpoint: ${lastGood()})`);
    }
  }
}
