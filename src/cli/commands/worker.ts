/**
 * `nca-lab worker --redis URL`: puts this machine to work for every run on that Redis (services/cluster). It
 * starts one compute process per core (or --concurrency), measures its speed and its floats' fingerprint,
 * announces itself, and prints each job it takes. Ctrl-C (or SIGTERM) finishes the jobs in hand and leaves; a
 * second one leaves at once, and the cluster hands those jobs to someone else.
 */
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../../services/workers/pool';
import { forkSpawner } from '../../services/workers/spawners';
import type { LabJobs } from '../../services/workers/lab-jobs';
import { checkClusterFlag, clusterAddressFlag } from '../cluster-flag';
import { backendFlag, backendLoads } from './train';
import { ClusterWorkerNode, type JobExecutor } from '../../services/cluster/cluster-worker';
import { measureWorker } from '../../services/cluster/compat';
import { UsageError, type Command } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';
import { counted } from '../../shared/words';

const stamp = () => new Date().toISOString().slice(11, 19);

export const workerCommand: Command = {
  summary: 'put this machine to work for the runs on a cluster Redis: ES slices and experiment jobs',
  usage: `nca-lab worker --redis URL [--concurrency N] [--backend NAME]

Takes the lab's evaluation jobs (ES population slices, experiment-suite jobs) of every run whose master uses the
same Redis, on N compute processes (default: one per core), until Ctrl-C. Jobs carry only numbers: this worker
runs nothing but the lab's own job kinds, and only for runs whose floats it computes identically (same lab
version, kernel and probe; others are refused with the difference named).

  --redis URL        redis://[:password@]host[:port][/db], or rediss://… for TLS. Never expose a Redis
                     without a password: whoever reaches it can read and queue jobs.
  --concurrency N    compute processes (default: this machine's cores)
  --backend NAME     force the processes' tfjs backend (tensorflow, wasm, cpu)

It announces itself (host, cores, lab version, kernel, measured mutants/s) every 2 s; a run's window lists it
under Settings → Compute.`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      redis: { type: 'string' },
      concurrency: { type: 'string' },
      backend: { type: 'string' },
    });
    expectPositionals(positionals, []);
    if (!values.redis) throw new UsageError('--redis URL is required (redis://[:password@]host[:port] or rediss://…)');
    // every flag is checked before the cluster is asked anything
    clusterAddressFlag('--redis', values.redis);
    const concurrency = integerFlag('concurrency', values.concurrency, 1, 1024) ?? availableParallelism();
    const backend = backendFlag(values.backend);
    if (backend !== undefined) await backendLoads(backend);
    const { addr, redisVersion } = await checkClusterFlag('--redis', values.redis);
    const say = (line: string) => io.out(`${stamp()} ${line}`);
    say(`redis ${redisVersion} at ${addr.display}${addr.hasPassword ? '' : ' (no password: never expose this Redis beyond a trusted network)'}`);

    const pool = new WorkerPool<LabJobs>({
      size: concurrency, spawn: forkSpawner(), init: backend ? { backend } : {},
      onWorkerRestart: (info) => say(`compute process ${info.slot + 1} ended (${info.signal ?? `exit ${info.code}`}) during ${info.jobKind ?? 'no job'}; replaced`),
    });
    let node: ClusterWorkerNode | null = null;
    let quitting = 0;
    let wake: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => { wake = resolve; });
    const onSignal = () => {
      quitting++;
      if (quitting === 1) {
        const inHand = node?.jobsInHand ?? 0;
        say(inHand > 0 ? `finishing the ${counted(inHand, 'job')} in hand, then leaving (Ctrl-C again to leave now)` : 'no job in hand: leaving');
        wake();
      } else {
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await pool.start();
      const executor: JobExecutor = pool;
      say(`${pool.size} compute process${pool.size === 1 ? '' : 'es'} ready (tfjs ${pool.backend}); measuring speed`);
      const measured = await measureWorker(executor, pool.size);
      node = new ClusterWorkerNode({
        addr, executor, concurrency: pool.size, cores: availableParallelism(), compat: measured.compat,
        mutantsPerSec: measured.mutantsPerSec, onLine: say,
      });
      await node.start();
      await stopped;
      await node.close(quitting > 1);
      say('left the cluster');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await node?.close(true);
      await pool.close();
    }
  },
};
