/**
 * Runs a training session of a stored run from the command line and shows it: a progress bar on a terminal
 * (generation, loss, best, 40-step loss, throughput, ETA), periodic lines otherwise, or one JSON object per line
 * with --json (progress events, log lines, then a summary). The first Ctrl-C asks the trainer to stop cleanly
 * (checkpoint and model are written); a second one exits at once, leaving the last checkpoint resumable.
 *
 * The session trains in one of the workspace's training slots ("Runs at once", runs/training-slots.ts): while
 * all are held it waits its turn, saying so, holding the run's lock meanwhile so that every process sees the run
 * queued here (and the window's Pause or Stop reaches this process, which then gives up the wait).
 */
import cliProgress from 'cli-progress';
import { LabStore } from '../services/store/lab-store';
import { runTrainingSession } from '../services/training/run-training';
import type { StopRequest } from '../services/training/context';
import { CLI_METRICS, isGrowthRow, metricDef, type RunProgressEvent } from '../shared/metrics';
import { forkSpawner } from '../services/workers/spawners';
import type { CommandIo } from './command';
import { formatCliDuration, progressLine, stopTiming, type ProgressParts } from './progress-line';
import type { RunConfig } from '../shared/training-config';
import type { EngineChoice } from '../shared/compute-engine';
import { OPTIMIZERS } from '../shared/optimizers';
import { SESSION_SIGNALS } from '../services/training/run-owner';
import { acquireRunLock } from '../services/training/run-lock';
import { claimTrainingSlot, slotWaitText, type TrainingSlot } from '../services/runs/training-slots';

export interface FollowOptions {
  io: CommandIo;
  workspace: string;
  runId: string;
  json: boolean;
  backend?: string;
  workers?: number;
  /** ES on the cluster at this Redis URL */
  cluster?: string;
  /** the run was just created (printed in the header) */
  created: boolean;
  /** new stop conditions (resume --max-generations), written once the session holds the run's lock */
  stop?: RunConfig['stop'];
  /** this session's engine instead of the run's (resume --engine) */
  engine?: EngineChoice;
}

const fmt = (x: number | undefined | null, digits = 4) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toPrecision(digits));

const formatSeconds = formatCliDuration;

export async function followTraining(opts: FollowOptions): Promise<number> {
  const { io } = opts;
  const store = new LabStore(opts.workspace);
  const run = await store.getRun(opts.runId);
  const cfg = run.config;
  // the stop conditions this session trains to (resume's new ones once written)
  const stopAt = opts.stop ?? cfg.stop;
  const limit = stopAt.maxGenerations;
  const unit = OPTIMIZERS[cfg.optimizer].unit;
  const control: StopRequest = { requested: null };
  let interrupts = 0;
  let waiting = false;
  // Ctrl-C (SIGINT) stops the run, SIGTERM pauses it (the window's Stop and Pause reach this process so:
  // SESSION_SIGNALS); either again exits at once
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      control.requested = signal === SESSION_SIGNALS.pause ? 'pause' : 'stop';
      if (!opts.json && waiting) io.err('giving up the wait for a slot');
      else if (!opts.json) logLine(`${control.requested === 'pause' ? 'pausing' : 'stopping'} after this ${unit} (checkpoint and model are written); Ctrl-C again to quit now`);
    } else {
      process.exit(130);
    }
  };
  process.on(SESSION_SIGNALS.stop, onSignal);
  process.on(SESSION_SIGNALS.pause, onSignal);

  const tty = !opts.json && process.stderr.isTTY === true;
  const parts: ProgressParts = {
    unit, value: run.progress.generation, total: limit ?? null, metrics: [], rate: '', eta: '',
    done: stopTiming({ generation: run.progress.generation, wallSeconds: run.progress.wallSeconds, perSec: undefined }, stopAt).done,
  };
  // the metrics with a CLI label (shared/metrics.ts), each its latest value: a growth loss stays until the next evaluation
  const shown = new Map<string, string>(CLI_METRICS.map((k) => [k, '–']));
  const metricParts = () => CLI_METRICS.map((k) => ({ label: metricDef(k).cli!, text: shown.get(k)! }));
  parts.metrics = metricParts();
  // One bar in a MultiBar: its log() prints a line above the bar on the next redraw, so worker start-up messages
  // and log lines never overwrite it. The line is ours (progressLine), fitted to the width on every redraw: the
  // bar's own {eta} token (seconds as a bare number) is not used. Cleared at the end, so the summary stands alone.
  const multi = tty
    ? new cliProgress.MultiBar({
      format: (_options, params) => progressLine({ ...parts, value: params.value }, process.stderr.columns || 80),
      hideCursor: true, stream: process.stderr, clearOnComplete: true, gracefulExit: false,
      // terminal wrapping stays on (the line always fits): log lines above the bar keep their full length
      linewrap: true,
    })
    : null;
  const bar = multi?.create(limit ?? 0, run.progress.generation) ?? null;
  let barStopped = false;
  const logLine = (line: string) => {
    if (multi && !barStopped) multi.log(`${line}\n`);
    else io.err(line);
  };
  let last: RunProgressEvent | null = null;
  let lastLine = 0;
  const header = `${opts.created ? 'created' : 'resuming'} run ${run.id} (${cfg.optimizer}, preset ${cfg.preset}, target ${cfg.target.name} ${cfg.target.size}px, seed ${cfg.seed})` +
    (cfg.startFrom ? `, started from ${cfg.startFrom.label}` : '');
  if (opts.json) io.out(JSON.stringify({ event: 'run', runId: run.id, optimizer: cfg.optimizer, preset: cfg.preset, startFrom: cfg.startFrom, workspace: opts.workspace }));
  else if (multi) logLine(header);
  else io.err(header);

  const onProgress = (ev: RunProgressEvent) => {
    last = ev;
    if (opts.json) {
      io.out(JSON.stringify({ event: 'progress', ...ev }));
      return;
    }
    const rate = ev.mutantsPerSec !== undefined
      ? `${ev.mutantsPerSec.toFixed(0)} mutants/s, ${ev.generationsPerSec?.toFixed(1)} gen/s`
      : ev.iterationsPerSec !== undefined ? `${ev.iterationsPerSec.toFixed(2)} it/s` : '';
    const { done, eta } = stopTiming({ generation: ev.generation, wallSeconds: ev.wallSeconds, perSec: ev.generationsPerSec ?? ev.iterationsPerSec }, stopAt);
    const present = CLI_METRICS.filter((k) => ev[k] !== undefined);
    for (const k of present) shown.set(k, fmt(ev[k]));
    Object.assign(parts, { value: ev.generation, done, metrics: metricParts(), rate, eta });
    if (bar) {
      bar.update(ev.generation);
    } else if (isGrowthRow(ev) || Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      io.err(`${unit} ${ev.generation} ${present.map((k) => `${metricDef(k).cli} ${shown.get(k)}`).join(' ')} ${rate} ${eta}`);
    }
  };
  const onLog = (line: string) => {
    if (opts.json) io.out(JSON.stringify({ event: 'log', message: line }));
    else logLine(line);
  };
  // worker output (tfjs's start-up notes, a worker's own warnings) goes through the same line log; with --json it
  // stays on stderr, away from the JSON lines
  const spawn = opts.json ? undefined : forkSpawner({ onOutputLine: logLine });
  const stopBar = () => {
    if (!multi || barStopped) return;
    barStopped = true;
    // the last log lines are still in the bar's buffer: one more redraw writes them before the bar is cleared
    multi.update();
    multi.stop();
  };

  // check first, then write: a run whose target.png was replaced is refused before its lock and a training slot
  // (files in the run and the workspace) are taken
  await store.loadRunTarget(run.id);
  const lock = await acquireRunLock(store.runDir(run.id), run.id);
  let slot: TrainingSlot | null = null;
  try {
    waiting = true;
    slot = await waitForSlot(opts, store, control);
    waiting = false;
    const outcome = slot
      ? await runTrainingSession({
        workspace: opts.workspace, store, runId: run.id, control, onProgress, onLog, workers: opts.workers, backend: opts.backend, cluster: opts.cluster, engine: opts.engine,
        stop: opts.stop, lock, ...(spawn ? { spawn } : {}),
      })
      : await gaveUpWaiting(store, run.id, control);
    stopBar();
    const final = await store.getRun(run.id);
    if (outcome.status === 'failed' && final.status === 'running') {
      // the trainer could not record the failure (a full disk refuses the new run.json too): say so, and what the
      // lab will show (a running run whose process is gone is listed as interrupted, and resumes)
      onLog(`${store.runDir(run.id)}/run.json could not be updated and still says "running"; ` +
        '`nca-lab runs` lists the run as interrupted because its process has ended, and `nca-lab resume` continues it');
    }
    const summary = {
      event: 'summary', runId: run.id, status: outcome.status, reason: outcome.reason, generation: outcome.generation,
      bestLoss: final.progress.bestLoss, bestEval40: final.progress.bestEval40, lastEval40: final.progress.lastEval40,
      wallSeconds: final.progress.wallSeconds, backend: final.backend, runDir: store.runDir(run.id),
      lastProgress: last,
    };
    if (opts.json) io.out(JSON.stringify(summary));
    else {
      io.out(`${run.id}: ${outcome.status} — ${outcome.reason}`);
      io.out(`  best 40-step loss ${fmt(final.progress.bestEval40)}, last ${fmt(final.progress.lastEval40)}, ` +
        `${formatSeconds(final.progress.wallSeconds)} of training on ${final.backend}`);
      io.out(`  ${store.runDir(run.id)}`);
    }
    return outcome.status === 'failed' ? 1 : 0;
  } finally {
    stopBar();
    await slot?.release();
    await lock.release();
    process.off(SESSION_SIGNALS.stop, onSignal);
    process.off(SESSION_SIGNALS.pause, onSignal);
  }
}

/**
 * Takes one of the workspace's training slots, waiting while all are held: the run is `queued` meanwhile, its
 * status reason the wait's (the window shows it), and each change of why it waits is said (a line, or a
 * `waiting` event with --json). Null when a Ctrl-C, or the window's Pause or Stop, ended the wait.
 */
async function waitForSlot(opts: FollowOptions, store: LabStore, control: StopRequest): Promise<TrainingSlot | null> {
  return claimTrainingSlot({
    workspace: opts.workspace, runId: opts.runId, cancelled: () => control.requested !== null,
    onWait: async (wait) => {
      const message = slotWaitText(wait);
      // written before it is said: whoever hears the wait finds the run queued
      await store.updateRun(opts.runId, { status: 'queued', statusReason: message });
      if (opts.json) opts.io.out(JSON.stringify({ event: 'waiting', message, limit: wait.limit, holders: wait.holders, place: wait.place }));
      else opts.io.err(`${message}; Ctrl+C to give up`);
    },
  });
}

/** The run's end when the wait for a slot was given up: paused or stopped as asked, nothing trained. */
async function gaveUpWaiting(store: LabStore, runId: string, control: StopRequest): Promise<{ status: 'paused' | 'stopped'; reason: string; generation: number; bestEval40: number | null }> {
  const status = control.requested === 'pause' ? 'paused' : 'stopped';
  const reason = `${status} while waiting for a slot`;
  const record = await store.updateRun(runId, { status, statusReason: reason });
  return { status, reason, generation: record.progress.generation, bestEval40: record.progress.bestEval40 };
}
