/**
 * A run as the workspace stores it (docs/architecture.md, "Data on disk"): the record in `runs/<id>/run.json`, the
 * rows of its append-only metrics log, and what a checkpoint holds. One schema per persisted shape: every
 * run.json and metrics line read from disk goes through `parseRunRecord` / `parseMetricRow`, which name the
 * field and what was expected.
 *
 * Losses can be NaN or ±Infinity (a diverged run), which JSON cannot hold: on disk they are the strings
 * "NaN", "Infinity" and "-Infinity" (record-format.ts), so a diverged run reads back as it was. The metrics
 * row and the progress summary are declared in metrics.ts.
 */
import type { StateBatch } from '../core/nca/state';
import type { RngState } from '../core/rng/philox';
import { configProblems, upgradeRunConfig, type Optimizer, type RunConfig } from './training-config';
import { OPTIMIZERS } from './optimizers';
import { describeValue, isRecord } from './validate';
import { ENGINE_CHOICES, type ComputeRecord } from './compute-engine';
import { RecordFormatError } from './record-format';
import { parseRunProgress, runProgressToJson, type RunProgress } from './metrics';

export { decodeNumber, encodeNumber, RecordFormatError, type EncodedNumber } from './record-format';
export { emptyProgress, evaluationVerdict, metricRowToJson, parseMetricRow, parseRunProgress, type MetricRow, type RunProgress } from './metrics';

export type RunStatus = 'queued' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed' | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused', 'stopped', 'finished', 'failed', 'interrupted'];

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

// ---- run.json ----

/** run.json as written: the record with non-finite losses encoded. */
export function runRecordToJson(r: RunRecord): unknown {
  return { ...r, progress: runProgressToJson(r.progress) };
}


function need(ok: boolean, field: string, detail: string): asserts ok {
  if (!ok) throw new RecordFormatError(field, detail);
}


function count(v: unknown, field: string): number {
  need(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, field, `must be an integer ≥ 0, got ${describeValue(v)}`);
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

function isoDate(v: unknown, field: string): string {
  need(typeof v === 'string' && !Number.isNaN(Date.parse(v)), field, `must be an ISO 8601 date, got ${describeValue(v)}`);
  return v;
}

export function parseRunStatus(v: unknown, field = 'status'): RunStatus {
  need(typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v), field, `must be one of ${RUN_STATUSES.join(', ')}, got ${describeValue(v)}`);
  return v as RunStatus;
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

