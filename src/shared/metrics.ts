/**
 * The metric record of a run, declared once: one row per number a training step or a growth evaluation reports.
 * From the table follow the metrics line on disk (`metrics.jsonl`, non-finite numbers encoded), its wire form for
 * the window (`MetricPoint`, non-finite as null), the progress event (`RunProgressEvent`), the run's progress
 * summary in run.json (`RunProgress`) and the one pure fold that makes the summary from rows or events
 * (`foldProgress`), the curves the run page and the Overlay offer and export, and the CLI's progress line.
 *
 * A new metric is one row here: a `step` metric is reported by the optimizer's step (StepDone carries every step
 * metric by name), a growth metric is the loss after `growthSteps` CA steps from the seed on the generation's Eval
 * stream (spec c.2), measured by the one rollout of every growth evaluation.
 */
import type { Optimizer } from './training-config';
import { PERSISTENCE_VERDICTS, persistenceVerdict, type PersistenceVerdict } from '../core/nca/growth-eval';
import { decodeNumber, encodeNumber, RecordFormatError } from './record-format';
import { describeValue, isRecord } from './validate';

/** How a metric comes to be. */
export type MetricSource =
  /** counted by the training loop (the x axes) */
  | 'loop'
  /** reported by the optimizer's step */
  | 'step'
  /** the loss after this many CA steps from the seed, at every growth evaluation (spec c.2) */
  | { readonly growthSteps: number };

export interface MetricDef {
  /** count: an integer ≥ 0; seconds: a number ≥ 0; value: any number, NaN and ±Infinity included (a diverged run) */
  readonly kind: 'count' | 'seconds' | 'value';
  readonly source: MetricSource;
  /** only some rows have it (a growth evaluation's rows, Adam's) */
  readonly optional?: true;
  /** its name on an axis and in a figure */
  readonly label: string;
  /** what it measures, in the lab's words */
  readonly help: string;
  /** a curve the run page and the Overlay offer (its name in the picker); x axes have `axis` instead */
  readonly curve?: string;
  readonly axis?: string;
  /** what the run's progress summary keeps of it: its last value and/or its best (lowest finite) one */
  readonly summary?: { readonly last?: string; readonly best?: string };
  /** its words in the CLI's progress line ("40-step 0.0012") */
  readonly cli?: string;
}

export const METRICS = {
  generation: {
    kind: 'count', source: 'loop', label: 'generation / iteration', help: 'ES generation or Adam iteration, counted from 1', axis: 'Generation / iteration',
  },
  evaluations: {
    kind: 'count', source: 'loop', label: 'evaluations (rollouts)',
    help: 'rollouts evaluated so far (ES: population × batch per generation; Adam: batch per iteration)', axis: 'Evaluations',
  },
  wallSeconds: {
    kind: 'seconds', source: 'loop', label: 'wall time', help: 'training wall time so far, summed over sessions (resumes)', axis: 'Wall time',
  },
  loss: {
    kind: 'value', source: 'step', label: 'training loss', help: 'ES: mean loss of the population; Adam: batch loss',
    curve: 'Training loss', summary: { last: 'lastLoss' }, cli: 'loss',
  },
  bestLoss: {
    kind: 'value', source: 'step', label: 'best training loss', help: "ES: the best member's loss this generation; Adam: the batch loss",
    summary: { best: 'bestLoss' }, cli: 'best',
  },
  lr: { kind: 'value', source: 'step', label: 'learning rate', help: 'the learning rate the update used' },
  gradNorm: {
    kind: 'value', source: 'step', optional: true, label: 'gradient norm', help: 'Adam: the global norm of the gradient before normalisation',
    curve: 'Gradient norm (Adam)',
  },
  eval40: {
    kind: 'value', source: { growthSteps: 41 }, optional: true, label: '40-step growth loss',
    help: 'loss after 40 steps from the seed, every "evaluate every" (the same test for ES and Adam)',
    curve: 'Growth loss (40 steps)', summary: { last: 'lastEval40', best: 'bestEval40' }, cli: '40-step',
  },
  eval200: {
    kind: 'value', source: { growthSteps: 201 }, optional: true, label: '200-step growth loss',
    help: 'loss after 200 steps from the seed, at the same evaluations (does the pattern hold?)',
    curve: 'Growth loss (200 steps)', summary: { last: 'lastEval200' },
  },
  // the thesis's headline question (does it stop growing?) at every evaluation: with eval40, the persistence verdict
  eval1000: {
    kind: 'value', source: { growthSteps: 1001 }, optional: true, label: '1000-step growth loss',
    help: 'loss after 1000 steps from the seed, in the same evaluations: low when the model stops growing',
    curve: 'Growth loss (1000 steps)', summary: { last: 'lastEval1000' },
  },
} as const satisfies Record<string, MetricDef>;

type Table = typeof METRICS;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type MetricKey = keyof Table;
type RequiredKey = { [K in MetricKey]: Table[K] extends { optional: true } ? never : K }[MetricKey];
type OptionalKey = Exclude<MetricKey, RequiredKey>;
type WireValue<K extends MetricKey> = Table[K]['kind'] extends 'value' ? number | null : number;
type SourceKey<S> = { [K in MetricKey]: Table[K]['source'] extends S ? K : never }[MetricKey];
type SummaryField = { [K in MetricKey]: Table[K] extends { summary: infer S } ? S[keyof S] & string : never }[MetricKey];

/** One line of a run's metrics log: the same names for ES and Adam, so their curves overlay. */
export type MetricRow = Simplify<{ [K in RequiredKey]: number } & { [K in OptionalKey]?: number }>;
/** A metrics row as it crosses to the window (JSON has no NaN): a number that is not finite is null. */
export type MetricPoint = Simplify<{ [K in RequiredKey]: WireValue<K> } & { [K in OptionalKey]?: WireValue<K> }>;
/** What an optimizer's step reports (StepDone): every `step` metric, by name. */
export type StepMetrics = Simplify<{ [K in RequiredKey & SourceKey<'step'>]: number } & { [K in OptionalKey & SourceKey<'step'>]?: number }>;
/** The metrics a curve can be drawn of (y), and against (x). */
export type CurveKey = { [K in MetricKey]: Table[K] extends { curve: string } ? K : never }[MetricKey];
export type AxisKey = SourceKey<'loop'>;
/**
 * A run's progress summary (run.json `progress`): the loop's counts, each metric's last and best values, and the
 * persistence verdict of the last evaluation that looked 1000 steps ahead (null before one did).
 */
export type RunProgress = Simplify<{ [K in AxisKey]: number } & { [F in SummaryField]: number | null } & { verdict: PersistenceVerdict | null }>;

/**
 * Progress events go out at most this often per run (about ten a second: enough for a live curve, few for the
 * worker channel, the window's IPC and a terminal), growth evaluations always (training-log.ts, the one throttle).
 */
export const PROGRESS_INTERVAL_MS = 100;

/** Throughput over the last reporting window (shared/optimizers.ts says which an optimizer reports). */
export interface Throughput {
  generationsPerSec?: number;
  mutantsPerSec?: number;
  iterationsPerSec?: number;
}

/** The progress event of a training session (`run:progress`, the CLI's --json lines): its newest row and throughput. */
export type RunProgressEvent = Simplify<MetricPoint & Throughput & { runId: string; optimizer: Optimizer }>;

const DEFS = METRICS as Record<MetricKey, MetricDef>;
export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];
export const AXIS_KEYS = METRIC_KEYS.filter((k) => DEFS[k].source === 'loop') as AxisKey[];
export const CURVE_KEYS = METRIC_KEYS.filter((k) => DEFS[k].curve !== undefined) as CurveKey[];
const STEP_KEYS = METRIC_KEYS.filter((k) => DEFS[k].source === 'step');
/** The metrics the CLI's progress line shows, in the table's order (the first always). */
export const CLI_METRICS = METRIC_KEYS.filter((k) => DEFS[k].cli !== undefined);

export function metricDef(key: MetricKey): MetricDef {
  return DEFS[key];
}

/** A metric's column in a CSV file: its name in snake case (wallSeconds → wall_seconds). */
export function metricColumn(key: MetricKey): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The growth metrics and their step counts, fewest steps first: one rollout of the longest measures them all. */
export const GROWTH_METRICS: readonly { key: MetricKey; steps: number }[] = METRIC_KEYS
  .flatMap((key) => {
    const s = DEFS[key].source;
    return typeof s === 'object' ? [{ key, steps: s.growthSteps }] : [];
  })
  .sort((a, b) => a.steps - b.steps);

/** CA steps of a growth evaluation's rollout (its cost, beside a training step's). */
export const GROWTH_EVAL_STEPS = Math.max(0, ...GROWTH_METRICS.map((g) => g.steps));

/** Whether a curve has a value only on growth-evaluation rows (drawn with dots, never smoothed). */
export function isSparse(key: MetricKey): boolean {
  return DEFS[key].optional === true && typeof DEFS[key].source === 'object';
}

/** The step metrics of an optimizer's step result (whatever else it carries). */
export function stepMetricsOf(r: StepMetrics): StepMetrics {
  const out: Record<string, number> = {};
  for (const k of STEP_KEYS) {
    const v = (r as Record<string, number | undefined>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as StepMetrics;
}

/** The growth metrics of one evaluation, from the losses at GROWTH_METRICS' step counts (in that order). */
export function growthMetrics(losses: readonly number[]): Partial<MetricRow> {
  const out: Record<string, number> = {};
  GROWTH_METRICS.forEach((g, i) => (out[g.key] = losses[i]));
  return out as Partial<MetricRow>;
}

// ---- the wire form ----

/** A row (or a row's worth of an event) as it crosses to the window: non-finite numbers become null. */
export function metricPoint(r: MetricRow | MetricPoint): MetricPoint {
  const out: Record<string, number | null> = {};
  for (const k of METRIC_KEYS) {
    const v = (r as Record<string, number | null | undefined>)[k];
    if (v === undefined) continue;
    out[k] = DEFS[k].kind === 'value' && (v === null || !Number.isFinite(v)) ? null : v;
  }
  return out as MetricPoint;
}

/** Whether a row (or point) carries a growth evaluation: charts draw these rows always, thinned or not. */
export function isGrowthRow(r: MetricRow | MetricPoint): boolean {
  return GROWTH_METRICS.some((g) => (r as Record<string, unknown>)[g.key] !== undefined);
}

/** Every k-th row so that about `maxPoints` remain, plus every growth-evaluation row and the last row. */
export function thinRows<R extends MetricRow | MetricPoint>(rows: R[], maxPoints?: number): R[] {
  if (maxPoints === undefined || rows.length <= maxPoints) return rows;
  const k = Math.ceil(rows.length / maxPoints);
  return rows.filter((r, i) => i % k === 0 || i === rows.length - 1 || isGrowthRow(r));
}

// ---- the metrics line on disk ----

function need(ok: boolean, field: string, detail: string): asserts ok {
  if (!ok) throw new RecordFormatError(field, detail);
}

function readValue(kind: MetricDef['kind'], v: unknown, field: string): number {
  if (kind === 'count') {
    need(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, field, `must be an integer ≥ 0, got ${describeValue(v)}`);
    return v;
  }
  if (kind === 'seconds') {
    need(typeof v === 'number' && Number.isFinite(v) && v >= 0, field, `must be a number ≥ 0, got ${describeValue(v)}`);
    return v;
  }
  const x = decodeNumber(v);
  need(x !== undefined, field, `must be a number (or "NaN", "Infinity", "-Infinity"), got ${describeValue(v)}`);
  return x;
}

/** A row as a metrics line holds it: non-finite values as "NaN", "Infinity", "-Infinity". */
export function metricRowToJson(r: MetricRow): unknown {
  const out: Record<string, unknown> = {};
  for (const k of METRIC_KEYS) {
    const v = (r as Record<string, number | undefined>)[k];
    if (v !== undefined) out[k] = DEFS[k].kind === 'value' ? encodeNumber(v) : v;
  }
  return out;
}

/** Validates one metrics row (as given by a trainer, or parsed from a line with non-finite numbers encoded). */
export function parseMetricRow(v: unknown): MetricRow {
  need(isRecord(v), '', `a metrics row must be an object, got ${describeValue(v)}`);
  const row: Record<string, number> = {};
  for (const k of METRIC_KEYS) {
    if (v[k] === undefined && DEFS[k].optional) continue;
    row[k] = readValue(DEFS[k].kind, v[k], k);
  }
  return row as MetricRow;
}

// ---- the progress summary ----

interface SummaryPart {
  metric: MetricKey;
  role: 'last' | 'best';
  field: SummaryField;
}

const SUMMARY: readonly SummaryPart[] = METRIC_KEYS.flatMap((metric) => {
  const s = DEFS[metric].summary ?? {};
  return (['last', 'best'] as const).flatMap((role) => (s[role] ? [{ metric, role, field: s[role] as SummaryField }] : []));
});

/** The summary's fields that hold losses (run.json encodes the non-finite ones). */
export const SUMMARY_FIELDS: readonly SummaryField[] = SUMMARY.map((s) => s.field);
/** The summary's best values: a checkpoint keeps them, since the log thins its rows after 1000 steps. */
export const BEST_FIELDS: readonly SummaryField[] = SUMMARY.filter((s) => s.role === 'best').map((s) => s.field);

/**
 * The persistence verdict of one evaluation (the one verdict function, core/nca/growth-eval.ts), null when it did
 * not look 1000 steps ahead. A loss that crossed to the window as null was not finite, and counts as such.
 */
export function evaluationVerdict(e: { eval40?: number | null; eval1000?: number | null }): PersistenceVerdict | null {
  if (e.eval1000 === undefined) return null;
  return persistenceVerdict(e.eval40 ?? NaN, e.eval1000 ?? NaN);
}

export function emptyProgress(): RunProgress {
  const out: Record<string, number | null> = { verdict: null };
  for (const k of AXIS_KEYS) out[k] = 0;
  for (const f of SUMMARY_FIELDS) out[f] = null;
  return out as RunProgress;
}

function lowest(a: number | null, b: number | null): number | null {
  if (b === null || !Number.isFinite(b)) return a;
  if (a === null || !Number.isFinite(a)) return b;
  return Math.min(a, b);
}

/**
 * The one fold of rows (or progress events) into a run's progress summary: the counts of the newer row, each
 * summarised metric's last value where the row has it (a loss that is not finite included: the run diverged) and
 * its lowest finite value. The training log folds every step, a live run view every event, a fork the rows it keeps.
 */
export function foldProgress(p: RunProgress, row: MetricRow | MetricPoint): RunProgress {
  const r = row as Record<string, number | null | undefined>;
  const out = { ...p } as Record<string, unknown>;
  for (const k of AXIS_KEYS) out[k] = r[k] as number;
  for (const s of SUMMARY) {
    const v = r[s.metric];
    if (v === undefined) continue;
    out[s.field] = s.role === 'last' ? v : lowest(out[s.field] as number | null, v);
  }
  if (r.eval1000 !== undefined) out.verdict = evaluationVerdict(r);
  return out as RunProgress;
}

/** `newer`'s counts and last values, the lowest of both's best values (a record on disk and a live session's fold). */
export function mergeProgress(older: RunProgress, newer: RunProgress): RunProgress {
  const out = { ...newer } as Record<string, unknown>;
  for (const f of BEST_FIELDS) out[f] = lowest(older[f], newer[f]);
  return out as RunProgress;
}

/** What a checkpoint says of the run's progress (shared/run-record.ts's Checkpoint). */
export interface CheckpointProgress {
  generation: number;
  evaluations: number;
  wallSeconds: number;
  scalars: Record<string, unknown>;
}

/**
 * A run's progress as of a checkpoint (a resumed session's start, a fork's): the checkpoint's counts, the last
 * values of the rows kept up to it (a resumed run's last growth losses), and the checkpoint's best values (the log
 * thins its rows after 1000 steps, so only the checkpoint knows the best of every step); a checkpoint from before
 * a metric was added has no best of it, which then comes from the rows.
 */
export function progressAt(ckpt: CheckpointProgress | null, rows: readonly MetricRow[]): RunProgress {
  if (!ckpt) return emptyProgress();
  const p = rows.filter((r) => r.generation <= ckpt.generation).reduce(foldProgress, emptyProgress()) as Record<string, number | null>;
  for (const k of AXIS_KEYS) p[k] = ckpt[k];
  for (const f of BEST_FIELDS) {
    const v = ckpt.scalars[f];
    if (v !== undefined) p[f] = typeof v === 'number' ? v : null;
  }
  return p as RunProgress;
}

/** Validates run.json's `progress`; a summary field from a metric added since the run was written reads as null. */
export function parseRunProgress(v: unknown, field = 'progress'): RunProgress {
  need(isRecord(v), field, `must be an object, got ${describeValue(v)}`);
  const out: Record<string, unknown> = {};
  for (const k of AXIS_KEYS) out[k] = readValue(DEFS[k].kind, v[k], `${field}.${k}`);
  for (const f of SUMMARY_FIELDS) out[f] = v[f] === null || v[f] === undefined ? null : readValue('value', v[f], `${field}.${f}`);
  // run.json files from before evaluations looked 1000 steps ahead have none
  const verdict = v.verdict ?? null;
  need(verdict === null || (PERSISTENCE_VERDICTS as readonly unknown[]).includes(verdict), `${field}.verdict`,
    `must be null or one of ${PERSISTENCE_VERDICTS.join(', ')}, got ${describeValue(verdict)}`);
  out.verdict = verdict;
  return out as RunProgress;
}

/** run.json's `progress` as written: non-finite losses encoded. */
export function runProgressToJson(p: RunProgress): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p };
  for (const f of SUMMARY_FIELDS) {
    const v = p[f];
    out[f] = v === null ? null : encodeNumber(v);
  }
  return out;
}
