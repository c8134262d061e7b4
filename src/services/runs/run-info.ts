/**
 * A run as the window shows it: its record, overlaid with what its training session knows that is not on disk
 * yet (the newest generation, losses, throughput, the worker count, a pause or stop on its way).
 */
import type { RunInfo, RunSessionOwner } from '../../shared/lab-api';
import type { RunRecord } from '../../shared/run-record';
import { OPTIMIZERS } from '../../shared/optimizers';
import {
  emptyProgress, foldProgress, GROWTH_METRICS, isGrowthRow, mergeProgress, metricPoint, type MetricRow, type RunProgress, type RunProgressEvent,
} from '../../shared/metrics';
import type { Ending } from './session-outcome';
import type { RunOwner } from '../training/run-owner';

/** What a live session contributes. */
export interface LiveSession {
  workers: number | null;
  /** null: this lab's own session */
  owner: RunSessionOwner | null;
  startedIso: string;
  ending: Ending | null;
  latest: RunProgressEvent | null;
  /** every event of the session folded (shared/metrics.ts): the best values of the steps between checkpoints */
  summary: RunProgress;
}

export function liveRunInfo(record: RunRecord, session: LiveSession | null, queuePosition: number | null): RunInfo {
  const info: RunInfo = { ...record, live: null, queuePosition };
  if (!session) return info;
  const p = session.latest;
  if (p && p.generation >= record.progress.generation) {
    info.progress = mergeProgress(session.summary, foldProgress(record.progress, p));
  }
  if (record.status === 'queued' || record.status === 'paused') info.status = 'running';
  info.live = {
    workers: session.workers,
    owner: session.owner,
    sessionStartedAt: session.startedIso,
    requested: session.ending?.kind === 'user' ? session.ending.action : session.ending?.kind === 'quit' ? 'pause' : null,
    generationsPerSec: p?.generationsPerSec ?? null,
    mutantsPerSec: p?.mutantsPerSec ?? null,
    iterationsPerSec: p?.iterationsPerSec ?? null,
  };
  return info;
}

/** The stretch of wall time the throughput of a followed run is measured over. */
const RATE_WINDOW_SECONDS = 30;

/**
 * A session of another process, as its files show it (it sends this lab no events): its lock's owner, the
 * worker processes run.json records, the newest metrics rows (progress, the newest growth evaluation) and the
 * throughput over the last RATE_WINDOW_SECONDS of them, computed as the trainer's own progress events do.
 */
export function followedSession(record: RunRecord, owner: RunOwner, tail: MetricRow[]): LiveSession {
  const { pid, host, command } = owner;
  const session: LiveSession = {
    workers: record.workers, owner: { pid, host, command }, startedIso: owner.since ?? record.updatedAt, ending: null, latest: null,
    summary: tail.reduce(foldProgress, emptyProgress()),
  };
  const last = tail.at(-1);
  if (!last) return session;
  const latest: RunProgressEvent = { runId: record.id, optimizer: record.optimizer, ...metricPoint(last) };
  const evaluated = tail.findLast(isGrowthRow);
  if (evaluated) {
    // the newest growth evaluation, as the trainer's event for that row carried it
    const growth = metricPoint(evaluated) as Record<string, number | null | undefined>;
    for (const g of GROWTH_METRICS) if (growth[g.key] !== undefined) (latest as Record<string, unknown>)[g.key] = growth[g.key];
  }
  const first = tail.find((r) => r.wallSeconds >= last.wallSeconds - RATE_WINDOW_SECONDS && r.generation < last.generation);
  const dt = first ? last.wallSeconds - first.wallSeconds : 0;
  if (first && dt > 0) {
    const rate = OPTIMIZERS[record.optimizer].throughput;
    latest[rate.key] = (last.generation - first.generation) / dt;
    if (rate.second) latest[rate.second.key] = (last.evaluations - first.evaluations) / dt;
  }
  session.latest = latest;
  return session;
}
