/**
 * What each job kind of LAB_JOB_TABLE (lab-jobs.ts) takes, returns and reports on the way: its JobType. Apart from
 * the table so that a job's own module (es-gpu-slice.ts, adam-gpu-grad.ts, adam-train-job.ts) can name its type
 * without importing the table that imports it.
 */
import type { JobType } from './protocol';
import type { EsSliceRequest, EsSliceResult } from '../../core/es/slice';
import type { NoiseSumsRequest, NoiseSumsResult } from '../../core/es/noise-sums';
import type { ExperimentJobPayload, ExperimentJobProgress, ExperimentJobResult } from '../../core/experiments/job';
import type { AdamGradientRequest, AdamGradientResult } from '../../core/adam/gradient-slice';
import type { TrainOutcome } from '../training/context';
import type { RunProgressEvent } from '../../shared/metrics';
import type { GpuAdapterReport } from '../compute/gpu-adapters';

/** ES (thesis Algorithm 2): members [memberStart, memberEnd) of one generation; losses back. */
export type EsSliceJobType = JobType<EsSliceRequest, EsSliceResult>;

/** ES on the GPU: the same slice, evaluated by the worker's WebGPU device on this adapter (services/compute/gpu-es.ts). */
export interface EsGpuSliceRequest extends EsSliceRequest {
  adapter: GpuAdapterReport;
}
export type EsGpuSliceJobType = JobType<EsGpuSliceRequest, EsSliceResult>;

/** ES: one generation's weighted noise sums over a range of parameters (core/es/noise-sums.ts). */
export type EsNoiseSumsJobType = JobType<NoiseSumsRequest, NoiseSumsResult>;

/** Adam: one whole training session of a stored run in the worker process. */
export interface AdamTrainPayload {
  workspace: string;
  runId: string;
}
export type AdamTrainJobType = JobType<AdamTrainPayload, TrainOutcome, RunProgressEvent>;

/** Adam on the fused engine: per-sample losses, finals and gradients of a slice of one iteration's batch. */
export type AdamGradJobType = JobType<AdamGradientRequest, AdamGradientResult>;

/** Adam's gradients on the GPU: the same slice, computed by the worker's WebGPU device (services/compute/gpu-bptt.ts). */
export interface AdamGpuGradientRequest extends AdamGradientRequest {
  adapter: GpuAdapterReport;
}
export type AdamGpuGradJobType = JobType<AdamGpuGradientRequest, AdamGradientResult>;

/** One model × one suite × one repeat of an experiment (core/experiments/job.ts). */
export type ExperimentJobType = JobType<ExperimentJobPayload, ExperimentJobResult, ExperimentJobProgress>;

/** Built into every worker runtime (src/worker/runtime.ts): the worker's size and what it has loaded. */
export interface WorkerStatsResult {
  pid: number;
  rssBytes: number;
  /** the most this process has held resident since it started */
  maxRssBytes: number;
  heapUsedBytes: number;
  /** the tfjs backend in use, or null while none was loaded */
  backend: string | null;
  tfjsLoaded: boolean;
  /** the Node flags it was started with (process.execArgv) */
  nodeFlags: string[];
}
export type WorkerStatsJobType = JobType<Record<string, never>, WorkerStatsResult>;
