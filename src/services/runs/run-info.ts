/**
 * A run as the window shows it: its record, overlaid with what its training session knows that is not on disk
 * yet (the newest generation, losses, throughput, the worker count, a pause or stop on its way).
 */
import type { RunInfo, RunProgressEvent } from '../../shared/lab-api';
import { evaluationVerdict, type RunRecord } from '../../shared/run-record';
import { minOrNull } from './metric-points';
import type { Ending } from './session-outcome';

/** What a live session contributes. */
export interface LiveSession {
  workers: number;
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
    sessionStartedAt: session.startedIso,
    requested: session.ending?.kind === 'user' ? session.ending.action : session.ending?.kind === 'quit' ? 'pause' : null,
    generationsPerSec: p?.generationsPerSec ?? null,
    mutantsPerSec: p?.mutantsPerSec ?? null,
    iterationsPerSec: p?.iterationsPerSec ?? null,
  };
  return info;
}
