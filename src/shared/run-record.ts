/**
 * A run as the workspace stores it (docs/architecture.md, "Data on disk"): the record in `runs/<id>/run.json`, the
 * rows of its append-only metrics log, and what a checkpoint holds. One schema per persisted shape: every
 * run.json and metrics line read from disk goes through `parseRunRecord` / `parseMetricRow`, which name the
 * field and what was expected.
 *
 * Losses can be NaN or ±Infinity (a diverged run), which JSON cannot hold: on disk they are the strings
 * "NaN", "Infinity" and "-Infinity" (`encodeNumber` / `decodeNumber`), so a diverged run reads back as it was.
 */
import type { StateBatch } from '../core/nca/state';
import type { RngState } from '../core/rng/philox';
import { configProblems, upgradeRunConfig, type Optimizer, type RunConfig } from './training-config';
import { OPTIMIZERS } from './optimizers';
import { describeValue, isRecord } from './validate';
import { ENGINE_CHOICES, type ComputeRecord } from './compute-engine';
import { PERSISTENCE_VERDICTS, persistenceVerdict, type PersistenceVerdict } from '../core/nca/growth-eval';

export type RunStatus = 'queued' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed' | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused', 'stopped', 'finished', 'failed', 'interrupted'];

export interface RunProgress {
  /** ES generations or Adam iterations done */
  generation: number;
  /** rollouts evaluated so far */
  evaluations: number;
  /** training wall time, summed over sessions */
  wallSeconds: number;
  bestLoss: number | null;
  lastLoss: number | null;
  /** growth loss from the seed after 40 / 200 steps (spec c.2), on evaluation generations */
  bestEval40: number | null;
  lastEval40: number | null;
  lastEval200: number | null;
  /** the growth loss after 1000 steps of the last evaluation (null before one looked that far) */
  lastEval1000: number | null;
  /** whether the last evaluation's model stops growing (persistenceVerdict, from its 40- and 1000-step losses) */
  verdict: PersistenceVerdict | null;
}

export interface RunVersions {
  lab: string;
  tfjs: string;
  node: string;
  electron?: string;
}

export interface RunRecord {
  formatVersion: 1;
  /** sortable and readable: `20261125-184700-es-carrot-9-ab12` (UTC creation time, optimizer, target, random) */
  id: string;
  name: string;
  optimizer: Optimizer;
  preset: string;
  config: RunConfig;
  status: RunStatus;
  /** why the run is in its status ("reached max generations (2000)", "NaN loss at iteration 812", …) */
  statusReason: string | null;
  /** ISO 8601 */
  createdAt: string;
  updatedAt: string;
  /** the tfjs backend the run computes on (docs/architecture.md, "Compute"); null until it first starts */
  backend: string | null;
  versions: RunVersions;
  progress: RunProgress;
  tags: string[];
  notes: string;
  forkedFrom: { runId: string; generation: number } | null;
  /** generation of the newest checkpoint written, or null */
  checkpointGeneration: number | null;
  /**
   * What the last resume had to work around, for the window and `nca-lab runs --id`: a checkpoint that could not
   * be read (which file, why) or metrics rows that were recomputed; null when it resumed cleanly. Older run.json
   * files have no such field (null).
   */
  resumeNotice: string | null;
  /**
   * The sweep the run was made for (shared/sweep.ts) and its place in it, so a sweep resumed after a crash finds
   * the runs it made rather than making them twice. Null for other runs (and in run.json files from before sweeps).
   */
  sweep: { id: string; index: number } | null;
  /** what the last session computed on (shared/compute-engine.ts): engine, GPU adapter, why; null before one ran */
  compute: ComputeRecord | null;
  /**
   * SHA-256 (hex) of the target's pixels as the run was created with them (services/store/run-target.ts), so a
   * target.png replaced by another image is refused rather than trained on. Null in run.json files from before it
   * was kept; their first resume records it.
   */
  targetSha256: string | null;
  /**
   * The worker processes the last session computed with (0: in its own process), so every process on the
   * workspace can show a run another one trains; null before one ran, for a GPU or cluster session, and in
   * run.json files from before it was recorded.
   */
  workers: number | null;
}

/** What `LabStore.updateRun` may change; everything else in a record is fixed at creation. */
export type RunPatch = Partial<Pick<RunRecord, 'status' | 'statusReason' | 'backend' | 'progress' | 'tags' | 'notes' | 'name' | 'checkpointGeneration' | 'resumeNotice' | 'compute' | 'targetSha256' | 'workers'>> & {
  /** new stop conditions (to extend a finished run); the rest of the config is fixed once a run exists */
  stop?: RunConfig['stop'];
};

export const RUN_PATCH_FIELDS = ['status', 'statusReason', 'backend', 'progress', 'tags', 'notes', 'name', 'checkpointGeneration', 'resumeNotice', 'stop', 'compute', 'targetSha256', 'workers'] as const;

/** One line of a run's metrics log: the same field names for ES and Adam, so curves overlay. */
export interface MetricRow {
  /** ES generation or Adam iteration, counted from 1 */
  generation: number;
  /** rollouts evaluated so far (ES: population × batch per generation; Adam: batch per iteration) */
  evaluations: number;
  /** training wall time so far, summed over sessions (resumes) */
  wallSeconds: number;
  /** ES: mean loss of the perturbed population (= −mean raw fitness); Adam: batch loss */
  loss: number;
  /** ES: best member's loss this generation; Adam: the batch loss */
  bestLoss: number;
  lr: number;
  /** Adam: global gradient norm */
  gradNorm?: number;
  /** growth loss from the seed after 40 / 200 / 1000 steps (c.2), on evaluation generations only */
  eval40?: number;
  eval200?: number;
  /** absent in rows written before evaluations looked 1000 steps ahead */
  eval1000?: number;
}

/**
 * The persistence verdict of one evaluation (the one verdict function, core/nca/growth-eval.ts), null when it did
 * not look 1000 steps ahead. A loss that crossed to the window as null was not finite, and counts as such.
 */
export function evaluationVerdict(e: { eval40?: number | null; eval1000?: number | null }): PersistenceVerdict | null {
  if (e.eval1000 === undefined) return null;
  return persistenceVerdict(e.eval40 ?? NaN, e.eval1000 ?? NaN);
}

export type CheckpointScalar = number | string | boolean | null | number[];

/** Everything needed to continue a run exactly where it stopped. */
export interface Checkpoint {
  generation: number;
  evaluations: number;
  wallSeconds: number;
  /** the flat parameters, in the layout of core/nca/config.ts */
  params: Float32Array;
  /** optimizer state as named float arrays (Adam m/v per variable, pool per-sample losses, …) */
  arrays: Record<string, Float32Array>;
  /** optimizer state as JSON scalars (ES lr and decay stage, Adam step, …) */
  scalars: Record<string, CheckpointScalar>;
  /** the sample pool, when the run keeps one */
  pool: StateBatch | null;
  /** the run's random stream, when it keeps one between generations */
  rng: RngState | null;
}

/** What a run counts its steps in: ES generations, Adam iterations ("checkpoint at iteration 916"). */
export function stepWord(optimizer: Optimizer): 'generation' | 'iteration' {
  return OPTIMIZERS[optimizer].unit;
}

export function emptyProgress(): RunProgress {
  return {
    generation: 0, evaluations: 0, wallSeconds: 0, bestLoss: null, lastLoss: null, bestEval40: null, lastEval40: null, lastEval200: null,
    lastEval1000: null, verdict: null,
  };
}

/** A persisted shape that does not match its schema; `field` is the dotted path of the first problem. */
export class RecordFormatError extends Error {
  override name = 'RecordFormatError';
  constructor(readonly field: string, detail: string) {
    super(field ? `${field}: ${detail}` : detail);
  }
}

// ---- numbers that may be NaN or infinite ----

export type EncodedNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(x: number): EncodedNumber {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

/** The inverse of `encodeNumber` (a number, NaN included, passes as it is); undefined for anything else. */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

// ---- run.json ----

const PROGRESS_LOSSES = ['bestLoss', 'lastLoss', 'bestEval40', 'lastEval40', 'lastEval200', 'lastEval1000'] as const;

/** run.json as written: the record with non-finite losses encoded. */
export function runRecordToJson(r: RunRecord): unknown {
  const progress: Record<string, unknown> = { ...r.progress };
  for (const k of PROGRESS_LOSSES) {
    const v = r.progress[k];
    progress[k] = v === null ? null : encodeNumber(v);
  }
  return { ...r, progress };
}


function need(ok: boolean, field: string, detail: string): asserts ok {
  if (!ok) throw new RecordFormatError(field, detail);
}


function count(v: unknown, field: string): number {
  need(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, field, `must be an integer ≥ 0, got ${describeValue(v)}`);
  return v;
}

function seconds(v: unknown, field: string): number {
  need(typeof v === 'number' && Number.isFinite(v) && v >= 0, field, `must be a number ≥ 0, got ${describeValue(v)}`);
  return v;
}

function str(v: unknown, field: string): string {
  need(typeof v === 'string', field, `must be a string, got ${describeValue(v)}`);
  return v;
}

function nullableStr(v: unknown, field: string): string | null {
  need(v === null || typeof v === 'string', field, `must be a string or null, got ${describeValue(v)}`);
  return v;
}

function nullableSha256(v: unknown, field: string): string | null {
  need(v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)), field, `must be 64 hex digits (a SHA-256) or null, got ${describeValue(v)}`);
  return v;
}

function loss(v: unknown, field: string): number {
  const x = decodeNumber(v);
  need(x !== undefined, field, `must be a number (or "NaN", "Infinity", "-Infinity"), got ${describeValue(v)}`);
  return x;
}

function nullableLoss(v: unknown, field: string): number | null {
  return v === null ? null : loss(v, field);
}

function isoDate(v: unknown, field: string): string {
  need(typeof v === 'string' && !Number.isNaN(Date.parse(v)), field, `must be an ISO 8601 date, got ${describeValue(v)}`);
  return v;
}

export function parseRunStatus(v: unknown, field = 'status'): RunStatus {
  need(typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v), field, `must be one of ${RUN_STATUSES.join(', ')}, got ${describeValue(v)}`);
  return v as RunStatus;
}

export function parseRunProgress(v: unknown, field = 'progress'): RunProgress {
  need(isRecord(v), field, `must be an object, got ${describeValue(v)}`);
  return {
    generation: count(v.generation, `${field}.generation`),
    evaluations: count(v.evaluations, `${field}.evaluations`),
    wallSeconds: seconds(v.wallSeconds, `${field}.wallSeconds`),
    bestLoss: nullableLoss(v.bestLoss, `${field}.bestLoss`),
    lastLoss: nullableLoss(v.lastLoss, `${field}.lastLoss`),
    bestEval40: nullableLoss(v.bestEval40, `${field}.bestEval40`),
    lastEval40: nullableLoss(v.lastEval40, `${field}.lastEval40`),
    lastEval200: nullableLoss(v.lastEval200, `${field}.lastEval200`),
    // run.json files from before evaluations looked 1000 steps ahead have neither
    lastEval1000: v.lastEval1000 === undefined ? null : nullableLoss(v.lastEval1000, `${field}.lastEval1000`),
    verdict: v.verdict === undefined ? null : parseVerdict(v.verdict, `${field}.verdict`),
  };
}

function parseVerdict(v: unknown, field: string): PersistenceVerdict | null {
  need(v === null || (PERSISTENCE_VERDICTS as readonly unknown[]).includes(v), field, `must be null or one of ${PERSISTENCE_VERDICTS.join(', ')}, got ${describeValue(v)}`);
  return v as PersistenceVerdict | null;
}

export function parseTags(v: unknown, field = 'tags'): string[] {
  need(Array.isArray(v) && v.every((t) => typeof t === 'string'), field, `must be a list of strings, got ${describeValue(v)}`);
  return [...v] as string[];
}

export function parseSweepRef(v: unknown, field = 'sweep'): RunRecord['sweep'] {
  if (v === null || v === undefined) return null;
  need(isRecord(v), field, `must be {id, index} or null, got ${describeValue(v)}`);
  return { id: str(v.id, `${field}.id`), index: count(v.index, `${field}.index`) };
}

export function parseForkedFrom(v: unknown, field = 'forkedFrom'): RunRecord['forkedFrom'] {
  if (v === null || v === undefined) return null;
  need(isRecord(v), field, `must be {runId, generation} or null, got ${describeValue(v)}`);
  return { runId: str(v.runId, `${field}.runId`), generation: count(v.generation, `${field}.generation`) };
}

/** Validates a run.json's parsed JSON (non-finite losses decoded); throws RecordFormatError naming the field. */
export function parseRunRecord(v: unknown): RunRecord {
  need(isRecord(v), '', `a run record must be a JSON object, got ${describeValue(v)}`);
  need(v.formatVersion === 1, 'formatVersion', `must be 1 (this lab reads run format 1), got ${describeValue(v.formatVersion)}`);
  need(isRecord(v.config), 'config', `must be an object, got ${describeValue(v.config)}`);
  // a run.json written by an earlier lab gets the fields added since, with what it ran before they existed
  const config = upgradeRunConfig(v.config) as RunConfig;
  const problems = configProblems(config);
  need(problems.length === 0, problems.length ? `config.${problems[0].field}` : 'config', problems[0]?.message ?? '');
  need(v.optimizer === config.optimizer, 'optimizer', `must match config.optimizer (${describeValue(config.optimizer)}), got ${describeValue(v.optimizer)}`);
  const versions = v.versions;
  need(isRecord(versions), 'versions', `must be an object, got ${describeValue(versions)}`);
  const record: RunRecord = {
    formatVersion: 1,
    id: str(v.id, 'id'),
    name: str(v.name, 'name'),
    optimizer: config.optimizer,
    preset: str(v.preset, 'preset'),
    config,
    status: parseRunStatus(v.status),
    statusReason: nullableStr(v.statusReason, 'statusReason'),
    createdAt: isoDate(v.createdAt, 'createdAt'),
    updatedAt: isoDate(v.updatedAt, 'updatedAt'),
    backend: nullableStr(v.backend, 'backend'),
    versions: {
      lab: str(versions.lab, 'versions.lab'),
      tfjs: str(versions.tfjs, 'versions.tfjs'),
      node: str(versions.node, 'versions.node'),
      ...(versions.electron === undefined ? {} : { electron: str(versions.electron, 'versions.electron') }),
    },
    progress: parseRunProgress(v.progress),
    tags: parseTags(v.tags),
    notes: str(v.notes, 'notes'),
    forkedFrom: parseForkedFrom(v.forkedFrom),
    checkpointGeneration: v.checkpointGeneration === null ? null : count(v.checkpointGeneration, 'checkpointGeneration'),
    resumeNotice: v.resumeNotice === undefined ? null : nullableStr(v.resumeNotice, 'resumeNotice'),
    sweep: parseSweepRef(v.sweep),
    // run.json files from before the GPU engine have none
    compute: v.compute === undefined ? null : parseCompute(v.compute),
    targetSha256: v.targetSha256 === undefined ? null : nullableSha256(v.targetSha256, 'targetSha256'),
    workers: v.workers === undefined || v.workers === null ? null : count(v.workers, 'workers'),
  };
  return record;
}

/** Validates an update; unknown fields are refused rather than silently dropped. */
export function parseRunPatch(v: unknown): RunPatch {
  need(isRecord(v), '', `an update must be an object, got ${describeValue(v)}`);
  const out: RunPatch = {};
  for (const key of Object.keys(v)) {
    need((RUN_PATCH_FIELDS as readonly string[]).includes(key), key, `cannot be changed (changeable: ${RUN_PATCH_FIELDS.join(', ')})`);
  }
  if ('status' in v) out.status = parseRunStatus(v.status);
  if ('statusReason' in v) out.statusReason = nullableStr(v.statusReason, 'statusReason');
  if ('backend' in v) out.backend = nullableStr(v.backend, 'backend');
  if ('progress' in v) out.progress = parseRunProgress(v.progress);
  if ('tags' in v) out.tags = parseTags(v.tags);
  if ('notes' in v) out.notes = str(v.notes, 'notes');
  if ('name' in v) {
    out.name = str(v.name, 'name');
    need(out.name.trim() !== '', 'name', 'must not be empty');
  }
  if ('stop' in v) {
    need(isRecord(v.stop), 'stop', `must be {maxGenerations, maxSeconds, targetLoss}, got ${describeValue(v.stop)}`);
    const st = v.stop as Record<string, unknown>;
    for (const k of ['maxGenerations', 'maxSeconds', 'targetLoss']) {
      need(st[k] === null || (typeof st[k] === 'number' && Number.isFinite(st[k] as number) && (st[k] as number) > 0), `stop.${k}`, `must be a positive number or null, got ${describeValue(st[k])}`);
    }
    out.stop = { maxGenerations: st.maxGenerations as number | null, maxSeconds: st.maxSeconds as number | null, targetLoss: st.targetLoss as number | null };
  }
  if ('checkpointGeneration' in v) {
    out.checkpointGeneration = v.checkpointGeneration === null ? null : count(v.checkpointGeneration, 'checkpointGeneration');
  }
  if ('resumeNotice' in v) out.resumeNotice = nullableStr(v.resumeNotice, 'resumeNotice');
  if ('compute' in v) out.compute = parseCompute(v.compute);
  if ('targetSha256' in v) out.targetSha256 = nullableSha256(v.targetSha256, 'targetSha256');
  if ('workers' in v) out.workers = v.workers === null ? null : count(v.workers, 'workers');
  return out;
}

function parseCompute(v: unknown): ComputeRecord | null {
  if (v === null) return null;
  need(isRecord(v), 'compute', `must be {engine, adapter, reason} or null, got ${describeValue(v)}`);
  need(v.engine !== 'auto' && (ENGINE_CHOICES as readonly unknown[]).includes(v.engine), 'compute.engine', `must be "wasm" or "webgpu", got ${describeValue(v.engine)}`);
  return { engine: v.engine as ComputeRecord['engine'], adapter: nullableStr(v.adapter, 'compute.adapter'), reason: str(v.reason, 'compute.reason') };
}

// ---- metrics lines ----

export function metricRowToJson(r: MetricRow): unknown {
  const out: Record<string, unknown> = {
    generation: r.generation, evaluations: r.evaluations, wallSeconds: r.wallSeconds,
    loss: encodeNumber(r.loss), bestLoss: encodeNumber(r.bestLoss), lr: encodeNumber(r.lr),
  };
  if (r.gradNorm !== undefined) out.gradNorm = encodeNumber(r.gradNorm);
  if (r.eval40 !== undefined) out.eval40 = encodeNumber(r.eval40);
  if (r.eval200 !== undefined) out.eval200 = encodeNumber(r.eval200);
  if (r.eval1000 !== undefined) out.eval1000 = encodeNumber(r.eval1000);
  return out;
}

/** Validates one metrics row (as given by a trainer, or parsed from a line with non-finite numbers encoded). */
export function parseMetricRow(v: unknown): MetricRow {
  need(isRecord(v), '', `a metrics row must be an object, got ${describeValue(v)}`);
  const row: MetricRow = {
    generation: count(v.generation, 'generation'),
    evaluations: count(v.evaluations, 'evaluations'),
    wallSeconds: seconds(v.wallSeconds, 'wallSeconds'),
    loss: loss(v.loss, 'loss'),
    bestLoss: loss(v.bestLoss, 'bestLoss'),
    lr: loss(v.lr, 'lr'),
  };
  if (v.gradNorm !== undefined) row.gradNorm = loss(v.gradNorm, 'gradNorm');
  if (v.eval40 !== undefined) row.eval40 = loss(v.eval40, 'eval40');
  if (v.eval200 !== undefined) row.eval200 = loss(v.eval200, 'eval200');
  if (v.eval1000 !== undefined) row.eval1000 = loss(v.eval1000, 'eval1000');
  return row;
}
