/**
 * The training worker process (docs/architecture.md, "Compute"): one per core for ES, one per Adam run. Started by
 * WorkerPool through forkSpawner (CLI, from these sources via tsx) or utilityProcessSpawner (the desktop app,
 * built to out/main/worker.js). It runs the jobs registered here.
 *
 * tfjs is loaded only for the jobs that compute on it (the tfjs Adam session, adam-train): those modules are imported when such a
 * job first arrives and the backend is picked then, so a worker that only evaluates ES slices (the fused
 * WebAssembly kernel) never loads tfjs (issue 12 §4: an ES worker in tens of MB, not ≈190).
 *
 * Add a job with one line: `registerJob('es-slice', esSliceJob);
// the same on the worker's GPU (WebGPU through Dawn, loaded with the first such job)
registerJob('es-gpu-slice', esGpuSliceJob);` (handlers live in ./jobs/; pass
 * `{ backend: true }` and import the module lazily when the job needs tfjs).
 */
import { registerJob, startWorkerRuntime } from './runtime';
import type { AdamTrainJobType } from '../services/workers/lab-jobs';
import { esSliceJob } from './jobs/es-slice';
import { esGpuSliceJob } from './jobs/es-gpu-slice';
import { adamGradJob } from './jobs/adam-grad';
import { experimentJob } from './jobs/experiment';

registerJob('es-slice', esSliceJob);
// the same on the worker's GPU (WebGPU through Dawn, loaded with the first such job)
registerJob('es-gpu-slice', esGpuSliceJob);
registerJob<AdamTrainJobType>('adam-train', async (payload, ctx) => (await import('./jobs/adam-train')).adamTrainJob(payload, ctx), { backend: true });
// the fused BPTT engine: WebAssembly, no tfjs
registerJob('adam-grad', adamGradJob);
registerJob('experiment', experimentJob);

startWorkerRuntime({
  initBackend: async (forced) => (await (await import('../services/compute/backend')).initNodeBackend(forced)).name,
  backendOnDemand: true,
});
