/**
 * LabService: the implementation of every LabApi channel, with no Electron import (docs/architecture.md, "Testing
 * without Electron"). Electron's ipcMain wiring (src/main/app/ipc.ts) and the browser bridge
 * (src/services/bridge/server.ts) both hand requests to `dispatch`, which validates the arguments against the
 * channel's schema (shared/ipc-schema.ts) before a handler sees them. Pushed events go to `onEvent` listeners.
 *
 * Runs are RunManager's (run-manager.ts); this class adapts it to the channel map and relays its events.
 * Call `start()` once before serving (it recovers runs a crash left `running`) and `close()` when quitting
 * (it pauses every training run after a checkpoint).
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackendChoice } from '../../core/backend';
import { isLabChannel, type LabHandlers } from '../../shared/ipc';
import { parseChannelArgs, parseComputeSettings } from '../../shared/ipc-schema';
import {
  LAB_SETTINGS_LIMITS,
  type CreateRunRequest,
  type LabEventMessage,
  type LabEventName,
  type LabEvents,
  type ComputeSettings,
  type LabSettings,
  type RunInfo,
  type SystemInfo,
  type Unsubscribe,
} from '../../shared/lab-api';
import { initNodeBackend } from '../compute/backend';
import {
  importPickedModels, listGrowableModels, listLibrary, openLibraryModel, openModelFiles,
} from '../models/model-files';
import { exportModelFiles } from '../models/model-export';
import { removeImportedModel } from '../models/model-library';
import { ExperimentService } from '../experiments/experiment-service';
import { ReproduceService, type ReproduceServiceOptions } from '../experiments/reproduce-service';
import { SweepService } from '../sweeps/sweep-service';
import { isSweepId, summariseSweep } from '../../shared/sweep';
import { packageVersion } from '../resources/package-paths';
import { RunManager, type RunManagerOptions } from '../runs/run-manager';
import { wakeSlotWaiters } from '../runs/training-slots';
import { readSettingsKey, writeSettingsKey } from '../store/settings-file';
import { LabStore, RunNotFoundError } from '../store/lab-store';
import { windowTargetProblem } from '../targets/targets';
import { TargetCatalogue, targetToData } from '../targets/target-catalogue';
import { watchWorkspace, type RunChange, type WorkspaceWatch } from './workspace-watch';
import { messageOf } from '../../shared/validate';
import { describeSurvey, surveyGpus } from '../compute/gpu-adapters';
import { resolveEngine } from '../compute/engine-choice';

export interface LabServiceOptions {
  /** the workspace folder (runs, models, settings) */
  workspace: string;
  /** picks the Node-side tfjs backend; defaults to the one every Node process of the lab uses */
  selectBackend?: () => Promise<BackendChoice>;
  /** how runs train: the worker spawner (Electron), a fake trainer (tests), the cores to share */
  runs?: Omit<RunManagerOptions, 'workspace' | 'maxConcurrent'>;
  /** follow changes other processes make to the workspace (runs, imported targets); default true */
  watchWorkspace?: boolean;
  /** the thesis study's budgets and Table 2 populations (defaults: reproduce.ts, NCA_LAB_QUICK_BUDGET) */
  reproduce?: Pick<ReproduceServiceOptions, 'quickBudget' | 'fullBudget' | 'benchPopulations' | 'workers'>;
}

/** How often the processes of runs trained elsewhere are looked at (a killed one says nothing). */
const FOLLOWED_OWNER_CHECK_MS = 2000;

/** Imported images of runs' targets live here, so a run can be resumed (its config names the file). */
export const RUN_TARGETS_DIR = 'targets';

export type LabEventListener = (message: LabEventMessage) => void;

export class LabService {
  readonly workspace: string;
  readonly handlers: LabHandlers;
  private readonly selectBackend: () => Promise<BackendChoice>;
  /** the one store of this lab's workspace, shared by its runs, experiments and studies */
  readonly store: LabStore;
  readonly runs: RunManager;
  readonly experiments: ExperimentService;
  readonly reproduce: ReproduceService;
  readonly sweeps: SweepService;
  /** the built-in and imported targets the window offers */
  readonly targets: TargetCatalogue;
  private readonly listeners = new Set<LabEventListener>();
  private started: Promise<void> | null = null;
  private watch: Promise<WorkspaceWatch> | null = null;
  private readonly runChanges = new Map<string, Promise<void>>();
  /** runs another process trains, shown live: a process that is killed writes nothing, so these are looked at */
  private readonly followed = new Set<string>();
  private followTimer: ReturnType<typeof setInterval> | null = null;
  private readonly watchWorkspace: boolean;
  /** Settings → Compute (settings.json's lab.compute; default: this computer's cores only) */
  private compute: ComputeSettings = { localCores: true, cluster: null };

  constructor(options: LabServiceOptions) {
    this.workspace = resolve(options.workspace);
    this.selectBackend = options.selectBackend ?? (() => initNodeBackend());
    this.watchWorkspace = options.watchWorkspace ?? true;
    this.store = new LabStore(this.workspace);
    this.runs = new RunManager({ ...options.runs, workspace: this.workspace, store: this.store, compute: () => this.compute });
    this.experiments = new ExperimentService({
      workspace: this.workspace, store: this.store, spawn: options.runs?.spawn, emit: (e) => this.emit('experiment:progress', e),
    });
    this.reproduce = new ReproduceService({
      ...options.reproduce, workspace: this.workspace, runs: this.runs, spawn: options.runs?.spawn,
      emit: (e) => this.emit('reproduce:progress', e),
    });
    this.sweeps = new SweepService({
      runs: this.runs, targetsDir: join(this.workspace, RUN_TARGETS_DIR), spawn: options.runs?.spawn, emit: (e) => this.emit('sweep:status', e),
      log: (line) => console.error(`nca-lab: ${line}`),
    });
    this.targets = new TargetCatalogue({
      dir: this.targetsDir(),
      runsUsing: async (file) => (await this.runs.list()).runs.filter((r) => r.config.target.name === file).map((r) => ({ id: r.id, name: r.name })),
      changed: (reason) => this.emit('targets:changed', { reason }),
      imported: (data) => this.emit('targets:imported', data),
    });
    const saved = parseLabSettings(readSettingsKey(this.workspace, 'lab'));
    if (saved.maxConcurrentRuns !== undefined) this.runs.setMaxConcurrent(saved.maxConcurrentRuns);
    if (saved.compute !== undefined) this.compute = saved.compute;
    this.runs.on((event) => {
      switch (event.type) {
        case 'status':
          return this.emit('run:status', event.run);
        case 'progress':
          return this.emit('run:progress', event.progress);
        case 'deleted':
          return this.emit('run:deleted', { runId: event.runId });
        case 'log':
          return console.error(`nca-lab: run ${event.runId}: ${event.line}`);
      }
    });
    const runs = this.runs;
    const started = <T>(job: () => Promise<T>) => async () => {
      await this.start();
      return job();
    };
    this.handlers = {
      'system:info': () => this.systemInfo(),
      'targets:list': () => this.targets.list(),
      'targets:import': (request) => this.targets.import(request),
      'targets:rename': (id, name) => this.targets.rename(id, name),
      'targets:delete': (id) => started(() => this.targets.delete(id))(),
      'runs:list': started(() => runs.list()),
      'runs:get': (id) => started(() => runs.get(id))(),
      'runs:create': (request) => started(() => this.createRun(request))(),
      'runs:resume': (id) => started(() => runs.resume(id))(),
      'runs:pause': (id) => started(() => runs.pause(id))(),
      'runs:stop': (id) => started(() => runs.stop(id))(),
      'runs:delete': (id) => started(() => runs.delete(id))(),
      'runs:fork': (request) => started(async () => {
        // a fork may name another target for the same canvas: the same rule as a new run
        if (request.config) this.checkWindowTarget('runs.fork', request.config.target);
        return runs.fork(request);
      })(),
      'runs:metrics': (request) => runs.metrics(request.runId, request.maxPoints),
      'runs:checkpoints': (id) => runs.checkpoints(id),
      'runs:evaluationStrip': (request) => runs.evaluationStrip(request.runId, request.generation),
      'runs:target': async (id) => targetToData(await runs.target(id), false),
      'runs:rename': (id, name) => started(() => runs.rename(id, name))(),
      'runs:setTags': (id, tags) => started(() => runs.setTags(id, tags))(),
      'runs:setNotes': (id, notes) => started(() => runs.setNotes(id, notes))(),
      'models:params': (request) => runs.modelParams(request.runId, request.generation),
      'models:list': () => listGrowableModels(runs.store),
      'models:open': (request) => openModelFiles(request, { workspace: runs.store.workspace, importedTargets: join(this.workspace, RUN_TARGETS_DIR) }),
      'models:library': () => listLibrary(runs.store.workspace),
      'models:openLibrary': (id) => openLibraryModel(runs.store.workspace, id),
      'models:import': (request) => importPickedModels(runs.store.workspace, request, join(this.workspace, RUN_TARGETS_DIR)),
      'models:remove': (id) => removeImportedModel(runs.store.workspace, id),
      'models:export': (ref, format) => exportModelFiles(runs.store, ref, format),
      'settings:get': async () => this.settings(),
      'settings:update': async (patch) => this.updateSettings(patch),
      'cluster:test': async (url) => (await import('../cluster/registry')).clusterStatus(url),
      'experiments:run': async (request) => this.experiments.start(request),
      'experiments:cancel': async (id) => this.experiments.cancel(id),
      'experiments:list': () => this.experiments.list(),
      'experiments:get': (id) => this.experiments.get(id),
      'experiments:reproduce': (request) => started(async () => this.reproduce.start(request))(),
      'experiments:cancelReproduce': (id) => this.reproduce.cancel(id),
      'experiments:reproductions': () => this.reproduce.overview(),
      'experiments:reproduceIndex': (id) => this.reproduce.index(id),
      'experiments:reproduceFile': (id, file) => this.reproduce.file(id, file),
      'sweeps:plan': (request) => this.sweeps.plan(this.windowSweep(request)),
      'sweeps:start': (request) => started(() => this.sweeps.start(this.windowSweep(request)))(),
      'sweeps:resume': (id) => started(() => this.sweeps.resume(id))(),
      'sweeps:pause': (id) => this.sweeps.pause(id),
      'sweeps:list': () => this.sweeps.list(),
      'sweeps:get': (id) => this.sweeps.get(id),
    };
  }

  /**
   * Recovers the workspace's runs once (runs a crash left `running` become `interrupted`, leftover `queued` ones
   * `paused`). Every run channel waits for it; the Electron main and `nca-lab serve` call it at start-up.
   */
  start(): Promise<void> {
    // resolved once the watch is on too: a change made right after start() is seen (a watch that cannot start is
    // logged, and the lab runs without it)
    this.started ??= this.runs.init().then(async () => {
      if (this.watchWorkspace) await this.startWatching().then(() => undefined, () => undefined);
    });
    return this.started;
  }

  /**
   * The live workspace: what another process writes (a CLI run's record and metrics, a run
   * folder removed, targets imported) becomes the usual events. Runs this lab trains are left to RunManager, whose
   * own events are more current than the disk.
   */
  private startWatching(): Promise<WorkspaceWatch> {
    this.watch ??= watchWorkspace({
      workspace: this.workspace,
      targetsDir: this.targetsDir(),
      onRun: (change) => this.onRun(change),
      onTargets: () => this.emit('targets:changed', { reason: 'workspace' }),
      // a sweep another process drives (nca-lab sweep): its record is what changed; this lab's own sweeps push their own
      onSweep: (id) => {
        if (!isSweepId(id) || this.sweeps.drivenIds().includes(id)) return;
        void this.sweeps.get(id).then((r) => this.emit('sweep:status', summariseSweep(r)), () => undefined);
      },
      onError: (err) => console.error(`nca-lab: watching the workspace for changes made elsewhere stopped: ${err.message}`),
    });
    // a run whose process has gone without a word (killed) is shown as what it is now
    this.followTimer = setInterval(() => {
      for (const runId of this.followed) {
        void this.runs.ownerElsewhere(runId).then((owner) => owner ?? this.onRun({ runId, record: true, metrics: false }), () => undefined);
      }
    }, FOLLOWED_OWNER_CHECK_MS);
    this.followTimer.unref();
    this.watch.catch((err: unknown) => console.error(`nca-lab: cannot watch the workspace: ${messageOf(err)}`));
    return this.watch;
  }

  /** One change at a time per run: under load a slow read of an older record must not land after a newer one. */
  private onRun(change: RunChange): void {
    const previous = this.runChanges.get(change.runId) ?? Promise.resolve();
    const next = previous.then(() => this.onRunChanged(change)).finally(() => {
      if (this.runChanges.get(change.runId) === next) this.runChanges.delete(change.runId);
    });
    this.runChanges.set(change.runId, next);
  }

  private async onRunChanged(change: RunChange): Promise<void> {
    if (this.runs.activeRunIds().includes(change.runId)) return;
    let info: RunInfo;
    try {
      info = await this.runs.get(change.runId);
    } catch (err) {
      // gone: deleted elsewhere; anything else (a half-written folder) is read again at its next change
      this.followed.delete(change.runId);
      if (err instanceof RunNotFoundError) this.emit('run:deleted', { runId: change.runId });
      return;
    }
    if (info.live?.owner) this.followed.add(change.runId);
    else this.followed.delete(change.runId);
    if (change.record || change.metrics) this.emit('run:status', info);
    if (change.metrics) this.emit('run:metrics', { runId: change.runId });
  }

  private targetsDir(): string {
    return join(this.workspace, RUN_TARGETS_DIR);
  }

  /** For quitting: pauses every training run (checkpoint first) and waits for them. Returns their ids. */
  async close(): Promise<string[]> {
    void this.watch?.then((w) => w.close(), () => undefined);
    if (this.followTimer) clearInterval(this.followTimer);
    this.experiments.cancelAll();
    // the study first: its trainings that ran are stopped with their model, those still waiting removed
    await this.reproduce.cancelAll();
    // sweeps stop driving; their runs are paused below with every other run, and the sweeps resume from there
    await this.sweeps.close();
    return this.runs.stopAll();
  }

  /** Runs training or waiting to train: the desktop app asks before quitting while there are any. */
  activeRunIds(): string[] {
    return this.runs.activeRunIds();
  }

  settings(): LabSettings {
    return { maxConcurrentRuns: this.runs.maxConcurrent, compute: { ...this.compute } };
  }

  updateSettings(patch: Partial<LabSettings>): LabSettings {
    if (patch.maxConcurrentRuns !== undefined) this.runs.setMaxConcurrent(patch.maxConcurrentRuns);
    // runs that start from now on use it; a run training now keeps where it computes until it is resumed
    if (patch.compute !== undefined) this.compute = { ...patch.compute };
    const settings = this.settings();
    writeSettingsKey(this.workspace, 'lab', settings, 'settings');
    // "Runs at once" is the workspace's (runs/training-slots.ts): this lab's waiting runs look at the new limit now
    wakeSlotWaiters();
    this.emit('settings:changed', settings);
    return settings;
  }

  /**
   * A run for a built-in target, or for an imported image: the image is kept in the workspace (targets/, named
   * by its content) and the config names that file, so the run can be resumed and forked later.
   */
  async createRun(request: CreateRunRequest): Promise<RunInfo> {
    if (!request.targetImage) {
      this.checkWindowTarget('runs.create', request.config.target);
      return this.runs.create(request);
    }
    const { fileName, bytesBase64 } = request.targetImage;
    const config = structuredClone(request.config);
    // kept like an import from Targets, so it is listed there and in New Run afterwards
    const kept = await this.targets.keep(fileName, Buffer.from(bytesBase64, 'base64'), config.target.size, config.target.padding);
    config.target.name = kept.file;
    const run = await this.runs.create({ ...request, config, targetImage: undefined }, kept.target);
    this.emit('targets:changed', { reason: 'import' });
    return run;
  }

  /** A window's sweep names only built-in targets or images imported into the workspace, as its runs do. */
  private windowSweep<R extends { target: string; axes: { path: string; kind: string; values?: unknown[] }[] }>(request: R): R {
    const names = [request.target, ...request.axes.filter((a) => a.path === 'target').flatMap((a) => (a.values ?? []).map(String))];
    for (const name of names) {
      const problem = windowTargetProblem(name, undefined, join(this.workspace, RUN_TARGETS_DIR));
      if (problem) throw new Error(`sweeps: target: ${problem}`);
    }
    return request;
  }

  /** A window names only built-in targets or images imported into the workspace (windowTargetProblem). */
  private checkWindowTarget(where: string, target: { name: string; size: number }): void {
    const problem = windowTargetProblem(target.name, target.size, join(this.workspace, RUN_TARGETS_DIR));
    if (problem) throw new Error(`${where}: config.target.name: ${problem}`);
  }

  /**
   * Runs one request that came from outside the process: an unknown channel or malformed arguments is an
   * Error with a message naming the problem, never a handler call with bad input.
   */
  async dispatch(channel: string, args: unknown): Promise<unknown> {
    if (!isLabChannel(channel)) throw new Error(`unknown channel "${channel}"`);
    const parsed = parseChannelArgs(channel, args);
    const handler = this.handlers[channel] as (...a: unknown[]) => Promise<unknown>;
    return handler(...(parsed as unknown[]));
  }

  /** Listens to every pushed event; the Electron wiring and the bridge forward them to their windows. */
  onEvent(listener: LabEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async systemInfo(): Promise<SystemInfo> {
    const [backend, gpus] = await Promise.all([this.selectBackend(), surveyGpus()]);
    return {
      version: packageVersion(),
      backend: backend.name,
      skippedBackends: backend.skipped.map((s) => ({ ...s })),
      cores: availableParallelism(),
      workspace: this.workspace,
      gpu: { adapters: describeSurvey(gpus), auto: (await resolveEngine('auto', async () => gpus)).record },
    };
  }

  private emit<E extends LabEventName>(event: E, payload: LabEvents[E]): void {
    const message = { event, payload } as LabEventMessage;
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        // one broken window must not stop the others from hearing the event
        console.error(`nca-lab: a listener of "${event}" failed:`, err);
      }
    }
  }
}

/** The `lab` key of settings.json: what is valid is taken, anything else ignored (the defaults apply). */
function parseLabSettings(value: unknown): Partial<LabSettings> {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  const { min, max } = LAB_SETTINGS_LIMITS.maxConcurrentRuns;
  const n = v.maxConcurrentRuns;
  const out: Partial<LabSettings> = typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? { maxConcurrentRuns: n } : {};
  try {
    if (v.compute !== undefined) out.compute = parseComputeSettings('settings.json lab.compute', v.compute);
  } catch {
    // a compute setting this lab cannot use: this computer's cores, as if none were saved
  }
  return out;
}
