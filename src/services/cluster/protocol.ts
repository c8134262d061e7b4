/**
 * What travels through the cluster's Redis, and where (docs/scale-out.md has the picture). Everything a worker
 * reads from Redis comes from another machine, so every shape here is one zod schema (shared/schema.ts), its
 * TypeScript type inferred from it, and its parser names the field's path when it is wrong (CONTRIBUTING.md,
 * "Conventions"); a job names one of the lab's own job kinds and carries only numbers and keys, never code or
 * file paths.
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
import { NCA_CONFIG_FIELDS, STATE_BATCH } from './wire-checks';
import type { EsSliceRequest, EsSliceResult } from '../../core/es/slice';
import type { BlobJobKind, ClusterJobKind, LabJobs } from '../workers/lab-jobs';
import type { PayloadOf, ResultOf } from '../workers/protocol';
import { messageOf } from '../../shared/validate';
import * as z from 'zod';
import { float32Array, float64Array, integer, labId, parseWith, text } from '../../shared/schema';

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
 * Where each field of a slice request travels and what a worker accepts there: `settings` once per session
 * (`run:<R>:settings`), `generation` once per generation (`run:<R>:gen:<g>`), `job` in the BullMQ job itself,
 * `local` never (how this process computes). The table is keyed by every field of EsSliceRequest, so a field
 * added to the request (a new ES setting mapped from the run config by training/es-evaluator.ts) does not compile
 * until it says where it goes and how a worker checks it: nothing the run config sends can be missing from the
 * wire shape. The two parts' types are inferred from their schemas, and sliceRequestOf, which joins them into
 * the request a worker computes, does not compile while a schema yields another type than the request's field.
 */
type SlicePart = 'settings' | 'generation' | 'job' | 'local';

const settings = <S extends z.ZodType>(schema: S) => ({ part: 'settings' as const, schema });
const generation = <S extends z.ZodType>(schema: S) => ({ part: 'generation' as const, schema });
const steps = integer(1, 100_000);

export const SLICE_REQUEST_WIRE = {
  cfg: settings(z.strictObject(NCA_CONFIG_FIELDS)),
  seed: settings(integer(0, 2 ** 32 - 1)),
  target: settings(float32Array),
  mirrored: settings(z.boolean()),
  commonRandomNumbers: settings(z.boolean()),
  perMemberSteps: settings(z.boolean()),
  stepsMin: settings(steps),
  stepsMax: settings(steps),
  lossWindow: settings(steps.optional()),
  lossEvery: settings(steps.optional()),
  longRollout: settings(z.strictObject({ every: integer(1), steps }).nullable().optional()),
  generation: generation(integer(1)),
  params: generation(float32Array),
  x0: generation(STATE_BATCH),
  wantBest: generation(z.boolean()),
  sigma: generation(z.number()),
  // diagonal strategies send one σ per parameter with θ (core/es/strategy.ts)
  sigmaVector: generation(float32Array.optional()),
  memberStart: { part: 'job', schema: integer(0) },
  memberEnd: { part: 'job', schema: integer(1) },
  strategy: { part: 'local' },
} satisfies { [K in keyof EsSliceRequest]-?: { part: 'local' } | { part: SlicePart; schema: z.ZodType } };

type Wire = typeof SLICE_REQUEST_WIRE;
type KeysOf<P extends SlicePart> = { [K in keyof Wire]: Wire[K]['part'] extends P ? K : never }[keyof Wire];
type PartShape<P extends 'settings' | 'generation'> = { [K in KeysOf<P>]: Extract<Wire[K], { schema: z.ZodType }>['schema'] };

/** One part of the request as a strict object of its fields' schemas. */
function partSchema<P extends 'settings' | 'generation'>(part: P) {
  const shape = Object.fromEntries(
    Object.entries(SLICE_REQUEST_WIRE).flatMap(([k, f]) => (f.part === part && 'schema' in f ? [[k, f.schema]] : [])),
  ) as PartShape<P>;
  return z.strictObject(shape);
}

const ES_SETTINGS = partSchema('settings').superRefine((s, ctx) => {
  if (s.stepsMax < s.stepsMin) ctx.addIssue({ code: 'custom', path: ['stepsMax'], message: `must be ≥ stepsMin (${s.stepsMin}), got ${s.stepsMax}` });
});
const ES_GENERATION = partSchema('generation').superRefine((g, ctx) => {
  if (g.sigmaVector && g.sigmaVector.length !== g.params.length) {
    ctx.addIssue({ code: 'custom', path: ['sigmaVector'], message: `must have ${g.params.length} entries (one per parameter), got ${g.sigmaVector.length}` });
  }
});

/** What does not change during a session: sent once. */
export type EsClusterSettings = z.infer<typeof ES_SETTINGS>;
/** What changes every generation: θ, the start states, σ (a number, or a vector for a diagonal strategy). */
export type EsClusterGeneration = z.infer<typeof ES_GENERATION>;

const partOf = (k: string): SlicePart | undefined => (SLICE_REQUEST_WIRE as Record<string, { part: SlicePart }>)[k]?.part;

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

/** The request a worker computes: the run's settings, the generation's part and the job's members. */
export function sliceRequestOf(settings: EsClusterSettings, generation: EsClusterGeneration, job: Pick<EsSliceJobData, 'memberStart' | 'memberEnd'>): EsSliceRequest {
  return { ...settings, ...generation, memberStart: job.memberStart, memberEnd: job.memberEnd };
}

export function parseEsSettings(v: unknown): EsClusterSettings {
  return parseWith(ES_SETTINGS, v, 'es settings');
}

export function parseEsGeneration(v: unknown): EsClusterGeneration {
  return parseWith(ES_GENERATION, v, 'es generation');
}

const ES_SLICE_JOB = z
  .strictObject({
    kind: z.literal('es-slice'),
    /** the run's key in the cluster: run id and session (results of an earlier session never count) */
    run: labId,
    generation: integer(1),
    slice: integer(0, 1 << 20),
    memberStart: integer(0, 1 << 24),
    memberEnd: integer(1, 1 << 24),
  })
  .superRefine((j, ctx) => {
    if (j.memberEnd <= j.memberStart) ctx.addIssue({ code: 'custom', path: ['memberEnd'], message: `must be > memberStart (${j.memberStart}), got ${j.memberEnd}` });
  });

/** The data of one es-slice job (small JSON: BullMQ stores it as the job's data). */
export type EsSliceJobData = z.infer<typeof ES_SLICE_JOB>;

export function parseEsSliceJobData(v: unknown): EsSliceJobData {
  return parseWith(ES_SLICE_JOB, v, 'es-slice job');
}

/** The wire form of EsSliceResult: numbers in typed arrays (bit-exact, compact), who computed it. */
const SLICE_WIRE_RESULT = z.strictObject({
  memberStart: integer(0, 1 << 24),
  losses: float64Array,
  /** per-sample losses, member-major, `batch` per member */
  sampleLosses: float64Array,
  batch: integer(0, 1 << 16),
  steps: float64Array,
  best: z.strictObject({ member: integer(0, 1 << 24), loss: z.number(), final: STATE_BATCH }).nullable(),
  worker: text(),
});
export type EsSliceWireResult = z.infer<typeof SLICE_WIRE_RESULT>;

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
  const r = parseWith(SLICE_WIRE_RESULT, v, what);
  const count = job.memberEnd - job.memberStart;
  if (r.memberStart !== job.memberStart) throw new Error(`${what}.memberStart must be ${job.memberStart}, got ${r.memberStart}`);
  for (const [field, expected] of [['losses', count], ['steps', count], ['sampleLosses', count * r.batch]] as const) {
    if (r[field].length !== expected) throw new Error(`${what}.${field} must have ${expected} entries, got ${r[field].length}`);
  }
  if (r.best && (r.best.member < job.memberStart || r.best.member >= job.memberEnd)) {
    throw new Error(`${what}.best.member must be a member from ${job.memberStart} to ${job.memberEnd - 1}, got ${r.best.member}`);
  }
  const sampleLosses: number[][] = [];
  for (let i = 0; i < count; i++) sampleLosses.push(Array.from(r.sampleLosses.subarray(i * r.batch, (i + 1) * r.batch)));
  return { result: { memberStart: job.memberStart, losses: Array.from(r.losses), sampleLosses, steps: Array.from(r.steps), best: r.best }, worker: r.worker };
}

// ---- jobs that travel as blobs (experiments, and any kind the job table sends so) ----

const BLOB_JOB = z.strictObject({
  kind: z.string(),
  /** the job's id (its payload and result keys derive from it) */
  job: labId,
  /** the batch (one suite run, for instance) whose done list hears about it */
  batch: labId,
});

/** The data of one blob job: its kind, where its payload is and where its answer goes (job-runner.ts). */
export type BlobJobData = Omit<z.infer<typeof BLOB_JOB>, 'kind'> & { kind: BlobJobKind };

export function parseBlobJobData(v: unknown, kind: BlobJobKind): BlobJobData {
  const what = `${kind} job`;
  const data = parseWith(BLOB_JOB, v, what);
  if (data.kind !== kind) throw new Error(`${what}.kind must be ${JSON.stringify(kind)}, got ${JSON.stringify(data.kind)}`);
  return { ...data, kind };
}

// ---- announcements ----

/** What computes the jobs on a worker machine: the lab's WorkerPool (pool.run), or anything that runs the cluster's job kinds. */
export interface JobExecutor {
  run<K extends ClusterJobKind>(kind: K, payload: PayloadOf<LabJobs, K>): Promise<ResultOf<LabJobs, K>>;
}

/**
 * What makes two machines' floats the same (compat.ts); jobs only go to workers whose id matches.
 * The announcements below are read by machines of other lab versions (Settings → Compute lists an incompatible
 * worker and says why), so they are not strict: fields a newer lab adds are left out, not refused.
 */
const COMPAT = z.object({
  labVersion: text(100),
  /** what computes the population: fused-wasm-simd or fused-js (core/nca/fused.ts) */
  kernel: text(100),
  /** a hash of the losses of a fixed little ES slice: catches what the two names above do not */
  probe: text(100),
});
export type Compat = z.infer<typeof COMPAT>;

/** A worker's heartbeat record (`nca-lab:worker:<id>`), what Settings → Compute lists. */
const WORKER_ANNOUNCEMENT = z.object({
  id: labId,
  host: text(255),
  pid: integer(0),
  cores: integer(1, 1 << 16),
  concurrency: integer(1, 1 << 16),
  compat: COMPAT,
  compatId: labId,
  node: text(50),
  /** measured at start: mutants/s of the lab's 15×15 thesis-ES slice over all its processes */
  mutantsPerSec: z.number(),
  startedAt: z.number(),
  lastSeen: z.number(),
  /** what it is doing now ("es-slice run … g 12 members 0–99", or "idle") */
  activity: z.array(z.string()),
  jobsDone: integer(0),
});
export type WorkerAnnouncement = z.infer<typeof WORKER_ANNOUNCEMENT>;

export function parseAnnouncement(v: unknown): WorkerAnnouncement {
  return parseWith(WORKER_ANNOUNCEMENT, v, 'worker announcement');
}

/** A master's record of its run (`nca-lab:run:<key>`): lets workers say which runs they refuse and why. */
const RUN_ANNOUNCEMENT = z.object({ run: labId, runId: text(200), host: text(255), compat: COMPAT, compatId: labId });
export type RunAnnouncement = z.infer<typeof RUN_ANNOUNCEMENT>;

export function parseRunAnnouncement(v: unknown): RunAnnouncement {
  return parseWith(RUN_ANNOUNCEMENT, v, 'run announcement');
}

/** A BullMQ job id for slice k of generation g of run R (BullMQ ids may not contain ':'). */
export function sliceJobId(run: string, generation: number, slice: number): string {
  return `${run}.g${generation}.s${slice}`;
}
