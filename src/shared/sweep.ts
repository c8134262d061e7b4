/**
 * A sweep: many runs as one question (which settings, how much does the seed matter). What crosses process
 * boundaries and lands on disk: the request (`sweeps.plan` / `sweeps.start`, `nca-lab sweep`), its text forms
 * (`es.sigma=0.01,0.02`, `es.population=128..512 log`), and the record `sweeps/<id>/sweep.json` — the request,
 * the groups (one per configuration), every planned run with its config and seed fixed at creation (so a resumed
 * sweep trains exactly what an uninterrupted one would), the runs made for it, their final evaluations, the
 * successive-halving decisions and the experiments on the final models. One schema each, checked where they
 * arrive (ipc-schema.ts for requests, parseSweepRecord for the file).
 */
import type { SweepAxis, SweepValue } from '../core/sweeps/expand';
import { PERSISTENCE_VERDICTS, type PersistenceVerdict } from '../core/nca/growth-eval';
import { RUNNABLE_SUITES, type RunnableSuite } from '../core/experiments/protocols';
import {
  OPTIMIZER_IDS, PRESETS, checkField, configProblems, fieldByPath, parseFieldText, type FieldSpec, type RunConfig, type StopConditions,
} from './training-config';
import { describeValue, fail, hasControlCharacters, isRecord } from './validate';
import { OPTIMIZERS } from './optimizers';

export type { SweepAxis, SweepValue };

/** Settings an axis may name besides config fields: which preset, which optimizer (its default preset), which target. */
export const SWEEP_SPECIAL_AXES = ['preset', 'optimizer', 'target'] as const;
export type SweepSpecialAxis = (typeof SWEEP_SPECIAL_AXES)[number];

export const SWEEP_LIMITS = {
  runs: 512,
  axes: 8,
  values: 64,
  seeds: 32,
  samples: 256,
  nameMaxLength: 200,
  set: 64,
} as const;

/** How the settings are drawn: every combination, or a seeded random sample. */
export type SweepSample = { kind: 'grid' } | { kind: 'random'; samples: number; seed: number };

/** One setting fixed for every run of the sweep (`--set es.population=8`). */
export interface SweepFixed {
  path: string;
  value: SweepValue | null;
}

/** `sweeps.start` / `nca-lab sweep`: the question. */
export interface SweepRequest {
  /** default: made from the preset, target and axes */
  name?: string;
  /** the base preset; an `optimizer` or `preset` axis replaces it per configuration */
  preset: string;
  /** the base target (a built-in name or an imported image file); a `target` axis replaces it */
  target: string;
  axes: SweepAxis[];
  sample: SweepSample;
  seeds: number[];
  /** the same stop rule for every run (the preset's own is replaced) */
  stop: StopConditions;
  set: SweepFixed[];
  /** successive halving (core/sweeps/halving.ts): null = every run trains to the stop rule */
  halving: { firstBudget: number | null } | null;
  /** experiment suites run on every final model, drawn by group */
  suites: RunnableSuite[];
  /** the 40-step loss "time to the goal" measures; null: stop.targetLoss, else 0.0005 at 9 px and 0.0015 above */
  goal: number | null;
}

export type SweepStatus = 'running' | 'paused' | 'interrupted' | 'done' | 'failed';
export const SWEEP_STATUSES: readonly SweepStatus[] = ['running', 'paused', 'interrupted', 'done', 'failed'];

/** One configuration: the runs with these settings differ only in their seed. */
export interface SweepGroup {
  index: number;
  /** settingsKey of `settings` */
  key: string;
  /** `es.sigma 0.02 · optimizer adam` */
  label: string;
  /** the value of every axis; null where the axis does not apply (an ES field in an Adam configuration) */
  settings: Record<string, SweepValue | null>;
  /** the 40-step loss its "time to the goal" is measured against */
  goal: number;
}

/** The final model of a run, measured when the run ended (the growth evaluation carried to 1000 steps). */
export interface SweepFinal {
  generation: number;
  evaluations: number;
  wallSeconds: number;
  eval40: number | null;
  eval200: number | null;
  eval1000: number | null;
  verdict: PersistenceVerdict;
  /** the first evaluation at or below the goal; null: never */
  goalAt: { generation: number; evaluations: number; wallSeconds: number } | null;
}

export interface SweepRun {
  index: number;
  group: number;
  seed: number;
  /** fixed when the sweep was made: what this run trains */
  config: RunConfig;
  /** the run made for it (null until it is made) */
  runId: string | null;
  /** its run was deleted: it is not made again */
  removed: boolean;
  final: SweepFinal | null;
}

/** A successive-halving rung's decision: the groups that go on, and the scores they were ranked by. */
export interface SweepDecision {
  rung: number;
  budget: number;
  kept: number[];
  stopped: number[];
  /** per group index (null: not in the rung, or diverged): the median final 40-step loss over its seeds */
  scores: (number | null)[];
}

export interface SweepRecord {
  formatVersion: 1;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  request: SweepRequest;
  groups: SweepGroup[];
  runs: SweepRun[];
  /** successive halving: the rungs' budgets in `budgetUnit`; null without halving */
  rungs: number[] | null;
  budgetUnit: 'generations' | 'seconds' | null;
  decisions: SweepDecision[];
  /** points drawn by a random sample (equal draws are one configuration); null for a grid */
  drawn: number | null;
  experiments: { suite: RunnableSuite; id: string }[];
  status: SweepStatus;
  statusReason: string | null;
  /** the process that drives it while it runs */
  driver: { pid: number; host: string } | null;
}

/** `sweeps.plan`: what a request would train, before anything is made. */
export interface SweepPlanInfo {
  name: string;
  configurations: number;
  runs: number;
  seeds: number;
  /** points a random sample drew (equal draws are one configuration); null for a grid */
  drawn: number | null;
  /** the configurations' labels, in order */
  labels: string[];
  rungs: number[] | null;
  budgetUnit: 'generations' | 'seconds' | null;
  /** wall seconds for the whole sweep on this machine's queue; null when it cannot be told */
  estimateSeconds: number | null;
  estimateBasis: string;
}

/** A sweep as lists show it and `sweep:status` pushes it. */
export interface SweepSummary {
  id: string;
  name: string;
  status: SweepStatus;
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
  configurations: number;
  runs: number;
  /** runs made so far (the rest are made when the sweep gets to them) */
  made: number;
  /** runs whose final model has been measured */
  measured: number;
  /** successive halving: decisions taken of the rungs */
  rung: { decided: number; rungs: number } | null;
  /** what the sweep is doing now (while a process drives it) */
  message: string | null;
}

export function summariseSweep(r: SweepRecord, message: string | null = null): SweepSummary {
  return {
    id: r.id, name: r.name, status: r.status, statusReason: r.statusReason, createdAt: r.createdAt, updatedAt: r.updatedAt,
    configurations: r.groups.length, runs: r.runs.length, made: r.runs.filter((x) => x.runId !== null).length,
    measured: r.runs.filter((x) => x.final !== null).length,
    rung: r.rungs ? { decided: r.decisions.length, rungs: r.rungs.length } : null, message,
  };
}

export interface SweepListing {
  sweeps: SweepSummary[];
  problems: { id: string; message: string }[];
}

export const SWEEPS_DIR = 'sweeps';
export const SWEEP_FILE = 'sweep.json';

const SWEEP_ID_RE = /^\d{8}-\d{6}-sweep-[a-z0-9-]{1,40}-[0-9a-f]{4}$/;

/** `20261125-184700-sweep-es-256-rabbit-15-ab12`: sortable by age, readable, 4 random hex digits. */
export function makeSweepId(now: Date, slugText: string, random: string): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const slug = slugText.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 40).replace(/-+$/, '') || 'sweep';
  return `${stamp}-sweep-${slug}-${random}`;
}

export function isSweepId(v: unknown): v is string {
  return typeof v === 'string' && SWEEP_ID_RE.test(v);
}

export function parseSweepId(v: unknown, where: string): string {
  if (!isSweepId(v)) fail(where, `must be a sweep id (like 20260101-120000-sweep-es-256-carrot-9-1a2b), got ${describeValue(v)}`);
  return v;
}

/** A sweep the lab offers ready-made: the form fills in its request, `nca-lab sweep --builtin ID` starts from it. */
export interface BuiltinSweep {
  id: string;
  title: string;
  description: string;
  request: SweepRequest;
}

/** The growth, erase and FGSM suites of the thesis's chapter 6 (spec f.2–f.4). */
export const CHAPTER6_SUITES: RunnableSuite[] = ['growth', 'erase-2x2', 'erase-3x3', 'erase-bottom', 'fgsm-growth', 'fgsm-after'];

export const BUILTIN_SWEEPS: readonly BuiltinSweep[] = [
  {
    id: 'es-vs-adam',
    title: 'The thesis\'s question: ES or Adam?',
    description: 'ES (the default preset for new ES runs) against Adam (thesis-adam) on carrot-9 and rabbit-15, 3 seeds each, 10 minutes of training per run; the growth, erase and FGSM suites run on every final model and are drawn per configuration with the seeds\' spread (the thesis reported single runs).',
    request: {
      preset: OPTIMIZERS.es.defaultPreset, target: 'carrot-9',
      axes: [{ path: 'optimizer', kind: 'list', values: ['es', 'adam'] }, { path: 'target', kind: 'list', values: ['carrot-9', 'rabbit-15'] }],
      sample: { kind: 'grid' }, seeds: [1, 2, 3], stop: { maxGenerations: null, maxSeconds: 600, targetLoss: null }, set: [], halving: null,
      suites: CHAPTER6_SUITES, goal: null,
    },
  },
];

export function builtinSweep(id: string): BuiltinSweep {
  const b = BUILTIN_SWEEPS.find((x) => x.id === id);
  if (!b) fail('builtin', `unknown built-in sweep "${id}"; choose ${BUILTIN_SWEEPS.map((x) => x.id).join(', ')}`);
  return b;
}

// ---- text forms: `PATH=V1,V2`, `PATH=LO..HI [log|linear] [N]`, `PATH=VALUE` ----

/** A setting a sweep may vary or fix: a config field, or one of the special axes. */
export function sweepFieldOf(path: string): FieldSpec | SweepSpecialAxis {
  if ((SWEEP_SPECIAL_AXES as readonly string[]).includes(path)) return path as SweepSpecialAxis;
  if (path === 'seed') fail(path, 'seeds are not a setting of the sweep: give them as its seeds (--seeds 1,2,3)');
  if (path.startsWith('stop.')) fail(path, 'a sweep has one stop rule for all its runs: give it as the sweep\'s stop rule (--max-generations, --max-seconds, --target-loss)');
  const f = fieldByPath(path);
  if (!f) fail(path, 'is not a setting (a config field such as es.sigma, or preset, optimizer, target)');
  return f;
}

/** One value of an axis or a fixed setting, from text, checked against what the setting takes. */
export function parseSweepValue(path: string, text: string): SweepValue | null {
  const f = sweepFieldOf(path);
  const t = text.trim();
  if (f === 'preset') {
    if (!PRESETS.some((p) => p.name === t)) fail(path, `unknown preset "${t}"; choose one of ${PRESETS.map((p) => p.name).join(', ')}`);
    return t;
  }
  if (f === 'optimizer') {
    if (!(OPTIMIZER_IDS as readonly string[]).includes(t)) fail(path, `must be ${OPTIMIZER_IDS.join(' or ')}, got "${t}"`);
    return t;
  }
  if (f === 'target') {
    if (t === '') fail(path, 'must name a target');
    return t;
  }
  const v = parseFieldText(f, t) as SweepValue | null;
  const refusal = checkField(f, v);
  if (refusal) fail(path, refusal);
  return v;
}

const RANGE_RE = /^\s*([^\s.][^\s]*?)\s*\.\.\s*([^\s]+)((?:\s+(?:log|linear|\d+))*)\s*$/;

/**
 * `es.sigma=0.01,0.02,0.04` (a list) or `es.population=128..512 log` / `es.lr=0.001..0.01 log 5` (a range: on a
 * log or linear scale, with a number of grid points, default 3). The message names the setting and what it takes.
 */
export function parseSweepAxisText(text: string): SweepAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) fail('axis', `expected PATH=V1,V2,… or PATH=LO..HI [log] [N], got "${text}"`);
  const path = text.slice(0, eq).trim();
  const body = text.slice(eq + 1);
  const f = sweepFieldOf(path);
  const range = RANGE_RE.exec(body);
  if (range && typeof f !== 'string' && f.kind !== 'bool' && f.kind !== 'choice') {
    const lo = parseSweepValue(path, range[1]);
    const hi = parseSweepValue(path, range[2]);
    if (typeof lo !== 'number' || typeof hi !== 'number') fail(path, 'a range needs numbers at both ends');
    if (!(hi > lo)) fail(path, `a range goes from low to high, got ${lo}..${hi}`);
    const words = range[3].trim().split(/\s+/).filter(Boolean);
    const scale = words.includes('log') ? 'log' : 'linear';
    if (scale === 'log' && !(lo > 0)) fail(path, `a log range needs a low end > 0, got ${lo}`);
    const counts = words.filter((w) => /^\d+$/.test(w)).map(Number);
    const points = counts.length ? counts[0] : 3;
    if (!(points >= 2 && points <= SWEEP_LIMITS.values)) fail(path, `a range's grid points must be 2 to ${SWEEP_LIMITS.values}, got ${points}`);
    return { path, kind: 'range', min: lo, max: hi, scale, points, integer: f.kind === 'int' || f.kind === 'nullable-int' };
  }
  if (range && (typeof f === 'string' || f.kind === 'bool' || f.kind === 'choice')) fail(path, 'takes a list of values (V1,V2,…), not a range');
  const values = body.split(',').map((t) => parseSweepValue(path, t));
  if (values.some((v) => v === null)) fail(path, 'an axis value cannot be empty');
  return { path, kind: 'list', values: values as SweepValue[] };
}

/** The axis as text again (what `nca-lab sweep show` and the form print). */
export function sweepAxisText(axis: SweepAxis): string {
  if (axis.kind === 'list') return `${axis.path}=${axis.values.map(String).join(',')}`;
  return `${axis.path}=${axis.min}..${axis.max}${axis.scale === 'log' ? ' log' : ''} ${axis.points}`;
}

/** `PATH=VALUE` of a setting fixed for every run. */
export function parseSweepFixedText(text: string): SweepFixed {
  const eq = text.indexOf('=');
  if (eq <= 0) fail('set', `expected PATH=VALUE, got "${text}"`);
  const path = text.slice(0, eq).trim();
  if (typeof sweepFieldOf(path) === 'string') fail(path, 'is a setting of the sweep itself (its preset or target, or an axis), not a fixed config field');
  return { path, value: parseSweepValue(path, text.slice(eq + 1)) };
}

/** `1,2,3` or `1..5`. */
export function parseSeedsText(text: string): number[] {
  const t = text.trim();
  const r = /^(\d+)\s*\.\.\s*(\d+)$/.exec(t);
  const seeds = r ? Array.from({ length: Math.max(0, Number(r[2]) - Number(r[1]) + 1) }, (_, i) => Number(r[1]) + i) : t.split(',').map((s) => Number(s.trim()));
  checkSeeds(seeds, 'seeds');
  return seeds;
}

function checkSeeds(seeds: unknown, where: string): asserts seeds is number[] {
  if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > SWEEP_LIMITS.seeds) fail(where, `must be 1 to ${SWEEP_LIMITS.seeds} seeds, got ${describeValue(seeds)}`);
  for (const s of seeds) if (!(typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 && s <= 2 ** 52)) fail(where, `every seed must be an integer from 0 to 2^52, got ${describeValue(s)}`);
  if (new Set(seeds).size !== seeds.length) fail(where, 'lists a seed twice');
}

// ---- the request as it arrives from another process ----

function parseAxis(v: unknown, where: string): SweepAxis {
  if (!isRecord(v) || typeof v.path !== 'string') fail(where, 'must be {path, kind, …}');
  const path = v.path;
  const f = sweepFieldOf(path);
  if (v.kind === 'list') {
    if (!Array.isArray(v.values) || v.values.length < 1 || v.values.length > SWEEP_LIMITS.values) fail(`${where}.values`, `must be 1 to ${SWEEP_LIMITS.values} values`);
    const values = v.values.map((x, i) => {
      if (typeof x !== 'number' && typeof x !== 'string' && typeof x !== 'boolean') fail(`${where}.values[${i}]`, `must be a number, text or true/false, got ${describeValue(x)}`);
      // the same checks as the text form: a choice, a preset, a field's range
      return parseSweepValue(path, String(x)) as SweepValue;
    });
    if (new Set(values.map(String)).size !== values.length) fail(`${where}.values`, 'lists a value twice');
    return { path, kind: 'list', values };
  }
  if (v.kind === 'range') {
    if (typeof f === 'string' || f.kind === 'bool' || f.kind === 'choice') fail(where, `${path} takes a list of values, not a range`);
    const text = `${path}=${String(v.min)}..${String(v.max)}${v.scale === 'log' ? ' log' : ''} ${String(v.points)}`;
    if (v.scale !== 'log' && v.scale !== 'linear') fail(`${where}.scale`, `must be log or linear, got ${describeValue(v.scale)}`);
    return parseSweepAxisText(text);
  }
  fail(`${where}.kind`, `must be list or range, got ${describeValue(v.kind)}`);
}

function nullablePositive(v: unknown, where: string, integer: boolean): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) fail(where, `must be ${integer ? 'an integer' : 'a number'} > 0 or null, got ${describeValue(v)}`);
  return v;
}

const REQUEST_KEYS = ['name', 'preset', 'target', 'axes', 'sample', 'seeds', 'stop', 'set', 'halving', 'suites', 'goal'];

/** Checks a sweep request (the form's, the CLI's, or one read back from sweep.json); the message names the field. */
export function parseSweepRequest(value: unknown, where = 'sweeps.start'): SweepRequest {
  if (!isRecord(value)) fail(where, 'expected an object {preset, target, axes, sample, seeds, stop, set, halving, suites, goal}');
  for (const k of Object.keys(value)) if (!REQUEST_KEYS.includes(k)) fail(`${where}: ${k}`, `is not a field (${REQUEST_KEYS.join(', ')})`);
  const out = {} as SweepRequest;
  if (value.name !== undefined) {
    if (typeof value.name !== 'string' || value.name.length > SWEEP_LIMITS.nameMaxLength || hasControlCharacters(value.name)) {
      fail(`${where}: name`, `must be text of at most ${SWEEP_LIMITS.nameMaxLength} characters without control characters, got ${describeValue(value.name)}`);
    }
    out.name = value.name;
  }
  if (typeof value.preset !== 'string' || !PRESETS.some((p) => p.name === value.preset)) fail(`${where}: preset`, `must be a preset (${PRESETS.map((p) => p.name).join(', ')}), got ${describeValue(value.preset)}`);
  out.preset = value.preset;
  if (typeof value.target !== 'string' || value.target.trim() === '') fail(`${where}: target`, 'must name a target');
  out.target = value.target;
  if (!Array.isArray(value.axes) || value.axes.length > SWEEP_LIMITS.axes) fail(`${where}: axes`, `must be a list of at most ${SWEEP_LIMITS.axes} axes`);
  out.axes = value.axes.map((a, i) => parseAxis(a, `${where}: axes[${i}]`));
  const paths = out.axes.map((a) => a.path);
  if (new Set(paths).size !== paths.length) fail(`${where}: axes`, 'names a setting twice');
  if (paths.includes('optimizer') && paths.includes('preset')) fail(`${where}: axes`, 'vary the preset or the optimizer, not both');
  const s = value.sample;
  if (isRecord(s) && s.kind === 'grid') out.sample = { kind: 'grid' };
  else if (isRecord(s) && s.kind === 'random') {
    if (!(typeof s.samples === 'number' && Number.isInteger(s.samples) && s.samples >= 1 && s.samples <= SWEEP_LIMITS.samples)) fail(`${where}: sample.samples`, `must be an integer from 1 to ${SWEEP_LIMITS.samples}, got ${describeValue(s.samples)}`);
    if (!(typeof s.seed === 'number' && Number.isSafeInteger(s.seed) && s.seed >= 0)) fail(`${where}: sample.seed`, `must be an integer ≥ 0, got ${describeValue(s.seed)}`);
    out.sample = { kind: 'random', samples: s.samples, seed: s.seed };
  } else fail(`${where}: sample`, 'must be {kind: "grid"} or {kind: "random", samples, seed}');
  checkSeeds(value.seeds, `${where}: seeds`);
  out.seeds = [...value.seeds];
  const st = value.stop;
  if (!isRecord(st)) fail(`${where}: stop`, 'must be {maxGenerations, maxSeconds, targetLoss}');
  out.stop = {
    maxGenerations: nullablePositive(st.maxGenerations, `${where}: stop.maxGenerations`, true),
    maxSeconds: nullablePositive(st.maxSeconds, `${where}: stop.maxSeconds`, false),
    targetLoss: nullablePositive(st.targetLoss, `${where}: stop.targetLoss`, false),
  };
  if (out.stop.maxGenerations === null && out.stop.maxSeconds === null) fail(`${where}: stop`, 'needs a limit on generations or seconds (a goal loss alone may never be reached)');
  if (!Array.isArray(value.set) || value.set.length > SWEEP_LIMITS.set) fail(`${where}: set`, `must be a list of at most ${SWEEP_LIMITS.set} settings`);
  out.set = value.set.map((x, i) => {
    if (!isRecord(x) || typeof x.path !== 'string') fail(`${where}: set[${i}]`, 'must be {path, value}');
    return parseSweepFixedText(`${x.path}=${x.value === null ? '' : String(x.value)}`);
  });
  for (const f of out.set) if (paths.includes(f.path)) fail(`${where}: set`, `${f.path} is an axis of the sweep; it cannot also be fixed`);
  if (value.halving === null) out.halving = null;
  else if (isRecord(value.halving)) out.halving = { firstBudget: nullablePositive(value.halving.firstBudget ?? null, `${where}: halving.firstBudget`, false) };
  else fail(`${where}: halving`, 'must be null or {firstBudget}');
  if (!Array.isArray(value.suites) || value.suites.some((x) => !(RUNNABLE_SUITES as readonly unknown[]).includes(x))) fail(`${where}: suites`, `must be a list of ${RUNNABLE_SUITES.join(', ')}`);
  out.suites = [...new Set(value.suites as RunnableSuite[])];
  out.goal = nullablePositive(value.goal ?? null, `${where}: goal`, false);
  return out;
}

// ---- sweep.json ----

function parseFinal(v: unknown, where: string): SweepFinal | null {
  if (v === null) return null;
  if (!isRecord(v)) fail(where, 'must be an object or null');
  const num = (x: unknown, k: string) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fail(`${where}.${k}`, `must be a number ≥ 0, got ${describeValue(x)}`));
  const loss = (x: unknown, k: string) => (x === null || typeof x === 'number' ? x : fail(`${where}.${k}`, `must be a number or null, got ${describeValue(x)}`));
  if (!(PERSISTENCE_VERDICTS as readonly unknown[]).includes(v.verdict)) fail(`${where}.verdict`, `must be one of ${PERSISTENCE_VERDICTS.join(', ')}`);
  const g = v.goalAt;
  return {
    generation: num(v.generation, 'generation'), evaluations: num(v.evaluations, 'evaluations'), wallSeconds: num(v.wallSeconds, 'wallSeconds'),
    eval40: loss(v.eval40, 'eval40'), eval200: loss(v.eval200, 'eval200'), eval1000: loss(v.eval1000, 'eval1000'), verdict: v.verdict as PersistenceVerdict,
    goalAt: g === null || g === undefined ? null : isRecord(g)
      ? { generation: num(g.generation, 'goalAt.generation'), evaluations: num(g.evaluations, 'goalAt.evaluations'), wallSeconds: num(g.wallSeconds, 'goalAt.wallSeconds') }
      : fail(`${where}.goalAt`, 'must be an object or null'),
  };
}

/** Validates a sweep.json's parsed JSON; the message names the field. */
export function parseSweepRecord(v: unknown, where = SWEEP_FILE): SweepRecord {
  if (!isRecord(v) || v.formatVersion !== 1) fail(where, 'is not a sweep record of format 1');
  const str = (x: unknown, k: string) => (typeof x === 'string' ? x : fail(`${where}: ${k}`, `must be a string, got ${describeValue(x)}`));
  const list = (x: unknown, k: string) => (Array.isArray(x) ? x : fail(`${where}: ${k}`, 'must be a list'));
  const request = parseSweepRequest(v.request, `${where}: request`);
  const groups = list(v.groups, 'groups').map((g, i) => {
    if (!isRecord(g) || typeof g.key !== 'string' || typeof g.label !== 'string' || !isRecord(g.settings) || g.index !== i || !(typeof g.goal === 'number' && g.goal > 0)) {
      fail(`${where}: groups[${i}]`, 'must be {index, key, label, settings, goal}');
    }
    return { index: i, key: g.key, label: g.label, settings: { ...g.settings } as Record<string, SweepValue | null>, goal: g.goal };
  });
  const runs = list(v.runs, 'runs').map((r, i) => {
    const at = `${where}: runs[${i}]`;
    if (!isRecord(r) || r.index !== i) fail(at, 'must be {index, group, seed, config, runId, removed, final}');
    if (!(typeof r.group === 'number' && r.group >= 0 && r.group < groups.length)) fail(`${at}.group`, `must be a group index below ${groups.length}`);
    if (!(typeof r.seed === 'number' && Number.isSafeInteger(r.seed))) fail(`${at}.seed`, 'must be an integer');
    if (!isRecord(r.config)) fail(`${at}.config`, 'must be a run config');
    const problems = configProblems(r.config as unknown as RunConfig);
    if (problems.length) fail(`${at}.config.${problems[0].field}`, problems[0].message);
    if (!(r.runId === null || typeof r.runId === 'string')) fail(`${at}.runId`, 'must be a run id or null');
    return {
      index: i, group: r.group, seed: r.seed, config: r.config as unknown as RunConfig, runId: r.runId as string | null,
      removed: r.removed === true, final: parseFinal(r.final ?? null, `${at}.final`),
    };
  });
  if (!(SWEEP_STATUSES as readonly unknown[]).includes(v.status)) fail(`${where}: status`, `must be one of ${SWEEP_STATUSES.join(', ')}`);
  const rungs = v.rungs === null ? null : list(v.rungs, 'rungs').map((x, i) => (typeof x === 'number' && x > 0 ? x : fail(`${where}: rungs[${i}]`, 'must be a number > 0')));
  const decisions = list(v.decisions, 'decisions').map((d, i) => {
    if (!isRecord(d) || typeof d.rung !== 'number' || typeof d.budget !== 'number' || !Array.isArray(d.kept) || !Array.isArray(d.stopped) || !Array.isArray(d.scores)) fail(`${where}: decisions[${i}]`, 'must be {rung, budget, kept, stopped, scores}');
    return { rung: d.rung, budget: d.budget, kept: d.kept as number[], stopped: d.stopped as number[], scores: d.scores as (number | null)[] };
  });
  const experiments = list(v.experiments, 'experiments').map((e, i) => {
    if (!isRecord(e) || !(RUNNABLE_SUITES as readonly unknown[]).includes(e.suite) || typeof e.id !== 'string') fail(`${where}: experiments[${i}]`, 'must be {suite, id}');
    return { suite: e.suite as RunnableSuite, id: e.id };
  });
  const d = v.driver;
  return {
    formatVersion: 1, id: parseSweepId(v.id, `${where}: id`), name: str(v.name, 'name'), createdAt: str(v.createdAt, 'createdAt'), updatedAt: str(v.updatedAt, 'updatedAt'),
    request, groups, runs, rungs, budgetUnit: v.budgetUnit === 'generations' || v.budgetUnit === 'seconds' ? v.budgetUnit : null, decisions,
    drawn: typeof v.drawn === 'number' ? v.drawn : null, experiments, status: v.status as SweepStatus,
    statusReason: v.statusReason === null ? null : str(v.statusReason, 'statusReason'),
    driver: isRecord(d) && typeof d.pid === 'number' && typeof d.host === 'string' ? { pid: d.pid, host: d.host } : null,
  };
}
