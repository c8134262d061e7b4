/**
 * What travels through the cluster's Redis, and where (docs/scale-out.md has the picture). Everything a worker
 * reads from Redis comes from another machine, so every shape here has one parser that checks it field by field
 * and names the field when it is wrong (CONTRIBUTING.md, "Conventions"); a job names one of the lab's own job kinds and carries only
 * numbers and keys, never code or file paths.
 *
 * One ES generation of a run (thesis Algorithm 2 over machines):
 *   master  SET  run:<R>:settings      the run's fixed part (model config, seed, target, ES settings, objective): once per session
 *           SET  run:<R>:gen:<g>       θ (and x0, σ): once per generation, whatever the number of slices
 *                                      (SLICE_REQUEST_WIRE says which field of a slice request goes where)
 *           ADD  es-slice jobs         {run R, generation g, slice k, members [start, end)}
 *   worker  GET  gen (once per machine and generation), evaluate, then
 *           HSETNX run:<R>:res:<g> k   the slice's losses (+ best state with a pool): the first answer wins,
 *           RPUSH  run:<R>:done:<g> k  so a job re-run after a stall, or a late duplicate, changes nothing
 *   master  BLPOP done, HGET res       joins the slices in member order (es-evaluator's joinSlices)
 *
 * Jobs go to a queue per compatibility id (compat.ts), so a worker whose floats would differ never sees them.
 */
import { Packr } from 'msgpackr';
import type { StateBatch } from '../../core/nca/state';
import { bool, f32, f64, id, int, ncaConfig, num, obj, stateBatch, str, type Obj } from './wire-checks';
import type { EsSliceRequest, EsSliceResult, LongRollout } from '../../core/es/slice';
import type { BlobJobKind, ClusterJobKind, LabJobs } from '../workers/lab-jobs';
import type { PayloadOf, ResultOf } from '../workers/protocol';
import { messageOf } from '../../shared/validate';

/** Every key the lab writes starts with this, so a shared Redis can hold other things beside. */
export const KEY_PREFIX = 'nca-lab';
/** BullMQ's keys (queues, jobs, locks) live under this prefix. */
export const BULL_PREFIX = `${KEY_PREFIX}:bull`;

export const keys = {
  /** sorted set: worker id → last heartbeat (ms since the epoch) */
  workers: `${KEY_PREFIX}:workers`,
  worker: (id: string) => `${KEY_PREFIX}:worker:${id}`,
  /** sorted set: run key → last sign of life of its master */
  runs: `${KEY_PREFIX}:runs`,
  run: (run: string) => `${KEY_PREFIX}:run:${run}`,
  settings: (run: string) => `${KEY_PREFIX}:run:${run}:settings`,
  generation: (run: string, g: number) => `${KEY_PREFIX}:run:${run}:gen:${g}`,
  results: (run: string, g: number) => `${KEY_PREFIX}:run:${run}:res:${g}`,
  done: (run: string, g: number) => `${KEY_PREFIX}:run:${run}:done:${g}`,
  /** hash: worker id → why it will not take this run's jobs */
  refusals: (run: string) => `${KEY_PREFIX}:run:${run}:refusals`,
  /** a blob job's payload and result (job-runner.ts), and its batch's list of answered jobs */
  jobPayload: (job: string) => `${KEY_PREFIX}:job:${job}:payload`,
  jobResult: (job: string) => `${KEY_PREFIX}:job:${job}:result`,
  jobDone: (batch: string) => `${KEY_PREFIX}:batch:${batch}:done`,
};

export const queueName = (kind: ClusterJobKind, compatId: string) => `${kind}.${compatId}`;

/** How long the per-generation and per-job data may outlive a master that vanished. */
export const DATA_TTL_S = 15 * 60;
/** A worker announces itself every HEARTBEAT_MS; one not heard from for WORKER_GONE_MS is gone. */
export const HEARTBEAT_MS = 2_000;
export const WORKER_GONE_MS = 8_000;
/**
 * BullMQ's job lock. A lab worker's Redis side never computes (its compute runs in child processes), so it renews
 * on time even under load; a short lock lets another machine take over a dead worker's slice within seconds.
 */
export const LOCK_MS = 6_000;
export const STALLED_CHECK_MS = 3_000;

// ---- the binary codec ----

// plain maps (no msgpackr records) so that any machine can read what any other wrote; typed arrays as themselves
const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true });

export function pack(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpack(buf: Buffer | Uint8Array, what: string): unknown {
  try {
    return packr.unpack(buf);
  } catch (err) {
    throw new Error(`${what}: cannot decode (${messageOf(err)})`, { cause: err });
  }
}

// ---- ES: the run's fixed part, a generation's part, a slice job, a slice result ----

/**
 * Where each field of a slice request travels: `settings` once per session (`run:<R>:settings`), `generation`
 * once per generation (`run:<R>:gen:<g>`), `job` in the BullMQ job itself, `local` never (how this process
 * computes). The table is keyed by every field of EsSliceRequest, so a field added to the request (a new ES
 * setting mapped from the run config by training/es-evaluator.ts) does not compile until it says where it goes and
 * how a worker checks it: nothing the run config sends can be missing from the wire shape.
 */
type SlicePart = 'settings' | 'generation' | 'job' | 'local';

interface WireField<P extends SlicePart> {
  part: P;
  /** the field may be absent (optional in EsSliceRequest): absent stays absent */
  optional?: true;
  /** checks the value a worker read from Redis; `what` names the field's object */
  parse(v: unknown, o: Obj, k: string, what: string): unknown;
}

const settingsField = (parse: WireField<'settings'>['parse'], optional?: true): WireField<'settings'> => ({ part: 'settings', parse, optional });
const generationField = (parse: WireField<'generation'>['parse'], optional?: true): WireField<'generation'> => ({ part: 'generation', parse, optional });
const intField = (min: number, max?: number) => (_v: unknown, o: Obj, k: string, what: string) => int(o, k, what, min, max);
const boolField = (_v: unknown, o: Obj, k: string, what: string) => bool(o, k, what);

export const SLICE_REQUEST_WIRE = {
  cfg: settingsField((v, _o, k, what) => ncaConfig(v, `${what}.${k}`)),
  seed: settingsField(intField(0, 2 ** 32 - 1)),
  target: settingsField((_v, o, k, what) => f32(o, k, what)),
  mirrored: settingsField(boolField),
  commonRandomNumbers: settingsField(boolField),
  perMemberSteps: settingsField(boolField),
  stepsMin: settingsField(intField(1, 100_000)),
  stepsMax: settingsField(intField(1, 100_000)),
  lossWindow: settingsField(intField(1, 100_000), true),
  lossEvery: settingsField(intField(1, 100_000), true),
  longRollout: settingsField((v, _o, k, what) => longRollout(v, `${what}.${k}`), true),
  generation: generationField(intField(1)),
  params: generationField((_v, o, k, what) => f32(o, k, what)),
  x0: generationField((v, _o, k, what) => stateBatch(v, `${what}.${k}`)),
  wantBest: generationField(boolField),
  sigma: generationField((_v, o, k, what) => num(o, k, what)),
  // diagonal strategies send one σ per parameter with θ (core/es/strategy.ts)
  sigmaVector: generationField((_v, o, k, what) => f32(o, k, what), true),
  memberStart: { part: 'job', parse: intField(0) },
  memberEnd: { part: 'job', parse: intField(1) },
  strategy: { part: 'local', parse: () => undefined },
} satisfies { [K in keyof EsSliceRequest]-?: WireField<SlicePart> };

type Wire = typeof SLICE_REQUEST_WIRE;
type KeysOf<P extends SlicePart> = { [K in keyof Wire]: Wire[K]['part'] extends P ? K : never }[keyof Wire];

/** What does not change during a session: sent once. */
export type EsClusterSettings = Pick<EsSliceRequest, KeysOf<'settings'>>;
/** What changes every generation: θ, the start states, σ (a number, or a vector for a diagonal strategy). */
export type EsClusterGeneration = Pick<EsSliceRequest, KeysOf<'generation'>>;

const partOf = (k: string): SlicePart | undefined => (SLICE_REQUEST_WIRE as Record<string, WireField<SlicePart>>)[k]?.part;

function longRollout(v: unknown, what: string): LongRollout | null {
  if (v === null) return null;
  const o = obj(v, what);
  return { every: int(o, 'every', what, 1), steps: int(o, 'steps', what, 1, 100_000) };
}

export function splitSliceRequest(req: EsSliceRequest): { settings: EsClusterSettings; generation: EsClusterGeneration } {
  const settings: Record<string, unknown> = {};
  const generation: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) {
    if (v === undefined) continue;
    const part = partOf(k);
    if (part === 'settings') settings[k] = v;
    else if (part === 'generation') generation[k] = v;
    else if (part === undefined) throw new Error(`es slice request: field ${k} has no place on the cluster's wire (SLICE_REQUEST_WIRE)`);
  }
  return { settings: settings as EsClusterSettings, generation: generation as EsClusterGeneration };
}

/** Checks one part (settings or generation) field by field: every field of the part, none other. */
function parsePart(part: 'settings' | 'generation', v: unknown, what: string): Record<string, unknown> {
  const o = obj(v, what);
  const extra = Object.keys(o).filter((k) => partOf(k) !== part);
  if (extra.length > 0) throw new Error(`${what} has fields this lab does not know: ${extra.join(', ')}`);
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(SLICE_REQUEST_WIRE) as [string, WireField<SlicePart>][]) {
    if (f.part !== part || (f.optional && o[k] === undefined)) continue;
    out[k] = f.parse(o[k], o, k, what);
  }
  return out;
}

export function parseEsSettings(v: unknown): EsClusterSettings {
  const what = 'es settings';
  const out = parsePart('settings', v, what) as EsClusterSettings;
  if (out.stepsMax < out.stepsMin) throw new Error(`${what}.stepsMax must be ≥ stepsMin (${out.stepsMin}), got ${out.stepsMax}`);
  return out;
}

export function parseEsGeneration(v: unknown): EsClusterGeneration {
  const what = 'es generation';
  const out = parsePart('generation', v, what) as EsClusterGeneration;
  if (out.sigmaVector && out.sigmaVector.length !== out.params.length) {
    throw new Error(`${what}.sigmaVector must have ${out.params.length} entries, got ${out.sigmaVector.length}`);
  }
  return out;
}

/** The data of one es-slice job (small JSON: BullMQ stores it as the job's data). */
export interface EsSliceJobData {
  kind: 'es-slice';
  /** the run's key in the cluster: run id and session (results of an earlier session never count) */
  run: string;
  generation: number;
  slice: number;
  memberStart: number;
  memberEnd: number;
}

export function parseEsSliceJobData(v: unknown): EsSliceJobData {
  const what = 'es-slice job';
  const o = obj(v, what);
  if (o.kind !== 'es-slice') throw new Error(`${what}.kind must be "es-slice", got ${JSON.stringify(o.kind)}`);
  const memberStart = int(o, 'memberStart', what, 0, 1 << 24);
  return {
    kind: 'es-slice', run: id(o, 'run', what), generation: int(o, 'generation', what, 1), slice: int(o, 'slice', what, 0, 1 << 20),
    memberStart, memberEnd: int(o, 'memberEnd', what, memberStart + 1, 1 << 24),
  };
}

/** The wire form of EsSliceResult: numbers in typed arrays (bit-exact, compact), who computed it. */
export interface EsSliceWireResult {
  memberStart: number;
  losses: Float64Array;
  /** per-sample losses, member-major, `batch` per member */
  sampleLosses: Float64Array;
  batch: number;
  steps: Float64Array;
  best: { member: number; loss: number; final: StateBatch } | null;
  worker: string;
}

export function sliceResultToWire(r: EsSliceResult, worker: string): EsSliceWireResult {
  const batch = r.sampleLosses[0]?.length ?? 0;
  return {
    memberStart: r.memberStart, losses: Float64Array.from(r.losses), sampleLosses: Float64Array.from(r.sampleLosses.flat()), batch,
    steps: Float64Array.from(r.steps), best: r.best, worker,
  };
}

/** Checks a result against the job it answers (members, sizes) and turns it back into an EsSliceResult. */
export function parseSliceResult(v: unknown, job: EsSliceJobData): { result: EsSliceResult; worker: string } {
  const what = `result of slice ${job.slice} (members ${job.memberStart}–${job.memberEnd - 1}) of generation ${job.generation}`;
  const o = obj(v, what);
  const count = job.memberEnd - job.memberStart;
  if (o.memberStart !== job.memberStart) throw new Error(`${what}.memberStart must be ${job.memberStart}, got ${String(o.memberStart)}`);
  const losses = f64(o, 'losses', what, count);
  const batch = int(o, 'batch', what, 0, 1 << 16);
  const flat = f64(o, 'sampleLosses', what, count * batch);
  const steps = f64(o, 'steps', what, count);
  let best: EsSliceResult['best'] = null;
  if (o.best !== null && o.best !== undefined) {
    const b = obj(o.best, `${what}.best`);
    best = { member: int(b, 'member', `${what}.best`, job.memberStart, job.memberEnd - 1), loss: num(b, 'loss', `${what}.best`), final: stateBatch(b.final, `${what}.best.final`) };
  }
  const sampleLosses: number[][] = [];
  for (let i = 0; i < count; i++) sampleLosses.push(Array.from(flat.subarray(i * batch, (i + 1) * batch)));
  return { result: { memberStart: job.memberStart, losses: Array.from(losses), sampleLosses, steps: Array.from(steps), best }, worker: str(o, 'worker', what) };
}

// ---- jobs that travel as blobs (experiments, and any kind the job table sends so) ----

/** The data of one blob job: its kind, where its payload is and where its answer goes (job-runner.ts). */
export interface BlobJobData {
  kind: BlobJobKind;
  /** the job's id (its payload and result keys derive from it) */
  job: string;
  /** the batch (one suite run, for instance) whose done list hears about it */
  batch: string;
}

export function parseBlobJobData(v: unknown, kind: BlobJobKind): BlobJobData {
  const what = `${kind} job`;
  const o = obj(v, what);
  if (o.kind !== kind) throw new Error(`${what}.kind must be ${JSON.stringify(kind)}, got ${JSON.stringify(o.kind)}`);
  return { kind, job: id(o, 'job', what), batch: id(o, 'batch', what) };
}

// ---- announcements ----

/** What computes the jobs on a worker machine: the lab's WorkerPool (pool.run), or anything that runs the cluster's job kinds. */
export interface JobExecutor {
  run<K extends ClusterJobKind>(kind: K, payload: PayloadOf<LabJobs, K>): Promise<ResultOf<LabJobs, K>>;
}

/** What makes two machines' floats the same (compat.ts); jobs only go to workers whose id matches. */
export interface Compat {
  labVersion: string;
  /** what computes the population: fused-wasm-simd or fused-js (core/nca/fused.ts) */
  kernel: string;
  /** a hash of the losses of a fixed little ES slice: catches what the two names above do not */
  probe: string;
}

/** A worker's heartbeat record (`nca-lab:worker:<id>`), what Settings → Compute lists. */
export interface WorkerAnnouncement {
  id: string;
  host: string;
  pid: number;
  cores: number;
  concurrency: number;
  compat: Compat;
  compatId: string;
  node: string;
  /** measured at start: mutants/s of the lab's 15×15 thesis-ES slice over all its processes */
  mutantsPerSec: number;
  startedAt: number;
  lastSeen: number;
  /** what it is doing now ("es-slice run … g 12 members 0–99", or "idle") */
  activity: string[];
  jobsDone: number;
}

export function parseAnnouncement(v: unknown): WorkerAnnouncement {
  const what = 'worker announcement';
  const o = obj(v, what);
  const c = obj(o.compat, `${what}.compat`);
  if (!Array.isArray(o.activity) || o.activity.some((a) => typeof a !== 'string')) throw new Error(`${what}.activity must be a list of strings`);
  return {
    id: id(o, 'id', what), host: str(o, 'host', what, 255), pid: int(o, 'pid', what, 0), cores: int(o, 'cores', what, 1, 1 << 16),
    concurrency: int(o, 'concurrency', what, 1, 1 << 16),
    compat: { labVersion: str(c, 'labVersion', `${what}.compat`, 100), kernel: str(c, 'kernel', `${what}.compat`, 100), probe: str(c, 'probe', `${what}.compat`, 100) },
    compatId: id(o, 'compatId', what), node: str(o, 'node', what, 50), mutantsPerSec: num(o, 'mutantsPerSec', what),
    startedAt: num(o, 'startedAt', what), lastSeen: num(o, 'lastSeen', what), activity: o.activity as string[], jobsDone: int(o, 'jobsDone', what, 0),
  };
}

/** A master's record of its run (`nca-lab:run:<key>`): lets workers say which runs they refuse and why. */
export interface RunAnnouncement {
  run: string;
  runId: string;
  host: string;
  compat: Compat;
  compatId: string;
}

export function parseRunAnnouncement(v: unknown): RunAnnouncement {
  const what = 'run announcement';
  const o = obj(v, what);
  const c = obj(o.compat, `${what}.compat`);
  return {
    run: id(o, 'run', what), runId: str(o, 'runId', what, 200), host: str(o, 'host', what, 255),
    compat: { labVersion: str(c, 'labVersion', `${what}.compat`, 100), kernel: str(c, 'kernel', `${what}.compat`, 100), probe: str(c, 'probe', `${what}.compat`, 100) },
    compatId: id(o, 'compatId', what),
  };
}

/** A BullMQ job id for slice k of generation g of run R (BullMQ ids may not contain ':'). */
export function sliceJobId(run: string, generation: number, slice: number): string {
  return `${run}.g${generation}.s${slice}`;
}
