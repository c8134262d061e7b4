/**
 * Drives one sweep to its end through the lab's run queue (RunManager: the runs train when the scheduler gives
 * them a slot, share the cores with every other run, and go to the cluster when it is set): makes the runs it has
 * not made yet, resumes those a crash or a closed lab left paused, measures each run's final model when it ends,
 * takes the successive-halving decisions, runs the experiment suites on the final models, and records each step
 * in sweep.json before acting on it.
 *
 * Resuming is idempotent: every pass reads the runs' own records and does only what is missing, so a driver
 * killed at any point and started again ends with the same runs, each trained exactly as in an uninterrupted
 * sweep (configs and seeds are fixed in the record; a run resumes bit-exactly from its newest checkpoint).
 * A run made just before a crash is found by its run.json's sweep reference (sweep-store.ts), never made twice.
 */
import type { RunInfo } from '../../shared/lab-api';
import { settingText, configAtBudget } from '../../shared/sweep-plan';
import type { SweepRecord, SweepRun } from '../../shared/sweep';
import { OPTIMIZERS } from '../../shared/optimizers';
import { messageOf } from '../../shared/validate';
import { halvingKeep } from '../../core/sweeps/halving';
import { spreadOf } from '../../core/stats/spread';
import type { RunManager } from '../runs/run-manager';
import { RunNotFoundError } from '../store/lab-store';
import { runLockOwner } from '../training/run-lock';
import type { WorkerSpawner } from '../workers/spawners';
import { runExperiment } from '../experiments/run-experiment';
import { finalEvaluation } from './final-eval';
import { runsOfSweep, thisDriver, type SweepStore } from './sweep-store';

export interface DriveOptions {
  runs: RunManager;
  sweeps: SweepStore;
  id: string;
  /** ends the driving: a pause (the runs are paused too) or the lab closing (they are left to the queue) */
  signal?: AbortSignal;
  /** asked when the signal aborts: true pauses the sweep's runs (a user's pause); false leaves them */
  pauseRunsOnAbort?: () => boolean;
  /** worker processes and spawner of the experiment suites (default: one per core, Node's fork) */
  workers?: number;
  spawn?: WorkerSpawner;
  /** the record after every change, and a line on what is happening */
  onChange?: (record: SweepRecord, message: string) => void;
  log?: (line: string) => void;
}

type RunState = 'training' | 'needs-training' | 'ended';

/** The budget a sweep run trains to now (null: its planned stop rule, no halving). */
function budgetOf(record: SweepRecord, run: SweepRun): number | null {
  if (!record.rungs) return null;
  const stoppedAt = record.decisions.find((d) => d.stopped.includes(run.group));
  return record.rungs[stoppedAt ? stoppedAt.rung : record.decisions.length];
}

/** Where a run stands against the budget it must reach. A failed or user-stopped run, or one at its goal, has ended. */
function stateOf(record: SweepRecord, run: SweepRun, info: RunInfo): RunState {
  if (info.live || info.queuePosition !== null || info.status === 'queued' || info.status === 'running') return 'training';
  if (info.status === 'failed' || info.status === 'stopped') return 'ended';
  const stop = configAtBudget(run.config, record.budgetUnit, budgetOf(record, run)).stop;
  const p = info.progress;
  if (stop.targetLoss !== null && p.lastEval40 !== null && p.lastEval40 <= stop.targetLoss) return 'ended';
  const reached = (stop.maxGenerations !== null && p.generation >= stop.maxGenerations) || (stop.maxSeconds !== null && p.wallSeconds >= stop.maxSeconds);
  return reached ? 'ended' : 'needs-training';
}

function runName(record: SweepRecord, run: SweepRun): string {
  return `${record.name} · ${record.groups[run.group].label} · seed ${run.seed}`;
}

/** A wake-up call: the driver sleeps until one of its runs changes (or it is asked to end). */
class Wakeup {
  private waiter: (() => void) | null = null;
  private rung = false;
  ring(): void {
    this.rung = true;
    this.waiter?.();
  }
  wait(): Promise<void> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        this.waiter = null;
        this.rung = false;
        resolve();
      };
    });
  }
}

export async function driveSweep(o: DriveOptions): Promise<SweepRecord> {
  const { runs, sweeps, id } = o;
  const log = o.log ?? (() => undefined);
  let record = await sweeps.update(id, (r) => ({ ...r, status: 'running', statusReason: null, driver: thisDriver() }));
  const changed = (r: SweepRecord, message: string) => {
    record = r;
    o.onChange?.(r, message);
  };
  changed(record, 'started');
  // runs made before a crash, whose index the record had not been told yet
  const found = await runsOfSweep(runs.store, id);
  if ([...found].some(([i, runId]) => record.runs[i] && record.runs[i].runId !== runId)) {
    changed(await sweeps.update(id, (r) => {
      for (const [i, runId] of found) if (r.runs[i] && r.runs[i].runId === null) r.runs[i].runId = runId;
    }), `found ${found.size} runs made before`);
  }
  const wake = new Wakeup();
  const off = runs.on((ev) => {
    if ((ev.type === 'status' && ev.run.sweep?.id === id) || ev.type === 'deleted') wake.ring();
  });
  const onAbort = () => wake.ring();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // a run trained by another process sends this queue no events: look again now and then
  const tick = setInterval(() => wake.ring(), 10_000);
  tick.unref?.();
  try {
    let firstPass = true;
    for (;;) {
      o.signal?.throwIfAborted();
      const step = await advance(o, record, firstPass, changed, log);
      firstPass = false;
      if (step === 'trained') break;
      if (step === 'waiting') await wake.wait();
    }
    o.signal?.throwIfAborted();
    await runSuites(o, () => record, changed, log);
    changed(await sweeps.update(id, (r) => ({ ...r, status: 'done', statusReason: doneReason(r), driver: null })), 'done');
    return record;
  } catch (err) {
    if (o.signal?.aborted) {
      const pause = o.pauseRunsOnAbort?.() ?? true;
      if (pause) await pauseRuns(runs, record);
      const reason = pause ? 'paused: its runs were paused (checkpoints kept); resume the sweep to go on' : 'the lab closed while it ran: resume it to go on';
      changed(await sweeps.update(id, (r) => ({ ...r, status: 'paused', statusReason: reason, driver: null })), reason);
      return record;
    }
    const reason = messageOf(err);
    log(`sweep ${id} failed: ${reason}`);
    changed(await sweeps.update(id, (r) => ({ ...r, status: 'failed', statusReason: reason, driver: null })).catch(() => record), reason);
    throw err;
  } finally {
    clearInterval(tick);
    off();
    o.signal?.removeEventListener('abort', onAbort);
  }
}

function doneReason(r: SweepRecord): string {
  const ended = r.runs.filter((x) => !x.removed).length;
  return `${ended} runs of ${r.groups.length} configurations ended${r.decisions.length ? `, ${r.decisions.length} halvings` : ''}${r.experiments.length ? `, ${r.experiments.length} experiment suites` : ''}`;
}

/**
 * One pass over the sweep's runs: make the missing ones, start the ones that must train (on the first pass also
 * those a crash or a closed lab left paused), measure the ended ones. Then, when nothing trains: a halving
 * decision, or the end of training.
 */
async function advance(
  o: DriveOptions, record: SweepRecord, firstPass: boolean, changed: (r: SweepRecord, m: string) => void, log: (line: string) => void,
): Promise<'waiting' | 'decided' | 'trained'> {
  const { runs, sweeps, id } = o;
  let busy = 0;
  const waitingForUser: string[] = [];
  for (const run of record.runs) {
    o.signal?.throwIfAborted();
    if (run.removed) continue;
    if (run.runId === null) {
      const budget = budgetOf(record, run);
      const info = await runs.create({
        config: configAtBudget(run.config, record.budgetUnit, budget), name: runName(record, run), tags: ['sweep'],
        notes: `run ${run.index + 1} of sweep ${record.name} (${id})`,
      }, undefined, { sweep: { id, index: run.index } });
      changed(await sweeps.update(id, (r) => {
        r.runs[run.index].runId = info.id;
      }), `made run ${run.index + 1} of ${record.runs.length}: ${info.id}`);
      log(`[${run.index + 1}/${record.runs.length}] queued ${record.groups[run.group].label}, seed ${run.seed}: run ${info.id}`);
      busy++;
      continue;
    }
    let info: RunInfo;
    try {
      info = await adoptOrphan(runs, await runs.get(run.runId));
    } catch (err) {
      if (!(err instanceof RunNotFoundError)) throw err;
      changed(await sweeps.update(id, (r) => {
        r.runs[run.index].removed = true;
      }), `run ${run.runId} was deleted: the sweep goes on without it`);
      continue;
    }
    const state = stateOf(record, run, info);
    if (state === 'training') busy++;
    else if (state === 'needs-training') {
      // a run at a halving rung's end goes on at once; one paused is resumed when the sweep (re)starts, else the
      // user paused it in Runs and the sweep waits for them
      if (info.status === 'finished' || info.status === 'interrupted' || firstPass) {
        await continueRun(o, record, run, info);
        busy++;
      } else waitingForUser.push(info.name);
    } else if (!run.final || run.final.generation !== info.progress.generation || run.final.wallSeconds !== info.progress.wallSeconds) {
      const final = await finalEvaluation(runs.store, await runs.store.getRun(info.id), record.groups[run.group].goal);
      changed(await sweeps.update(id, (r) => {
        r.runs[run.index].final = final;
      }), `run ${run.index + 1} ended: 40-step loss ${final.eval40?.toPrecision(3) ?? 'not finite'}, ${final.verdict}`);
    }
  }
  if (busy > 0 || waitingForUser.length > 0) {
    if (waitingForUser.length) o.onChange?.(record, `waiting: ${waitingForUser.join(', ')} ${waitingForUser.length === 1 ? 'is' : 'are'} paused; resume in Runs to go on`);
    return 'waiting';
  }
  if (record.rungs && record.decisions.length < record.rungs.length - 1) {
    const next = await sweeps.update(id, (r) => decideRung(r));
    const d = next.decisions[next.decisions.length - 1];
    const text = `successive halving at ${d.budget} ${next.budgetUnit}: ${d.kept.length} configurations go on, ${d.stopped.length} stop (${d.stopped.map((g) => next.groups[g].label).join('; ')})`;
    changed(next, text);
    log(text);
    return 'decided';
  }
  return 'trained';
}

/**
 * A run whose record says queued or running though no queue or live process has it (its process was killed: the
 * sweep's own CLI, or a lab that crashed) becomes paused or interrupted, as a lab's start-up would make it, so
 * the sweep can resume it. A run another live process trains is left to it.
 */
async function adoptOrphan(runs: RunManager, info: RunInfo): Promise<RunInfo> {
  if (info.live || info.queuePosition !== null || (info.status !== 'queued' && info.status !== 'running')) return info;
  if (info.status === 'running' && (await runLockOwner(runs.store.runDir(info.id))) !== null) return info;
  const interrupted = info.status === 'running';
  const from = info.checkpointGeneration === null ? 'it restarts from the beginning' : `it resumes from the checkpoint at ${OPTIMIZERS[info.optimizer].unit} ${info.checkpointGeneration}`;
  await runs.store.updateRun(info.id, {
    status: interrupted ? 'interrupted' : 'paused',
    statusReason: interrupted ? `its process stopped while it trained (a crash or a kill); ${from}` : 'was waiting in the queue of a process that stopped',
  });
  return runs.get(info.id);
}

/** Starts a run again: with the rung's new limit when halving raised it, through the queue. */
async function continueRun(o: DriveOptions, record: SweepRecord, run: SweepRun, info: RunInfo): Promise<void> {
  const stop = configAtBudget(run.config, record.budgetUnit, budgetOf(record, run)).stop;
  const same = JSON.stringify(stop) === JSON.stringify(info.config.stop);
  if (!same || info.status === 'finished') {
    // a run that reached one rung's limit is extended to the next: new stop conditions (as `nca-lab resume
    // --max-generations` does), then it resumes from the checkpoint it wrote at that limit
    const unit = OPTIMIZERS[info.optimizer].unit;
    const budget = budgetOf(record, run);
    await o.runs.store.updateRun(info.id, {
      stop, status: 'paused', statusReason: `successive halving: goes on to ${record.budgetUnit === 'seconds' ? `${budget} s` : `${unit} ${budget}`}`,
    });
  }
  await o.runs.resume(info.id);
}

/** The rung's decision: each active configuration's score is the median over its seeds of the final 40-step loss. */
function decideRung(r: SweepRecord): SweepRecord {
  const rung = r.decisions.length;
  const stopped = new Set(r.decisions.flatMap((d) => d.stopped));
  const active = r.groups.filter((g) => !stopped.has(g.index));
  const scores: (number | null)[] = r.groups.map(() => null);
  for (const g of active) {
    const finals = r.runs.filter((x) => x.group === g.index && !x.removed).map((x) => x.final?.eval40 ?? null);
    scores[g.index] = spreadOf(finals).median;
  }
  const kept = halvingKeep(active.map((g) => ({ key: String(g.index), score: scores[g.index] }))).map(Number);
  const out = active.map((g) => g.index).filter((g) => !kept.includes(g));
  return { ...r, decisions: [...r.decisions, { rung, budget: r.rungs![rung], kept, stopped: out, scores }] };
}

/** The experiment suites on every final model with parameters, one experiment per suite, recorded as each ends. */
async function runSuites(o: DriveOptions, current: () => SweepRecord, changed: (r: SweepRecord, m: string) => void, log: (line: string) => void): Promise<void> {
  const record = current();
  const todo = record.request.suites.filter((s) => !record.experiments.some((e) => e.suite === s));
  if (todo.length === 0) return;
  const models: string[] = [];
  for (const run of record.runs) {
    if (run.removed || run.runId === null || run.final === null || run.final.eval40 === null) continue;
    models.push(run.runId);
  }
  if (models.length === 0) return;
  for (const suite of todo) {
    o.signal?.throwIfAborted();
    o.onChange?.(current(), `experiment ${suite} on ${models.length} final models`);
    const exp = await runExperiment({
      workspace: o.runs.workspace, store: o.runs.store, suite, models, workers: o.workers, spawn: o.spawn, signal: o.signal,
    });
    log(`experiment ${suite}: ${exp.results.timing.jobs} jobs in ${exp.results.timing.seconds.toFixed(1)} s (${exp.results.id})`);
    changed(await o.sweeps.update(o.id, (r) => {
      r.experiments.push({ suite, id: exp.results.id });
    }), `experiment ${suite} done`);
  }
}

/** A pause of the sweep: its runs that train or wait for a slot are paused (each writes a checkpoint first). */
async function pauseRuns(runs: RunManager, record: SweepRecord): Promise<void> {
  await Promise.all(record.runs.map(async (run) => {
    if (run.runId === null || run.removed) return;
    const info = await runs.get(run.runId).catch(() => null);
    if (info && (info.live || info.status === 'queued' || info.status === 'running')) await runs.pause(run.runId).catch(() => undefined);
  }));
}

/** "es.sigma 0.02, seed 3" for messages. */
export function sweepRunText(record: SweepRecord, run: SweepRun): string {
  const g = record.groups[run.group];
  return `${Object.entries(g.settings).map(([k, v]) => `${k} ${settingText(v)}`).join(', ') || 'base'}, seed ${run.seed}`;
}
