/**
 * Each run's metrics once a chart asked for them (the runs store's curve data): the stored rows, read again when
 * another process wrote some or a session ended, with the live progress events appended between reads. A series
 * is not reactive itself (it can hold thousands of rows); `metricsVersion` is bumped whenever one changes.
 */
import type { MetricPoint, RunProgressEvent } from '@shared/lab-api';
import { metricPoint } from '@shared/metrics';
import { markRaw, reactive } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import type { LoadStatus } from './targets';

/** Rows a chart asks for: plenty for a curve, small enough to send (and draw) quickly. */
export const METRICS_MAX_POINTS = 4000;

/** One run's curve data: not reactive itself (it can hold thousands of rows); `version` says when it changed. */
export interface MetricSeries {
  points: MetricPoint[];
  status: LoadStatus;
  error: string | null;
}

export function useRunMetrics() {
  const series = new Map<string, MetricSeries>();
  /** bumped whenever a run's series changes; charts watch it */
  const metricsVersion = reactive(new Map<string, number>());

  function bump(id: string): void {
    metricsVersion.set(id, (metricsVersion.get(id) ?? 0) + 1);
  }

  function seriesOf(id: string): MetricSeries {
    let s = series.get(id);
    if (!s) {
      s = markRaw({ points: [], status: 'idle' as LoadStatus, error: null });
      series.set(id, s);
    }
    return s;
  }

  async function loadMetrics(id: string, force = false): Promise<MetricSeries> {
    const s = seriesOf(id);
    if (!force && (s.status === 'ready' || s.status === 'loading')) return s;
    s.status = 'loading';
    s.error = null;
    bump(id);
    try {
      s.points = await lab.runs.metrics({ runId: id, maxPoints: METRICS_MAX_POINTS });
      s.status = 'ready';
    } catch (err) {
      s.error = messageOf(err);
      s.status = 'error';
    }
    bump(id);
    return s;
  }

  /** The stored rows again, for a run whose series a chart has loaded (its rows changed on disk). */
  function reloadShown(id: string): void {
    if (series.get(id)?.status === 'ready') void loadMetrics(id, true);
  }

  /** A live progress event's row, appended to a loaded series. */
  function appendProgress(p: RunProgressEvent): void {
    const s = series.get(p.runId);
    if (!s || s.status !== 'ready') return;
    const last = s.points.at(-1);
    // a resumed run continues from its checkpoint: drop what was after it
    if (last && p.generation <= last.generation) s.points = s.points.filter((x) => x.generation < p.generation);
    // the event's row, every metric of the table (shared/metrics.ts)
    s.points.push(metricPoint(p));
    bump(p.runId);
  }

  function forgetMetrics(id: string): void {
    series.delete(id);
    metricsVersion.delete(id);
  }

  return { metricsVersion, seriesOf, loadMetrics, reloadShown, appendProgress, forgetMetrics };
}
