/**
 * Sweeps for the LabApi (`sweeps.plan`, `start`, `resume`, `pause`, `list`, `get`) and `nca-lab sweep`: plans a
 * request (its configurations, runs and an estimate of the time, before anything is made), writes the sweep's
 * record, and drives it (sweep-driver.ts) on the lab's RunManager, so its runs go through the same queue and
 * core sharing as every other run. Pushes `sweep:status` (throttled while a sweep runs, at once when its status
 * changes). One process drives a sweep at a time: the record names its driver, and a sweep whose driver is gone
 * reads as interrupted (resumable).
 */
import { randomBytes } from 'node:crypto';
import type { Target } from '../../core/targets/target';
import { makeSweepId, summariseSweep, type SweepListing, type SweepPlanInfo, type SweepRecord, type SweepRequest, type SweepSummary } from '../../shared/sweep';
import { planSweep, type SweepPlan } from '../../shared/sweep-plan';
import type { RunConfig, TargetRef } from '../../shared/training-config';
import { EXPERIMENT_LIMITS } from '../../shared/experiment';
import type { RunManager } from '../runs/run-manager';
import { findBuiltinTarget, resolveTarget } from '../targets/targets';
import { listImportedTargets } from '../targets/imported-targets';
import type { WorkerSpawner } from '../workers/spawners';
import { driveSweep } from './sweep-driver';
import { estimateSweep } from './estimate';
import { driverAlive, SweepStore } from './sweep-store';

export interface SweepServiceOptions {
  runs: RunManager;
  /** imported images a target may name (the workspace's targets/) */
  targetsDir: string;
  emit?: (summary: SweepSummary) => void;
  /** experiment workers and spawner (Electron: utilityProcess) */
  workers?: number;
  spawn?: WorkerSpawner;
  log?: (line: string) => void;
  /** at most one `sweep:status` per sweep this often while it runs (default 250 ms) */
  progressIntervalMs?: number;
}

interface Driving {
  abort: AbortController;
  /** a user's pause pauses the runs; the lab closing leaves them to the queue */
  pauseRuns: boolean;
  done: Promise<SweepRecord>;
}

export class SweepService {
  readonly store: SweepStore;
  private readonly driving = new Map<string, Driving>();
  private readonly messages = new Map<string, string>();
  private readonly lastSent = new Map<string, { at: number; status: string; timer: ReturnType<typeof setTimeout> | null }>();
  private closing = false;

  constructor(private readonly opts: SweepServiceOptions) {
    this.store = new SweepStore(opts.runs.workspace);
  }

  /** What a target name stands for, for every target a request names (built-ins, the workspace's imports). */
  private async resolver(request: SweepRequest): Promise<(name: string) => TargetRef> {
    const names = new Set([request.target, ...request.axes.filter((a) => a.path === 'target').flatMap((a) => (a.kind === 'list' ? a.values.map(String) : []))]);
    const imported = (await listImportedTargets(this.opts.targetsDir)).targets;
    const refs = new Map<string, TargetRef>();
    for (const name of names) {
      const builtin = findBuiltinTarget(name);
      if (builtin) {
        refs.set(name, { name: builtin.name, size: builtin.size, padding: builtin.padding });
        continue;
      }
      const kept = imported.find((t) => t.file === name || t.meta.id === name);
      if (kept) refs.set(name, { name: kept.file, size: kept.target.size, padding: kept.target.padding });
    }
    return (name) => {
      const ref = refs.get(name);
      if (!ref) throw new RangeError(`target: "${name}" is neither a built-in target (carrot-9, rabbit-15, …) nor an image imported into the workspace`);
      return ref;
    };
  }

  /** The request's configurations and runs, checked, without making anything. */
  async planOf(request: SweepRequest): Promise<SweepPlan> {
    const plan = planSweep(request, await this.resolver(request));
    if (request.suites.length && plan.runs.length > EXPERIMENT_LIMITS.models.max) {
      throw new RangeError(`suites: experiments run on at most ${EXPERIMENT_LIMITS.models.max} models; this sweep has ${plan.runs.length} runs`);
    }
    return plan;
  }

  /** `sweeps.plan`: counts, labels and the estimated time (measured here: a fraction of a second). */
  async plan(request: SweepRequest): Promise<SweepPlanInfo> {
    const plan = await this.planOf(request);
    const targets = new Map<string, Target>();
    for (const run of plan.runs) {
      const t = run.config.target;
      const key = `${t.name}|${t.size}|${t.padding}`;
      if (!targets.has(key)) targets.set(key, await resolveTarget(t.name, { size: t.size, padding: t.padding }));
    }
    const estimate = estimateSweep(plan, (cfg: RunConfig) => targets.get(`${cfg.target.name}|${cfg.target.size}|${cfg.target.padding}`)!, {
      cores: this.opts.runs.cores, atOnce: this.opts.runs.maxConcurrent,
    });
    return {
      name: plan.name, configurations: plan.groups.length, runs: plan.runs.length, seeds: request.seeds.length, drawn: plan.drawn,
      labels: plan.groups.map((g) => g.label), rungs: plan.rungs, budgetUnit: plan.budgetUnit,
      estimateSeconds: estimate.seconds, estimateBasis: estimate.basis,
    };
  }

  /** Writes a new sweep's record (nothing trains yet); refused requests write nothing. */
  async create(request: SweepRequest, now = new Date()): Promise<SweepRecord> {
    const plan = await this.planOf(request);
    const slug = `${request.preset}-${request.target}`;
    const record: SweepRecord = {
      formatVersion: 1, id: makeSweepId(now, slug, randomBytes(2).toString('hex')), name: plan.name,
      createdAt: now.toISOString(), updatedAt: now.toISOString(), request: structuredClone(request), groups: plan.groups,
      runs: plan.runs.map((r) => ({ ...r, runId: null, removed: false, final: null })), rungs: plan.rungs, budgetUnit: plan.budgetUnit,
      decisions: [], drawn: plan.drawn, experiments: [], status: 'paused', statusReason: 'made; not started yet', driver: null,
    };
    const stored = await this.store.put(record);
    this.send(stored, 'made', true);
    return stored;
  }

  /** `sweeps.start`: makes the sweep and drives it in the background. */
  async start(request: SweepRequest): Promise<SweepSummary> {
    this.refuseWhenClosing();
    const record = await this.create(request);
    this.drive(record.id);
    return summariseSweep(record, 'started');
  }

  /** `sweeps.resume`: an interrupted or paused sweep goes on where it stopped. */
  async resume(id: string): Promise<SweepSummary> {
    this.refuseWhenClosing();
    const record = await this.store.get(id);
    this.refuseDriven(record);
    if (record.status === 'done') throw new Error(`sweep "${id}" is done: every run ended${record.experiments.length ? ' and its experiments ran' : ''}`);
    this.drive(id);
    return summariseSweep(record, 'resuming');
  }

  /** Drives the sweep in this process until it ends (the CLI's foreground); resolves with its final record. */
  async run(id: string, signal?: AbortSignal): Promise<SweepRecord> {
    const record = await this.store.get(id);
    this.refuseDriven(record);
    const d = this.drive(id);
    const onAbort = () => d.abort.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await d.done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** `sweeps.pause`: its runs are paused (checkpoint first); resume goes on from there. */
  async pause(id: string): Promise<SweepSummary> {
    const d = this.driving.get(id);
    if (!d) {
      const record = await this.store.get(id);
      if (record.status === 'running') throw new Error(`sweep "${id}" is driven by process ${record.driver?.pid} on ${record.driver?.host}: pause it there`);
      return summariseSweep(record);
    }
    d.pauseRuns = true;
    d.abort.abort(new Error('paused by the user'));
    return summariseSweep(await d.done.catch(() => this.store.get(id)));
  }

  async list(): Promise<SweepListing> {
    const { sweeps, problems } = await this.store.list();
    return { sweeps: sweeps.map((r) => summariseSweep(r, this.messages.get(r.id) ?? null)), problems };
  }

  get(id: string): Promise<SweepRecord> {
    return this.store.get(id);
  }

  /** The sweeps this process drives. */
  drivenIds(): string[] {
    return [...this.driving.keys()];
  }

  /** For quitting: every sweep stops driving (its runs are left to the queue, which pauses them); none starts. */
  async close(): Promise<void> {
    this.closing = true;
    for (const d of this.driving.values()) {
      d.pauseRuns = false;
      d.abort.abort(new Error('the lab is closing'));
    }
    await Promise.all([...this.driving.values()].map((d) => d.done.catch(() => undefined)));
  }

  private drive(id: string): Driving {
    const abort = new AbortController();
    const d: Driving = { abort, pauseRuns: true, done: Promise.resolve(null as unknown as SweepRecord) };
    d.done = driveSweep({
      runs: this.opts.runs, sweeps: this.store, id, signal: abort.signal, pauseRunsOnAbort: () => d.pauseRuns,
      workers: this.opts.workers, spawn: this.opts.spawn, log: this.opts.log,
      onChange: (record, message) => {
        this.messages.set(id, message);
        this.send(record, message);
      },
    }).finally(() => {
      this.driving.delete(id);
      this.messages.delete(id);
    });
    d.done.catch((err: unknown) => this.opts.log?.(`sweep ${id}: ${(err as Error).message}`));
    this.driving.set(id, d);
    return d;
  }

  private send(record: SweepRecord, message: string, now = false): void {
    const emit = this.opts.emit;
    if (!emit) return;
    const interval = this.opts.progressIntervalMs ?? 250;
    const last = this.lastSent.get(record.id) ?? { at: 0, status: '', timer: null };
    const go = () => {
      if (last.timer) clearTimeout(last.timer);
      last.timer = null;
      last.at = performance.now();
      last.status = record.status;
      this.lastSent.set(record.id, last);
      emit(summariseSweep(record, message));
    };
    if (now || record.status !== last.status || performance.now() - last.at >= interval) go();
    else {
      if (last.timer) clearTimeout(last.timer);
      last.timer = setTimeout(go, interval - (performance.now() - last.at));
      this.lastSent.set(record.id, last);
    }
  }

  private refuseDriven(record: SweepRecord): void {
    if (this.driving.has(record.id)) throw new Error(`sweep "${record.id}" is already running in this lab`);
    if (record.status === 'running' && driverAlive(record.driver)) {
      throw new Error(`sweep "${record.id}" is being driven by process ${record.driver!.pid} on ${record.driver!.host}; it goes on there`);
    }
  }

  private refuseWhenClosing(): void {
    if (this.closing) throw new Error('the lab is closing: no sweep starts');
  }
}
