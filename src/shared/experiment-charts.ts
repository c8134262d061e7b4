/**
 * From experiment results to chart specs (core/figures): which curves, in which colour, with which legend and
 * title. Shared by the Node figure writer and the Compare view, so a figure on screen and in a file are the
 * same chart.
 *
 * Defaults follow the thesis's plots (spec g): title "{9x9|15x15} {carrot|rabbit}", y "log₁₀(loss)" on a log
 * axis of the raw MSE, x "Update steps" = the logged index, Adam in matplotlib's cyan 'c' and ES in magenta 'm'.
 * Every colour can be overridden by optimizer (`adam`, `es`) or by model key.
 */
import type { LineChartSpec, LineSeries } from '../core/figures/line-chart';
import { DAMAGE_INDEX, type ExperimentProtocol } from '../core/experiments/protocols';
import type { ExperimentModel, ExperimentResults } from './experiment';
import { curveOf } from './experiment';
import { divergedAt } from '../core/divergence';
import { OPTIMIZERS } from './optimizers';
import { runLabels } from './run-names';

/** matplotlib's 'c' (0, 0.75, 0.75) and 'm' (0.75, 0, 0.75), as the thesis plotted them (the optimizers' marks). */
export const THESIS_COLORS = { adam: OPTIMIZERS.adam.mark.colour, es: OPTIMIZERS.es.mark.colour } as const;

/** Further models of the same optimizer in one chart get these (then a generic palette). */
const SHADES: Record<'adam' | 'es' | 'other', string[]> = {
  adam: [THESIS_COLORS.adam, '#1f5fa8', '#5fd3e8', '#007070'],
  es: [THESIS_COLORS.es, '#6a1b9a', '#f06292', '#8e0038'],
  other: ['#ff7f0e', '#2ca02c', '#d62728', '#8c564b', '#7f7f7f', '#bcbd22', '#17becf', '#1f77b4'],
};

/** Colour overrides: keys are `adam`, `es` or a model key (run id); values CSS colours. */
export type ColorOverrides = Record<string, string>;

const COLOR_RE = /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20}|rgba?\([\d\s.,%]+\))$/;

export function isCssColor(s: string): boolean {
  return COLOR_RE.test(s.trim());
}

/** `adam=#00bfbf,es=magenta,<runId>=#123456` → overrides; the message names the bad entry. */
export function parseColorOverrides(text: string): ColorOverrides {
  const out: ColorOverrides = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RangeError(`colours: expected KEY=COLOUR (KEY = adam, es or a run id), got "${part}"`);
    const key = part.slice(0, eq).trim();
    const color = part.slice(eq + 1).trim();
    if (!isCssColor(color)) throw new RangeError(`colours: "${color}" for ${key} is not a colour (#rrggbb, #rgb, a CSS name or rgb(...))`);
    out[key] = color;
  }
  return out;
}

/** Colours of the models in one chart: per-model override, else the optimizer's colour (then its shades). */
export function modelColors(models: ExperimentModel[], overrides: ColorOverrides = {}): Map<string, string> {
  const used: Record<string, number> = {};
  const out = new Map<string, string>();
  for (const m of models) {
    if (overrides[m.key]) {
      out.set(m.key, overrides[m.key]);
      continue;
    }
    const kind = m.optimizer ?? 'other';
    const i = used[kind] ?? 0;
    used[kind] = i + 1;
    if (i === 0 && kind !== 'other' && overrides[kind]) {
      out.set(m.key, overrides[kind]);
      continue;
    }
    const palette = SHADES[kind];
    out.set(m.key, palette[i % palette.length]);
  }
  return out;
}

/**
 * Legend texts and strip row labels: each model's own name (a run's name, a gallery or imported model's name,
 * a file's), with the shortest tail of its key added where two names are the same (shared/run-names.ts). The
 * optimizer is the curve's colour (Adam cyan, ES magenta), not its label. The thesis's own figures pass their
 * labels ("ES-sample", …: services/experiments/thesis-figures.ts).
 */
export function legendLabels(models: ExperimentModel[]): Map<string, string> {
  const labels = runLabels(models.map((m) => ({ id: m.key, name: m.label })));
  return new Map(models.map((m) => [m.key, labels.get(m.key)?.full ?? m.label]));
}

/** `carrot-9` → `carrot`; an imported file path → its base name without extension. */
export function targetFamily(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/\.[A-Za-z0-9]+$/, '').replace(/-\d+$/, '');
}

/** "9x9 carrot" (spec g) when every model grows the same target; otherwise "" (the caller picks one). */
export function targetTitle(models: ExperimentModel[]): string {
  const titles = new Set(models.map((m) => `${m.target.size}x${m.target.size} ${targetFamily(m.target.name)}`));
  return titles.size === 1 ? [...titles][0] : '';
}

export interface ProtocolChartOptions {
  colors?: ColorOverrides;
  /** default: targetTitle, else the protocol's title */
  title?: string;
  /** show only indices 0 .. xMax (e.g. 400 for the thesis's Fig. 22) */
  xMax?: number;
  /** a dotted line at the damage index */
  marker?: boolean;
  /** legend texts per model key (default: legendLabels) */
  labels?: Map<string, string>;
  /** draw the min–max band when there are several repeats (default true) */
  band?: boolean;
}

export const LOSS_AXIS_LABEL = 'log₁₀(loss)';
export const STEPS_AXIS_LABEL = 'Update steps';

/** One protocol's loss curves for the given models (in that order), as a chart. */
export function protocolChart(results: ExperimentResults, protocolId: string, modelKeys: string[], opts: ProtocolChartOptions = {}): LineChartSpec {
  const protocol = results.protocols.find((p) => p.id === protocolId);
  if (!protocol) throw new RangeError(`no protocol "${protocolId}" in experiment ${results.id}`);
  const models = modelKeys.map((k) => {
    const m = results.models.find((x) => x.key === k);
    if (!m) throw new RangeError(`no model "${k}" in experiment ${results.id}`);
    return m;
  });
  const colors = modelColors(models, opts.colors);
  const labels = opts.labels ?? legendLabels(models);
  const end = opts.xMax === undefined ? undefined : opts.xMax + 1;
  const series: LineSeries[] = [];
  for (const m of models) {
    const c = curveOf(results, protocolId, m.key);
    if (!c) continue;
    const y = (c.mean ?? c.repeats[0].loss).slice(0, end);
    // a curve that overflows is named so in the legend (it is drawn up to there, so a reader sees why it ends)
    const diverged = divergedAt(y);
    const label = labels.get(m.key) ?? m.label;
    const s: LineSeries = { label: diverged === null ? label : `${label} (diverged at step ${diverged})`, color: colors.get(m.key)!, y };
    if ((opts.band ?? true) && c.min && c.max) s.band = { lo: c.min.slice(0, end), hi: c.max.slice(0, end) };
    series.push(s);
  }
  const hooked = protocol.hooks.length > 0;
  return {
    title: opts.title ?? (targetTitle(models) || protocol.title),
    xLabel: STEPS_AXIS_LABEL,
    yLabel: LOSS_AXIS_LABEL,
    yScale: 'log',
    // the title says log₁₀: the ticks are the exponents, so a figure cannot be misread as linear
    yTicks: 'exponent',
    series,
    xMax: opts.xMax,
    ...(opts.marker && hooked && protocol.hooks.some((h) => h.kind === 'erase' || h.fromIndex === DAMAGE_INDEX)
      ? { markers: [{ x: DAMAGE_INDEX, label: `step ${DAMAGE_INDEX}` }] }
      : {}),
  };
}

/** Groups model keys by target (size and name), in first-seen order: one chart per group and protocol. */
export function groupByTarget(models: ExperimentModel[]): { title: string; keys: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const m of models) {
    const k = `${m.target.size}x${m.target.size} ${targetFamily(m.target.name)}`;
    groups.set(k, [...(groups.get(k) ?? []), m.key]);
  }
  return [...groups].map(([title, keys]) => ({ title, keys }));
}

/** Column headers of a strip: the loss index for hooked protocols (the thesis's "step 51"), else updates applied. */
export function stripColumns(p: ExperimentProtocol, updates: number[]): { columns: string[]; subtitle: string } {
  if (p.hooks.length > 0) {
    return {
      columns: updates.map((u) => (u === 0 ? 'seed' : String(u - 1))),
      subtitle: 'column = step index k: the state after k+1 updates and that step\'s damage (spec f.1)',
    };
  }
  return { columns: updates.map(String), subtitle: 'column = CA updates applied (0 = the seed)' };
}
