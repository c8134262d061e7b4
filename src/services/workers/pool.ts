/**
 * WorkerPool: N worker processes (one per core for ES, one for an Adam run), a job queue, cancellation and
 * restart on crash. No Electron import: the main process hands in `utilityProcessSpawner(utilityProcess)`, the
 * CLI and tests `forkSpawner()`.
 *
 * ES follows the thesis's Algorithm 2 (docs/architecture.md, "Compute"): every generation the trainer `map`s one job
 * per slice of the population over the pool; each job (`EsSliceRequest`, core/es/slice.ts) carries everything the
 * slice needs: the parameters, the generation seed, the start states, and also the run's config and target, which do
 * not change between generations but are sent with every request (services/training/es-evaluator.ts,
 * sliceRequest), so a worker holds no run state and any worker, a replacement included, can take any slice. It
 * comes back with fitness scalars. What `init` / `setInit` send (protocol.ts WorkerInit: the tfjs backend) goes
 * once per worker and is resent by the pool to any worker it starts to replace a dead one.
 *
 *   const pool = new WorkerPool<LabJobs>({ size: cores, spawn: forkSpawner(), init: { backend: 'wasm' } });
 *   await pool.start();
 *   const fitness = await pool.map('es-slice', slices, { signal });
 *   await pool.close();
 *
 * A live pool keeps the process running: close it when done.
 *
 * Why one file of this length: the pool's state machine (spawn, ready, job, cancel with grace, crash, respawn,
 * close) is one piece whose invariants (a job re-runs exactly once per crash, nothing outlives close) are only
 * checkable together; the wire protocol and the spawners are in protocol.ts and spawners.ts.
 */
import type {
  AnyJobMap,
  JobKind,
  JobMap,
  ParentMessage,
  PayloadOf,
  ProgressOf,
  ResultOf,
  WorkerInit,
  WorkerMessage,
} from './protocol';
import type { WorkerHandle, WorkerSpawner } from './spawners';

export interface WorkerPoolOptions<I> {
  /** number of worker processes */
  size: number;
  spawn: WorkerSpawner;
  /** Node flags for every worker of this pool (e.g. spawners.ts ES_WORKER_NODE_FLAGS), passed to `spawn` */
  nodeFlags?: readonly string[];
  /** sent to every worker before its first job (and to every replacement); change it with setInit */
  init?: I;
  /** how many times one job may take its worker down and be re-run on a fresh one before it fails (default 3) */
  maxRestartsPerJob?: number;
  /** how long a new worker has to answer its init with 'ready' (default 60 s: tfjs loads slowly on a busy machine) */
  startTimeoutMs?: number;
  /** how long a cancelled job's worker has to stop before it is killed and replaced (default 2 s) */
  cancelGraceMs?: number;
  onWorkerRestart?: (info: WorkerRestartInfo) => void;
}

/** Why and how a worker was replaced: for the trainer's log. */
export interface WorkerRestartInfo {
  slot: number;
  /** the process that ended */
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** 'crash': it died on its own (or was killed from outside); 'cancel-timeout': it ignored a cancel and was killed;
   *  'start-failure': it died or timed out before it was ready */
  reason: 'crash' | 'cancel-timeout' | 'start-failure';
  /** the job it was running, if any */
  jobKind?: string;
  /** how many times that job has now lost its worker */
  jobCrashes?: number;
  /** the end of the worker's output */
  output: string;
}

export interface RunOptions<G> {
  /** aborting it cancels the job: queued jobs are dropped, running ones are told to stop (the signal's reason goes
   *  with it when it is a string or number) and killed if they have not within the grace period */
  signal?: AbortSignal;
  /**
   * false (default): an aborted job rejects at once with AbortError. true: the worker is told to stop and what
   * it then returns (or throws) settles the job, so a long job can stop cleanly (checkpoint, report why) and hand
   * back its outcome; only if it overruns the grace period is it killed and the job rejected with AbortError.
   */
  graceful?: boolean;
  /** this job's grace period after a cancel (default: the pool's cancelGraceMs) */
  cancelGraceMs?: number;
  onProgress?: (progress: G) => void;
  /** passed to the transport: MessagePortMain objects under utilityProcess; fork IPC copies everything and
   *  ignores it. Typed arrays need no transfer to arrive intact (structured clone). */
  transfer?: readonly unknown[];
}

export interface MapOptions<G> {
  signal?: AbortSignal;
  onProgress?: (progress: G, index: number) => void;
}

/** The job was cancelled through its AbortSignal (or a sibling in the same `map` failed). */
export class AbortError extends Error {
  override name = 'AbortError';
  constructor(kind: string, cause?: unknown) {
    super(`${kind} job was cancelled`, { cause });
  }
}

/** The job's handler threw in the worker; the worker lives on. */
export class WorkerJobError extends Error {
  override name = 'WorkerJobError';
  constructor(
    readonly kind: string,
    message: string,
    /** the error's name in the worker */
    readonly workerErrorName?: string,
    readonly workerStack?: string,
  ) {
    super(message);
  }
}

/** A job took down its worker more than maxRestartsPerJob times. */
export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
  constructor(
    readonly kind: string,
    readonly exits: string[],
    output: string,
  ) {
    const last = lastLines(output, 6);
    super(
      `worker crashed ${exits.length} times running ${kind}: ${exits.join(', ')}` +
        (last ? `\nlast worker output:\n${last}` : ''),
    );
  }
}

/** A worker process could not be started (or restarted). */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

interface Task {
  id: number;
  kind: string;
  payload: unknown;
  options: RunOptions<unknown>;
  resolve(result: unknown): void;
  reject(err: unknown): void;
  settled: boolean;
  /** exits of workers that died running it ("exit code 1", "signal SIGKILL") */
  exits: string[];
  worker: Worker | null;
  /** set once the job has been cancelled: it is never re-run */
  cancelledWith: unknown;
  detachSignal(): void;
}

type WorkerState = 'starting' | 'idle' | 'busy' | 'exited';

interface Worker {
  slot: number;
  handle: WorkerHandle;
  state: WorkerState;
  task: Task | null;
  /** consecutive start failures in this slot, carried over to its replacement */
  startFailures: number;
  initsSent: number;
  initsAcked: number;
  ackWaiters: { target: number; resolve(): void; reject(err: Error): void }[];
  initError: string | null;
  startTimer: NodeJS.Timeout | null;
  startTimedOut: boolean;
  cancelTimer: NodeJS.Timeout | null;
  cancelKilled: boolean;
  ready: Promise<void>;
  resolveReady(): void;
  rejectReady(err: Error): void;
  exited: Promise<void>;
  resolveExited(): void;
}

export class WorkerPool<J extends JobMap<J> = AnyJobMap, I extends WorkerInit = WorkerInit> {
  readonly size: number;
  private readonly spawn: WorkerSpawner;
  private readonly nodeFlags: readonly string[] | undefined;
  private readonly maxRestartsPerJob: number;
  private readonly startTimeoutMs: number;
  private readonly cancelGraceMs: number;
  private readonly restartListeners = new Set<(info: WorkerRestartInfo) => void>();
  private init: I | undefined;
  private workers: Worker[] = [];
  private queue: Task[] = [];
  private nextTaskId = 1;
  private started = false;
  private running = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  private backendName: string | null = null;

  constructor(options: WorkerPoolOptions<I>) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`WorkerPool size must be a whole number ≥ 1, got ${options.size}`);
    }
    this.size = options.size;
    this.spawn = options.spawn;
    this.nodeFlags = options.nodeFlags;
    this.init = options.init;
    this.maxRestartsPerJob = options.maxRestartsPerJob ?? 3;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.cancelGraceMs = options.cancelGraceMs ?? 2_000;
    if (options.onWorkerRestart) this.restartListeners.add(options.onWorkerRestart);
  }

  /** The tfjs backend the workers reported in 'ready' (null before start). */
  get backend(): string | null {
    return this.backendName;
  }

  /** Process ids of the live workers. */
  get pids(): number[] {
    return this.workers.filter((w) => w.state !== 'exited' && w.handle.pid !== undefined).map((w) => w.handle.pid!);
  }

  /** Subscribes to worker restarts; returns the unsubscribe function. */
  onWorkerRestart(listener: (info: WorkerRestartInfo) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /** Spawns the workers and waits until each has applied its init. Fails (and cleans up) if any does not start. */
  async start(): Promise<void> {
    if (this.started) throw new Error('WorkerPool.start() was already called');
    this.started = true;
    for (let slot = 0; slot < this.size; slot++) this.workers.push(this.spawnWorker(slot, 0));
    try {
      await Promise.all(this.workers.map((w) => w.ready));
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.closed) throw new Error('the worker pool was closed while starting');
    this.running = true;
    this.dispatch();
  }

  /** Runs one job on the next free worker (queued while all are busy). */
  run<K extends JobKind<J>>(kind: K, payload: PayloadOf<J, K>, options: RunOptions<ProgressOf<J, K>> = {}): Promise<ResultOf<J, K>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (!this.started) return Promise.reject(new Error('WorkerPool.run() before start()'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(kind, signal.reason));

    return new Promise<ResultOf<J, K>>((resolve, reject) => {
      const task: Task = {
        id: this.nextTaskId++,
        kind,
        payload,
        options: options as RunOptions<unknown>,
        resolve: resolve as (r: unknown) => void,
        reject,
        settled: false,
        exits: [],
        worker: null,
        cancelledWith: undefined,
        detachSignal: () => {},
      };
      if (signal) {
        const onAbort = () => this.cancel(task, new AbortError(kind, signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        task.detachSignal = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(task);
      this.dispatch();
    });
  }

  /**
   * Runs one job per payload (one generation's slices) and returns the results in payload order. If one fails, the
   * others are cancelled and the first error is thrown.
   */
  async map<K extends JobKind<J>>(
    kind: K,
    payloads: readonly PayloadOf<J, K>[],
    options: MapOptions<ProgressOf<J, K>> = {},
  ): Promise<ResultOf<J, K>[]> {
    const siblings = new AbortController();
    const outer = options.signal;
    const onOuterAbort = () => siblings.abort(outer?.reason);
    if (outer?.aborted) siblings.abort(outer.reason);
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      return await Promise.all(
        payloads.map((payload, index) =>
          this.run(kind, payload, {
            signal: siblings.signal,
            onProgress: options.onProgress && ((p) => options.onProgress!(p, index)),
          }).catch((err: unknown) => {
            siblings.abort(err);
            throw err;
          }),
        ),
      );
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  /**
   * Replaces the init payload (protocol.ts WorkerInit for the lab's pools) and sends it to every worker; resolves when all have
   * acknowledged it. Jobs started after this call see the new payload; a job already running keeps the one it
   * started with.
   */
  async setInit(init: I): Promise<void> {
    this.init = init;
    await Promise.all(this.workers.filter((w) => w.state !== 'exited').map((w) => this.sendInit(w)));
  }

  /** Kills every worker and fails any queued or running job. Resolves when all worker processes have ended. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.running = false;
    const closedError = new Error('the worker pool was closed');
    for (const task of this.queue.splice(0)) this.settle(task, closedError);
    for (const w of this.workers) {
      if (w.task) this.settle(w.task, closedError);
      if (w.state === 'starting') w.rejectReady(new WorkerStartError('the worker pool was closed while starting'));
    }
    this.closing = Promise.all(
      this.workers.map(async (w) => {
        if (w.state === 'exited') return;
        w.handle.kill('SIGTERM');
        const force = setTimeout(() => w.handle.kill('SIGKILL'), 2_000);
        await w.exited;
        clearTimeout(force);
      }),
    ).then(() => undefined);
    return this.closing;
  }

  // ---- workers ----

  private spawnWorker(slot: number, startFailures: number): Worker {
    let resolveReady!: () => void;
    let rejectReady!: (err: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => {}); // replacements' readiness is awaited by nobody; failures are handled in onExit
    let resolveExited!: () => void;
    const exited = new Promise<void>((res) => (resolveExited = res));

    const handle = this.spawn({ slot, nodeFlags: this.nodeFlags });
    const w: Worker = {
      slot,
      handle,
      state: 'starting',
      task: null,
      startFailures,
      initsSent: 0,
      initsAcked: 0,
      ackWaiters: [],
      initError: null,
      startTimer: null,
      startTimedOut: false,
      cancelTimer: null,
      cancelKilled: false,
      ready,
      resolveReady,
      rejectReady,
      exited,
      resolveExited,
    };
    handle.onMessage((m) => this.onMessage(w, m));
    handle.onExit((code, signal) => this.onExit(w, code, signal));
    w.startTimer = setTimeout(() => {
      w.startTimedOut = true;
      handle.kill('SIGKILL');
    }, this.startTimeoutMs);
    this.sendInit(w).catch(() => {}); // an init the worker cannot apply fails its start, reported through ready
    return w;
  }

  private sendInit(w: Worker): Promise<void> {
    this.send(w, { type: 'init', payload: this.init ?? {} });
    const target = ++w.initsSent;
    return new Promise<void>((resolve, reject) => w.ackWaiters.push({ target, resolve, reject }));
  }

  private send(w: Worker, message: ParentMessage, transfer?: readonly unknown[]): void {
    try {
      w.handle.send(message, transfer);
    } catch (err) {
      // an unserialisable payload fails its job; a dead channel shows up as the worker's exit
      if (message.type === 'job' && w.task?.id === message.id) {
        const task = w.task;
        w.task = null;
        w.state = 'idle';
        this.settle(task, err instanceof Error ? err : new Error(String(err)));
        queueMicrotask(() => this.dispatch());
      } else if (message.type !== 'job') {
        throw err;
      }
    }
  }

  private onMessage(w: Worker, m: WorkerMessage): void {
    if (w.state === 'exited') return;
    switch (m.type) {
      case 'ready': {
        w.initsAcked++;
        if (this.backendName === null) this.backendName = m.backend;
        w.ackWaiters = w.ackWaiters.filter((a) => (a.target <= w.initsAcked ? (a.resolve(), false) : true));
        if (w.state === 'starting') {
          if (w.startTimer) clearTimeout(w.startTimer);
          w.startTimer = null;
          w.state = 'idle';
          w.startFailures = 0;
          w.resolveReady();
          this.dispatch();
        }
        return;
      }
      case 'init-error': {
        w.initError = m.message;
        for (const a of w.ackWaiters.splice(0)) a.reject(new WorkerStartError(`worker could not apply its init: ${m.message}`));
        w.handle.kill('SIGKILL');
        return;
      }
      case 'progress': {
        const task = w.task;
        if (!task || task.id !== m.id || task.settled) return;
        try {
          task.options.onProgress?.(m.payload);
        } catch (err) {
          this.cancel(task, err);
        }
        return;
      }
      case 'result':
      case 'error': {
        const task = w.task;
        if (!task || task.id !== m.id) return;
        w.task = null;
        w.state = 'idle';
        if (w.cancelTimer) clearTimeout(w.cancelTimer);
        w.cancelTimer = null;
        if (m.type === 'result') this.settle(task, null, m.payload);
        else this.settle(task, new WorkerJobError(task.kind, m.message, m.name, m.stack));
        this.dispatch();
        return;
      }
    }
  }

  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (w.state === 'exited') return;
    const previous = w.state;
    w.state = 'exited';
    if (w.startTimer) clearTimeout(w.startTimer);
    if (w.cancelTimer) clearTimeout(w.cancelTimer);
    for (const a of w.ackWaiters.splice(0)) a.resolve(); // a replacement gets the latest init anyway
    w.resolveExited();
    if (this.closed || this.failure) return;

    const how = describeExit(code, signal);
    const output = w.handle.outputTail();

    if (previous === 'starting') {
      const why = w.initError
        ? `it could not apply its init: ${w.initError}`
        : w.startTimedOut
          ? `it sent no 'ready' within ${this.startTimeoutMs / 1000} s`
          : `it ended (${how}) before it was ready`;
      const err = new WorkerStartError(
        `worker ${w.slot + 1} (pid ${w.handle.pid ?? '?'}) failed to start: ${why}` +
          (output.trim() ? `\nworker output:\n${lastLines(output, 20)}` : ''),
      );
      w.rejectReady(err);
      if (!this.running) return; // start() reports it
      this.emitRestart({ slot: w.slot, pid: w.handle.pid, code, signal, reason: 'start-failure', output });
      if (w.startFailures + 1 > this.maxRestartsPerJob) {
        this.fail(new WorkerStartError(`could not restart worker ${w.slot + 1} after ${w.startFailures + 1} attempts: ${err.message}`));
        return;
      }
      this.workers[w.slot] = this.spawnWorker(w.slot, w.startFailures + 1);
      return;
    }

    const task = w.task;
    w.task = null;
    let jobCrashes: number | undefined;
    if (task && !task.settled && task.cancelledWith !== undefined) {
      this.settle(task, task.cancelledWith); // a graceful job whose worker died while stopping
    } else if (task && !task.settled) {
      task.exits.push(how);
      task.worker = null;
      jobCrashes = task.exits.length;
      if (task.exits.length > this.maxRestartsPerJob) {
        this.settle(task, new WorkerCrashError(task.kind, task.exits, output));
      } else {
        this.queue.unshift(task); // first in line for the next free worker
      }
    }
    this.emitRestart({
      slot: w.slot,
      pid: w.handle.pid,
      code,
      signal,
      reason: w.cancelKilled ? 'cancel-timeout' : 'crash',
      jobKind: task?.kind,
      jobCrashes,
      output,
    });
    this.workers[w.slot] = this.spawnWorker(w.slot, 0);
  }

  private dispatch(): void {
    if (!this.running) return;
    while (this.queue.length > 0) {
      const w = this.workers.find((x) => x.state === 'idle');
      if (!w) return;
      const task = this.queue.shift()!;
      w.state = 'busy';
      w.task = task;
      task.worker = w;
      this.send(w, { type: 'job', id: task.id, kind: task.kind, payload: task.payload }, task.options.transfer);
    }
  }

  /** Cancels one job: dropped if queued; if running, its worker is asked to stop and killed if it has not within
   *  the grace period. The job's promise rejects at once. */
  private cancel(task: Task, reason: unknown): void {
    if (task.settled) return;
    task.cancelledWith = reason;
    const queued = this.queue.indexOf(task);
    if (queued >= 0) this.queue.splice(queued, 1);
    const w = task.worker;
    const running = w !== null && w.task === task && w.state === 'busy';
    if (running && w.cancelTimer === null) {
      const why = (task.options.signal?.reason as unknown);
      const forwarded = typeof why === 'string' || typeof why === 'number' ? why : undefined;
      this.send(w, { type: 'cancel', id: task.id, reason: forwarded });
      w.cancelTimer = setTimeout(() => {
        if (w.task !== task || w.state !== 'busy') return;
        w.cancelKilled = true;
        this.settle(task, reason); // a graceful job that overran its grace period
        w.handle.kill('SIGKILL');
      }, task.options.cancelGraceMs ?? this.cancelGraceMs);
    }
    // a graceful job that is running settles with what its worker answers
    if (!(running && task.options.graceful && reason instanceof AbortError)) this.settle(task, reason);
  }

  private settle(task: Task, err: unknown, result?: unknown): void {
    if (task.settled) return;
    task.settled = true;
    task.detachSignal();
    if (err) task.reject(err);
    else task.resolve(result);
  }

  /** The pool cannot go on (a worker will not start again): fail everything and stop the workers. */
  private fail(err: Error): void {
    this.failure = err;
    this.running = false;
    for (const task of this.queue.splice(0)) this.settle(task, err);
    for (const w of this.workers) {
      if (w.task) this.settle(w.task, err);
      if (w.state !== 'exited') w.handle.kill('SIGKILL');
    }
  }

  private emitRestart(info: WorkerRestartInfo): void {
    for (const l of this.restartListeners) {
      try {
        l(info);
      } catch {
        // a logging callback must not take the pool down
      }
    }
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  if (code !== null) return `exit code ${code}`;
  return 'ended without an exit code';
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
