/**
 * A sweep's answer as data, the same for the window, `nca-lab sweep show` and the exports: per configuration,
 * the final 40/200/1000-step losses and the time to the goal as median and spread over the seeds
 * (core/stats/spread.ts), the persistence verdicts; the best configuration named with its spread; and the CSV of
 * every run's evaluation rows with the swept settings as columns.
 */
import { spreadOf, type Spread } from '../core/stats/spread';
import { PERSISTENCE_VERDICTS, type PersistenceVerdict } from '../core/nca/growth-eval';
import { isGrowthRow, METRIC_KEYS, metricColumn, metricDef, type MetricPoint } from './metrics';
import { settingText } from './sweep-plan';
import type { SweepGroup, SweepRecord, SweepRun } from './sweep';
import { counted } from './words';

export interface SweepGroupRow {
  group: SweepGroup;
  /** its runs (deleted ones left out) */
  runs: SweepRun[];
  /** runs measured (ended) */
  measured: number;
  final40: Spread;
  final200: Spread;
  final1000: Spread;
  verdicts: Record<PersistenceVerdict, number>;
  /** wall seconds to the first evaluation at or below the goal (not reached: beyond every value) */
  goalSeconds: Spread;
  goalEvaluations: Spread;
  /** successive halving: the budget at which the configuration was stopped; null when it went to the end */
  stoppedAt: number | null;
}

function measuredRuns(runs: SweepRun[]): SweepRun[] {
  return runs.filter((r) => r.final !== null);
}

export function sweepTable(record: SweepRecord): SweepGroupRow[] {
  return record.groups.map((group) => {
    const runs = record.runs.filter((r) => r.group === group.index && !r.removed);
    const done = measuredRuns(runs);
    const verdicts = Object.fromEntries(PERSISTENCE_VERDICTS.map((v) => [v, 0])) as Record<PersistenceVerdict, number>;
    for (const r of done) verdicts[r.final!.verdict]++;
    const stop = record.decisions.find((d) => d.stopped.includes(group.index));
    return {
      group, runs, measured: done.length,
      final40: spreadOf(done.map((r) => r.final!.eval40)),
      final200: spreadOf(done.map((r) => r.final!.eval200)),
      final1000: spreadOf(done.map((r) => r.final!.eval1000)),
      verdicts,
      goalSeconds: spreadOf(done.map((r) => r.final!.goalAt?.wallSeconds ?? null)),
      goalEvaluations: spreadOf(done.map((r) => r.final!.goalAt?.evaluations ?? null)),
      stoppedAt: stop ? stop.budget : null,
    };
  });
}

/** "persists 3/3", "2 persist · 1 overgrows". */
export function verdictText(row: SweepGroupRow): string {
  const parts = PERSISTENCE_VERDICTS.filter((v) => row.verdicts[v] > 0);
  if (parts.length === 0) return '–';
  if (parts.length === 1) return `${parts[0]} ${row.verdicts[parts[0]]}/${row.measured}`;
  return parts.map((v) => `${row.verdicts[v]} ${v === 'persists' ? 'persist' : v === 'overgrows' ? 'overgrow' : 'diverge'}`).join(' · ');
}

/** A loss for tables: 4 significant digits, "–" for none. */
export function lossText(v: number | null): string {
  return v === null ? '–' : v.toPrecision(3);
}

/** "0.00046 (0.00041–0.00052)": the median and the spread over the seeds; "not reached" beyond. */
export function spreadText(s: Spread, format: (v: number) => string = (v) => v.toPrecision(3), missing = 'not reached'): string {
  if (s.n === 0) return '–';
  if (s.finite === 0) return missing;
  const median = s.median === null ? missing : format(s.median);
  if (s.n === 1) return median;
  const lo = s.min === null ? missing : format(s.min);
  const hi = s.max === null ? missing : format(s.max);
  return `${median} (${lo}–${hi})`;
}

export function secondsText(v: number): string {
  if (v < 60) return `${v.toFixed(v < 10 ? 1 : 0)} s`;
  if (v < 3600) return `${(v / 60).toFixed(1)} min`;
  return `${(v / 3600).toFixed(2)} h`;
}

export interface BestConfiguration {
  /** the target it is best on (losses of different targets are not compared) */
  target: string;
  row: SweepGroupRow;
  /** how it was chosen */
  rule: string;
  /** one sentence: the configuration, its loss and time with their spread, its verdicts */
  text: string;
}

/** The target a configuration trains on (every run of a configuration has the same). */
export function targetOfRow(row: SweepGroupRow): string {
  return settingText(row.runs[0]?.config.target.name ?? null);
}

/**
 * Per target (a 40-step loss on rabbit-15 is not comparable with one on carrot-9), the configuration with the
 * lowest median final 40-step loss among those where most seeds persist (a model that overgrows is not an answer,
 * whatever its loss at 40 steps); when none persists, among all. A target none of whose configurations has a
 * finite median yet has none.
 */
export function bestConfigurations(rows: readonly SweepGroupRow[]): BestConfiguration[] {
  const targets = [...new Set(rows.map(targetOfRow))];
  return targets.map((t) => bestAmong(t, rows.filter((r) => targetOfRow(r) === t))).filter((b): b is BestConfiguration => b !== null);
}

function bestAmong(target: string, rows: readonly SweepGroupRow[]): BestConfiguration | null {
  const scored = rows.filter((r) => r.final40.median !== null);
  const persisting = scored.filter((r) => r.verdicts.persists * 2 > r.measured);
  const pool = persisting.length ? persisting : scored;
  if (pool.length === 0) return null;
  const row = pool.reduce((best, r) => (r.final40.median! < best.final40.median! ? r : best));
  const rule = persisting.length
    ? 'lowest median 40-step loss among the configurations where most seeds persist'
    : 'lowest median 40-step loss (no configuration persists on most seeds)';
  const seeds = `${counted(row.measured, 'seed')}`;
  const goal = row.goalSeconds.n ? `; time to the goal ${row.group.goal}: ${spreadText(row.goalSeconds, secondsText)}` : '';
  return {
    target, row, rule,
    text: `${row.group.label}: 40-step loss ${spreadText(row.final40)} over ${seeds}, ${verdictText(row)}${goal}`,
  };
}

// ---- CSV ----

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** The swept settings' paths, in the order of the request's axes. */
export function sweptPaths(record: SweepRecord): string[] {
  return record.request.axes.map((a) => a.path);
}

/**
 * One row per run per growth evaluation, with the sweep, the run, its configuration, each swept setting as a column
 * (empty where it does not apply) and its seed, then every metric of the row (shared/metrics.ts, empty where absent).
 */
export function sweepCsv(record: SweepRecord, metrics: ReadonlyMap<string, readonly MetricPoint[]>): string {
  const paths = sweptPaths(record);
  const lines = [['sweep', 'run', 'configuration', ...paths, 'seed', ...METRIC_KEYS.map(metricColumn)].map(csvField).join(',')];
  for (const run of record.runs) {
    if (run.removed || run.runId === null) continue;
    const g = record.groups[run.group];
    const settings = paths.map((p) => csvField(g.settings[p] === null || g.settings[p] === undefined ? '' : settingText(g.settings[p])));
    for (const r of metrics.get(run.runId) ?? []) {
      if (!isGrowthRow(r)) continue;
      lines.push([
        csvField(record.id), csvField(run.runId), String(g.index + 1), ...settings, String(run.seed),
        ...METRIC_KEYS.map((k) => (metricDef(k).kind === 'count' ? String(r[k]) : num(r[k]))),
      ].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The table as CSV: a configuration per row, its settings, medians and spreads. */
export function sweepTableCsv(record: SweepRecord, rows: readonly SweepGroupRow[]): string {
  const paths = sweptPaths(record);
  const stats = ['final40', 'final200', 'final1000', 'goalSeconds'] as const;
  const head = ['configuration', ...paths, 'seeds', ...stats.flatMap((k) => [`${k}_median`, `${k}_min`, `${k}_max`]), 'persists', 'overgrows', 'diverges', 'stopped_at'];
  const lines = [head.map(csvField).join(',')];
  for (const r of rows) {
    lines.push([
      String(r.group.index + 1), ...paths.map((p) => csvField(r.group.settings[p] === null ? '' : settingText(r.group.settings[p] ?? null))), String(r.measured),
      ...stats.flatMap((k) => [num(r[k].median), num(r[k].min), num(r[k].max)]),
      String(r.verdicts.persists), String(r.verdicts.overgrows), String(r.verdicts.diverges), num(r.stoppedAt),
    ].join(','));
  }
  return lines.join('\n') + '\n';
}
