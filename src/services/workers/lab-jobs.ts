/**
 * The job kinds a lab worker process runs, as types: what the services send (payload), get back (result) and
 * hear while a job runs (progress). The worker (src/worker/jobs/*) implements each one; the services only
 * name them, so the dependency runs from the worker up to here and never back.
 */
import type { JobType } from './protocol';
import type { EsSliceRequest, EsSliceResult } from '../../core/es/slice';
import type { ExperimentJobPayload, ExperimentJobProgress, ExperimentJobResult } from '../../core/experiments/job';
import type { ProgressEvent, TrainOutcome } from '../training/context';
import type { AdamGradientRequest, AdamGradientResult } from '../../core/adam/gradient-slice';
import type { GpuAdapterReport } from '../compute/gpu-adapters';

/** ES (thesis Algorithm 2): members [memberStart, memberEnd) of one generation; losses back. */
export type EsSliceJobType = JobType<EsSliceRequest, EsSliceResult>;

/** ES on the GPU: the same slice, evaluated by the worker's WebGPU device on this adapter (services/compute/gpu-es.ts). */
export interface EsGpuSliceRequest extends EsSliceRequest {
  adapter: GpuAdapterReport;
}
export type EsGpuSliceJobType = JobType<EsGpuSliceRequest, EsSliceResult>;

/** Adam: one whole training session of a stored run in the worker process. */
export interface AdamTrainPayload {
  workspace: string;
  runId: string;
}
export type AdamTrainJobType = JobType<AdamTrainPayload, TrainOutcome, ProgressEvent>;

/** Adam on the fused engine: per-sample losses, finals and gradients of a slice of one iteration's batch. */
export type AdamGradJobType = JobType<AdamGradientRequest, AdamGradientResult>;

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

/** Every job kind by name, as the WorkerPool is typed. */
export interface LabJobs {
  [kind: string]: JobType<any, any, any>;
  'es-slice': EsSliceJobType;
  'es-gpu-slice': EsGpuSliceJobType;
  'adam-train': AdamTrainJobType;
  'adam-grad': AdamGradJobType;
  experiment: ExperimentJobType;
  'worker-stats': WorkerStatsJobType;
}
