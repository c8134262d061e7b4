/**
 * A sweep's charts as LineChartSpecs (core/figures), so the window draws and exports them — PNG at a DPI, SVG —
 * with the same code as every other chart of the lab:
 *  - the grouped curves: per configuration, the mean over its seeds with the min–max band, on a common x grid
 *    (core/stats/seed-bands.ts), by generation, evaluations or wall time;
 *  - final loss against one swept setting: a dot per seed, a line per group of configurations that differ only
 *    in that setting (through their medians);
 *  - an experiment suite on the final models, per configuration: the mean over its seeds with the band.
 */
import type { LineChartSpec, LineSeries } from '../core/figures/line-chart';
import type { XYCurve } from '../core/stats/seed-bands';
import { repeatBand } from '../core/experiments/stats';
import { spreadOf } from '../core/stats/spread';
import { settingsKey } from '../core/stats/groups';
import type { MetricPoint } from './lab-api';
import { curveAxes, CURVE_COLOURS, pointsOf, seedBandSeries, type XKey, type YKey } from './training-charts';
import { centralLoss, curveOf, type ExperimentResults } from './experiment';
import { LOSS_AXIS_LABEL, STEPS_AXIS_LABEL, targetFamily } from './experiment-charts';
import { groupLabel, settingText } from './sweep-plan';
import type { SweepRecord, SweepValue } from './sweep';

/** The colour of a configuration: the curves' palette, in order. */
export function groupColour(index: number): string {
  return CURVE_COLOURS[index % CURVE_COLOURS.length];
}

export interface GroupCurveOptions {
  x: XKey;
  y: YKey;
  scale: 'log' | 'linear';
}

/** Per configuration, the curves of its seeds' runs, as points. */
function groupCurves(record: SweepRecord, metrics: ReadonlyMap<string, readonly MetricPoint[]>, x: XKey, y: YKey): { index: number; curves: XYCurve[] }[] {
  return record.groups.map((g) => ({
    index: g.index,
    curves: record.runs
      .filter((r) => r.group === g.index && !r.removed && r.runId !== null && metrics.has(r.runId))
      .map((r) => {
        const pts = pointsOf(metrics.get(r.runId!)!, x, y);
        return { x: pts.map((p) => p.x), y: pts.map((p) => p.y) };
      })
      .filter((c) => c.x.length > 0),
  }));
}

/** The grouped curves: one line per configuration (the mean over seeds), its min–max band shaded. */
export function groupCurvesChart(record: SweepRecord, metrics: ReadonlyMap<string, readonly MetricPoint[]>, opts: GroupCurveOptions): LineChartSpec {
  const series: LineSeries[] = [];
  for (const { index, curves } of groupCurves(record, metrics, opts.x, opts.y)) {
    const s = seedBandSeries(record.groups[index].label, groupColour(index), curves);
    if (s) series.push(s);
  }
  return { title: record.name, ...curveAxes(opts.x, opts.y, opts.scale), series };
}

export type FinalKey = 'eval40' | 'eval200' | 'eval1000';

export const FINAL_TITLES: Record<FinalKey, string> = {
  eval40: 'final 40-step loss',
  eval200: 'final 200-step loss',
  eval1000: 'final 1000-step loss',
};

/** Where a setting's values sit on the x axis: categories in order, or numbers (log-spaced ones as log₁₀). */
function settingPositions(record: SweepRecord, path: string): { at: (v: SweepValue) => number; ticks: { value: number; label: string }[]; title: string } {
  const axis = record.request.axes.find((a) => a.path === path);
  const values = [...new Set(record.groups.map((g) => g.settings[path]).filter((v): v is SweepValue => v !== null && v !== undefined))];
  const numeric = values.every((v) => typeof v === 'number');
  if (!numeric) {
    const order = axis?.kind === 'list' ? axis.values.filter((v) => values.includes(v)) : values;
    return { at: (v) => order.indexOf(v), ticks: order.map((v, i) => ({ value: i, label: settingText(v) })), title: path };
  }
  const nums = (values as number[]).sort((a, b) => a - b);
  const log = (axis?.kind === 'range' && axis.scale === 'log') || (nums[0] > 0 && nums[nums.length - 1] / nums[0] >= 8);
  const at = (v: SweepValue) => (log ? Math.log10(v as number) : (v as number));
  // a random sample has a value per configuration: label at most 9 of them
  const every = Math.max(1, Math.ceil(nums.length / 9));
  return {
    at, ticks: nums.filter((_, i) => i % every === 0 || i === nums.length - 1).map((v) => ({ value: at(v), label: settingText(v) })),
    title: log ? `${path} (log scale)` : path,
  };
}

/**
 * Final loss against one swept setting: each seed's final model as a dot, and a line through the medians of the
 * configurations that share every other setting (one line per such group, labelled with those settings).
 */
export function settingChart(record: SweepRecord, path: string, y: FinalKey = 'eval40'): LineChartSpec {
  const pos = settingPositions(record, path);
  const lines = new Map<string, { label: string; points: { x: number; median: number | null; seeds: (number | null)[] }[] }>();
  for (const g of record.groups) {
    const v = g.settings[path];
    if (v === null || v === undefined) continue;
    const others = Object.fromEntries(Object.entries(g.settings).filter(([k]) => k !== path));
    const key = settingsKey(others);
    const finals = record.runs.filter((r) => r.group === g.index && !r.removed && r.final).map((r) => r.final![y]);
    if (!lines.has(key)) lines.set(key, { label: Object.keys(others).length ? groupLabel(others) : 'median over seeds', points: [] });
    lines.get(key)!.points.push({ x: pos.at(v), median: spreadOf(finals).median, seeds: finals });
  }
  const series: LineSeries[] = [];
  [...lines.values()].forEach((line, i) => {
    const color = groupColour(i);
    const pts = line.points.sort((a, b) => a.x - b.x);
    series.push({ label: line.label, color, x: pts.map((p) => p.x), y: pts.map((p) => p.median), points: true });
    const dots = pts.flatMap((p) => p.seeds.map((s) => ({ x: p.x, y: s })));
    series.push({ label: `${line.label} (seeds)`, color, x: dots.map((d) => d.x), y: dots.map((d) => d.y), points: true, line: false, legend: false });
  });
  return {
    title: `${FINAL_TITLES[y]} by ${path}`, xLabel: pos.title, yLabel: `${FINAL_TITLES[y]} (log scale)`, yScale: 'log', series, xTicks: pos.ticks,
  };
}

/**
 * An experiment protocol on the sweep's final models, one chart per target: per configuration, the mean of its
 * seeds' curves with the min–max band (the thesis reported single runs; these carry the seeds' spread).
 */
export function sweepExperimentCharts(record: SweepRecord, results: ExperimentResults, protocolId: string): { target: string; spec: LineChartSpec }[] {
  const protocol = results.protocols.find((p) => p.id === protocolId);
  if (!protocol) throw new RangeError(`no protocol "${protocolId}" in experiment ${results.id}`);
  const byTarget = new Map<string, LineSeries[]>();
  for (const g of record.groups) {
    const runs = record.runs.filter((r) => r.group === g.index && !r.removed && r.runId !== null);
    const curves = runs.map((r) => curveOf(results, protocolId, r.runId!)).filter((c) => c !== undefined).map((c) => centralLoss(c!));
    if (curves.length === 0) continue;
    const t = runs[0].config.target;
    const title = `${t.size}x${t.size} ${targetFamily(t.name)}`;
    const band = repeatBand(curves);
    const s: LineSeries = { label: `${g.label} (${curves.length})`, color: groupColour(g.index), y: band.mean };
    if (curves.length > 1) s.band = { lo: band.min, hi: band.max };
    byTarget.set(title, [...(byTarget.get(title) ?? []), s]);
  }
  return [...byTarget].map(([target, series]) => ({
    target,
    spec: { title: `${protocol.title}: ${target}`, xLabel: STEPS_AXIS_LABEL, yLabel: LOSS_AXIS_LABEL, yScale: 'log', yTicks: 'exponent', series },
  }));
}
