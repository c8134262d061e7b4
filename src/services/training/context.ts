/**
 * What the training loop (training-loop.ts) is given and what it reports, for every optimizer. Trainers hold no Electron import: the CLI, the
 * Electron main process (RunManager) and the browser bridge all drive them the same way.
 */
import type { ComputeRecord } from '../../shared/compute-engine';
import type { RunConfig } from '../../shared/training-config';
import type { Target } from '../../core/targets/target';
import type { RunProgressEvent } from '../../shared/metrics';

export type TrainOutcomeStatus = 'finished' | 'stopped' | 'paused' | 'failed';

export interface TrainOutcome {
  status: TrainOutcomeStatus;
  /** why it ended: "reached max generations (2000)", "NaN loss at iteration 812", … */
  reason: string;
  generation: number;
  bestEval40: number | null;
}

/** How the caller asks a running trainer to end: checked once per generation/iteration. */
export interface StopRequest {
  /** 'stop' ends the run (finished by the user); 'pause' ends this session with status paused */
  requested: null | 'stop' | 'pause';
}

export interface TrainerContext {
  workspace: string;
  runId: string;
  config: RunConfig;
  target: Target;
  /** the backend this process computes on (recorded in run.json) */
  backend: string;
  /** the engine (and GPU adapter) this session computes on, and why (run.json `compute`); absent: not resolved */
  compute?: ComputeRecord;
  /** the worker processes this session computes with (0: in this process), recorded in run.json; absent: not counted */
  workers?: number;
  control: StopRequest;
  /** a line for the user's log (the CLI prints it): what the session had to work around */
  onLog?: (line: string) => void;
  /** the row of the step just done, in its wire form (shared/metrics.ts), at most every PROGRESS_INTERVAL_MS */
  onProgress?: (ev: RunProgressEvent) => void;
}
