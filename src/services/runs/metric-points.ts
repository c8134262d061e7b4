/**
 * Metric rows as they cross to the renderer (LabApi MetricPoint / RunProgressEvent): non-finite losses become
 * null (JSON has no NaN), and long curves are thinned for the charts without losing growth evaluations.
 */
import type { MetricPoint, RunProgressEvent } from '../../shared/lab-api';
import type { MetricRow } from '../../shared/run-record';
import type { ProgressEvent } from '../training/context';

export function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null || !Number.isFinite(a)) return b;
  if (b === null || !Number.isFinite(b)) return a;
  return Math.min(a, b);
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

/** A trainer's event as it crosses to the renderer. */
export function progressEvent(ev: ProgressEvent): RunProgressEvent {
  const out: RunProgressEvent = { runId: ev.runId, optimizer: ev.optimizer, ...metricPoint(ev) };
  if (ev.generationsPerSec !== undefined) out.generationsPerSec = ev.generationsPerSec;
  if (ev.mutantsPerSec !== undefined) out.mutantsPerSec = ev.mutantsPerSec;
  if (ev.iterationsPerSec !== undefined) out.iterationsPerSec = ev.iterationsPerSec;
  return out;
}

export function metricPoint(r: MetricRow): MetricPoint {
  const out: MetricPoint = {
    generation: r.generation,
    evaluations: r.evaluations,
    wallSeconds: r.wallSeconds,
    loss: finiteOrNull(r.loss),
    bestLoss: finiteOrNull(r.bestLoss),
    lr: finiteOrNull(r.lr),
  };
  if (r.gradNorm !== undefined) out.gradNorm = finiteOrNull(r.gradNorm);
  if (r.eval40 !== undefined) out.eval40 = finiteOrNull(r.eval40);
  if (r.eval200 !== undefined) out.eval200 = finiteOrNull(r.eval200);
  if (r.eval1000 !== undefined) out.eval1000 = finiteOrNull(r.eval1000);
  return out;
}

/** Every k-th row so that about `maxPoints` remain, plus every growth-evaluation row and the last row. */
export function thinRows(rows: MetricRow[], maxPoints?: number): MetricRow[] {
  if (maxPoints === undefined || rows.length <= maxPoints) return rows;
  const k = Math.ceil(rows.length / maxPoints);
  return rows.filter((r, i) => i % k === 0 || i === rows.length - 1 || r.eval40 !== undefined);
}
