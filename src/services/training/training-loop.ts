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
import type { Checkpoint } from '../../shared/run-record';
import { GROWTH_METRICS, growthMetrics, progressAt, stepMetricsOf, type MetricRow, type RunProgress } from '../../shared/metrics';
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
    return { status: 'failed', reason, generation: ckpt?.generation ?? 0, bestEval40: progressAt(ckpt, []).bestEval40 };
  }
  try {
    let rows: MetricRow[] = [];
    if (ckpt) {
      await store.truncateMetricsAfter(ctx.runId, ckpt.generation);
      rows = await store.readMetrics(ctx.runId);
    }
    return await drive(optimizer, ckpt, progressAt(ckpt, rows));
  } finally {
    optimizer.dispose();
  }

  async function drive(opt: TrainingOptimizer, ckpt: Checkpoint | null, start: RunProgress): Promise<TrainOutcome> {
    let step = ckpt?.generation ?? 0;
    const log = new TrainingLog(store, ctx, start);
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
        scalars: { ...own.scalars, ...log.bests() }, pool: own.pool, rng: own.rng,
      });
      lastCheckpoint = step;
      await store.updateRun(ctx.runId, { progress: log.progress() });
    };

    const fail = async (reason: string): Promise<TrainOutcome> => {
      // keep what is good on disk: flushed metrics stay; the last checkpoint stays the last good state
      await log.flush().catch(() => undefined);
      await store.updateRun(ctx.runId, { status: 'failed', statusReason: reason, progress: log.progress() }).catch(() => undefined);
      return { status: 'failed', reason, generation: step, bestEval40: log.progress().bestEval40 };
    };

    const finish = async (status: 'finished' | 'stopped' | 'paused', reason: string): Promise<TrainOutcome> => {
      if (step !== lastCheckpoint) await checkpoint();
      else await log.flush();
      // a paused run's model too: the Playground and Compare open it while the run waits
      const p = log.progress();
      await store.writeModel(ctx.runId, goodParams(), { config: cfg, generation: step, loss: p.lastEval40 ?? p.lastLoss });
      await store.updateRun(ctx.runId, { status, statusReason: reason, progress: p });
      return { status, reason, generation: step, bestEval40: p.bestEval40 };
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
          if (r.row) log.keep({ generation: g, evaluations: log.evaluations + r.row.rollouts, wallSeconds: log.wall(), ...stepMetricsOf(r.row) });
          return await fail(`${r.reason} at ${unit} ${g}; last good checkpoint: ${lastGood()}`);
        }
        step = g;
        const evaluations = log.evaluations + r.rollouts;
        loop.onStep?.(g, opt);

        // whether this step is the run's last (a request, a limit): a run that ends (finished or stopped) is evaluated
        // at its last step too, so the growth losses it ends with (cards, summaries, the model's loss) are its final
        // parameters', not the last interval's. A pause is not an end: a paused run resumes onto exactly the rows
        // and weights of an uninterrupted run, so it is evaluated at its intervals only
        ending = await endingNow();
        const isEval = g === 1 || g % cfg.evalEvery === 0 || (ending !== null && ending[0] !== 'paused');
        let growth: Partial<MetricRow> = {};
        if (isEval) {
          // the thesis's headline question (does it stop growing?) at every evaluation, not only in a suite
          const e = persistenceEval(nca, cfg.seed, opt.params(), ctx.target, g, { frames: true, lossSteps: GROWTH_METRICS.map((m) => m.steps) });
          growth = growthMetrics(e.losses);
          await writeEvaluationStrip(store.runDir(ctx.runId), g, stripPng(e.frames, ctx.target.height, ctx.target.width));
        }
        const row = { generation: g, evaluations, wallSeconds: log.wall(), ...stepMetricsOf(r), ...growth } as MetricRow;
        await log.record(row, isEval);
        // a listener that asks to end on this step's evaluation (bench quality's goal, a sweep's halving rung) ends
        // the run here, on the step it judged, rather than one step later
        if (!ending && isEval) ending = await endingNow();
        if (g % cfg.checkpointEvery === 0) await checkpoint();
        const eval40 = row.eval40;
        if (eval40 !== undefined && cfg.stop.targetLoss !== null && eval40 <= cfg.stop.targetLoss) {
          ending = ['finished', `reached the target 40-step loss ${cfg.stop.targetLoss} (${eval40.toPrecision(4)}) at ${unit} ${g}`];
        }
      }
    } catch (err) {
      return await fail(`${messageOf(err)} (at ${unit} ${step + 1}; last good checkpoint: ${lastGood()})`);
    }
  }
}
