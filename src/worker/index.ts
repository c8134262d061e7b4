/**
 * The training worker process (docs/architecture.md, "Compute"): one per core for ES, one per Adam run. Started by
 * WorkerPool through forkSpawner (CLI, from these sources, bundled) or utilityProcessSpawner (the desktop app,
 * built on its own to out/worker/worker.js by scripts/build-worker.mjs). It runs every job kind of the lab's job table (services/workers/lab-jobs.ts).
 *
 * tfjs is loaded only for the jobs that compute on it (the tfjs Adam session, adam-train): their records import
 * their module when such a job first arrives and the backend is picked then, so a worker that only evaluates ES
 * slices (the fused WebAssembly kernel) never loads tfjs (an ES worker in tens of MB, not ≈190).
 */
import { registerJob, startWorkerRuntime } from './runtime';
import { LAB_JOB_TABLE } from '../services/workers/lab-jobs';

for (const job of LAB_JOB_TABLE) registerJob(job.kind, job.run, { backend: 'backend' in job && job.backend });

startWorkerRuntime({
  initBackend: async (forced) => (await (await import('../services/compute/backend')).initNodeBackend(forced)).name,
  backendOnDemand: true,
});
