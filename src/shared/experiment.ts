/**
 * An experiment's results as stored (`<workspace>/experiments/<id>/results.json`) and as they cross to the
 * renderer: data first (loss curves per model × protocol × repeat, the frames kept, the settings and seeds),
 * figures are made from this. One schema, checked when read back (parseExperimentResults).
 */
import { isSuiteName, SUITE_NAMES, type ExperimentProtocol, type RunnableSuite, type SuiteName } from '../core/experiments/protocols';
import type { FgsmClamp } from '../core/damage/damage';
import type { RunConfig } from './training-config';
import { fail, isRecord } from './validate';
import type { Optimizer } from './training-config';

export const EXPERIMENT_FORMAT_VERSION = 1;
export const RESULTS_FILE = 'results.json';
export const EXPERIMENTS_DIR = 'experiments';

/** A model an experiment ran on. */
export interface ExperimentModel {
  /** unique within the experiment: the run id, or the file name for a model loaded from a path */
  key: string;
  runId: string | null;
  /** the file its parameters came from */
  source: string;
  /** `ES · pool` / `Adam` / the run's name: the legend text */
  label: string;
  optimizer: Optimizer | null;
  preset: string | null;
  /** trained with a sample pool (ES pool kind ≠ none, or Adam pool kind ≠ none); null when unknown */
  pool: boolean | null;
  target: { name: string; size: number; padding: number };
  /** the run's name, when it is a run */
  runName: string | null;
  /** full training config when known (the hyperparameter table) */
  config: RunConfig | null;
}

/** One model's curve in one protocol: every repeat, and the mean and band when there are several. */
export interface ExperimentCurve {
  protocol: string;
  model: string;
  /** loss index k = after k+1 updates (INDEXING_NOTE); null where the loss was not finite */
  repeats: { repeat: number; seed: number; loss: (number | null)[] }[];
  /** over repeats, at each index, of the finite values (null when none); null with a single repeat */
  mean: (number | null)[] | null;
  min: (number | null)[] | null;
  max: (number | null)[] | null;
}

/** A kept frame (first repeat only), rendered on white (spec a.6). */
export interface ExperimentFrameData {
  protocol: string;
  model: string;
  /** CA updates applied (0 = the seed) */
  updates: number;
  /** the loss index it belongs to: updates − 1 (null for the seed) */
  index: number | null;
  height: number;
  width: number;
  /** opaque RGBA8 [height][width][4], base64 */
  rgba8Base64: string;
}

export interface ExperimentResults {
  formatVersion: number;
  id: string;
  /** the suite asked for (`thesis` = every runnable suite) */
  suite: SuiteName;
  suites: RunnableSuite[];
  createdAt: string;
  finishedAt: string;
  /** how steps and frames are indexed (protocols.ts INDEXING_NOTE) */
  indexing: string;
  /** numeric precision note (the thesis ran ES in float64, here every model runs float32: spec i.5) */
  precision: string;
  repeats: number;
  /** the seed of repeat r is seeds[r]; every protocol of a repeat uses the same fire-mask stream */
  seeds: number[];
  fgsmClamp: FgsmClamp;
  protocols: ExperimentProtocol[];
  models: ExperimentModel[];
  curves: ExperimentCurve[];
  frames: ExperimentFrameData[];
  timing: { seconds: number; workers: number; jobs: number };
  /** the lab's version */
  lab: string;
}

/** A listed experiment (without the data). */
export interface ExperimentSummary {
  id: string;
  suite: SuiteName;
  createdAt: string;
  finishedAt: string;
  repeats: number;
  models: { key: string; label: string }[];
  seconds: number;
}

export function summariseResults(r: ExperimentResults): ExperimentSummary {
  return {
    id: r.id, suite: r.suite, createdAt: r.createdAt, finishedAt: r.finishedAt, repeats: r.repeats,
    models: r.models.map((m) => ({ key: m.key, label: m.label })), seconds: r.timing.seconds,
  };
}

/** Limits of an experiment request, checked at the boundary (ipc-schema, CLI flags). */
export const EXPERIMENT_LIMITS = {
  models: { min: 1, max: 64 },
  repeats: { min: 1, max: 100 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

/** Runs a suite on saved runs (LabApi `experiments.run`; the CLI's `nca-lab experiment`). */
export interface ExperimentRunRequest {
  suite: SuiteName;
  /** run ids */
  models: string[];
  /** default 1 */
  repeats?: number;
  /** seed of the first repeat (default 1) */
  seed?: number;
  /** default 'all' (the thesis code) */
  fgsmClamp?: FgsmClamp;
}

/** Progress of a running experiment (pushed as `experiment:progress`; the CLI's progress bar). */
export interface ExperimentProgressEvent {
  id: string;
  phase: 'loading' | 'running' | 'saving' | 'done' | 'cancelled' | 'failed';
  jobsDone: number;
  jobs: number;
  /** CA updates done of all jobs' total */
  updatesDone: number;
  updatesTotal: number;
  elapsedSeconds: number;
  /** done: where the data is; failed/cancelled: why */
  message?: string;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks an experiments.run request from another process; the message names the field and the range. */
export function parseExperimentRunRequest(value: unknown, where = 'experiments.run'): ExperimentRunRequest {
  if (!isRecord(value)) fail(where, 'expected an object {suite, models, repeats?, seed?, fgsmClamp?}');
  const { suite, models, repeats, seed, fgsmClamp } = value;
  if (!isSuiteName(suite)) fail(`${where}: suite`, `must be one of ${SUITE_NAMES.join(', ')}, got ${JSON.stringify(suite)}`);
  const L = EXPERIMENT_LIMITS;
  if (!Array.isArray(models) || models.length < L.models.min || models.length > L.models.max) {
    fail(`${where}: models`, `must be a list of ${L.models.min} to ${L.models.max} run ids`);
  }
  models.forEach((m, i) => {
    if (typeof m !== 'string' || !RUN_ID_RE.test(m) || m.includes('..')) fail(`${where}: models[${i}]`, `must be a run id, got ${JSON.stringify(m)}`);
  });
  if (new Set(models).size !== models.length) fail(`${where}: models`, 'lists a run twice');
  const out: ExperimentRunRequest = { suite, models: [...models] as string[] };
  if (repeats !== undefined) {
    if (typeof repeats !== 'number' || !Number.isInteger(repeats) || repeats < L.repeats.min || repeats > L.repeats.max) {
      fail(`${where}: repeats`, `must be an integer from ${L.repeats.min} to ${L.repeats.max}, got ${JSON.stringify(repeats)}`);
    }
    out.repeats = repeats;
  }
  if (seed !== undefined) {
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < L.seed.min || seed > L.seed.max - (out.repeats ?? 1) + 1) {
      fail(`${where}: seed`, `must be an integer from ${L.seed.min} to ${L.seed.max - (out.repeats ?? 1) + 1}, got ${JSON.stringify(seed)}`);
    }
    out.seed = seed;
  }
  if (fgsmClamp !== undefined) {
    if (fgsmClamp !== 'all' && fgsmClamp !== 'rgba' && fgsmClamp !== 'none') fail(`${where}: fgsmClamp`, `must be all, rgba or none, got ${JSON.stringify(fgsmClamp)}`);
    out.fgsmClamp = fgsmClamp;
  }
  return out;
}

/** An experiment id as it arrives from another process. */
export function parseExperimentId(value: unknown, where: string): string {
  if (typeof value !== 'string' || !RUN_ID_RE.test(value) || value.includes('..')) fail(where, `must be an experiment id, got ${JSON.stringify(value)}`);
  return value;
}

/** What an experiment's curve for a model looks like to a chart: (index, value) pairs per series. */
export function curveOf(results: ExperimentResults, protocol: string, model: string): ExperimentCurve | undefined {
  return results.curves.find((c) => c.protocol === protocol && c.model === model);
}

/** Mean if there are several repeats, else the one repeat. */
export function centralLoss(curve: ExperimentCurve): (number | null)[] {
  return curve.mean ?? curve.repeats[0]?.loss ?? [];
}



function numberList(where: string, v: unknown): (number | null)[] {
  if (!Array.isArray(v)) fail(where, 'must be a list of numbers');
  for (const x of v) if (x !== null && typeof x !== 'number') fail(where, `must hold numbers or null, got ${JSON.stringify(x)}`);
  return v as (number | null)[];
}

/**
 * Checks the shape of a results.json (what the figures and the Compare view rely on); the message names the
 * field. Unknown extra fields are kept.
 */
export function parseExperimentResults(json: unknown, where = RESULTS_FILE): ExperimentResults {
  if (!isRecord(json)) fail(where, 'not an experiment: expected a JSON object');
  if (json.formatVersion !== EXPERIMENT_FORMAT_VERSION) {
    fail(`${where}: formatVersion`, `this lab reads version ${EXPERIMENT_FORMAT_VERSION}, the file has ${JSON.stringify(json.formatVersion)}`);
  }
  for (const k of ['id', 'suite', 'createdAt', 'finishedAt', 'indexing', 'fgsmClamp', 'lab']) {
    if (typeof json[k] !== 'string') fail(`${where}: ${k}`, 'must be a string');
  }
  for (const k of ['protocols', 'models', 'curves', 'frames', 'seeds', 'suites']) {
    if (!Array.isArray(json[k])) fail(`${where}: ${k}`, 'must be a list');
  }
  if (typeof json.repeats !== 'number' || !Number.isInteger(json.repeats) || json.repeats < 1) fail(`${where}: repeats`, 'must be an integer ≥ 1');
  const models = json.models as unknown[];
  models.forEach((m, i) => {
    if (!isRecord(m) || typeof m.key !== 'string' || typeof m.label !== 'string' || !isRecord(m.target)) {
      fail(`${where}: models[${i}]`, 'needs key, label and target');
    }
  });
  const keys = new Set(models.map((m) => (m as ExperimentModel).key));
  const protocols = new Set((json.protocols as unknown[]).map((p, i) => {
    if (!isRecord(p) || typeof p.id !== 'string' || typeof p.steps !== 'number') fail(`${where}: protocols[${i}]`, 'needs id and steps');
    return p.id as string;
  }));
  (json.curves as unknown[]).forEach((c, i) => {
    const at = `${where}: curves[${i}]`;
    if (!isRecord(c)) fail(at, 'must be an object');
    if (!protocols.has(c.protocol as string)) fail(`${at}.protocol`, `unknown protocol ${JSON.stringify(c.protocol)}`);
    if (!keys.has(c.model as string)) fail(`${at}.model`, `unknown model ${JSON.stringify(c.model)}`);
    if (!Array.isArray(c.repeats) || c.repeats.length === 0) fail(`${at}.repeats`, 'must be a non-empty list');
    (c.repeats as unknown[]).forEach((r, j) => {
      if (!isRecord(r) || typeof r.seed !== 'number') fail(`${at}.repeats[${j}]`, 'needs a seed');
      numberList(`${at}.repeats[${j}].loss`, r.loss);
    });
    for (const k of ['mean', 'min', 'max']) if (c[k] !== null) numberList(`${at}.${k}`, c[k]);
  });
  (json.frames as unknown[]).forEach((f, i) => {
    if (!isRecord(f) || typeof f.rgba8Base64 !== 'string' || typeof f.updates !== 'number' || typeof f.height !== 'number' || typeof f.width !== 'number') {
      fail(`${where}: frames[${i}]`, 'needs updates, height, width and rgba8Base64');
    }
  });
  return json as unknown as ExperimentResults;
}
