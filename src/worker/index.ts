/**
 * The training worker process (docs/architecture.md, "Compute"): one per core for ES, one per Adam run. Started by
 * WorkerPool through forkSpawner (CLI, from these sources via tsx) or utilityProcessSpawner (the desktop app,
 * built to out/main/worker.js). It picks the tfjs backend on its first init and runs the jobs registered here.
 *
 * Add a job with one line: `registerJob('es-slice', esSliceJob);` (handlers live in ./jobs/).
 */
import { initNodeBackend } from '../services/compute/backend';
import { registerJob, startWorkerRuntime } from './runtime';
import { esSliceJob } from './jobs/es-slice';
import { adamTrainJob } from './jobs/adam-train';
import { adamGradJob } from './jobs/adam-grad';
import { experimentJob } from './jobs/experiment';

registerJob('es-slice', esSliceJob);
registerJob('adam-train', adamTrainJob);
registerJob('adam-grad', adamGradJob);
registerJob('experiment', experimentJob);

startWorkerRuntime({ initBackend: async (forced) => (await initNodeBackend(forced)).name });
