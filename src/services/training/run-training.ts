/**
 * Runs one training session of a stored run, ES or Adam, the same way for the CLI, the desktop app's
 * RunManager and the browser bridge: ES as the master of a WorkerPool (one worker process per core), Adam as
 * one long job in one worker process (tfjs-node would use all cores itself; wasm/cpu use one).
 */
import { availableParallelism } from 'node:os';
import { LabStore } from '../store/lab-store';
import { acquireRunLock } from './run-lock';
import type { Target } from '../../core/targets/target';
import { WorkerPool, type WorkerRestartInfo } from '../workers/pool';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import type { LabJobs } from '../workers/lab-jobs';
import { InProcessEsEvaluator, PoolEsEvaluator, type EsRunSettings } from './es-evaluator';
import { trainEs } from './es-trainer';
import type { ProgressEvent, StopRequest, TrainOutcome } from './context';
import { fusedBackendName } from '../../core/nca/fused';

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
  /** worker processes for ES (default: the run's es.workers, 0 = one per core); 0 here = in this process */
  workers?: number;
  /** force a tfjs backend in the workers */
  backend?: string;
  /** how to start worker processes (Electron passes a utilityProcess spawner) */
  spawn?: WorkerSpawner;
}

/** What computes the ES population: the fused WebAssembly SIMD kernel, or its plain TypeScript fallback. */
export const esComputeBackend = fusedBackendName;

export async function runTrainingSession(opts: TrainingSessionOptions): Promise<TrainOutcome> {
  const store = opts.store ?? new LabStore(opts.workspace);
  const run = await store.getRun(opts.runId);
  const config = run.config;
  // the exact pixels the run was created with (imported images included), padded as configured
  const target = await store.loadRunTarget(opts.runId);
  const lock = await acquireRunLock(store.runDir(opts.runId), opts.runId);
  try {
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
    };
    const ctxBase = { workspace: opts.workspace, runId: opts.runId, config, target, control: opts.control, onProgress: opts.onProgress };
    if (requested <= 0) {
      return trainEs({ ...ctxBase, backend: `${esComputeBackend()} (in process)` }, { store, evaluator: new InProcessEsEvaluator(settings) });
    }
    const pool = new WorkerPool<LabJobs>({
      size: Math.min(requested, config.es.population), spawn: opts.spawn ?? forkSpawner(),
      init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: onRestart,
    });
    try {
      await pool.start();
      log(`${pool.size} worker process${pool.size === 1 ? '' : 'es'} ready (tfjs backend ${pool.backend}; population evaluation on ${esComputeBackend()})`);
      const evaluator = new PoolEsEvaluator(settings, { size: pool.size, map: (payloads) => pool.map('es-slice', payloads) });
      return await trainEs({ ...ctxBase, backend: `${esComputeBackend()} ×${pool.size} workers` }, { store, evaluator });
    } finally {
      await pool.close();
    }
  }

  const pool = new WorkerPool<LabJobs>({
    size: 1, spawn: opts.spawn ?? forkSpawner(), init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: onRestart,
  });
  const abort = new AbortController();
  // the worker checks its control flag every iteration; relay the request as a cancel carrying stop/pause
  const poll = setInterval(() => {
    if (opts.control.requested && !abort.signal.aborted) abort.abort(opts.control.requested);
  }, 100);
  try {
    await pool.start();
    log(`Adam worker ready (tfjs backend ${pool.backend})`);
    return await pool.run('adam-train', { workspace: opts.workspace, runId: opts.runId }, {
      signal: abort.signal, onProgress: opts.onProgress, graceful: true, cancelGraceMs: 120_000,
    });
  } finally {
    clearInterval(poll);
    await pool.close();
  }
}
