/**
 * Adam as a plug-in of the training loop: chooses where a run's session computes (optimizers/adam-session.ts) —
 * gradients on the fused BPTT engine in this process or split over one worker process per core
 * (adam-gradients.ts; the update stays here), on the GPU, or, where the workers' tfjs backend is tensorflow
 * (native and multi-threaded), the tfjs reference session as one job in one worker
 * (services/workers/adam-train-job.ts).
 */
import { availableParallelism } from 'node:os';
import { ncaConfigOf } from '../../../shared/training-config';
import { resolveEngine } from '../../compute/engine-choice';
import type { GpuAdapterReport } from '../../compute/gpu-adapters';
import { inProcessGradients } from '../../../core/adam/fused-adam';
import { bpttEngineName } from '../../../core/adam/bptt-kernel';
import { WorkerPool } from '../../workers/pool';
import { forkSpawner } from '../../workers/spawners';
import type { LabJobs } from '../../workers/lab-jobs';
import type { TrainerContext, TrainOutcome } from '../context';
import { poolGradients } from '../adam-gradients';
import { restartLine } from './worker-lines';
import { type OptimizerPlugin, type SessionStart } from './optimizer';
import { asAdam, trainAdam } from './adam-session';
import { counted } from '../../../shared/words';

/** The tfjs reference path: the whole Adam session as one job in one worker (pool.backend is its backend). */
async function tfjsAdamJob(start: SessionStart, pool: WorkerPool<LabJobs>): Promise<TrainOutcome> {
  const { opts } = start;
  const abort = new AbortController();
  // the worker checks its control flag every iteration; relay the request as a cancel carrying stop/pause
  const poll = setInterval(() => {
    if (opts.control.requested && !abort.signal.aborted) abort.abort(opts.control.requested);
  }, 100);
  try {
    start.log(`Adam worker ready (tfjs backend ${pool.backend})`);
    return await pool.run('adam-train', { workspace: opts.workspace, runId: opts.runId }, {
      signal: abort.signal, onProgress: opts.onProgress, graceful: true, cancelGraceMs: 120_000,
    });
  } finally {
    clearInterval(poll);
  }
}

export const adamPlugin: OptimizerPlugin = {
  id: 'adam',
  async runSession(start: SessionStart): Promise<TrainOutcome> {
    const { opts, store, target, log } = start;
    const config = asAdam(start.config, opts.runId);
    const engine = await resolveEngine(opts.engine ?? config.engine);
    const compute = engine.record;
    log(`compute engine: ${compute.engine}${compute.adapter ? ` on ${compute.adapter}` : ''} (${compute.reason})`);
    const ctxBase = { workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress, onLog: opts.onLog, compute };
    const requested = opts.workers ?? availableParallelism();
    if (engine.adapter) return adamOnGpu(start, ctxBase, engine.adapter, requested);
    if (requested <= 0 && opts.backend !== 'tensorflow') {
      return trainAdam({ ...ctxBase, backend: `${bpttEngineName()} (in process)`, workers: 0 }, { store, gradients: inProcessGradients(ncaConfigOf(config), target, config.stepsMax) });
    }
    const pool = new WorkerPool<LabJobs>({
      // loadBackend: the engine is chosen by the workers' tfjs backend, so they pick it at start (ES workers do not)
      size: Math.max(1, Math.min(requested, config.adam.batchSize)), spawn: opts.spawn ?? forkSpawner(),
      init: { ...(opts.backend ? { backend: opts.backend } : {}), loadBackend: true },
      onWorkerRestart: (info) => log(restartLine(info)),
    });
    try {
      await pool.start();
      if (pool.backend !== 'tensorflow') {
        log(`Adam: ${counted(pool.size, 'worker process', 'worker processes')} ready, gradients on ${bpttEngineName()}`);
        const gradients = poolGradients(ncaConfigOf(config), target, config.stepsMax, pool.size, (payloads) => pool.map('adam-grad', payloads));
        return await trainAdam({ ...ctxBase, backend: `${bpttEngineName()} ×${counted(pool.size, 'worker')}`, workers: pool.size }, { store, gradients });
      }
      return await tfjsAdamJob(start, pool);
    } finally {
      await pool.close();
    }
  },
};

/**
 * Adam with its gradients on the GPU: one worker process holds the device and computes the whole batch (job
 * adam-gpu-grad), or this process does with --workers 0; the update stays here (FusedAdam), as on the CPU engine.
 */
async function adamOnGpu(start: SessionStart, ctxBase: Omit<TrainerContext, 'backend'>, adapter: GpuAdapterReport, requested: number): Promise<TrainOutcome> {
  const { opts, store, target, log } = start;
  const config = asAdam(start.config, opts.runId);
  const nca = ncaConfigOf(config);
  const backend = `webgpu on ${ctxBase.compute!.adapter}`;
  if (requested <= 0) {
    const { GpuDevice } = await import('../../compute/gpu-device');
    const { GpuBptt } = await import('../../compute/gpu-bptt');
    const device = await GpuDevice.open(adapter);
    const bptt = new GpuBptt(device);
    try {
      const gradients = poolGradients(nca, target, config.stepsMax, 1, (payloads) => Promise.all(payloads.map((p) => bptt.sliceGradients(p))));
      return await trainAdam({ ...ctxBase, backend: `${backend} (in process)` }, { store, gradients });
    } finally {
      bptt.dispose();
      device.destroy();
    }
  }
  const pool = new WorkerPool<LabJobs>({ size: 1, spawn: opts.spawn ?? forkSpawner(), onWorkerRestart: (info) => log(restartLine(info)) });
  try {
    await pool.start();
    log(`Adam: 1 worker process ready, gradients on the GPU (${ctxBase.compute!.adapter})`);
    const gradients = poolGradients(nca, target, config.stepsMax, 1, (payloads) => pool.map('adam-gpu-grad', payloads.map((p) => ({ ...p, adapter }))));
    return await trainAdam({ ...ctxBase, backend }, { store, gradients });
  } finally {
    await pool.close();
  }
}
