/**
 * The seam between the one training loop (../training-loop.ts) and an optimizer (ES, Adam, …). The loop owns
 * everything a run does the same way whatever optimizes it: resume from the newest checkpoint, the stop
 * conditions, pause and stop on request, growth evaluation every `evalEvery` steps (spec c.2), metrics, progress,
 * checkpoints, the final model and the failed state. An optimizer owns only its own state and one step of it.
 *
 * Adding an optimizer (docs/architecture.md, "Where things go"): a pure, tested module under src/core for its
 * update; one file here that implements OptimizerPlugin (how a session computes — pool, cluster, in process —
 * and a TrainingOptimizer for the loop); one row in shared/optimizers.ts (label, units, fields, presets) and one
 * in ./index.ts.
 */
import type { Checkpoint } from '../../../shared/run-record';
import type { RunProgressEvent, StepMetrics } from '../../../shared/metrics';
import type { EngineChoice } from '../../../shared/compute-engine';
import { ncaConfigOf, type RunConfig } from '../../../shared/training-config';
import { initParams } from '../../../core/nca/config';
import { runStream, StreamPurpose } from '../../../core/rng/run-streams';
import type { Optimizer } from '../../../shared/optimizers';
import type { Target } from '../../../core/targets/target';
import type { StateBatch } from '../../../core/nca/state';
import type { LabStore } from '../../store/lab-store';
import type { WorkerSpawner } from '../../workers/spawners';
import type { StopRequest, TrainOutcome, TrainerContext } from '../context';
import type { RunLock } from '../run-lock';

/**
 * What one step of an optimizer did (a generation of ES, an iteration of Adam): every `step` metric of the metric
 * table (shared/metrics.ts: the training loss, its best, the learning rate, …) by name, and the rollouts it took.
 */
export type StepDone = StepMetrics & {
  kind: 'done';
  /** rollouts this step took (ES: population × batch; Adam: the batch) */
  rollouts: number;
};

/**
 * The step could not be applied: the run fails with this reason (the loop adds the step and the last good
 * checkpoint). `row`, when given, is logged whatever the keep policy (the diverged iteration).
 */
export interface StepFailed {
  kind: 'failed';
  reason: string;
  row?: StepMetrics & { rollouts: number };
}

/** The step was interrupted from outside (the cluster went away): the session pauses after a checkpoint. */
export interface StepPaused {
  kind: 'paused';
  reason: string;
}

export type StepResult = StepDone | StepFailed | StepPaused;

/** An optimizer's own part of a checkpoint (the loop adds step, evaluations, wall time and its best losses). */
export interface OptimizerCheckpoint {
  arrays: Record<string, Float32Array>;
  scalars: Record<string, number | string | boolean | null>;
  /** the sample pool of states (spec e), if the optimizer keeps one */
  pool: StateBatch | null;
  /** recorded for inspection only (streams are per step) */
  rng: Checkpoint['rng'];
}

/** An optimizer while the loop drives it: created fresh or restored from a checkpoint. */
export interface TrainingOptimizer {
  /** θ now (the loop evaluates growth on it and writes it into checkpoints and the model) */
  params(): Float32Array;
  /** step `step` (1-based): draw its batch, score it, update θ */
  step(step: number): Promise<StepResult>;
  /** its state after step `step` (the one the checkpoint is written at) */
  checkpointState(step: number): Promise<OptimizerCheckpoint>;
  dispose(): void;
}

/** What the loop gives an optimizer to start from. */
export interface OptimizerStart {
  ctx: TrainerContext;
  /** the newest checkpoint (the loop's resume point), or null for a fresh run */
  checkpoint: Checkpoint | null;
  /** without a checkpoint: the parameters a fine-tuned run starts from (config.startFrom), else null */
  startParams: Float32Array | null;
}

/**
 * θ of a session without a checkpoint, the same for every optimizer: the start model's parameters of a fine-tuned
 * run (the optimizer's own state still starts fresh), else layer-1 init from the seed's Init stream. No other
 * stream is touched, so a fine-tuned run draws the same batches, noise and fire masks as a fresh one.
 */
export function freshParams(start: OptimizerStart): Float32Array {
  if (start.startParams) return start.startParams.slice();
  const cfg = start.ctx.config;
  const rng = runStream(cfg.seed, 0, StreamPurpose.Init, 0);
  return initParams(ncaConfigOf(cfg), cfg.model.init, () => rng.uniform());
}

/** The options of one training session of a stored run (CLI, RunManager, bridge). */
export interface TrainingSessionOptions {
  workspace: string;
  /** the lab's store of that workspace (default: one of its own, as the CLI's single run has) */
  store?: LabStore;
  runId: string;
  control: StopRequest;
  onProgress?: (ev: RunProgressEvent) => void;
  /** a line for the user's log: worker restarts, backend choice */
  onLog?: (line: string) => void;
  /** worker processes (ES default: the run's es.workers, 0 = one per core; Adam: one per core, at most the batch
   *  size); 0 here = in this process */
  workers?: number;
  /** force a tfjs backend in the workers */
  backend?: string;
  /** this session's engine instead of the run's config.engine (nca-lab resume --engine) */
  engine?: EngineChoice;
  /** how to start worker processes (Electron passes a utilityProcess spawner) */
  spawn?: WorkerSpawner;
  /**
   * ES on the cluster at this Redis URL (services/cluster): slices go to every `nca-lab worker` on it, and this
   * machine's own cores join them unless `workers` is 0. Optimizers without a population ignore it.
   */
  cluster?: string;
  /** new stop conditions for this and later sessions (resume --max-generations), written once the lock is held */
  stop?: RunConfig['stop'];
  /**
   * the run's lock, already held by the caller, who releases it (a `nca-lab train` holds it while it waits for a
   * training slot, so the run is its own meanwhile); default: the session takes it and lets it go
   */
  lock?: RunLock;
}

/** What a session of this optimizer gets once the run is locked and its resume point prepared. */
export interface SessionStart {
  opts: TrainingSessionOptions;
  store: LabStore;
  config: RunConfig;
  target: Target;
  /** a line for the user's log */
  log: (line: string) => void;
}

/** One optimizer as the lab knows it in its services. */
export interface OptimizerPlugin {
  id: Optimizer;
  /** one training session: set up where it computes, drive the loop, tear down */
  runSession(start: SessionStart): Promise<TrainOutcome>;
}
