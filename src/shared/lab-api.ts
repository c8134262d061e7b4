/**
 * LabApi: everything the renderer may ask of the rest of the lab, grouped by domain (CONTRIBUTING.md, "Conventions": one preload
 * object, `lab.targets.list()`, as in Heynote). The renderer sees only this interface; it is implemented by the
 * Electron preload (over ipcRenderer) and by the browser bridge client (over a WebSocket), both built from the
 * one channel map in `ipc.ts`.
 *
 * Adding a domain (runs, models, experiments, settings): declare its request/response shapes here, add a
 * `domain: { method(...): Promise<…> }` member to LabApi, its channels to `LabChannels` and `LAB_API_ROUTES`
 * in ipc.ts, their argument parsers in ipc-schema.ts, and the handlers in LabService. The compiler points at
 * every place that is still missing. Pushed streams (run progress) are entries of `LabEvents`.
 *
 * Everything here crosses a process boundary as JSON or a structured clone: plain objects, strings, numbers.
 */
import type { BackendName } from '../core/backend';
import type { NcaConfig } from '../core/nca/config';
import type { RunRecord } from './run-record';
import type { ComputeRecord } from './compute-engine';
import type { Optimizer, RunConfig } from './training-config';
import type { ModelEvaluation, ModelFileFormat, ModelSource } from './model-source';
import type { ExperimentProgressEvent, ExperimentResults, ExperimentRunRequest, ExperimentSummary } from './experiment';
import type { FigureFile, FigureIndex, ReproduceOverview, ReproduceProgressEvent, ReproduceRequest } from './reproduce';
import type { SweepListing, SweepPlanInfo, SweepRecord, SweepRequest, SweepSummary } from './sweep';
import type { MetricPoint, RunProgressEvent } from './metrics';

export interface SystemInfo {
  /** the lab's package version */
  version: string;
  /** the tfjs backend Node-side compute uses (training workers, CLI) */
  backend: BackendName;
  /** backends tried before `backend` and why they could not be used */
  skippedBackends: { name: BackendName; reason: string }[];
  /** logical CPU cores available to the lab's processes */
  cores: number;
  /** absolute path of the workspace folder */
  workspace: string;
  /** the GPU adapters WebGPU finds here, one line each with their limits or why the lab refuses one (or why there are none), and what a run's `auto` engine takes and why */
  gpu: { adapters: string[]; auto: ComputeRecord };
}

/**
 * A target as it crosses the boundary: the fields of core's `Target`, with the premultiplied pixels as the
 * base64 of their float32 little-endian bytes (exact, and a quarter the size of a JSON number list).
 * Decode with `decodeFloat32Base64` (shared/float32-base64.ts).
 */
export interface TargetData {
  /** built-in name (`carrot-9`) or the imported file's base name */
  name: string;
  builtin: boolean;
  /** the emoji a built-in was made from (`🥕`); absent for imports */
  emoji?: string;
  /** image size before padding */
  size: number;
  /** zero padding on every side */
  padding: number;
  /** canvas = size + 2·padding */
  height: number;
  width: number;
  /** premultiplied RGBA float32, [height][width][4] */
  rgbaF32Base64: string;
  /** for a target kept in the workspace (Targets → Import, or a run's own image): where it is and where it came from */
  imported?: ImportedTargetInfo;
}

/** An imported target kept in the workspace's targets/ folder (services/targets/imported-targets.ts). */
export interface ImportedTargetInfo {
  /** the image's file name in targets/: what targets.rename and targets.delete take */
  id: string;
  /** its absolute path: what a run's config.target.name holds to train on it */
  file: string;
  /** the file the user imported */
  source: string;
  /** ISO 8601 */
  importedAt: string;
}

/** Limits of an imported target, checked at the boundary (ipc-schema.ts) and shown by the import form. */
export const TARGET_IMPORT_LIMITS = {
  size: { min: 1, max: 128 },
  padding: { min: 0, max: 64 },
  /** decoded file size; a 128×128 emoji PNG is ≈20 KB, a photo a few MB */
  maxBytes: 16 * 1024 * 1024,
  nameMaxLength: 200,
} as const;

export interface TargetImportRequest {
  /** the file name as the user chose it (`heart.png`); the target is named after its base name */
  name: string;
  /** the file's bytes (PNG, JPEG or WebP), base64 */
  bytesBase64: string;
  /** the image is fitted into size×size (spec b.2) */
  size: number;
  padding: number;
  /** keep it in the workspace, listed beside the built-ins (default false: a preview only, as New Run's own image) */
  keep?: boolean;
}

// ---- runs ----

/** What a run's current training session is doing (absent when no session runs). */
/** The process that trains a run when it is not this lab's own session: another `nca-lab` on the workspace. */
export interface RunSessionOwner {
  pid: number;
  host: string;
  /** in the lab's words: "nca-lab train", "nca-lab serve", "the NCA Lab app"; null when the system does not say */
  command: string | null;
}

export interface RunLive {
  /**
   * worker processes this session evaluates with (ES: its share of the cores; Adam: gradient workers; 0: in its own
   * process); null for another process's session that did not record it (on a GPU or a cluster)
   */
  workers: number | null;
  /** null: this lab's own session; else the process that trains the run, followed through the run's files */
  owner: RunSessionOwner | null;
  /** ISO 8601: when this session started */
  sessionStartedAt: string;
  /** a pause or stop the user asked for, until the trainer has written its checkpoint and ended */
  requested: 'pause' | 'stop' | null;
  generationsPerSec: number | null;
  mutantsPerSec: number | null;
  iterationsPerSec: number | null;
}

/** A run as the renderer sees it: the stored record, its progress as of the latest event, and its session. */
export interface RunInfo extends RunRecord {
  live: RunLive | null;
  /** 1-based place in the queue while the run waits for a slot, else null */
  queuePosition: number | null;
}

/** A run folder that could not be read; listed so the user can see (and fix) it rather than losing it silently. */
export interface RunFolderProblem {
  id: string;
  message: string;
}

export interface RunListing {
  runs: RunInfo[];
  problems: RunFolderProblem[];
}

/**
 * Progress of a training session (pushed as `run:progress`, at most ~10 a second per run) and one stored metrics
 * row: both declared by the metric table (shared/metrics.ts), so live curves and stored curves are the same; a
 * loss that is not finite (a diverged run) is null.
 */
export type { MetricPoint, RunProgressEvent } from './metrics';

/** A growth evaluation's strip (services/store/evaluation-strips.ts): the newest, or the one at `generation`. */
export interface EvaluationStripRequest {
  runId: string;
  generation?: number;
}

/** The states of one evaluation side by side, and which evaluations have one. */
export interface EvaluationStrip {
  /** the generations / iterations that have a strip, oldest first */
  generations: number[];
  generation: number;
  /** what each column shows: updates from the seed (core/nca/growth-eval.ts EVALUATION_FRAMES) */
  columns: string[];
  /** the strip as PNG, base64: the columns side by side, 1 px apart */
  pngBase64: string;
}

export interface MetricsRequest {
  runId: string;
  /** thin the rows evenly to at most this many (growth-evaluation rows and the last row are always kept) */
  maxPoints?: number;
}

/** An imported image for a run's target: the file's bytes, decoded by the lab at the config's size and padding. */
export interface RunTargetImage {
  fileName: string;
  bytesBase64: string;
}

export interface CreateRunRequest {
  config: RunConfig;
  name?: string;
  tags?: string[];
  notes?: string;
  /** for a target that is not a built-in: the image (config.target.name is then set from its file name) */
  targetImage?: RunTargetImage;
  /** queue it for training at once (default); false leaves it paused until resumed */
  start?: boolean;
}

export interface ForkRunRequest {
  /** the run to fork and the checkpoint (generation) to start from */
  runId: string;
  generation: number;
  /** the new run's config (same optimizer, model and target canvas); default: the source run's */
  config?: RunConfig;
  name?: string;
  tags?: string[];
  /** default true */
  start?: boolean;
}

export interface CheckpointSummary {
  generation: number;
  bytes: number;
}

export const RUN_TEXT_LIMITS = {
  nameMaxLength: 200,
  tagMaxLength: 40,
  maxTags: 20,
  notesMaxLength: 20_000,
  metricsMaxPoints: { min: 10, max: 1_000_000 },
} as const;

// ---- models ----

export interface ModelParamsRequest {
  runId: string;
  /** a checkpoint's generation; absent: the newest checkpoint (the run's current parameters), else its model */
  generation?: number;
}

/** A model's parameters, enough to grow it anywhere (core/nca/fused.ts). */
export interface ModelParams {
  runId: string;
  generation: number;
  source: 'checkpoint' | 'model';
  nca: NcaConfig;
  /** flat float32 parameters in the layout of core/nca/config.ts, base64 (float32-base64.ts) */
  paramsF32Base64: string;
  /** the canvas the run trains on */
  height: number;
  width: number;
}

/** A run whose parameters can be grown (the playground's model list): its checkpoints and whether it has a model/. */
export interface ModelSummary {
  runId: string;
  name: string;
  optimizer: Optimizer;
  preset: string;
  status: RunRecord['status'];
  /** the target it trains on (built-in name or image file), its size and padding */
  target: { name: string; size: number; padding: number };
  /** the canvas it trains on */
  height: number;
  width: number;
  /** the generations of its checkpoints, oldest first */
  checkpoints: number[];
  /** whether model/ (its final parameters) exists */
  hasModel: boolean;
  /** the model its parameters run in (what a run fine-tuned from it must match) */
  nca: NcaConfig;
  bestLoss: number | null;
}

/**
 * Limits of model files opened from disk (models.open), checked by the playground before reading and at the
 * boundary. A lizard checkpoint with its sample pool is ≈18 MB; over the browser bridge the request travels in
 * parts (bridge-protocol.ts), so the limit is the memory a window should hold, not a frame size.
 */
export const MODEL_FILE_LIMITS = { maxFiles: 2, maxBytes: 64 * 1024 * 1024, nameMaxLength: 200 } as const;

/**
 * A model the user picked from disk: a model folder's model.json and weights.bin, or one checkpoint file (.nckpt),
 * as file names and base64 bytes. The lab reads them with the same checks as `nca-lab grow`.
 */
export interface ModelFilesRequest {
  files: { name: string; bytesBase64: string }[];
}

/** A model opened from files: its parameters, the canvas it was trained on and its target when the lab has it. */
export interface OpenedModel {
  /** the folder's or file's name */
  name: string;
  nca: NcaConfig;
  /** flat float32 parameters, base64 (float32-base64.ts) */
  paramsF32Base64: string;
  /** the canvas it was trained on, when the file says (null: unknown) */
  height: number | null;
  width: number | null;
  /** the target it was trained on, when the lab can load it (a built-in, or an image file that still exists) */
  target: TargetData | null;
  /** why `target` is null */
  targetProblem: string | null;
  runId: string | null;
  generation: number | null;
  /** the built-in or imported model it is (models.openLibrary, or a Distill file imported on opening) */
  libraryId?: string;
}

/** A built-in model of the gallery or one imported into the workspace (services/models/model-library.ts). */
export interface LibraryModelInfo {
  kind: 'builtin' | 'imported';
  /** its folder name: `nca-lab grow ID` takes it */
  id: string;
  name: string;
  nca: NcaConfig;
  paramCount: number;
  /** the target it was trained on, when known */
  target: { name: string; size: number; padding: number } | null;
  /** its training canvas side (target size + 2·padding), or null when unknown */
  canvas: number | null;
  origin: ModelSource | null;
  /** losses after 40/200/1000 updates from the seed, measured on import or build */
  evaluation: ModelEvaluation | null;
  /** thumbnail.png (the model after 200 updates) as base64, or null */
  thumbnailPngBase64: string | null;
}

/** Any model the workspace knows: a run's (its model/, or a checkpoint) or a built-in or imported one. */
export type ModelRef = { kind: 'run'; runId: string; generation?: number } | { kind: 'library'; id: string };

/** Files to save (an exported model: one file), as names and base64 bytes. */
export interface ModelFileSet {
  files: { name: string; bytesBase64: string }[];
}

// ---- settings ----

export interface LabSettings {
  /** how many runs train at once; more wait in the queue (1 to 64; default: the number of cores) */
  maxConcurrentRuns: number;
  /** Settings → Compute: where ES runs evaluate their population */
  compute: ComputeSettings;
}

/** "this computer's cores" and/or "cluster" (a Redis URL that `nca-lab worker`s serve); at least one of them. */
export interface ComputeSettings {
  localCores: boolean;
  /** redis://… or rediss://…, null = no cluster */
  cluster: string | null;
}

export const LAB_SETTINGS_LIMITS = { maxConcurrentRuns: { min: 1, max: 64 }, compute: { clusterUrlMaxLength: 500 } } as const;

/** One worker on the cluster, as Settings → Compute lists it. */
export interface ClusterWorkerInfo {
  id: string;
  host: string;
  cores: number;
  /** jobs at once */
  concurrency: number;
  /** measured at its start (15×15 thesis ES) */
  mutantsPerSec: number;
  labVersion: string;
  kernel: string;
  /** computes the same floats as this lab (else it refuses this lab's runs) */
  compatible: boolean;
  /** why not, naming the difference */
  incompatibility: string | null;
  /** what it is doing now */
  activity: string[];
  /** 'local': a lab's own cores; 'remote': `nca-lab worker` */
  label: string;
}

/** The answer to "test connection". */
export interface ClusterStatus {
  ok: boolean;
  /** the URL with its password masked */
  address: string;
  /** "Redis 7.0.15, 0.4 ms", or what failed */
  message: string;
  workers: ClusterWorkerInfo[];
}

/** Events the lab pushes to every window / browser tab: event name → payload. */
export interface LabEvents {
  /** a target was imported (by any window), so every open gallery can list it */
  'targets:imported': TargetData;
  /** the workspace's imported targets changed (kept, renamed or deleted here, or by another process): list them again */
  'targets:changed': { reason: 'import' | 'rename' | 'delete' | 'workspace' };
  /** a run's stored metrics changed on disk outside this lab's own training (a CLI run on the same workspace) */
  'run:metrics': { runId: string };
  /** a run was created or changed: status, name, tags, notes, queue position, progress at a checkpoint */
  'run:status': RunInfo;
  /** a training session's progress (throttled) */
  'run:progress': RunProgressEvent;
  /** a run was deleted */
  'run:deleted': { runId: string };
  /** the settings changed (by any window) */
  'settings:changed': LabSettings;
  /** a running experiment's progress, and its end (done, failed or cancelled) */
  'experiment:progress': ExperimentProgressEvent;
  /** the thesis study's progress (trainings, suite, Table 2, figures), and its end (done, failed or cancelled) */
  'reproduce:progress': ReproduceProgressEvent;
  /** a sweep was made or changed (a run made or measured, a halving, its status); throttled while it runs */
  'sweep:status': SweepSummary;
}

export type LabEventName = keyof LabEvents;

/** One pushed event as a tagged value: what the bridge sends as `{event, payload}`. */
export type LabEventMessage = { [E in LabEventName]: { event: E; payload: LabEvents[E] } }[LabEventName];

export type Unsubscribe = () => void;

export interface LabApi {
  system: {
    info(): Promise<SystemInfo>;
  };
  targets: {
    /** the built-in targets (resources/targets), then the workspace's imported ones (newest first), with their pixels */
    list(): Promise<TargetData[]>;
    /** decodes an image file and returns it as a target (kept in the workspace with `keep`); rejects with a message that names the problem */
    import(request: TargetImportRequest): Promise<TargetData>;
    /** renames an imported target (its id is `imported.id`) */
    rename(id: string, name: string): Promise<TargetData>;
    /** removes an imported target from the workspace (refused while a run trains on it) */
    delete(id: string): Promise<void>;
  };
  runs: {
    /** every run, newest first, and the run folders that could not be read */
    list(): Promise<RunListing>;
    get(runId: string): Promise<RunInfo>;
    /** creates a run (validated config) and, unless `start: false`, queues it for training */
    create(request: CreateRunRequest): Promise<RunInfo>;
    /** a paused, stopped, failed or interrupted run continues from its newest checkpoint (queued when no slot is free) */
    resume(runId: string): Promise<RunInfo>;
    /** checkpoints and ends the session; resolves once the run is paused */
    pause(runId: string): Promise<RunInfo>;
    /** checkpoints, writes the model and ends the session; resolves once the run is stopped */
    stop(runId: string): Promise<RunInfo>;
    /** removes the run's folder (refused while it trains) */
    delete(runId: string): Promise<void>;
    /** a new run that starts from a checkpoint of another (its metrics up to there are copied) */
    fork(request: ForkRunRequest): Promise<RunInfo>;
    metrics(request: MetricsRequest): Promise<MetricPoint[]>;
    checkpoints(runId: string): Promise<CheckpointSummary[]>;
    /** a growth evaluation's strip of the model growing; null before the first evaluation */
    evaluationStrip(request: EvaluationStripRequest): Promise<EvaluationStrip | null>;
    /** the exact target the run trains on */
    target(runId: string): Promise<TargetData>;
    rename(runId: string, name: string): Promise<RunInfo>;
    setTags(runId: string, tags: string[]): Promise<RunInfo>;
    setNotes(runId: string, notes: string): Promise<RunInfo>;
  };
  models: {
    /** the parameters of a run's checkpoint or model, for growing it in the window */
    params(request: ModelParamsRequest): Promise<ModelParams>;
    /** every run with parameters on disk (a model or a checkpoint), newest first */
    list(): Promise<ModelSummary[]>;
    /**
     * reads a model from files the user picked; rejects with a message that names the file and the problem.
     * A Distill demo file is imported into the workspace's models (the lab's format) and opened from there.
     */
    open(request: ModelFilesRequest): Promise<OpenedModel>;
    /** the built-in models in gallery order, then the workspace's imported ones */
    library(): Promise<LibraryModelInfo[]>;
    /** a built-in or imported model's parameters and target, for growing it in the window */
    openLibrary(id: string): Promise<OpenedModel>;
    /** imports picked model files (Distill demo JSON, a model folder's files, a checkpoint) into the workspace */
    import(request: ModelFilesRequest): Promise<LibraryModelInfo[]>;
    /** deletes an imported model (built-ins cannot be deleted) */
    remove(id: string): Promise<void>;
    /**
     * a model as one file to save: the lab's (`<id>.nca-model.json`, which imports back with its name and metadata)
     * or the Distill demo's JSON (with the lab's provenance, so it imports back in its own shape)
     */
    export(ref: ModelRef, format: ModelFileFormat): Promise<ModelFileSet>;
  };
  settings: {
    get(): Promise<LabSettings>;
    update(patch: Partial<LabSettings>): Promise<LabSettings>;
  };
  cluster: {
    /** connects to the cluster at `url` and lists its workers (never rejects for an unreachable Redis: `ok` says) */
    test(url: string): Promise<ClusterStatus>;
  };
  experiments: {
    /** starts a suite on saved runs in the workers and answers at once; progress comes as `experiment:progress` */
    run(request: ExperimentRunRequest): Promise<{ id: string }>;
    /** cancels a running experiment (nothing of it is saved) */
    cancel(id: string): Promise<void>;
    /** the stored experiments of the workspace, newest first */
    list(): Promise<ExperimentSummary[]>;
    /** a stored experiment's results (curves, frames, settings) */
    get(id: string): Promise<ExperimentResults>;
    /**
     * Reproduces the thesis's study: queues its 16 trainings (they show in Runs and share the cores with other
     * runs), runs the `thesis` suite on them, measures Table 2 and writes the chapter-6 figure set into
     * <workspace>/reproduce/<id>/. Answers at once; progress comes as `reproduce:progress`. One study at a time.
     */
    reproduce(request: ReproduceRequest): Promise<{ id: string }>;
    /** cancels a study: trainings that ran are stopped (checkpoint and model kept), ones still waiting are removed */
    cancelReproduce(id: string): Promise<void>;
    /** the quick and full budgets, and every study of the workspace (running, ended in this session, finished on disk), newest first */
    reproductions(): Promise<ReproduceOverview>;
    /** a finished study's figure index (index.html as data) */
    reproduceIndex(id: string): Promise<FigureIndex>;
    /** one file of a finished study's figure set (listed in its index) */
    reproduceFile(id: string, file: string): Promise<FigureFile>;
  };
  sweeps: {
    /** checks a sweep request and says what it would train: configurations, runs, the estimated time; makes nothing */
    plan(request: SweepRequest): Promise<SweepPlanInfo>;
    /** makes the sweep and starts it: its runs go through the queue; progress comes as `sweep:status` */
    start(request: SweepRequest): Promise<SweepSummary>;
    /** an interrupted or paused sweep goes on where it stopped (paused runs resume, missing ones are made) */
    resume(id: string): Promise<SweepSummary>;
    /** pauses the sweep and its runs (each writes a checkpoint first) */
    pause(id: string): Promise<SweepSummary>;
    /** every sweep of the workspace, newest first, and the folders that could not be read */
    list(): Promise<SweepListing>;
    /** a sweep's record: its request, configurations, runs, final models, halving decisions, experiments */
    get(id: string): Promise<SweepRecord>;
  };
  /** Subscribes to a pushed event; returns the function that unsubscribes. */
  on<E extends LabEventName>(event: E, listener: (payload: LabEvents[E]) => void): Unsubscribe;
}

/** How an error crosses the boundary: only its message (stacks and paths of the other process stay there). */
export interface LabErrorData {
  message: string;
}
