/**
 * The worker side of the WorkerPool protocol (src/services/workers/protocol.ts): a registry of job handlers and the
 * loop that runs them. The same code runs as a Node child process (process.send) and as an Electron utility
 * process (process.parentPort).
 *
 * A job handler is a function of its payload and a context: `registerJob(kind, handler)`. The lab's worker
 * (src/worker/index.ts) registers every record of its job table (services/workers/lab-jobs.ts); the tests' worker
 * (tests/fixtures/test-worker.ts) registers its own. A handler may read `ctx.init` (what the pool's init or setInit
 * sent), reports with `ctx.progress(p)` and stops early when `ctx.signal` aborts. What it throws becomes an
 * 'error' message that fails that job only; an uncaught exception elsewhere ends the process (exit code 1) and the
 * pool starts a replacement.
 *
 * The tfjs backend is loaded when the first job registered with `{ backend: true }` starts (Adam training), not at
 * start-up, when the runtime is told `backendOnDemand`: an ES worker then never loads tfjs (it stays near 60 MB) and
 * reports `BACKEND_ON_DEMAND` in 'ready'. A backend forced by the init is loaded at once, so a name that cannot
 * load still fails the worker's start, and so is one asked for by `loadBackend` (Adam pools, which choose their
 * engine by it).
 *
 * Every runtime also answers the built-in 'worker-stats' job (its RSS and whether tfjs is loaded).
 */
import type { JobHandler, JobMessage, JobType, ParentMessage, WorkerInit, WorkerMessage } from '../services/workers/protocol';
import { isParentMessage } from '../services/workers/protocol';
import type { WorkerStatsResult } from '../services/workers/lab-jobs';
import { messageOf } from '../shared/validate';

const handlers = new Map<string, { run: JobHandler<JobType<any, any, any>, any>; backend: boolean }>();

/** What 'ready' says for the backend of a worker that loads tfjs only for the jobs that need it. */
export const BACKEND_ON_DEMAND = 'loaded on demand';

export interface JobOptions {
  /** the job computes on tfjs: the backend is loaded (once per process) before it starts */
  backend?: boolean;
}

/** Makes `kind` runnable in this worker. Registering a kind twice is a mistake and throws. */
export function registerJob<T extends JobType<any, any, any>, I = any>(kind: string, handler: JobHandler<T, I>, options: JobOptions = {}): void {
  if (handlers.has(kind) || kind === WORKER_STATS_JOB) throw new Error(`job kind "${kind}" is registered twice`);
  handlers.set(kind, { run: handler as unknown as JobHandler<JobType<any, any, any>, any>, backend: !!options.backend });
}

/** The built-in job: how big this worker is and what it has loaded. */
export const WORKER_STATS_JOB = 'worker-stats';

export function registeredJobKinds(): string[] {
  return [...handlers.keys()];
}

export interface WorkerRuntimeOptions {
  /**
   * Picks the compute backend once, on the first init (`forced` is that init's `backend`), and returns its name
   * for 'ready'. The real worker passes initNodeBackend; tests pass a stub so they need not load tfjs.
   */
  initBackend(forced: string | undefined): Promise<string>;
  /** load the backend only for jobs registered with `{ backend: true }` (or when the init forces one) */
  backendOnDemand?: boolean;
}

interface Transport {
  send(message: WorkerMessage): void;
  listen(listener: (message: unknown) => void): void;
}

/** Electron's `process.parentPort` in a utility process (structural: no Electron import). */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

let started = false;

/** Connects to the parent and serves jobs until the parent goes away. Call once, after registering the jobs. */
export function startWorkerRuntime(options: WorkerRuntimeOptions): void {
  if (started) throw new Error('startWorkerRuntime() was already called in this process');
  started = true;
  const transport = connectToParent();

  // An exception that escapes a job's promise chain leaves the worker in an unknown state: die and be replaced.
  const die = (err: unknown) => {
    console.error('[nca-lab worker] fatal:', err);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);

  let backend: Promise<string> | null = null;
  let backendName: string | null = null;
  let forcedBackend: string | undefined;
  const ensureBackend = (): Promise<string> => {
    backend ??= options.initBackend(forcedBackend).then((name) => (backendName = name));
    return backend;
  };
  let currentInit: unknown = {};
  // inits are applied in order, and a job waits for the inits sent before it
  let initsApplied: Promise<void> = Promise.resolve();
  const running = new Map<number, AbortController>();

  const onInit = (payload: unknown) => {
    initsApplied = initsApplied.then(async () => {
      try {
        const forced = (payload as WorkerInit | undefined)?.backend;
        // the first init decides (a later one cannot change the backend of a process)
        if (backend === null && forcedBackend === undefined) forcedBackend = typeof forced === 'string' && forced !== '' ? forced : undefined;
        const now = !options.backendOnDemand || forcedBackend !== undefined || backend !== null || (payload as WorkerInit | undefined)?.loadBackend === true;
        const name = now ? await ensureBackend() : BACKEND_ON_DEMAND;
        currentInit = payload;
        transport.send({ type: 'ready', backend: name, pid: process.pid });
      } catch (err) {
        // the pool kills a worker that reports this; it never gets a job
        transport.send({ type: 'init-error', message: errorMessage(err) });
      }
    });
  };

  const onJob = async (job: JobMessage) => {
    const controller = new AbortController();
    running.set(job.id, controller);
    try {
      await initsApplied;
      controller.signal.throwIfAborted(); // cancelled before it could start
      if (job.kind === WORKER_STATS_JOB) {
        const stats: WorkerStatsResult = {
          pid: process.pid, rssBytes: process.memoryUsage.rss(), maxRssBytes: process.resourceUsage().maxRSS * 1024,
          heapUsedBytes: process.memoryUsage().heapUsed,
          backend: backendName, tfjsLoaded: '_tfengine' in globalThis, nodeFlags: [...process.execArgv],
        };
        transport.send({ type: 'result', id: job.id, payload: stats });
        return;
      }
      const handler = handlers.get(job.kind);
      if (!handler) {
        throw new Error(`unknown job kind "${job.kind}" (this worker runs: ${registeredJobKinds().join(', ') || 'no jobs'})`);
      }
      if (handler.backend) await ensureBackend();
      const result = await handler.run(job.payload, {
        init: currentInit,
        signal: controller.signal,
        progress: (payload) => {
          if (!controller.signal.aborted) transport.send({ type: 'progress', id: job.id, payload });
        },
      });
      transport.send({ type: 'result', id: job.id, payload: result });
    } catch (err) {
      const e = err instanceof Error ? err : null;
      transport.send({ type: 'error', id: job.id, message: errorMessage(err), name: e?.name, stack: e?.stack });
    } finally {
      running.delete(job.id);
    }
  };

  transport.listen((message) => {
    if (!isParentMessage(message)) return;
    const m = message as ParentMessage;
    if (m.type === 'init') onInit(m.payload);
    else if (m.type === 'job') void onJob(m);
    else running.get(m.id)?.abort(m.reason ?? new DOMException('the job was cancelled by the pool', 'AbortError'));
  });
}

function connectToParent(): Transport {
  const parentPort = (process as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    // Electron utility process: ended by Electron together with its parent
    return {
      send: (m) => parentPort.postMessage(m),
      listen: (listener) => parentPort.on('message', (event) => listener(event.data)),
    };
  }
  if (process.send) {
    // child_process.fork: without the parent there is nobody to work for
    process.on('disconnect', () => process.exit(0));
    return {
      send: (m) => {
        if (process.connected) {
          process.send!(m, undefined, {}, () => {
            // the parent is gone: 'disconnect' ends this process
          });
        }
      },
      listen: (listener) => process.on('message', listener),
    };
  }
  throw new Error('this is a worker entry: start it through WorkerPool (no IPC channel to a parent process)');
}

function errorMessage(err: unknown): string {
  return messageOf(err);
}
