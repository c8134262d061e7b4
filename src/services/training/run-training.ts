/**
 * Runs one training session of a stored run, for every optimizer, the same way for the CLI, the desktop app's
 * RunManager and the browser bridge: read the run's target (refused when target.png is not the image the run was
 * created with, store/run-target.ts), take the run's lock, write new stop conditions, prepare the resume point
 * (the newest readable checkpoint, metrics cut back to it, LabStore.prepareResume), then hand the run to its
 * optimizer's plug-in (optimizers/index.ts), which sets up where it computes and drives the one training loop
 * (training-loop.ts).
 */
import { LabStore } from '../store/lab-store';
import { acquireRunLock } from './run-lock';
import { targetPixelsSha256 } from '../store/run-target';
import { lastKeptRowAtOrBefore } from './training-log';
import type { TrainOutcome } from './context';
import type { LabJobs } from '../workers/lab-jobs';
import { OPTIMIZER_PLUGINS } from './optimizers';
import type { TrainingSessionOptions } from './optimizers/optimizer';

export type { LabJobs, TrainingSessionOptions };
export { esComputeBackend } from './optimizers/es';

export async function runTrainingSession(opts: TrainingSessionOptions): Promise<TrainOutcome> {
  const store = opts.store ?? new LabStore(opts.workspace);
  const record = await store.getRun(opts.runId);
  let config = record.config;
  // the exact pixels the run was created with (imported images included), padded as configured
  const target = await store.loadRunTarget(opts.runId);
  const lock = opts.lock ?? await acquireRunLock(store.runDir(opts.runId), opts.runId);
  try {
    // a run from before run.json kept its target's hash gets it now, from the target.png it has trained on
    if (record.targetSha256 === null) await store.updateRun(opts.runId, { targetSha256: targetPixelsSha256(target) });
    if (opts.stop) config = (await store.updateRun(opts.runId, { stop: opts.stop })).config;
    // the state this session continues from, with the metrics cut back to it and whatever was set aside said
    const resume = await store.prepareResume(opts.runId, { lastRowAt: (g) => lastKeptRowAtOrBefore(g, config.evalEvery) });
    if (lock.tookOver) {
      const was = lock.tookOver;
      const note = `took over the run's lock from process ${was.pid} (${was.command}, since ${was.startedAt}), which is no longer running`;
      await store.appendRunLog(opts.runId, note);
      opts.onLog?.(note);
    }
    for (const note of resume.notes) opts.onLog?.(note);
    const plugin = OPTIMIZER_PLUGINS[config.optimizer];
    if (!plugin) throw new Error(`run ${opts.runId}: no optimizer is called "${String(config.optimizer)}"`);
    return await plugin.runSession({ opts, store, config, target, log: opts.onLog ?? (() => undefined) });
  } finally {
    if (!opts.lock) await lock.release();
  }
}
