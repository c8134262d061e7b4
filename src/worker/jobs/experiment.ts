/**
 * The experiment worker job: one model × one suite × one repeat (core/experiments/job.ts), with progress and
 * cancellation (the rollout checks the signal every 50 updates).
 */
import type { JobHandler, JobType } from '../../node/workers/protocol';
import {
  runExperimentJob, type ExperimentJobPayload, type ExperimentJobProgress, type ExperimentJobResult,
} from '../../core/experiments/job';

export type ExperimentJobType = JobType<ExperimentJobPayload, ExperimentJobResult, ExperimentJobProgress>;

export const experimentJob: JobHandler<ExperimentJobType> = async (payload, ctx) =>
  runExperimentJob(payload, { signal: ctx.signal, progress: ctx.progress });
