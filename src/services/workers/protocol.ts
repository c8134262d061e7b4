/**
 * The messages between the WorkerPool (parent) and a worker process, typed over a job map.
 *
 * A job map names each job kind with what goes in, what comes back and what it reports on the way:
 *
 *   type EsSliceJobType = JobType<EsSliceRequest, EsSliceResult>;     // no progress events
 *
 * The lab's job map is `LabJobs` (lab-jobs.ts, derived from its job table): the pool (`WorkerPool<LabJobs>`) and
 * each handler (`JobHandler<EsSliceJobType>`, with the init type as a second argument where a handler reads
 * `ctx.init`) both check against it.
 * Messages travel by structured clone (fork IPC with `serialization: 'advanced'`, Electron's utilityProcess
 * postMessage), so typed arrays, Maps and nested objects arrive as themselves, not as JSON.
 */

/** One job kind: its payload, its result and its progress events (`never` when it reports none). */
export interface JobType<Payload = unknown, Result = unknown, Progress = never> {
  payload: Payload;
  result: Result;
  progress: Progress;
}

/** Job kinds by name: `J extends JobMap<J>` accepts interfaces as well as type literals. */
export type JobMap<J> = { [K in keyof J]: JobType<any, any, any> };
/** Any job map: what a pool is typed with when its user does not say. */
export type AnyJobMap = Record<string, JobType<any, any, any>>;

export type JobKind<J> = Extract<keyof J, string>;
export type PayloadOf<J extends JobMap<J>, K extends keyof J> = J[K]['payload'];
export type ResultOf<J extends JobMap<J>, K extends keyof J> = J[K]['result'];
export type ProgressOf<J extends JobMap<J>, K extends keyof J> = J[K]['progress'];

/**
 * What every worker is given before its first job and again on `pool.setInit`: the lab's pools send only this
 * (a run's target and config travel in each job's payload). `backend` forces the worker's tfjs backend (`tensorflow`, `wasm`, `cpu`); the worker picks the
 * fastest available otherwise. The backend is chosen once per process: a later init cannot change it.
 */
export interface WorkerInit {
  backend?: string;
  /** load the backend at init even where the worker loads it on demand (src/worker/runtime.ts), and report it */
  loadBackend?: boolean;
}

// ---- parent → worker ----

export interface InitMessage<I = unknown> {
  type: 'init';
  payload: I;
}
export interface JobMessage<K extends string = string, P = unknown> {
  type: 'job';
  id: number;
  kind: K;
  payload: P;
}
export interface CancelMessage {
  type: 'cancel';
  id: number;
  /** the AbortSignal's reason when it is a string or number ('stop', 'pause'): the job reads it as ctx.signal.reason */
  reason?: string | number;
}
export type ParentMessage<I = unknown> = InitMessage<I> | JobMessage | CancelMessage;

// ---- worker → parent ----

/** Sent once per init received: the first one says the worker can take jobs; later ones acknowledge setInit. */
export interface ReadyMessage {
  type: 'ready';
  backend: string;
  pid: number;
}
/** The worker could not apply its init (a forced backend that cannot load, …); it exits right after. */
export interface InitErrorMessage {
  type: 'init-error';
  message: string;
}
export interface ProgressMessage<G = unknown> {
  type: 'progress';
  id: number;
  payload: G;
}
export interface ResultMessage<R = unknown> {
  type: 'result';
  id: number;
  payload: R;
}
/** The job's handler threw (or rejected): that job fails, the worker lives on. */
export interface ErrorMessage {
  type: 'error';
  id: number;
  message: string;
  /** the error's name in the worker (`AbortError` when the job stopped because it was cancelled) */
  name?: string;
  stack?: string;
}
export type WorkerMessage = ReadyMessage | InitErrorMessage | ProgressMessage | ResultMessage | ErrorMessage;

/** What a job handler is given besides its payload. */
export interface JobContext<I = unknown, G = never> {
  /** the latest init payload this worker received before the job started */
  init: I;
  /** aborted when the parent cancels the job; long jobs should check it (or pass it on) and stop early. Its reason
   *  is the parent's when that was a string or number ('stop', 'pause'), else an AbortError DOMException. */
  signal: AbortSignal;
  /** sends one progress event to the parent */
  progress(payload: G): void;
}

export type JobHandler<T extends JobType<any, any, any> = JobType, I = unknown> = (
  payload: T['payload'],
  ctx: JobContext<I, T['progress']>,
) => Promise<T['result']> | T['result'];

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'init-error' || type === 'progress' || type === 'result' || type === 'error';
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'init' || type === 'job' || type === 'cancel';
}
