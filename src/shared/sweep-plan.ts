/**
 * From a sweep request to what it trains: the configurations (a grid or a seeded random sample of the axes,
 * core/sweeps/expand.ts), each one's runs over the seeds, and every run's config — the preset (or the optimizer's
 * default preset, or the axis' preset), the target, the sweep's one stop rule, the fixed settings, the axis values
 * and the seed, validated. Deterministic: the same request plans the same runs in the same order, so a sweep made
 * again after a crash, or on another machine, trains the same runs.
 *
 * A setting of one optimizer does not apply to the other's runs (es.sigma in an Adam configuration): it is left
 * out of that configuration (its value shows as null), and configurations that come out equal are one.
 */
import { expandGrid, gridSize, sampleRandom, type SweepPoint, type SweepValue } from '../core/sweeps/expand';
import { halvingRungs } from '../core/sweeps/halving';
import { qualityGoal } from '../core/nca/growth-eval';
import { settingsKey } from '../core/stats/groups';
import { OPTIMIZERS } from './optimizers';
import { configFromPreset, configProblems, presetByName, withFieldValue, type Optimizer, type RunConfig, type TargetRef } from './training-config';
import { SWEEP_LIMITS, sweepFieldOf, type SweepGroup, type SweepRequest } from './sweep';
import { fail } from './validate';
import { counted } from './words';

/** What a target name stands for (its size and padding): the built-ins' table, or an imported image's. */
export type TargetResolver = (name: string) => TargetRef;

export interface SweepPlan {
  name: string;
  groups: SweepGroup[];
  runs: { index: number; group: number; seed: number; config: RunConfig }[];
  rungs: number[] | null;
  budgetUnit: 'generations' | 'seconds' | null;
  /** points a random sample drew (null: a grid) */
  drawn: number | null;
}

/** The value as a label shows it: `0.02`, `adam`, `carrot-9`, an image's base name. */
export function settingText(v: SweepValue | null): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v.split(/[\\/]/).pop()!.replace(/\.(png|jpe?g|webp)$/i, '');
  return String(v);
}

export function groupLabel(settings: Record<string, SweepValue | null>): string {
  const parts = Object.entries(settings).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${settingText(v)}`);
  return parts.join(' · ') || 'the base configuration';
}

function presetFor(request: SweepRequest, point: SweepPoint): string {
  if (typeof point.preset === 'string') return point.preset;
  if (typeof point.optimizer === 'string') {
    const opt = point.optimizer as Optimizer;
    return presetByName(request.preset).optimizer === opt ? request.preset : OPTIMIZERS[opt].defaultPreset;
  }
  return request.preset;
}

/** One configuration's config (seed aside) and the settings it records. */
function configOf(request: SweepRequest, point: SweepPoint, resolve: TargetResolver): { config: RunConfig; settings: Record<string, SweepValue | null> } {
  let config = configFromPreset(presetFor(request, point));
  const targetName = typeof point.target === 'string' ? point.target : request.target;
  config.target = { ...resolve(targetName) };
  config.stop = { ...request.stop };
  const applies = (path: string) => {
    const f = sweepFieldOf(path);
    return typeof f === 'string' || f.optimizer === undefined || f.optimizer === config.optimizer;
  };
  // as the form and --set change a setting (switching the Adam schedule's kind brings that kind's defaults)
  for (const fixed of request.set) if (applies(fixed.path)) config = withFieldValue(config, fixed.path, fixed.value);
  const settings: Record<string, SweepValue | null> = {};
  for (const axis of request.axes) {
    const v = point[axis.path];
    if (axis.path === 'preset') settings.preset = config.preset;
    else if (axis.path === 'optimizer') settings.optimizer = config.optimizer;
    else if (axis.path === 'target') settings.target = targetName;
    else if (applies(axis.path)) {
      config = withFieldValue(config, axis.path, v);
      settings[axis.path] = v;
    } else settings[axis.path] = null;
  }
  return { config, settings };
}

function defaultName(request: SweepRequest): string {
  const swept = request.axes.map((a) => a.path).join(' × ');
  const seeds = `${counted(request.seeds.length, 'seed')}`;
  return `${request.preset} on ${settingText(request.target)}${swept ? `: ${swept}` : ''} × ${seeds}`;
}

/**
 * The sweep's configurations and runs (seed-major: every configuration's first seed, then the second, …, so the
 * first answers cover every configuration). A configuration that is not valid is refused naming it and the field.
 */
export function planSweep(request: SweepRequest, resolve: TargetResolver): SweepPlan {
  const grid = request.sample.kind === 'grid';
  if (grid && gridSize(request.axes) * request.seeds.length > SWEEP_LIMITS.runs) {
    fail('axes', `the grid has ${gridSize(request.axes)} configurations × ${request.seeds.length} seeds, more than the ${SWEEP_LIMITS.runs} runs a sweep may have`);
  }
  const sampled = request.sample.kind === 'random' ? sampleRandom(request.axes, request.sample.samples, request.sample.seed) : null;
  const points = sampled ? sampled.points : expandGrid(request.axes);
  const groups: SweepGroup[] = [];
  const configs: RunConfig[] = [];
  const seen = new Set<string>();
  for (const point of points) {
    const { config, settings } = configOf(request, point, resolve);
    const key = settingsKey(settings);
    if (seen.has(key)) continue;
    seen.add(key);
    const label = groupLabel(settings);
    const problems = configProblems(structuredClone(config));
    if (problems.length) fail(`configuration ${groups.length + 1} (${label}): ${problems[0].field}`, problems[0].message);
    groups.push({ index: groups.length, key, label, settings, goal: request.goal ?? request.stop.targetLoss ?? qualityGoal(config.target.size) });
    configs.push(config);
  }
  if (groups.length * request.seeds.length > SWEEP_LIMITS.runs) {
    fail('axes', `${groups.length} configurations × ${request.seeds.length} seeds is more than the ${SWEEP_LIMITS.runs} runs a sweep may have`);
  }
  const runs: SweepPlan['runs'] = [];
  for (const seed of request.seeds) {
    for (const g of groups) runs.push({ index: runs.length, group: g.index, seed, config: { ...structuredClone(configs[g.index]), seed } });
  }
  let rungs: number[] | null = null;
  let budgetUnit: SweepPlan['budgetUnit'] = null;
  if (request.halving) {
    budgetUnit = request.stop.maxGenerations !== null ? 'generations' : 'seconds';
    const full = (budgetUnit === 'generations' ? request.stop.maxGenerations : request.stop.maxSeconds)!;
    if (request.halving.firstBudget !== null && request.halving.firstBudget >= full) fail('halving.firstBudget', `must be below the full budget (${full} ${budgetUnit}), got ${request.halving.firstBudget}`);
    rungs = halvingRungs(full, groups.length, request.halving.firstBudget);
  }
  return { name: request.name?.trim() || defaultName(request), groups, runs, rungs, budgetUnit, drawn: sampled ? sampled.drawn : null };
}

/** The config a run trains on at a rung: the planned one with the rung's budget as its limit. */
export function configAtBudget(config: RunConfig, unit: SweepPlan['budgetUnit'], budget: number | null): RunConfig {
  const c = structuredClone(config);
  if (unit === 'generations' && budget !== null) c.stop.maxGenerations = budget;
  if (unit === 'seconds' && budget !== null) c.stop.maxSeconds = budget;
  return c;
}
