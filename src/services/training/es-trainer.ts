/**
 * The ES training loop (spec c.2) as the master of thesis Algorithm 2: each generation it draws the start
 * batch (seed or sample pool, spec e), has the evaluator score every member, shapes the fitness (c.3), updates
 * θ (c.4), decays α (c.5), evaluates growth every `evalEvery` generations, logs, checkpoints, and stops on the
 * configured conditions or on request. Every random number derives from (seed, generation), so a resumed run
 * retraces the trajectory of an uninterrupted one exactly.
 */
import { ncaConfigOf } from '../../shared/training-config';
import type { MetricRow } from '../../shared/run-record';
import type { LabStore } from '../store/lab-store';
import { initParams } from '../../core/nca/config';
import { makeSeed, stackStates, type StateBatch } from '../../core/nca/state';
import { growthEval } from '../../core/nca/growth-eval';
import { centredRankShaping } from '../../core/es/shaping';
import { GenerationNoise } from '../../core/es/update';
import { PopulationNoise, type EsStrategy } from '../../core/es/strategy';
import { esStrategyFor } from './optimizers/es-strategies';
import { runStream, StreamPurpose } from '../../core/rng/run-streams';
import { drawFromPool, commitToPool } from '../../core/es/sample-pool';
import { EvaluationPaused, type EsEvaluator } from './es-evaluator';
import type { TrainerContext, TrainOutcome } from './context';
import { TrainingLog } from './training-log';
import { messageOf } from '../../shared/validate';

export interface EsTrainerDeps {
  store: LabStore;
  evaluator: EsEvaluator;
  /** for tests: called after each generation with θ */
  onGeneration?: (generation: number, params: Float32Array) => void;
}

export async function trainEs(ctx: TrainerContext, deps: EsTrainerDeps): Promise<TrainOutcome> {
  const { store, evaluator } = deps;
  const cfg = ctx.config;
  if (cfg.optimizer !== 'es') throw new Error(`trainEs: run ${ctx.runId} is an ${cfg.optimizer} run`);
  const es = cfg.es;
  const nca = ncaConfigOf(cfg);
  const { target } = ctx;
  const H = target.height;
  const W = target.width;
  const B = es.batchSize;
  const seedBatch = makeSeed(H, W, nca.channels, B);
  const seedOne = makeSeed(H, W, nca.channels, 1);

  // --- state: fresh, or from the latest checkpoint
  let strategy: EsStrategy;
  let generation = 0;
  let evaluations = 0;
  let wallBefore = 0;
  let pool: StateBatch | null = null;
  let bestEval40: number | null = null;
  let bestLoss: number | null = null;
  const ckpt = await store.readLatestCheckpoint(ctx.runId);
  if (ckpt) {
    strategy = esStrategyFor(cfg).restore(cfg, ckpt.params, ckpt);
    generation = ckpt.generation;
    evaluations = ckpt.evaluations;
    wallBefore = ckpt.wallSeconds;
    pool = ckpt.pool;
    bestEval40 = typeof ckpt.scalars.bestEval40 === 'number' ? ckpt.scalars.bestEval40 : null;
    bestLoss = typeof ckpt.scalars.bestLoss === 'number' ? ckpt.scalars.bestLoss : null;
    await store.truncateMetricsAfter(ctx.runId, generation);
  } else {
    const rng = runStream(cfg.seed, 0, StreamPurpose.Init, 0);
    strategy = esStrategyFor(cfg).create(cfg, initParams(nca, cfg.model.init, () => rng.uniform()));
    if (es.pool.kind !== 'none') pool = stackStates(Array.from({ length: es.pool.size }, () => seedOne));
  }
  if (es.pool.kind !== 'none' && !pool) throw new Error(`run ${ctx.runId}: the checkpoint has no sample pool but the config asks for one`);

  const log = new TrainingLog(store, ctx, { generation, evaluations, wallSeconds: wallBefore, bestEval40, bestLoss });
  let lastCheckpointGen = generation;

  const checkpoint = async () => {
    await log.flush();
    const state = strategy.checkpointState();
    await store.writeCheckpoint(ctx.runId, {
      generation, evaluations: log.evaluations, wallSeconds: log.wall(), params: strategy.ask().center, arrays: state.arrays,
      scalars: { ...state.scalars, bestEval40: log.bestEval40, bestLoss: log.bestLoss }, pool, rng: null,
    });
    lastCheckpointGen = generation;
    await store.updateRun(ctx.runId, { progress: log.progress() });
  };

  const finish = async (status: TrainOutcome['status'], reason: string): Promise<TrainOutcome> => {
    if (status !== 'failed') {
      if (generation !== lastCheckpointGen || !ckpt) await checkpoint();
      await store.writeModel(ctx.runId, strategy.ask().center, { config: cfg, generation, loss: log.lastEval?.eval40 ?? log.lastLoss });
    } else {
      // keep what is good on disk: flushed metrics stay; the last checkpoint stays the last good state
      await log.flush().catch(() => undefined);
    }
    await store.updateRun(ctx.runId, { status, statusReason: reason, progress: log.progress() });
    return { status, reason, generation, bestEval40: log.bestEval40 };
  };

  await store.updateRun(ctx.runId, { status: 'running', statusReason: null, backend: ctx.backend });

  try {
    for (;;) {
      if (ctx.control.requested === 'stop') return await finish('stopped', `stopped by the user at generation ${generation}`);
      if (ctx.control.requested === 'pause') return await finish('paused', `paused at generation ${generation}`);
      if (cfg.stop.maxGenerations !== null && generation >= cfg.stop.maxGenerations) {
        return await finish('finished', `reached max generations (${cfg.stop.maxGenerations})`);
      }
      if (cfg.stop.maxSeconds !== null && log.wall() >= cfg.stop.maxSeconds) {
        return await finish('finished', `reached max time (${cfg.stop.maxSeconds} s)`);
      }

      const g = generation + 1;
      const draw = pool ? drawFromPool(pool, B, seedBatch, target.rgba, runStream(cfg.seed, g, StreamPurpose.Pool, 0)) : null;
      const { center, sigma } = strategy.ask();
      const pending = evaluator.evaluate({ generation: g, params: center, sigma, x0: draw ? draw.x0 : seedBatch, wantBest: !!pool });
      // the jobs are on their way: build this generation's noise while the workers evaluate
      const prebuilt = evaluator.workers > 0 && !evaluator.inProcess
        ? GenerationNoise.forPopulation(cfg.seed, g, es.population, es.mirrored, center.length) : null;
      let out: Awaited<typeof pending>;
      try {
        out = await pending;
      } catch (err) {
        // the cluster is away: keep what is done (a checkpoint at generation g − 1) and let the session resume
        if (err instanceof EvaluationPaused) return await finish('paused', err.message);
        throw err;
      }
      const bad = out.losses.findIndex((l) => !Number.isFinite(l));
      if (bad >= 0) {
        return await finish('failed', `fitness of member ${bad} is ${out.losses[bad]} at generation ${g}; ` +
          `the last good checkpoint is generation ${lastCheckpointGen}`);
      }
      const fitness = out.losses.map((l) => -l);
      const shaped = centredRankShaping(fitness);
      const noise = new PopulationNoise(cfg.seed, g, es.population, es.mirrored, center.length, prebuilt);
      const { lr: lrUsed } = strategy.tell({ generation: g, fitness, shaped, noise });
      if (!strategy.ask().center.every(Number.isFinite)) {
        return await finish('failed', `the update made the parameters non-finite at generation ${g}; ` +
          `the last good checkpoint is generation ${lastCheckpointGen}`);
      }
      if (pool && draw && out.best) commitToPool(pool, draw.indices, out.best.final, es.pool.kind === 'thesis' ? 'thesis' : 'mordvintsev', nca.aliveThreshold);

      generation = g;
      const meanLoss = out.losses.reduce((a, b) => a + b, 0) / out.losses.length;
      const genBest = Math.min(...out.losses);
      log.advance(g, es.population * B, meanLoss, genBest);

      let evalNow: { eval40: number; eval200: number } | null = null;
      if (g === 1 || g % cfg.evalEvery === 0) {
        evalNow = growthEval(nca, cfg.seed, strategy.ask().center, target, g);
        log.noteEval(evalNow);
      }
      deps.onGeneration?.(g, strategy.ask().center);

      const row: MetricRow = { generation: g, evaluations: log.evaluations, wallSeconds: log.wall(), loss: meanLoss, bestLoss: genBest, lr: lrUsed };
      if (evalNow) { row.eval40 = evalNow.eval40; row.eval200 = evalNow.eval200; }
      await log.record(row, evalNow !== null);
      if (g % cfg.checkpointEvery === 0) await checkpoint();
      if (evalNow && cfg.stop.targetLoss !== null && evalNow.eval40 <= cfg.stop.targetLoss) {
        return await finish('finished', `reached the target 40-step loss ${cfg.stop.targetLoss} (${evalNow.eval40.toPrecision(4)}) at generation ${g}`);
      }
    }
  } catch (err) {
    const message = messageOf(err);
    await store.updateRun(ctx.runId, {
      status: 'failed',
      statusReason: `${message} (the last good checkpoint is generation ${lastCheckpointGen})`,
      progress: log.progress(),
    }).catch(() => undefined);
    return { status: 'failed', reason: message, generation, bestEval40: log.bestEval40 };
  }
}
