/**
 * LabStore: the workspace folder on disk (docs/architecture.md, "Data on disk"), with no Electron import. The ES and
 * Adam trainers, the run manager, the CLI and the browser bridge all read and write runs through it.
 *
 *   <workspace>/runs/<id>/run.json        the RunRecord (shared/run-record.ts), rewritten atomically
 *                         metrics.jsonl   append-only JSON lines (metrics-log.ts)
 *                         target.png      the exact unpadded RGBA8 target the run trains on (thumbnails, resume)
 *                         checkpoints/    ckpt-<generation, 9 digits>.nckpt (checkpoint-format.ts), newest `keep`
 *                         model/          model.json + weights.bin in the tfjs weights format (model-format.ts)
 *                         start/          the same for the parameters a fine-tuned run started from (config.startFrom),
 *                                         copied at creation so the run needs its source no more
 *                         run.log         what the lab had to say about the run: skipped checkpoints, recomputed
 *                                         rows, worker restarts (one timestamped line each, appended)
 *
 * Nothing is half-written under a real name: every file is written to a temporary file and renamed (atomic-file.ts);
 * a run folder is assembled under a hidden name and renamed into place; a deleted run is first renamed away.
 * Hidden entries (`.name`) in runs/ are never runs. Nothing is deleted because it could not be read: a broken
 * run.json is reported (with the file and the field), and the folder is left for the user to inspect.
 *
 * Writes to one run's record, metrics, checkpoints and model are serialised within a process. One process trains
 * a run at a time (the run manager's job): two processes writing the same run would interleave their records.
 *
 * Why one file of this length: every write to a run folder (records, metrics, checkpoints, models, targets, the
 * resume preparation) goes through this class so that the atomic-write, lock and crash rules live in one place;
 * the file formats themselves are in checkpoint-format.ts, model-format.ts and metrics-log.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { paramCount, paramLayout, type NcaConfig } from '../../core/nca/config';
import type { Target } from '../../core/targets/target';
import {
  emptyProgress, parseRunPatch, parseRunRecord, runRecordToJson, stepWord,
  type Checkpoint, type MetricRow, type RunPatch, type RunRecord, type RunVersions,
} from '../../shared/run-record';
import { defaultRunName } from '../../shared/run-names';
import { configProblems, ncaConfigOf, upgradeRunConfig, validateRunConfig, type RunConfig, type TargetRef } from '../../shared/training-config';
import { startShapeRefusal } from '../../shared/start-model';
import { packageVersion } from '../resources/package-paths';
import { writePng } from '../export/png';
import { resolveTarget } from '../targets/targets';
import { nodeStoreFs, writeBytesAtomic, type StoreFs } from './atomic-file';
import { makeFolder } from './writable-dir';
import { readRunTarget, TARGET_PNG, targetPixelsSha256 } from './run-target';
import { removeLeftoverTemps } from './leftovers';
import {
  CHECKPOINT_MAGIC, CheckpointFormatError, checkpointFileName, generationOfCheckpointFile, readCheckpointFile, writeCheckpointFile,
} from './checkpoint-format';
import { checkCheckpointFor } from './checkpoint-checks';
import {
  appendMetricRows, METRICS_FILE, readIntactMetricRows, readLastMetricRows, readMetricLog, readMetricRows, truncateMetricRowsAfter, writeMetricRows,
  type MetricsAppend,
} from './metrics-log';
import { encodeModel, encodeModelFile, firstNonFinite, MODEL_JSON, ModelFormatError, readModelFolder, WEIGHTS_BIN, type LoadedModel } from './model-format';
import { messageOf } from '../../shared/validate';
import { runLockOwner } from '../training/run-lock';

export { TARGET_PNG };
export const RUNS_DIR = 'runs';
export const RUN_JSON = 'run.json';
export const CHECKPOINTS_DIR = 'checkpoints';
export const MODEL_DIR = 'model';
export const START_DIR = 'start';
export const DEFAULT_CHECKPOINT_KEEP = 3;
export const RUN_LOG = 'run.log';
/** Suffix a checkpoint that could not be read gets when a resume moves it aside (kept for inspection). */
export const UNREADABLE_CHECKPOINT_SUFFIX = '.unreadable';

/** Where a resumed session starts, and what had to be set aside to start there. */
export interface ResumePoint {
  /** the checkpoint to continue from; null: from the beginning */
  checkpoint: LoadedCheckpoint | null;
  /** the generation training continues after (the checkpoint's, or 0) */
  generation: number;
  /** the metrics rows kept (those up to `generation`) and how many later ones were cut */
  rowsKept: number;
  rowsDropped: number;
  /** the last evaluation row kept, so the run's progress still shows its last growth losses */
  lastEvalRow: MetricRow | null;
  /** one sentence per thing set aside (an unreadable checkpoint, a checkpoint ahead of its metrics, a bad row) */
  notes: string[];
}

/** A run folder that could not be listed, and why. */
export interface RunProblem {
  /** the folder name under runs/ */
  id: string;
  dir: string;
  message: string;
}

export interface CreateRunOptions {
  name?: string;
  backend: string | null;
  tags?: string[];
  notes?: string;
  forkedFrom?: { runId: string; generation: number };
  /** the sweep the run is made for, and its place in it (shared/sweep.ts) */
  sweep?: { id: string; index: number };
  /** the target already resolved (an imported image); otherwise resolved from config.target */
  target?: Target;
  /** the parameters the run starts from, with their model: required exactly when config.startFrom is set */
  startModel?: StartParams;
}

/** The parameters a fine-tuned run starts from (runs/<id>/start/) and the model they belong to. */
export interface StartParams {
  nca: NcaConfig;
  params: Float32Array;
}

/** A checkpoint as read back, with the file it came from and the newer files that could not be read. */
export type LoadedCheckpoint = Checkpoint & { file: string; fallbacks: { file: string; problem: string }[] };

export interface CheckpointInfo {
  generation: number;
  /** absolute path */
  file: string;
  bytes: number;
}

export interface LabStoreOptions {
  /** fs calls used for atomic writes (a test injects a failing write here) */
  fs?: StoreFs;
  /** versions recorded in new runs; default: this lab, tfjs, Node and Electron when present */
  versions?: RunVersions;
  now?: () => Date;
  /** told about each run folder `listRuns` skips; default: a process warning */
  onProblem?: (problem: RunProblem) => void;
}

/** A run id that names no run folder. */
/** Why a run whose record says `running` while no process trains it is interrupted, and where resume continues. */
export function cutOffReason(r: Pick<RunRecord, 'optimizer' | 'checkpointGeneration'>): string {
  const from = r.checkpointGeneration === null
    ? 'no checkpoint had been written, so it restarts from the beginning'
    : `resume continues from the checkpoint at ${stepWord(r.optimizer)} ${r.checkpointGeneration}`;
  return `the process training it stopped while it ran (crash, kill or power loss); ${from}`;
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
  constructor(readonly runId: string, runsDir: string) {
    super(`no run "${runId}" in ${runsDir}`);
  }
}

/** A run folder whose run.json is missing or malformed; the folder is left as it is. */
export class RunRecordError extends Error {
  override name = 'RunRecordError';
  constructor(readonly runId: string, readonly file: string, problem: string) {
    super(`run "${runId}": ${file} ${problem}; the folder was left as it is`);
  }
}

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id) && !id.includes('..');
}

/**
 * `20261125-184700-es-carrot-9-ab12`: UTC creation time (so ids sort by age on every machine), optimizer,
 * target, 4 random hex digits (two runs started in the same second differ).
 */
export function makeRunId(now: Date, optimizer: string, targetName: string, random = randomBytes(2).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  // an imported image is named by its path: keep its base name without the extension
  const base = targetName.split(/[\\/]/).pop()!.replace(/\.(png|jpe?g|webp)$/i, '');
  const slug = base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 32).replace(/-+$/, '') || 'target';
  return `${stamp}-${optimizer}-${slug}-${random}`;
}

// Per-run write queues, shared by every LabStore of the process (the bridge and the run manager may each hold one).
const queues = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, job: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(job, job);
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function defaultVersions(): Promise<RunVersions> {
  const tf = await import('@tensorflow/tfjs');
  const electron = process.versions.electron;
  return { lab: packageVersion(), tfjs: tf.version.tfjs, node: process.version, ...(electron ? { electron } : {}) };
}


export class LabStore {
  readonly workspace: string;
  readonly runsDir: string;
  private readonly fs: StoreFs;
  private readonly now: () => Date;
  private readonly versions: RunVersions | undefined;
  private readonly onProblem: (problem: RunProblem) => void;
  /** runs whose leftover temporary files this store has removed (once each: a listing then reads only) */
  private readonly swept = new Set<string>();

  constructor(workspace: string, options: LabStoreOptions = {}) {
    this.workspace = resolve(workspace);
    this.runsDir = join(this.workspace, RUNS_DIR);
    this.fs = options.fs ?? nodeStoreFs;
    this.now = options.now ?? (() => new Date());
    this.versions = options.versions;
    this.onProblem = options.onProblem ?? ((p) => process.emitWarning(`skipped run folder ${p.dir}: ${p.message}`, 'NcaLabWorkspaceWarning'));
  }

  /** The folder of run `id` (whether or not it exists); refuses ids that are not plain folder names. */
  runDir(id: string): string {
    if (typeof id !== 'string' || !isValidRunId(id)) {
      throw new RangeError(`invalid run id ${JSON.stringify(id)}: letters, digits, '.', '_' and '-' only, starting with a letter or digit`);
    }
    return join(this.runsDir, id);
  }

  // ---- runs ----

  async createRun(config: RunConfig, opts: CreateRunOptions): Promise<RunRecord> {
    const cfg = validateRunConfig(structuredClone(config));
    if (opts.forkedFrom) {
      const { runId, generation } = opts.forkedFrom;
      if (!Number.isSafeInteger(generation) || generation < 0) throw new RangeError(`forkedFrom.generation must be an integer ≥ 0, got ${generation}`);
      await this.getRun(runId);
    }
    const start = cfg.startFrom ? opts.startModel : undefined;
    if (cfg.startFrom && !start) throw new RangeError(`config.startFrom names ${cfg.startFrom.label}, but no parameters were given to start from`);
    if (!cfg.startFrom && opts.startModel) throw new RangeError('start parameters were given, but config.startFrom is null (a fresh initialisation)');
    const startFile = start ? this.startModelFiles(cfg, start) : null;
    const target = opts.target ?? await resolveTarget(cfg.target.name, { size: cfg.target.size, padding: cfg.target.padding });
    if (target.size !== cfg.target.size || target.padding !== cfg.target.padding) {
      throw new RangeError(`target ${target.name} is ${target.size} px with padding ${target.padding}, the config says ${cfg.target.size} px with padding ${cfg.target.padding}`);
    }
    const versions = this.versions ?? await defaultVersions();
    const created = this.now();
    await makeFolder(this.runsDir, 'the workspace\'s runs folder');

    for (let attempt = 0; ; attempt++) {
      const id = makeRunId(created, cfg.optimizer, cfg.target.name);
      // the id's random tail tells two runs of the same preset and target apart in lists and logs
      // an imported image's file carries its content hash (heart-1a2b3c4d.png): the name shows the image's own name
      const name = opts.name?.trim() || defaultRunName(cfg.preset, target.name.replace(/-[0-9a-f]{8}$/, ''), id);
      const record = parseRunRecord(runRecordToJson({
        formatVersion: 1, id, name, optimizer: cfg.optimizer, preset: cfg.preset, config: cfg,
        status: 'queued', statusReason: null, createdAt: created.toISOString(), updatedAt: created.toISOString(),
        backend: opts.backend, versions, progress: emptyProgress(), tags: [...(opts.tags ?? [])], notes: opts.notes ?? '',
        forkedFrom: opts.forkedFrom ? { ...opts.forkedFrom } : null, checkpointGeneration: null, resumeNotice: null, compute: null, workers: null,
        sweep: opts.sweep ? { ...opts.sweep } : null, targetSha256: targetPixelsSha256(target),
      }));
      // Assemble under a hidden name, then rename into place: a listing never sees half a run.
      const staging = join(this.runsDir, `.creating-${id}-${randomBytes(3).toString('hex')}`);
      try {
        await mkdir(join(staging, CHECKPOINTS_DIR), { recursive: true });
        await mkdir(join(staging, MODEL_DIR));
        await writeBytesAtomic(join(staging, RUN_JSON), JSON.stringify(runRecordToJson(record), null, 2) + '\n', { what: 'run record', fs: this.fs });
        await writePng(join(staging, TARGET_PNG), target.rgbaU8, target.size, target.size);
        if (startFile) {
          await mkdir(join(staging, START_DIR));
          await writeBytesAtomic(join(staging, START_DIR, WEIGHTS_BIN), startFile.weights, { what: 'start parameters', fs: this.fs });
          await writeBytesAtomic(join(staging, START_DIR, MODEL_JSON), JSON.stringify(startFile.modelJson, null, 2) + '\n', { what: 'start model description', fs: this.fs });
        }
        if (await exists(join(this.runsDir, id))) throw Object.assign(new Error('id taken'), { code: 'EEXIST' });
        await this.fs.rename(staging, join(this.runsDir, id));
        return record;
      } catch (err) {
        await rm(staging, { recursive: true, force: true }).catch(() => undefined);
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'EEXIST' || code === 'ENOTEMPTY') && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** start/'s files for a new run: refused (naming both shapes) when the parameters do not fit the run's model. */
  private startModelFiles(cfg: RunConfig, start: StartParams) {
    const refusal = startShapeRefusal(cfg.startFrom!.label, start.nca, cfg.model);
    if (refusal) throw new RangeError(refusal);
    return encodeModelFile(start.params, {
      nca: start.nca, target: null, config: null, generation: null, loss: null, runId: null,
      labVersion: this.versions?.lab ?? packageVersion(), now: this.now(), name: cfg.startFrom!.label,
    });
  }

  /**
   * The parameters a fine-tuned run starts from (start/, written when it was created), checked against the run's
   * model; null for a run that starts from a fresh initialisation.
   */
  async readStartModel(id: string): Promise<StartParams | null> {
    const record = await this.getRun(id);
    const from = record.config.startFrom;
    if (!from) return null;
    const folder = join(this.runDir(id), START_DIR);
    let loaded: LoadedModel;
    try {
      loaded = await readModelFolder(join(folder, MODEL_JSON), (n) => join(folder, n));
    } catch (err) {
      throw new Error(`run "${id}" starts from ${from.label}, but its copy of those parameters cannot be read: ${messageOf(err)}`, { cause: err });
    }
    const refusal = startShapeRefusal(from.label, loaded.nca, record.config.model);
    if (refusal) throw new Error(`run "${id}": ${folder}: ${refusal}`);
    return { nca: loaded.nca, params: loaded.params };
  }

  /** The run's record; a clear error naming the id when the folder is missing or run.json is malformed. */
  async getRun(id: string): Promise<RunRecord> {
    const dir = this.runDir(id);
    return this.readRecordIn(dir, id);
  }

  private async readRecordIn(dir: string, id: string): Promise<RunRecord> {
    const file = join(dir, RUN_JSON);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!(await exists(dir))) throw new RunNotFoundError(id, dirname(dir));
        throw new RunRecordError(id, file, 'is missing');
      }
      throw new RunRecordError(id, file, `cannot be read (${messageOf(err)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new RunRecordError(id, file, `is malformed: not JSON (${messageOf(err)})`);
    }
    let record: RunRecord;
    try {
      record = parseRunRecord(json);
    } catch (err) {
      throw new RunRecordError(id, file, `is malformed: ${messageOf(err)}`);
    }
    if (record.id !== basename(dir)) {
      throw new RunRecordError(id, file, `is malformed: it says id ${JSON.stringify(record.id)}, but its folder is ${JSON.stringify(basename(dir))}`);
    }
    return record;
  }

  /**
   * Every run (newest first) and every folder that is not a readable run, with the reason. Never throws for a
   * broken folder; hidden entries (staging and deleting folders) are ignored. The first listing of a run by this
   * store removes the temporary files that killed processes left in it (leftovers.ts).
   */
  async scanRuns(): Promise<{ runs: RunRecord[]; problems: RunProblem[] }> {
    let entries;
    try {
      entries = await readdir(this.runsDir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], problems: [] };
      throw err;
    }
    const runs: RunRecord[] = [];
    const problems: RunProblem[] = [];
    const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    await Promise.all(folders.map(async (e) => {
      const dir = join(this.runsDir, e.name);
      try {
        if (!isValidRunId(e.name)) throw new Error(`"${e.name}" is not a run id`);
        runs.push(await this.readRecordIn(dir, e.name));
        if (!this.swept.has(e.name)) {
          this.swept.add(e.name);
          await removeLeftoverTemps(dir).catch(() => undefined);
        }
      } catch (err) {
        problems.push({ id: e.name, dir, message: messageOf(err) });
      }
    }));
    runs.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : Date.parse(b.createdAt) - Date.parse(a.createdAt)));
    problems.sort((a, b) => (a.id < b.id ? 1 : -1));
    return { runs, problems };
  }

  /**
   * Every readable run, newest first. A folder with a broken run.json is skipped and reported to `onProblem`
   * (default: a process warning); `scanRuns` returns the problems instead. The list never fails because of one run.
   */
  async listRuns(): Promise<RunRecord[]> {
    const { runs, problems } = await this.scanRuns();
    for (const p of problems) this.onProblem(p);
    return runs;
  }

  /** Changes the fields in `patch` (validated; others are refused) and rewrites run.json atomically. */
  async updateRun(id: string, patch: RunPatch): Promise<RunRecord> {
    const dir = this.runDir(id);
    const changes = parseRunPatch(patch);
    return serialised(`${dir}#record`, async () => {
      const current = await this.getRun(id);
      const { stop, ...rest } = changes;
      const next: RunRecord = { ...current, ...rest, updatedAt: this.now().toISOString() };
      if (stop) next.config = validateRunConfig({ ...current.config, stop });
      await writeBytesAtomic(join(dir, RUN_JSON), JSON.stringify(runRecordToJson(next), null, 2) + '\n', { what: 'run record', fs: this.fs });
      return next;
    });
  }

  /**
   * Removes a run folder (renamed away first, so a crash mid-delete leaves no half run behind). A run whose
   * record says `running` is refused unless `force` (stop it first); a broken run.json does not block deletion.
   */
  async deleteRun(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const dir = this.runDir(id);
    if (!(await exists(dir))) throw new RunNotFoundError(id, this.runsDir);
    if (!opts.force) {
      const record = await this.getRun(id).catch((err) => (err instanceof RunRecordError ? null : Promise.reject(err)));
      if (record?.status === 'running') throw new Error(`run "${id}" is running; stop it before deleting it`);
    }
    const trash = join(this.runsDir, `.deleting-${id}-${randomBytes(3).toString('hex')}`);
    await this.fs.rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * At start-up: every run whose record still says `running` and whose lock no live process holds was cut off
   * (crash, kill, power loss) and becomes `interrupted`, resumable from its last checkpoint. A run another process
   * trains now (`nca-lab train` beside the window) keeps running: its owner writes its record. Returns the ids.
   */
  async markInterrupted(): Promise<string[]> {
    const { runs } = await this.scanRuns();
    const ids: string[] = [];
    for (const r of runs.filter((x) => x.status === 'running')) {
      if ((await runLockOwner(this.runDir(r.id))) !== null) continue;
      await this.updateRun(r.id, { status: 'interrupted', statusReason: cutOffReason(r) });
      ids.push(r.id);
    }
    return ids;
  }

  /** The target the run trains on (run-target.ts): its target.png, checked against the pixels it was created with. */
  async loadRunTarget(id: string): Promise<Target> {
    return readRunTarget(this.runDir(id), await this.getRun(id));
  }

  // ---- metrics ----

  private async requireRun(id: string): Promise<string> {
    const dir = this.runDir(id);
    if (!(await exists(join(dir, RUN_JSON)))) {
      if (!(await exists(dir))) throw new RunNotFoundError(id, this.runsDir);
    }
    return dir;
  }

  /** Appends rows as JSON lines in one write (validated first; nothing is written if one is bad). */
  async appendMetrics(id: string, rows: MetricRow[]): Promise<MetricsAppend> {
    const dir = await this.requireRun(id);
    return serialised(`${dir}#metrics`, () => appendMetricRows(join(dir, METRICS_FILE), rows));
  }

  /** Every complete row and the log's size in bytes, read at once (a trainer's start point for noticing changes). */
  async readMetricLog(id: string): Promise<{ rows: MetricRow[]; bytes: number }> {
    const dir = await this.requireRun(id);
    return serialised(`${dir}#metrics`, () => readMetricLog(join(dir, METRICS_FILE)));
  }

  /** Replaces the run's whole metrics log with `rows`, atomically; returns its size in bytes. */
  async rewriteMetrics(id: string, rows: MetricRow[]): Promise<number> {
    const dir = await this.requireRun(id);
    return serialised(`${dir}#metrics`, () => writeMetricRows(join(dir, METRICS_FILE), rows, this.fs));
  }

  /** Every complete row; a torn last line (a crash mid-write) is ignored. */
  async readMetrics(id: string): Promise<MetricRow[]> {
    const dir = await this.requireRun(id);
    return serialised(`${dir}#metrics`, () => readMetricRows(join(dir, METRICS_FILE)));
  }

  /** The newest rows only (the log's last stretch): what a watcher of another process's run needs. */
  async readLastMetrics(id: string): Promise<MetricRow[]> {
    const dir = await this.requireRun(id);
    return readLastMetricRows(join(dir, METRICS_FILE));
  }

  /** For resume: drops the rows after `generation` (the checkpoint's), atomically. */
  async truncateMetricsAfter(id: string, generation: number): Promise<void> {
    const dir = await this.requireRun(id);
    await serialised(`${dir}#metrics`, () => truncateMetricRowsAfter(join(dir, METRICS_FILE), generation, this.fs));
  }

  /**
   * Before a session trains (the run lock held): picks the state the run continues from and cuts the metrics back
   * to it, so that after any crash the metrics equal an uninterrupted run's row for row.
   *
   *  - The newest checkpoint that reads back intact and is usable. An unreadable one (truncated, bit-flipped, bad
   *    header) or one that lies (another run's, non-finite numbers: checkpoint-checks.ts) is renamed to
   *    `<name>.unreadable` (kept for inspection, never read again) and named in the notes.
   *  - Whose rows are all in the metrics log: `lastRowAt(g)` is the generation of the last row a run keeps up to
   *    g; a checkpoint newer than the log's last intact row (rows lost in a power cut, a damaged line) is removed,
   *    since training from the older one recomputes it, bit for bit, together with its rows.
   *  - Metrics rows after that state are cut (also when there is no checkpoint: then every row goes), and a
   *    damaged line with everything after it.
   *
   * The notes go to run.log and to run.json's resumeNotice (null when there was nothing to say).
   */
  async prepareResume(id: string, opts: { lastRowAt: (generation: number) => number }): Promise<ResumePoint> {
    const dir = this.runDir(id);
    const record = await this.getRun(id);
    const notes: string[] = [];
    const metricsFile = join(dir, METRICS_FILE);
    const { rows, damagedLine } = await readIntactMetricRows(metricsFile);
    if (damagedLine) notes.push(`${metricsFile} line ${damagedLine.line} is damaged (${damagedLine.problem}); it and the rows after it are recomputed`);
    const lastRow = rows.reduce((g, r) => Math.max(g, r.generation), 0);

    let chosen: LoadedCheckpoint | null = null;
    for (;;) {
      const ckpt = await this.latestCheckpointIn(dir, record.config, { throwWhenNone: false });
      for (const f of ckpt?.fallbacks ?? []) {
        const aside = f.file + UNREADABLE_CHECKPOINT_SUFFIX;
        await this.fs.rename(f.file, aside).catch(() => undefined);
        notes.push(`checkpoint ${f.file} cannot be read (${f.problem}); it was skipped and kept as ${basename(aside)}`);
      }
      if (!ckpt || !('params' in ckpt)) break;
      const needed = opts.lastRowAt(ckpt.generation);
      if (lastRow >= needed) {
        chosen = ckpt;
        break;
      }
      await rm(ckpt.file, { force: true });
      notes.push(`checkpoint ${basename(ckpt.file)} (generation ${ckpt.generation}) is ahead of the metrics log, whose last intact row is ` +
        `generation ${lastRow}; it was removed and is recomputed from the one before`);
    }
    const generation = chosen?.generation ?? 0;
    if (!chosen && (await this.checkpointsIn(dir)).length === 0 && record.checkpointGeneration !== null) {
      notes.push(`run.json records a checkpoint at generation ${record.checkpointGeneration}, but none is left; training restarts from the beginning`);
    }
    const kept = rows.filter((r) => r.generation <= generation);
    const cut = await serialised(`${dir}#metrics`, () => truncateMetricRowsAfter(metricsFile, generation, this.fs, damagedLine?.line));
    const lastEvalRow = [...kept].reverse().find((r) => r.eval40 !== undefined) ?? null;
    const notice = notes.length ? notes.join('; ') : null;
    if (notice) await this.appendRunLog(id, `resume from ${chosen ? `checkpoint ${basename(chosen.file)}` : 'the beginning'}: ${notice}`);
    if (notice !== record.resumeNotice || record.checkpointGeneration !== (chosen?.generation ?? null)) {
      await this.updateRun(id, { resumeNotice: notice, checkpointGeneration: chosen?.generation ?? null });
    }
    return { checkpoint: chosen, generation, rowsKept: cut.kept, rowsDropped: cut.dropped, lastEvalRow, notes };
  }

  /** Appends a timestamped line to the run's run.log (what the lab had to work around), fsynced. */
  async appendRunLog(id: string, line: string): Promise<void> {
    const dir = this.runDir(id);
    await serialised(`${dir}#log`, async () => {
      const fh = await open(join(dir, RUN_LOG), 'a');
      try {
        await fh.write(`${this.now().toISOString()} ${line.replace(/\n/g, ' ')}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  // ---- checkpoints ----

  /**
   * Writes `checkpoints/ckpt-<generation>.nckpt` atomically, records its generation in run.json, then keeps the
   * newest `keep` (default 3). Checkpoints of later generations than this one belong to a history the run has
   * been rewound from (a resume from an older checkpoint) and are removed too. On a full disk or a write error
   * the previous checkpoints and run.json are untouched and the error names the file.
   */
  async writeCheckpoint(id: string, ckpt: Checkpoint, opts: { keep?: number } = {}): Promise<void> {
    const keep = opts.keep ?? DEFAULT_CHECKPOINT_KEEP;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer ≥ 1, got ${keep}`);
    const dir = this.runDir(id);
    const record = await this.getRun(id);
    const expected = paramCount(ncaConfigOf(record.config));
    if (ckpt.params.length !== expected) {
      throw new RangeError(`run "${id}": checkpoint params hold ${ckpt.params.length} floats, the run's model needs ${expected}`);
    }
    await serialised(`${dir}#checkpoints`, async () => {
      const folder = join(dir, CHECKPOINTS_DIR);
      await mkdir(folder, { recursive: true });
      await writeCheckpointFile(join(folder, checkpointFileName(ckpt.generation)), ckpt, { id, config: record.config }, this.fs);
      await this.updateRun(id, { checkpointGeneration: ckpt.generation });
      const all = await this.listCheckpoints(id);
      const older = all.filter((c) => c.generation <= ckpt.generation).sort((a, b) => b.generation - a.generation);
      const doomed = [...all.filter((c) => c.generation > ckpt.generation), ...older.slice(keep)];
      for (const c of doomed) await rm(c.file, { force: true });
      // Temporary files left by a process killed mid-write (they can be hundreds of MB).
      for (const name of await readdir(folder)) {
        if (name.startsWith('.ckpt-') && name.endsWith('.tmp')) await rm(join(folder, name), { force: true });
      }
    });
  }

  /** The run's checkpoints, oldest first. */
  async listCheckpoints(id: string): Promise<CheckpointInfo[]> {
    return this.checkpointsIn(this.runDir(id));
  }

  private async checkpointsIn(dir: string): Promise<CheckpointInfo[]> {
    const folder = join(dir, CHECKPOINTS_DIR);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!(await exists(dir))) throw new RunNotFoundError(basename(dir), dirname(dir));
        return [];
      }
      throw err;
    }
    const out: CheckpointInfo[] = [];
    for (const name of names) {
      const generation = generationOfCheckpointFile(name);
      if (generation === null) continue;
      const file = join(folder, name);
      try {
        out.push({ generation, file, bytes: (await stat(file)).size });
      } catch {
        // removed meanwhile
      }
    }
    return out.sort((a, b) => a.generation - b.generation);
  }

  /** One checkpoint by generation (verified: magic, sizes, CRC-32, and checkpoint-checks.ts: the run's, its numbers finite). */
  async readCheckpoint(id: string, generation: number): Promise<Checkpoint> {
    const dir = this.runDir(id);
    const file = join(dir, CHECKPOINTS_DIR, checkpointFileName(generation));
    if (!(await exists(file))) {
      const have = (await this.listCheckpoints(id)).map((c) => c.generation);
      throw new Error(`run "${id}" has no checkpoint at generation ${generation} (${have.length ? `it has ${have.join(', ')}` : 'it has none'})`);
    }
    const record = await this.getRun(id);
    const { checkpoint, header } = await readCheckpointFile(file);
    checkCheckpointFor(file, id, header, checkpoint, record.config);
    return checkpoint;
  }

  /**
   * The newest checkpoint that reads back intact, or null when the run has none. A corrupt newer file (bad
   * magic, short, checksum mismatch) is skipped and listed in `fallbacks`; only when no checkpoint is readable
   * is it an error, naming every file and its problem.
   */
  async readLatestCheckpoint(id: string): Promise<LoadedCheckpoint | null> {
    const record = await this.getRun(id);
    return this.latestCheckpointIn(this.runDir(id), record.config);
  }

  private async latestCheckpointIn(dir: string, config: RunConfig | null): Promise<LoadedCheckpoint | null>;
  private async latestCheckpointIn(dir: string, config: RunConfig | null, opts: { throwWhenNone: false }): Promise<LoadedCheckpoint | { fallbacks: LoadedCheckpoint['fallbacks'] } | null>;
  private async latestCheckpointIn(dir: string, config: RunConfig | null, opts = { throwWhenNone: true }): Promise<LoadedCheckpoint | { fallbacks: LoadedCheckpoint['fallbacks'] } | null> {
    const all = await this.checkpointsIn(dir);
    const fallbacks: { file: string; problem: string }[] = [];
    for (const c of [...all].reverse()) {
      try {
        const { checkpoint, header } = await readCheckpointFile(c.file);
        if (header.generation !== c.generation) {
          throw new CheckpointFormatError(c.file, `its header says generation ${header.generation}, its name ${c.generation}`);
        }
        checkCheckpointFor(c.file, basename(dir), header, checkpoint, config ?? validConfigOrNull(header.run?.config));
        return { ...checkpoint, file: c.file, fallbacks };
      } catch (err) {
        fallbacks.push({ file: c.file, problem: err instanceof CheckpointFormatError ? err.problem : messageOf(err) });
      }
    }
    if (fallbacks.length === 0) return null;
    if (!opts.throwWhenNone) return { fallbacks };
    throw new Error(`run "${basename(dir)}": no readable checkpoint: ${fallbacks.map((f) => `${f.file}: ${f.problem}`).join('; ')}`);
  }

  // ---- models ----

  /**
   * Writes `model/` (model.json + weights.bin, tfjs weights format; see model-format.ts) and returns the folder.
   * weights.bin is renamed into place before model.json; model.json carries the weights' CRC-32, so a crash
   * between the two renames is detected on load rather than giving mismatched weights.
   */
  async writeModel(id: string, params: Float32Array, meta: { config: RunConfig; generation: number; loss: number | null }): Promise<string> {
    const dir = this.runDir(id);
    await this.getRun(id);
    const { modelJson, weights } = encodeModel(params, { ...meta, runId: id, labVersion: this.versions?.lab ?? packageVersion(), now: this.now() });
    const folder = join(dir, MODEL_DIR);
    await serialised(`${dir}#model`, async () => {
      await mkdir(folder, { recursive: true });
      await writeBytesAtomic(join(folder, WEIGHTS_BIN), weights, { what: 'model weights', fs: this.fs });
      await writeBytesAtomic(join(folder, MODEL_JSON), JSON.stringify(modelJson, null, 2) + '\n', { what: 'model description', fs: this.fs });
    });
    return folder;
  }

  /**
   * A model's parameters from: a run id (its model/, else its newest readable checkpoint), a run folder, a model
   * folder, a model.json, or a checkpoint file. Refuses, naming the file and the problem, anything malformed or
   * incompatible: not JSON, unknown format, a missing or wrongly sized weights.bin, NaN weights.
   */
  async loadModel(pathOrRunId: string): Promise<LoadedModel> {
    if (isValidRunId(pathOrRunId) && (await exists(join(this.runDir(pathOrRunId), RUN_JSON)))) {
      return this.loadModelFromRunDir(this.runDir(pathOrRunId));
    }
    const asPath = resolve(pathOrRunId);
    const st = await stat(asPath).catch(() => null);
    if (!st) {
      throw new Error(`"${pathOrRunId}" is neither a run in ${this.runsDir} nor a model folder, model.json or checkpoint file`);
    }
    if (st.isDirectory()) {
      if (await exists(join(asPath, MODEL_JSON))) return readModelFolder(join(asPath, MODEL_JSON), (n) => join(asPath, n));
      if (await exists(join(asPath, RUN_JSON))) return this.loadModelFromRunDir(asPath);
      throw new Error(`${asPath}: a folder without ${MODEL_JSON} (a model) or ${RUN_JSON} (a run)`);
    }
    if (await startsWithMagic(asPath)) return loadModelFromCheckpointFile(asPath);
    if (asPath.toLowerCase().endsWith('.json')) return readModelFolder(asPath, (n) => join(dirname(asPath), n));
    throw new ModelFormatError(asPath, `unknown format: not a model.json, a model folder or an NCA Lab checkpoint (${CHECKPOINT_MAGIC})`);
  }

  private async loadModelFromRunDir(dir: string): Promise<LoadedModel> {
    const id = basename(dir);
    const record = await this.readRecordIn(dir, id);
    const modelJson = join(dir, MODEL_DIR, MODEL_JSON);
    if (await exists(modelJson)) return readModelFolder(modelJson, (n) => join(dir, MODEL_DIR, n));
    const ckpt = await this.latestCheckpointIn(dir, record.config);
    if (!ckpt) throw new Error(`run "${id}" has no model yet: no ${join(MODEL_DIR, MODEL_JSON)} and no checkpoint in ${dir}`);
    return modelFromParams(ckpt.file, record.config, ckpt.params, ckpt.generation);
  }
}

function validConfigOrNull(v: unknown): RunConfig | null {
  if (typeof v !== 'object' || v === null) return null;
  try {
    const config = upgradeRunConfig(v) as RunConfig;
    return configProblems(config).length === 0 ? config : null;
  } catch {
    return null;
  }
}

async function startsWithMagic(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(CHECKPOINT_MAGIC.length);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    return bytesRead === b.length && b.toString('latin1') === CHECKPOINT_MAGIC;
  } finally {
    await fh.close();
  }
}

function modelFromParams(file: string, config: RunConfig, params: Float32Array, generation: number): LoadedModel {
  const nca: NcaConfig = ncaConfigOf(config);
  const layout = paramLayout(nca);
  if (params.length !== layout.total) {
    throw new ModelFormatError(file, `params hold ${params.length} floats, the run's model needs ${layout.total}`);
  }
  const bad = firstNonFinite(params, layout);
  if (bad) throw new ModelFormatError(file, `the parameters are not finite: ${bad}`);
  const target: TargetRef = { ...config.target };
  return { config, nca, params, target, source: file, generation, name: null, origin: null, evaluation: null };
}

async function loadModelFromCheckpointFile(file: string): Promise<LoadedModel> {
  const { checkpoint, header } = await readCheckpointFile(file);
  const config = validConfigOrNull(header.run?.config);
  if (!config) throw new ModelFormatError(file, 'the checkpoint carries no valid run config, so its model is unknown');
  return modelFromParams(file, config, checkpoint.params, checkpoint.generation);
}
