/**
 * A run as the window shows it: its record, overlaid with what its training session knows that is not on disk
 * yet (the newest generation, losses, throughput, the worker count, a pause or stop on its way).
 */
import type { RunInfo, RunProgressEvent, RunSessionOwner } from '../../shared/lab-api';
import { evaluationVerdict, type MetricRow, type RunRecord } from '../../shared/run-record';
import { OPTIMIZERS } from '../../shared/optimizers';
import { metricPoint, minOrNull } from './metric-points';
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
  bestLoss: number | null;
}

export function liveRunInfo(record: RunRecord, session: LiveSession | null, queuePosition: number | null): RunInfo {
  const info: RunInfo = { ...record, live: null, queuePosition };
  if (!session) return info;
  const p = session.latest;
  if (p && p.generation >= record.progress.generation) {
    info.progress = {
      ...record.progress,
      generation: p.generation,
      evaluations: p.evaluations,
      wallSeconds: p.wallSeconds,
      lastLoss: p.loss,
      bestLoss: minOrNull(record.progress.bestLoss, session.bestLoss),
      ...(p.eval40 !== undefined ? { lastEval40: p.eval40, bestEval40: minOrNull(record.progress.bestEval40, p.eval40) } : {}),
      ...(p.eval200 !== undefined ? { lastEval200: p.eval200 } : {}),
      ...(p.eval1000 !== undefined ? { lastEval1000: p.eval1000, verdict: evaluationVerdict(p) } : {}),
    };
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
    bestLoss: tail.reduce<number | null>((best, r) => minOrNull(best, r.bestLoss), null),
  };
  const last = tail.at(-1);
  if (!last) return session;
  const latest: RunProgressEvent = { runId: record.id, optimizer: record.optimizer, ...metricPoint(last) };
  const evaluated = tail.findLast((r) => r.eval40 !== undefined);
  if (evaluated) {
    // the newest growth evaluation, as the trainer's event for that row carried it
    const { eval40, eval200, eval1000 } = metricPoint(evaluated);
    Object.assign(latest, { eval40, eval200 }, eval1000 === undefined ? {} : { eval1000 });
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
