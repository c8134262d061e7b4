/**
 * What the run views compute from a RunInfo: the unit of progress (generation or iteration), the limit,
 * throughput and the ETA, and how a live progress event changes a run (the same merge RunManager does).
 */
import type { RunInfo, RunLive, RunProgressEvent } from '@shared/lab-api';
import { OPTIMIZERS, type Optimizer } from '@shared/optimizers';
import { foldProgress } from '@shared/metrics';
import { counted } from '@shared/words';

export function unitOf(run: Pick<RunInfo, 'optimizer'>): { one: string; many: string; short: string } {
  const d = OPTIMIZERS[run.optimizer];
  return { one: d.unit, many: d.units, short: d.unitShort };
}

/** Where a Playground model came from, in its optimizer's words: "checkpoint at iteration 916" (Adam counts iterations). */
export function modelSourceText(source: 'checkpoint' | 'model', optimizer: Optimizer, generation: number): string {
  return `${source === 'checkpoint' ? 'checkpoint' : 'model'} at ${unitOf({ optimizer }).one} ${generation.toLocaleString('en-US')}`;
}

/** A session's worker processes in words: "2 worker processes", "in its own process"; null when not recorded. */
export function workersText(live: RunLive): string | null {
  if (live.workers === null) return null;
  return live.workers === 0 ? 'in its own process' : `${counted(live.workers, 'worker process', 'worker processes')}`;
}

/**
 * Who trains a running run, for its status line: "training with 2 worker processes" (this lab), or the other
 * process on the workspace that does, followed through the run's files: "training in nca-lab train (process 4711
 * on lab-1) with 1 worker process".
 */
export function trainingText(run: Pick<RunInfo, 'live'>): string {
  const live = run.live;
  if (!live) return 'training';
  const workers = workersText(live);
  const where = live.owner ? ` in ${live.owner.command ?? 'another process'} (process ${live.owner.pid} on ${live.owner.host})` : '';
  return `training${where}${workers === null ? '' : live.workers === 0 ? ` ${workers}` : ` with ${workers}`}`;
}

/** Generations (ES) or iterations (Adam) per second in the current session, if any. */
export function stepsPerSecond(run: RunInfo): number | null {
  if (!run.live) return null;
  const key = OPTIMIZERS[run.optimizer].throughput.key;
  // runs recorded before Adam reported iterationsPerSec carry generationsPerSec
  return run.live[key] ?? run.live.generationsPerSec;
}

/** Seconds to the nearest stop condition (generation limit or time limit), when one is set and the run trains. */
export function etaSeconds(run: RunInfo): number | null {
  if (run.status !== 'running') return null;
  const { maxGenerations, maxSeconds } = run.config.stop;
  const candidates: number[] = [];
  const rate = stepsPerSecond(run);
  if (maxGenerations !== null && rate && rate > 0) candidates.push(Math.max(0, maxGenerations - run.progress.generation) / rate);
  if (maxSeconds !== null) candidates.push(Math.max(0, maxSeconds - run.progress.wallSeconds));
  return candidates.length ? Math.min(...candidates) : null;
}

/** Fraction of the generation limit done (0..1), or null without one. */
export function fractionDone(run: RunInfo): number | null {
  const max = run.config.stop.maxGenerations;
  return max ? Math.min(1, run.progress.generation / max) : null;
}

/** The run after a progress event of its session: the event folded into its summary (shared/metrics.ts), its throughput. */
export function withProgress(run: RunInfo, p: RunProgressEvent): RunInfo {
  if (p.generation < run.progress.generation && run.status !== 'running') return run;
  return {
    ...run,
    progress: foldProgress(run.progress, p),
    live: run.live
      ? {
        ...run.live,
        generationsPerSec: p.generationsPerSec ?? run.live.generationsPerSec,
        mutantsPerSec: p.mutantsPerSec ?? run.live.mutantsPerSec,
        iterationsPerSec: p.iterationsPerSec ?? run.live.iterationsPerSec,
      }
      : run.live,
  };
}
