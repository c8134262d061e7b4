/**
 * The experiment worker job: one model × one suite × one repeat (core/experiments/job.ts), with progress and
 * cancellation (the rollout checks the signal every 50 updates).
 */
import type { JobHandler } from '../../services/workers/protocol';
import { runExperimentJob } from '../../core/experiments/job';
import type { ExperimentJobType } from '../../services/workers/lab-jobs';

export const experimentJob: JobHandler<ExperimentJobType> = async (payload, ctx) =>
  runExperimentJob(payload, { signal: ctx.signal, progress: ctx.progress });
