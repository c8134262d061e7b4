/**
 * ES as the master of a cluster run (docs/scale-out.md): the loop and the optimizer are the same as
 * on this machine's pool, its slices go through the cluster's Redis. When Redis goes away the optimizer pauses
 * the session after a checkpoint ("cluster unreachable since …"); this session waits for Redis and resumes it
 * from that checkpoint, on the same trajectory, unless the user stops or pauses meanwhile.
 */
import { availableParallelism } from 'node:os';
import type { LabStore } from '../../store/lab-store';
import { WorkerPool } from '../../workers/pool';
import { ES_WORKER_NODE_FLAGS, forkSpawner } from '../../workers/spawners';
import type { LabJobs } from '../../workers/lab-jobs';
import { parseClusterUrl } from '../../cluster/redis-url';
import { ClusterSliceRunner } from '../../cluster/cluster-runner';
import { ClusterWorkerNode, type JobExecutor } from '../../cluster/cluster-worker';
import { localCompat, measureWorker } from '../../cluster/compat';
import { PoolEsEvaluator, type EsRunSettings } from '../es-evaluator';
import type { TrainOutcome } from '../context';
import { fusedBackendName } from '../../../core/nca/fused';
import { restartLine } from './worker-lines';
import type { TrainingSessionOptions } from './optimizer';
import { counted } from '../../../shared/words';

export interface ClusterSession {
  opts: TrainingSessionOptions;
  store: LabStore;
  settings: EsRunSettings;
  /** one session of the loop on this evaluator, recording this backend (es.ts's trainEs) */
  train: (backend: string, evaluator: PoolEsEvaluator) => Promise<TrainOutcome>;
  url: string;
  /** worker processes of this machine that join the cluster (0: none) */
  localWorkers: number;
  log: (line: string) => void;
}

export async function runEsOnCluster({ opts, store, settings, train, url, localWorkers, log }: ClusterSession): Promise<TrainOutcome> {
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
        size: Math.min(localWorkers, settings.population), spawn: opts.spawn ?? forkSpawner(), nodeFlags: ES_WORKER_NODE_FLAGS,
        init: opts.backend ? { backend: opts.backend } : {}, onWorkerRestart: (info) => log(restartLine(info)),
      });
      pool = local;
      await local.start();
      const executor: JobExecutor = local;
      const measured = await measureWorker(executor, local.size);
      node = new ClusterWorkerNode({ addr, executor, concurrency: local.size, cores: availableParallelism(), compat: measured.compat, mutantsPerSec: measured.mutantsPerSec, label: 'local' });
      await node.start();
      log(`this computer joins with ${counted(local.size, 'worker process', 'worker processes')} (${measured.mutantsPerSec.toFixed(0)} mutants/s)`);
    }
    const evaluator = new PoolEsEvaluator(settings, runner);
    const backend = `${fusedBackendName()} on cluster ${addr.display}`;
    for (;;) {
      const outcome = await train(backend, evaluator);
      if (outcome.status === 'paused' && opts.control.requested === 'stop') {
        // stopped mid-generation: the loop paused after a checkpoint; the user asked for the end of the run
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
