/**
 * Runs one training session of a stored run, ES or Adam, the same way for the CLI, the desktop app's
 * RunManager and the browser bridge: ES as the master of a WorkerPool (one worker process per core); Adam as
 * the master of a WorkerPool computing the batch's gradient in slices on the fused BPTT engine, or, on the
 * tensorflow backend (tfjs-node uses all cores itself), as one long tfjs job in one worker process.
 */
import { availableParallelism } from 'node:os';
import { LabStore } from '../store/lab-store';
import { acquireRunLock } from './run-lock';
import { lastKeptRowAtOrBefore } from './training-log';
import type { Target } from '../../core/targets/target';
import { WorkerPool, type WorkerRestartInfo } from '../workers/pool';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import type { LabJobs } from '../workers/lab-jobs';
import { InProcessEsEvaluator, PoolEsEvaluator, esObjectiveSettings, type EsRunSettings } from './es-evaluator';
import { trainEs } from './es-trainer';
import type { ProgressEvent, StopRequest, TrainOutcome } from './context';
import { fusedBackendName } from '../../core/nca/fused';
import type { TrainerContext } from './context';
import { parseClusterUrl } from '../cluster/redis-url';
import { ClusterSliceRunner } from '../cluster/cluster-runner';
import { ClusterWorkerNode, type JobExecutor } from '../cluster/cluster-worker';
import { localCompat, measureWorker } from '../cluster/compat';
import { trainAdam } from './adam-trainer';
import { poolGradients } from './adam-gradients';
import { inProcessGradients } from '../../core/adam/fused-adam';
import { bpttEngineName } from '../../core/adam/bptt-kernel';

export type { LabJobs };

export interface TrainingSessionOptions {
  workspace: string;
  /** the lab's store of that workspace (default: one of its own, as the CLI's single run has) */
  store?: LabStore;
  runId: string;
  control: StopRequest;
  onProgress?: (ev: ProgressEvent) => void;
  /** a line for the user's log: worker restarts, backend choice */
  onLog?: (line: string) => void;
  /** worker processes (ES default: the run's es.workers, 0 = one per core; Adam: one per core, at most the batch
   *  size); 0 here = in this process */
  workers?: number;
  /** force a tfjs backend in the workers */
  backend?: string;
  /** how to start worker processes (Electron passes a utilityProcess spawner) */
  spawn?: WorkerSpawner;
  /**
   * ES on the cluster at this Redis URL (services/cluster): slices go to every `nca-lab worker` on it, and this
   * machine's own cores join them unless `workers` is 0. Adam runs ignore it (one process, no population).
   */
  cluster?: string;
  /** new stop conditions for this and later sessions (resume --max-generations), written once the lock is held */
  stop?: RunConfig['stop'];
}

/** What computes the ES population: the fused WebAssembly SIMD kernel, or its plain TypeScript fallback. */
export const esComputeBackend = fusedBackendName;

export async function runTrainingSession(opts: TrainingSessionOptions): Promise<TrainOutcome> {
  const store = opts.store ?? new LabStore(opts.workspace);
  let config = (await store.getRun(opts.runId)).config;
  // the exact pixels the run was created with (imported images included), padded as configured
  const target = await store.loadRunTarget(opts.runId);
  const lock = await acquireRunLock(store.runDir(opts.runId), opts.runId);
  try {
    if (opts.stop) config = (await store.updateRun(opts.runId, { stop: opts.stop })).config;
    // the state this session continues from, with the metrics cut back to it and whatever was set aside said
    const resume = await store.prepareResume(opts.runId, { lastRowAt: (g) => lastKeptRowAtOrBefore(g, config.evalEvery) });
    for (const note of resume.notes) opts.onLog?.(note);
    return await runLocked(opts, store, config, target);
  } finally {
    await lock.release();
  }
}

async function runLocked(opts: TrainingSessionOptions, store: LabStore, config: RunConfig, target: Target): Promise<TrainOutcome> {
  const log = opts.onLog ?? (() => undefined);
  const onRestart = (info: WorkerRestartInfo) =>
    log(`worker ${info.slot + 1} (pid ${info.pid}) ended (${info.signal ?? `exit ${info.code}`}) during ${info.jobKind ?? 'no job'}; ` +
      `replaced${info.jobKind ? ' and its job re-run' : ''}`);

  if (config.optimizer === 'es') {
    const requested = opts.workers ?? (config.es.workers || availableParallelism());
    const settings: EsRunSettings = {
      cfg: ncaConfigOf(config), seed: config.seed, population: config.es.population, target: target.rgba,
      sigma: config.es.sigma, mirrored: config.es.mirrored, commonRandomNumbers: config.es.commonRandomNumbers,
      perMemberSteps: config.es.perMemberSteps, stepsMin: config.stepsMin, stepsMax: config.stepsMax,
      ...esObjectiveSettings(config.es.objective),
    };
    const ctxBase = { workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress };
    if (opts.cluster) return runEsOnCluster(opts, store, settings, ctxBase, opts.cluster, opts.workers ?? (config.es.workers || availableParallelism()), onRestart);
    if (requested <= 0) {
      return trainEs({ ...ctxBase, backend: `${esComputeBackend()} (in process)` }, { store, evaluator: new InProcessEsEvaluator(settings) });
    }
    const pool = new WorkerPool<LabJobs>({
      size: Math.min(requested, config.es.population), spawn: opts.spawn ?? forkSpawner(),
      init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: onRestart,
    });
    try {
      await pool.start();
      log(`${pool.size} worker process${pool.size === 1 ? '' : 'es'} ready (population evaluation on ${esComputeBackend()}; tfjs ${pool.backend})`);
      const evaluator = new PoolEsEvaluator(settings, { size: pool.size, map: (payloads) => pool.map('es-slice', payloads) });
      return await trainEs({ ...ctxBase, backend: `${esComputeBackend()} ×${pool.size} workers` }, { store, evaluator });
    } finally {
      await pool.close();
    }
  }

  // Adam: the fused BPTT engine with the batch split over one worker per core, the update in this process;
  // or, where the workers' tfjs backend is tensorflow (native and multi-threaded), the tfjs reference as one
  // job in one worker. The choice is recorded in run.json (backend).
  const requested = opts.workers ?? availableParallelism();
  const batch = config.optimizer === 'adam' ? config.adam.batchSize : 1;
  if (requested <= 0 && opts.backend !== 'tensorflow') {
    return trainAdam({ workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress,
      backend: `${bpttEngineName()} (in process)` }, { store, gradients: inProcessGradients(ncaConfigOf(config), target, config.stepsMax) });
  }
  const pool = new WorkerPool<LabJobs>({
    // loadBackend: the engine is chosen by the workers' tfjs backend, so they pick it at start (ES workers do not)
    size: Math.max(1, Math.min(requested, batch)), spawn: opts.spawn ?? forkSpawner(),
    init: { ...(opts.backend ? { backend: opts.backend } : {}), loadBackend: true },
    onWorkerRestart: onRestart,
  });
  try {
    await pool.start();
    if (pool.backend !== 'tensorflow') {
      log(`Adam: ${pool.size} worker process${pool.size === 1 ? '' : 'es'} ready, gradients on ${bpttEngineName()}`);
      const gradients = poolGradients(ncaConfigOf(config), target, config.stepsMax, pool.size, (payloads) => pool.map('adam-grad', payloads));
      return await trainAdam({ workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress,
        backend: `${bpttEngineName()} ×${pool.size} worker${pool.size === 1 ? '' : 's'}` }, { store, gradients });
    }
    return await tfjsAdamJob(opts, pool);
  } finally {
    await pool.close();
  }
}

/** The tfjs reference path: the whole Adam session as one job in one worker (pool.backend is its backend). */
async function tfjsAdamJob(opts: TrainingSessionOptions, pool: WorkerPool<LabJobs>): Promise<TrainOutcome> {
  const abort = new AbortController();
  // the worker checks its control flag every iteration; relay the request as a cancel carrying stop/pause
  const poll = setInterval(() => {
    if (opts.control.requested && !abort.signal.aborted) abort.abort(opts.control.requested);
  }, 100);
  try {
    opts.onLog?.(`Adam worker ready (tfjs backend ${pool.backend})`);
    return await pool.run('adam-train', { workspace: opts.workspace, runId: opts.runId }, {
      signal: abort.signal, onProgress: opts.onProgress, graceful: true, cancelGraceMs: 120_000,
    });
  } finally {
    clearInterval(poll);
  }
}

/**
 * ES as the master of a cluster run: the trainer is the same, its slices go through the cluster's Redis. When
 * Redis goes away the trainer pauses after a checkpoint ("cluster unreachable since …"); this session waits for
 * Redis and resumes it from that checkpoint, on the same trajectory, unless the user stops or pauses meanwhile.
 */
async function runEsOnCluster(
  opts: TrainingSessionOptions, store: LabStore, settings: EsRunSettings, ctxBase: Omit<TrainerContext, 'backend'>,
  url: string, localWorkers: number, onRestart: (info: WorkerRestartInfo) => void,
): Promise<TrainOutcome> {
  const log = opts.onLog ?? (() => undefined);
  const addr = parseClusterUrl(url);
  const compat = localCompat();
  const runner = new ClusterSliceRunner({
    addr, runId: opts.runId, compat, onLog: log,
    onWaiting: (reason) => void store.updateRun(opts.runId, { statusReason: reason }).catch(() => undefined),
    // a generation can wait for workers for ever: the user's pause or stop must not
    interrupt: () => (opts.control.requested ? `${opts.control.requested === 'stop' ? 'stopped' : 'paused'} by the user while waiting for the cluster` : null),
  });
  let pool: WorkerPool<LabJobs> | null = null;
  let node: ClusterWorkerNode | null = null;
  try {
    await runner.open();
    log(`cluster ${addr.display}: run key ${runner.runKey}, compatibility ${runner.compatId} (lab ${compat.labVersion}, ${compat.kernel})`);
    if (localWorkers > 0) {
      const local = new WorkerPool<LabJobs>({
        size: Math.min(localWorkers, settings.population), spawn: opts.spawn ?? forkSpawner(),
        init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: onRestart,
      });
      pool = local;
      await local.start();
      const executor: JobExecutor = { run: (kind: 'es-slice' | 'experiment', payload: never) => local.run(kind, payload) } as JobExecutor;
      const measured = await measureWorker(executor, local.size);
      node = new ClusterWorkerNode({ addr, executor, concurrency: local.size, cores: availableParallelism(), compat: measured.compat, mutantsPerSec: measured.mutantsPerSec, label: 'local' });
      await node.start();
      log(`this computer joins with ${local.size} worker process${local.size === 1 ? '' : 'es'} (${measured.mutantsPerSec.toFixed(0)} mutants/s)`);
    }
    const evaluator = new PoolEsEvaluator(settings, runner);
    const backend = `${esComputeBackend()} on cluster ${addr.display}`;
    for (;;) {
      const outcome = await trainEs({ ...ctxBase, backend }, { store, evaluator });
      if (outcome.status === 'paused' && opts.control.requested === 'stop') {
        // stopped mid-generation: the trainer paused after a checkpoint; the user asked for the end of the run
        await store.updateRun(opts.runId, { status: 'stopped', statusReason: `stopped by the user at generation ${outcome.generation}` });
        return { ...outcome, status: 'stopped', reason: `stopped by the user at generation ${outcome.generation}` };
      }
      if (outcome.status !== 'paused' || !outcome.reason.startsWith('cluster unreachable') || opts.control.requested) return outcome;
      log(`${outcome.reason} (checkpoint at generation ${outcome.generation})`);
      const back = await runner.waitReachable(() => opts.control.requested !== null);
      if (!back) {
        if (opts.control.requested === 'stop') {
          await store.updateRun(opts.runId, { status: 'stopped', statusReason: `stopped by the user at generation ${outcome.generation} while the cluster was unreachable` });
          return { ...outcome, status: 'stopped', reason: `stopped by the user at generation ${outcome.generation}` };
        }
        return outcome;
      }
      log(`cluster ${addr.display} is back: resuming from generation ${outcome.generation}`);
    }
  } finally {
    await node?.close(true);
    await pool?.close();
    await runner.close();
  }
}
