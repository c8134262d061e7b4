/**
 * Runs an experiment suite on saved models (the protocols of spec f): one worker job per (model, suite, repeat),
 * spread over a WorkerPool (one process per core) or run in this process (`workers: 0`), with progress and
 * cancellation through an AbortSignal. The results are stored as data in the workspace
 * (experiments/<id>/results.json + one CSV per suite) before any figure is made from them.
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { FgsmClamp } from '../../core/damage/damage';
import {
  runExperimentJob, type ExperimentJobPayload, type ExperimentJobProgress, type ExperimentJobResult,
} from '../../core/experiments/job';
import {
  bigCanvasSize, expandSuite, INDEXING_NOTE, suiteProtocols, type ExperimentProtocol, type SuiteName,
} from '../../core/experiments/protocols';
import type { ExperimentFrame } from '../../core/experiments/rollout';
import { repeatBand, storedLoss } from '../../core/experiments/stats';
import type { NcaConfig } from '../../core/nca/config';
import type { Target } from '../../core/targets/target';
import { bytesToBase64 } from '../../shared/float32-base64';
import {
  EXPERIMENT_FORMAT_VERSION, EXPERIMENT_LIMITS, type ExperimentProgressEvent,
  type ExperimentCurve, type ExperimentFrameData, type ExperimentModel, type ExperimentResults,
} from '../../shared/experiment';
import type { RunConfig } from '../../shared/training-config';
import { packageVersion } from '../resources/package-paths';
import { LabStore, isValidRunId } from '../store/lab-store';
import { resolveTarget } from '../targets/targets';
import { WorkerPool } from '../workers/pool';
import { parseClusterUrl } from '../cluster/redis-url';
import { runJobsOnCluster } from '../cluster/job-runner';
import { forkSpawner, type WorkerSpawner } from '../workers/spawners';
import type { LabJobs } from '../workers/lab-jobs';
import { makeExperimentId, saveExperiment } from './experiment-store';
import { findLibraryModel, loadLibraryModel } from '../models/model-library';
import { optimizerOf } from '../../shared/optimizers';

/** Experiment jobs run on the lab's worker processes (the same entry as training). */
export type ExperimentJobs = LabJobs;

/** Progress as the LabApi pushes it and the CLI shows it. */
export type ExperimentProgress = ExperimentProgressEvent;

export interface ExperimentRequest {
  workspace: string;
  /** the lab's store of that workspace (default: one of its own) */
  store?: LabStore;
  suite: SuiteName;
  /** run ids, or paths of model folders / model.json / checkpoint files */
  models: string[];
  /** default 1 (the thesis plotted one rollout) */
  repeats?: number;
  /** repeat r uses seed + r (default seed 1) */
  seed?: number;
  fgsmClamp?: FgsmClamp;
  /** worker processes; 0 = in this process; default one per core */
  workers?: number;
  /** protocol ids (or 'all') whose first repeat is also recorded as an animation, for GIFs */
  animate?: string[] | 'all';
  /** the experiment's id (default: made from the time and the suite) */
  id?: string;
  signal?: AbortSignal;
  onProgress?: (p: ExperimentProgress) => void;
  spawn?: WorkerSpawner;
  /** force the workers' tfjs backend (they compute on the fused kernel either way) */
  backend?: string;
  /** run the jobs on the cluster at this Redis URL (services/cluster) instead of local processes */
  cluster?: string;
  /** a line for the user: the cluster's waiting and progress notes */
  onLog?: (line: string) => void;
  /** clock for createdAt (tests) */
  now?: () => Date;
}

/** Animation frames of the first repeat: protocol id → model key → frames in update order. */
export type ExperimentAnimations = Map<string, Map<string, ExperimentFrame[]>>;

export interface ExperimentOutcome {
  results: ExperimentResults;
  /** experiments/<id>/ in the workspace */
  dir: string;
  animations: ExperimentAnimations;
}

/** A model ready to run: its parameters, its target, and how the experiment describes it. */
export interface LoadedExperimentModel {
  info: ExperimentModel;
  cfg: NcaConfig;
  params: Float32Array;
  target: Target;
}

function poolOf(config: RunConfig | null): boolean | null {
  if (!config) return null;
  return optimizerOf(config).usesPool(config);
}

/** Loads a run (by id) or a model file, with the exact target it was trained on. */
export async function loadExperimentModel(store: LabStore, ref: string): Promise<LoadedExperimentModel> {
  const isRun = isValidRunId(ref) && (await store.getRun(ref).then(() => true, () => false));
  // a built-in or imported model by id (services/models/model-library.ts), unless a run has that id
  const library = isRun ? null : await findLibraryModel(store.workspace, ref);
  const loaded = library ? await loadLibraryModel(library) : await store.loadModel(ref);
  const record = isRun ? await store.getRun(ref) : null;
  const config = record?.config ?? loaded.config;
  let target: Target;
  if (isRun) target = await store.loadRunTarget(ref);
  else if (loaded.target) target = await resolveTarget(loaded.target.name, { size: loaded.target.size, padding: loaded.target.padding });
  else throw new Error(`${ref}: the model names no target, so its loss cannot be measured`);
  const optimizer = config?.optimizer ?? null;
  const pool = poolOf(config);
  const key = isRun || library ? ref : basename(ref).replace(/\.json$/i, '') || ref;
  return {
    info: {
      key, runId: isRun ? ref : null, source: loaded.source,
      // the model's own name: the run's, the gallery's or imported model's, else the file's (legends, strips, CSV)
      label: record?.name ?? library?.name ?? loaded.name ?? key,
      optimizer, preset: config?.preset ?? null, pool,
      target: { name: target.name, size: target.size, padding: target.padding },
      runName: record?.name ?? null, config: config ?? null,
    },
    cfg: loaded.nca, params: loaded.params, target,
  };
}

interface PlannedJob {
  model: number;
  suite: string;
  repeat: number;
  payload: ExperimentJobPayload;
  /** relative cost, for ordering (largest first) */
  cost: number;
}

function cellsOf(p: ExperimentProtocol, t: Target): number {
  return p.canvas === 'big' ? bigCanvasSize(t.size) ** 2 : t.height * t.width;
}

function frameData(protocol: string, model: string, f: ExperimentFrame): ExperimentFrameData {
  return {
    protocol, model, updates: f.updates, index: f.updates === 0 ? null : f.updates - 1, height: f.height, width: f.width,
    rgba8Base64: bytesToBase64(new Uint8Array(f.rgba8.buffer, f.rgba8.byteOffset, f.rgba8.byteLength)),
  };
}

/** Checks the request's numbers, naming the field and the range. */
export function checkExperimentRequest(req: Pick<ExperimentRequest, 'models' | 'repeats' | 'seed'>): void {
  const L = EXPERIMENT_LIMITS;
  if (req.models.length < L.models.min || req.models.length > L.models.max) {
    throw new RangeError(`models: choose ${L.models.min} to ${L.models.max}, got ${req.models.length}`);
  }
  if (new Set(req.models).size !== req.models.length) throw new RangeError('models: a model is listed twice');
  const r = req.repeats ?? 1;
  if (!Number.isInteger(r) || r < L.repeats.min || r > L.repeats.max) throw new RangeError(`repeats must be an integer from ${L.repeats.min} to ${L.repeats.max}, got ${r}`);
  const s = req.seed ?? 1;
  if (!Number.isInteger(s) || s < L.seed.min || s + r - 1 > L.seed.max) throw new RangeError(`seed must be an integer from ${L.seed.min} to ${L.seed.max - r + 1}, got ${s}`);
}

/**
 * The jobs' rollouts as the experiment keeps them: one curve per protocol and model (its repeats, and their band
 * when there are several), the first repeat's frames and animations.
 */
function gatherRollouts(
  protocols: readonly ExperimentProtocol[], modelKeys: readonly string[], jobs: readonly PlannedJob[], results: readonly ExperimentJobResult[], seeds: readonly number[],
): { curves: ExperimentCurve[]; frames: ExperimentFrameData[]; animations: ExperimentAnimations } {
  const curves: ExperimentCurve[] = [];
  const frames: ExperimentFrameData[] = [];
  const animations: ExperimentAnimations = new Map();
  for (const protocol of protocols) {
    for (const [mi, key] of modelKeys.entries()) {
      const reps: ExperimentCurve['repeats'] = [];
      for (const [r, seed] of seeds.entries()) {
        const j = jobs.findIndex((x) => x.model === mi && x.suite === protocol.suite && x.repeat === r);
        const rollout = results[j].rollouts.find((x) => x.protocol === protocol.id)!;
        reps.push({ repeat: r, seed, loss: Array.from(rollout.loss, storedLoss) });
        if (r === 0) {
          for (const f of rollout.frames) frames.push(frameData(protocol.id, key, f));
          if (rollout.animation.length) {
            if (!animations.has(protocol.id)) animations.set(protocol.id, new Map());
            animations.get(protocol.id)!.set(key, rollout.animation);
          }
        }
      }
      const band = seeds.length > 1 ? repeatBand(reps.map((x) => x.loss)) : null;
      curves.push({
        protocol: protocol.id, model: key, repeats: reps,
        mean: band ? band.mean.map((v) => (v === null ? null : storedLoss(v))) : null,
        min: band?.min ?? null, max: band?.max ?? null,
      });
    }
  }
  return { curves, frames, animations };
}

export async function runExperiment(req: ExperimentRequest): Promise<ExperimentOutcome> {
  checkExperimentRequest(req);
  const t0 = performance.now();
  const now = req.now ?? (() => new Date());
  const created = now();
  const id = req.id ?? makeExperimentId(created, req.suite);
  const repeats = req.repeats ?? 1;
  const seed = req.seed ?? 1;
  const seeds = Array.from({ length: repeats }, (_, r) => seed + r);
  const clamp = req.fgsmClamp ?? 'all';
  const suites = expandSuite(req.suite);
  const protocols = suiteProtocols(req.suite, { fgsmClamp: clamp });
  const animate = req.animate === 'all' ? protocols.map((p) => p.id) : req.animate ?? [];
  const elapsed = () => (performance.now() - t0) / 1000;
  const progress = (p: Omit<ExperimentProgress, 'id' | 'elapsedSeconds'>) => req.onProgress?.({ id, elapsedSeconds: elapsed(), ...p });

  progress({ phase: 'loading', jobsDone: 0, jobs: 0, updatesDone: 0, updatesTotal: 0, message: `loading ${req.models.length} model(s)` });
  const store = req.store ?? new LabStore(req.workspace);
  const models: LoadedExperimentModel[] = [];
  for (const ref of req.models) {
    const m = await loadExperimentModel(store, ref);
    if (models.some((x) => x.info.key === m.info.key)) m.info.key = `${m.info.key}-${models.length + 1}`;
    models.push(m);
  }
  req.signal?.throwIfAborted();

  const jobs: PlannedJob[] = [];
  models.forEach((m, mi) => {
    for (const suite of suites) {
      const ps = protocols.filter((p) => p.suite === suite);
      for (let r = 0; r < repeats; r++) {
        jobs.push({
          model: mi, suite, repeat: r,
          cost: ps.reduce((a, p) => a + p.steps * cellsOf(p, m.target), 0),
          payload: {
            cfg: m.cfg, params: m.params,
            target: { name: m.target.name, size: m.target.size, padding: m.target.padding, rgbaU8: m.target.rgbaU8 },
            protocols: ps, seed: seeds[r], keepFrames: r === 0, animate: r === 0 ? animate : [],
          },
        });
      }
    }
  });
  // largest first, so the last jobs to finish are short ones and no worker idles at the end
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b].cost - jobs[a].cost);
  const updatesTotal = jobs.reduce((a, j) => a + j.payload.protocols.reduce((s, p) => s + p.steps, 0), 0);
  const done = new Array<number>(jobs.length).fill(0);
  let jobsDone = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const t = performance.now();
    if (!force && t - lastReport < 100) return;
    lastReport = t;
    progress({ phase: 'running', jobsDone, jobs: jobs.length, updatesDone: done.reduce((a, b) => a + b, 0), updatesTotal });
  };
  report(true);

  const results = new Array<ExperimentJobResult>(jobs.length);
  const requested = req.workers ?? availableParallelism();
  const workers = Math.max(0, Math.min(requested, jobs.length));
  try {
    if (req.cluster) {
      const addr = parseClusterUrl(req.cluster);
      await runJobsOnCluster('experiment', order.map((i) => jobs[i].payload), {
        addr, signal: req.signal, onLog: req.onLog,
        onResult: (k, res) => {
          const i = order[k];
          results[i] = res;
          done[i] = res.rollouts.reduce((a, r) => a + r.loss.length, 0);
          jobsDone++;
          report(true);
        },
      });
    } else if (workers === 0) {
      for (const i of order) {
        // yield between jobs so a cancel (and progress listeners) get a turn
        await new Promise((r) => setImmediate(r));
        req.signal?.throwIfAborted();
        results[i] = runExperimentJob(jobs[i].payload, {
          signal: req.signal,
          progress: (p: ExperimentJobProgress) => { done[i] = p.updates; report(); },
        });
        jobsDone++;
        report(true);
      }
    } else {
      const pool = new WorkerPool<ExperimentJobs>({
        size: workers, spawn: req.spawn ?? forkSpawner(), init: req.backend ? { backend: req.backend } : {},
      });
      try {
        await pool.start();
        req.signal?.throwIfAborted();
        const siblings = new AbortController();
        // every queued job listens to it
        setMaxListeners(jobs.length + 10, siblings.signal);
        const onAbort = () => siblings.abort(req.signal?.reason);
        req.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await Promise.all(order.map((i) => pool.run('experiment', jobs[i].payload, {
            signal: siblings.signal,
            onProgress: (p) => { done[i] = p.updates; report(); },
          }).then((res) => {
            results[i] = res;
            done[i] = res.rollouts.reduce((a, r) => a + r.loss.length, 0);
            jobsDone++;
            report(true);
          }, (err: unknown) => {
            siblings.abort(err);
            throw err;
          })));
        } finally {
          req.signal?.removeEventListener('abort', onAbort);
        }
      } finally {
        await pool.close();
      }
    }
  } catch (err) {
    const cancelled = req.signal?.aborted ?? false;
    progress({
      phase: cancelled ? 'cancelled' : 'failed', jobsDone, jobs: jobs.length, updatesDone: done.reduce((a, b) => a + b, 0), updatesTotal,
      message: cancelled ? 'cancelled: nothing was saved' : (err as Error).message,
    });
    throw err;
  }

  progress({ phase: 'saving', jobsDone, jobs: jobs.length, updatesDone: updatesTotal, updatesTotal });
  const { curves, frames, animations } = gatherRollouts(protocols, models.map((m) => m.info.key), jobs, results, seeds);
  const results_: ExperimentResults = {
    formatVersion: EXPERIMENT_FORMAT_VERSION, id, suite: req.suite, suites,
    createdAt: created.toISOString(), finishedAt: now().toISOString(),
    indexing: INDEXING_NOTE,
    precision: 'Every model runs in float32 on the lab\'s fused CA step; the thesis ran its ES models in float64 and its Adam models in float32 (spec f.1, i.5).',
    repeats, seeds, fgsmClamp: clamp, protocols, models: models.map((m) => m.info), curves, frames,
    timing: { seconds: Number(elapsed().toFixed(3)), workers, jobs: jobs.length },
    lab: packageVersion(),
  };
  const dir = await saveExperiment(req.workspace, results_);
  progress({ phase: 'done', jobsDone, jobs: jobs.length, updatesDone: updatesTotal, updatesTotal, message: dir });
  return { results: results_, dir, animations };
}
