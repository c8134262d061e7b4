/**
 * The job kinds a lab worker process runs, one record each: what goes in, what comes back and what it reports on
 * the way (its JobType), the handler that runs it in the worker process, and, for the kinds another machine may
 * compute, how it travels through the cluster's Redis. Everything that runs jobs reads LAB_JOB_TABLE:
 *
 *   - the worker process (src/worker/index.ts) registers every record's handler;
 *   - a cluster worker (services/cluster/cluster-worker.ts) takes every kind with a `cluster` form from its queue
 *     and runs it on its local pool; `runJobsOnCluster` (services/cluster/job-runner.ts) sends such jobs there;
 *   - the WorkerPool is typed by LabJobs, derived from the table.
 *
 * Jobs carry numbers and workspace-relative ids, never code or paths outside the workspace: what a worker runs is
 * only ever one of these handlers.
 */
import type { JobHandler, JobType, PayloadOf, ResultOf } from './protocol';
import { evaluateEsSlice } from '../../core/es/slice';
import { evaluateNoiseSums } from '../../core/es/noise-sums';
import { runExperimentJob, type ExperimentJobPayload, type ExperimentJobResult } from '../../core/experiments/job';
import { computeAdamGradientSlice } from '../../core/adam/gradient-slice';
import { bool, f32, f64, int, ncaConfig, num, obj, str } from '../cluster/wire-checks';
import type {
  EsSliceJobType, EsGpuSliceJobType, EsNoiseSumsJobType, AdamTrainJobType, AdamGradJobType, AdamGpuGradJobType,
  ExperimentJobType, WorkerStatsJobType,
} from './lab-job-types';
export type {
  EsSliceJobType, EsGpuSliceRequest, EsGpuSliceJobType, EsNoiseSumsJobType, AdamTrainPayload, AdamTrainJobType,
  AdamGradJobType, AdamGpuGradientRequest, AdamGpuGradJobType, ExperimentJobType, WorkerStatsResult, WorkerStatsJobType,
} from './lab-job-types';
import { esGpuSliceJob } from './es-gpu-slice';
import { adamGpuGradJob } from './adam-gpu-grad';

/**
 * How a job kind's jobs travel through the cluster. `job-blobs`: each job's payload goes up as one blob and its
 * result comes back as one (services/cluster/job-runner.ts), checked field by field on arrival, since another
 * machine wrote it. `es-generations`: ES slices, whose parameters go up once per generation and machine, not once
 * per slice (services/cluster/protocol.ts, cluster-runner.ts).
 */
export type ClusterWire<T extends JobType<any, any, any>> =
  | { via: 'job-blobs'; parsePayload(v: unknown, what: string): T['payload']; parseResult(v: unknown, what: string): T['result'] }
  | { via: 'es-generations' };

export interface LabJobRecord<K extends string, T extends JobType<any, any, any>> {
  kind: K;
  /** runs the job in a worker process */
  run: JobHandler<T>;
  /** it computes on tfjs: the worker loads its backend (once) before the job starts */
  backend?: boolean;
  /** it may run on another machine of a cluster, travelling so */
  cluster?: ClusterWire<T>;
  /** never set: carries T for the types derived from the table (LabJobs) */
  readonly jobType?: T;
}

/** A record typed by its JobType; `job<T>()({ kind, run, … })` keeps the kind's name and its parts as written. */
function job<T extends JobType<any, any, any>>() {
  return <const R extends LabJobRecord<string, T>>(record: R): R & { readonly jobType?: T } => record;
}

function parseExperimentPayload(v: unknown, what: string): ExperimentJobPayload {
  const o = obj(v, what);
  const t = obj(o.target, `${what}.target`);
  const rgba = t.rgbaU8;
  if (!(rgba instanceof Uint8Array)) throw new Error(`${what}.target.rgbaU8 must be a Uint8Array`);
  if (!Array.isArray(o.protocols) || o.protocols.length === 0) throw new Error(`${what}.protocols must be a non-empty list`);
  for (const [i, p] of o.protocols.entries()) {
    const po = obj(p, `${what}.protocols.${i}`);
    str(po, 'id', `${what}.protocols.${i}`, 200);
    int(po, 'steps', `${what}.protocols.${i}`, 1, 10_000_000);
  }
  if (!Array.isArray(o.animate) || o.animate.some((a) => typeof a !== 'string')) throw new Error(`${what}.animate must be a list of protocol ids`);
  return {
    cfg: ncaConfig(o.cfg, `${what}.cfg`), params: f32(o, 'params', what),
    target: { name: str(t, 'name', `${what}.target`, 1000), size: int(t, 'size', `${what}.target`, 1, 4096), padding: int(t, 'padding', `${what}.target`, 0, 4096), rgbaU8: rgba },
    // the protocol objects are the lab's own experiment descriptions (core/experiments/protocols.ts): data only
    protocols: o.protocols as ExperimentJobPayload['protocols'], seed: int(o, 'seed', what, 0, 2 ** 32 - 1),
    keepFrames: bool(o, 'keepFrames', what), animate: o.animate as string[],
  };
}

function parseExperimentResult(v: unknown, what: string): ExperimentJobResult {
  const o = obj(v, what);
  if (!Array.isArray(o.rollouts)) throw new Error(`${what}.rollouts must be a list`);
  for (const [i, r] of o.rollouts.entries()) {
    const ro = obj(r, `${what}.rollouts.${i}`);
    str(ro, 'protocol', `${what}.rollouts.${i}`, 200);
    f64(ro, 'loss', `${what}.rollouts.${i}`);
    if (!Array.isArray(ro.frames) || !Array.isArray(ro.animation)) throw new Error(`${what}.rollouts.${i}.frames and .animation must be lists`);
  }
  return { rollouts: o.rollouts as ExperimentJobResult['rollouts'], seconds: num(o, 'seconds', what) };
}

/** Every job kind, as the worker process registers them and a cluster worker takes them. */
export const LAB_JOB_TABLE = [
  job<EsSliceJobType>()({ kind: 'es-slice', run: (payload) => evaluateEsSlice(payload), cluster: { via: 'es-generations' } }),
  // the same on the worker's GPU (WebGPU through Dawn, loaded with the first such job)
  job<EsGpuSliceJobType>()({ kind: 'es-gpu-slice', run: (payload, ctx) => esGpuSliceJob(payload, ctx) }),
  // the update's noise sums over a range of parameters, rebuilt from (seed, generation, pair) beside the population
  job<EsNoiseSumsJobType>()({ kind: 'es-noise-sums', run: (payload) => evaluateNoiseSums(payload) }),
  job<AdamTrainJobType>()({
    kind: 'adam-train',
    // tfjs: imported when the first such job arrives, so an ES worker never loads it
    run: async (payload, ctx) => (await import('./adam-train-job')).adamTrainJob(payload, ctx),
    backend: true,
  }),
  // the fused BPTT engine: WebAssembly, no tfjs
  job<AdamGradJobType>()({ kind: 'adam-grad', run: (payload) => computeAdamGradientSlice(payload) }),
  // the same on the worker's GPU
  job<AdamGpuGradJobType>()({ kind: 'adam-gpu-grad', run: (payload, ctx) => adamGpuGradJob(payload, ctx) }),
  job<ExperimentJobType>()({
    kind: 'experiment',
    // the rollout checks the signal every 50 updates
    run: (payload, ctx) => runExperimentJob(payload, { signal: ctx.signal, progress: ctx.progress }),
    cluster: { via: 'job-blobs', parsePayload: parseExperimentPayload, parseResult: parseExperimentResult },
  }),
] as const;

type AnyLabJob = (typeof LAB_JOB_TABLE)[number];
type JobTypeOf<R> = R extends { readonly jobType?: infer T } ? T : never;


/** Every job kind by name, as the WorkerPool is typed: the table's, and the runtime's built-in 'worker-stats'. */
export type LabJobs = { [R in AnyLabJob as R['kind']]: JobTypeOf<R> } & { 'worker-stats': WorkerStatsJobType };
export type LabJobKind = AnyLabJob['kind'];

/** The kinds a cluster worker takes, and how each travels. */
export type ClusterJobKind = Extract<AnyLabJob, { cluster: unknown }>['kind'];
/** The kinds whose jobs travel as one payload blob and one result blob (job-runner.ts). */
export type BlobJobKind = Extract<AnyLabJob, { cluster: { via: 'job-blobs' } }>['kind'];

export const CLUSTER_JOB_KINDS: readonly ClusterJobKind[] = LAB_JOB_TABLE.flatMap((r) => ('cluster' in r ? [r.kind as ClusterJobKind] : []));

/** How jobs of a blob kind are checked when they arrive from another machine (its record's cluster form). */
export function blobWire<K extends BlobJobKind>(kind: K): {
  parsePayload(v: unknown, what: string): PayloadOf<LabJobs, K>;
  parseResult(v: unknown, what: string): ResultOf<LabJobs, K>;
} {
  const wire = (LAB_JOB_TABLE as readonly LabJobRecord<string, JobType<any, any, any>>[]).find((r) => r.kind === kind)?.cluster;
  if (wire?.via !== 'job-blobs') throw new Error(`job kind "${kind}" does not travel as blobs`);
  return wire;
}
