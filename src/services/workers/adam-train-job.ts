/**
 * The Adam worker job: one whole training session of a stored run in this worker process (docs/architecture.md,
 * "Compute": Adam runs in one worker per run; tfjs-node would use every core itself, wasm and cpu use one). The
 * run computes on this worker's tfjs backend, which the trainer records in run.json. Its record in lab-jobs.ts
 * imports this module only when such a job arrives, so a worker that never trains Adam on tfjs never loads tfjs.
 *
 * Cancelling the job asks the trainer to end at the next iteration boundary: the cancel's reason 'pause' pauses
 * the run (checkpoint, status paused); any other reason stops it (checkpoint, model, status stopped). The parent
 * should run it with `graceful: true` and a grace period longer than one iteration (tens of seconds at M's
 * 72×72), so the outcome comes back instead of the worker being killed.
 */
import * as tf from '@tensorflow/tfjs';
import type { JobHandler } from './protocol';
import type { AdamTrainJobType } from './lab-job-types';
import { LabStore } from '../store/lab-store';
import { trainAdam } from '../training/optimizers/adam-session';
import type { StopRequest } from '../training/context';


/** The control request a cancel stands for. */
export function requestFromCancelReason(reason: unknown): 'stop' | 'pause' {
  return reason === 'pause' ? 'pause' : 'stop';
}

export const adamTrainJob: JobHandler<AdamTrainJobType> = async (payload, ctx) => {
  const store = new LabStore(payload.workspace);
  const run = await store.getRun(payload.runId);
  // the exact pixels the run was created with (imported images included), padded as configured
  const target = await store.loadRunTarget(payload.runId);
  const control: StopRequest = { requested: null };
  const onAbort = () => { control.requested = requestFromCancelReason(ctx.signal.reason); };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await trainAdam({
      workspace: payload.workspace, runId: payload.runId, config: run.config, target,
      backend: tf.getBackend(), control, onProgress: (ev) => ctx.progress(ev),
    }, { store });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
};
