/**
 * What a trainer (ES or Adam) is given and what it reports. Trainers hold no Electron import: the CLI, the
 * Electron main process (RunManager) and the browser bridge all drive them the same way.
 */
import type { RunConfig } from '../../shared/training-config';
import type { Target } from '../../core/targets/target';

/** One progress event (also appended to metrics): same field names for ES and Adam so curves overlay. */
export interface ProgressEvent {
  runId: string;
  optimizer: 'es' | 'adam';
  /** ES generation or Adam iteration, counted from 1 */
  generation: number;
  /** rollouts evaluated so far (ES: population × batch per generation; Adam: batch per iteration) */
  evaluations: number;
  /** training wall time so far, summed over sessions (resumes) */
  wallSeconds: number;
  /** ES: mean loss of the perturbed population (= −mean raw fitness); Adam: batch loss */
  loss: number;
  /** ES: best member's loss this generation; Adam: the batch loss */
  bestLoss: number;
  lr: number;
  /** Adam: global gradient norm */
  gradNorm?: number;
  /** growth loss from the seed after 40 / 200 steps (c.2), on evaluation generations only */
  eval40?: number;
  eval200?: number;
  /** throughput over the last reporting window */
  generationsPerSec?: number;
  mutantsPerSec?: number;
  iterationsPerSec?: number;
}

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
  control: StopRequest;
  onProgress?: (ev: ProgressEvent) => void;
}
