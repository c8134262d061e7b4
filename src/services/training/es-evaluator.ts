/**
 * Who evaluates an ES generation: the trainer asks for one generation at a time and gets back every member's
 * loss (and the best member's final states when a sample pool is on). Two implementations:
 *  - InProcessEsEvaluator: in the calling process (tests, one-core machines);
 *  - PoolEsEvaluator: the thesis's Algorithm 2 over a WorkerPool, one contiguous slice of members per worker;
 *    only parameters and the generation number go out, only losses (and one best state) come back. Where its
 *    runner can, it also has the workers sum the update's noise (noiseSums), each over a range of parameters.
 *
 * Another engine (a GPU evaluating the whole population) plugs in as an EsEvaluator: it returns the losses in
 * member order and, if it can, the weighted noise sums; without noiseSums the master sums the noise itself.
 */
import type { NcaConfig } from '../../core/nca/config';
import type { StateBatch } from '../../core/nca/state';
import type { EsObjective } from '../../shared/training-config';
import { evaluateEsSlice, type EsMemberSettings, type EsSliceRequest, type EsSliceResult } from '../../core/es/slice';
import { noiseSumRanges, pairWeights, type NoiseSumRequest, type NoiseSumsRequest, type NoiseSumsResult } from '../../core/es/noise-sums';

export interface GenerationRequest {
  generation: number;
  /** the strategy's centre θ this generation */
  params: Float32Array;
  /** the strategy's σ this generation (core/es/strategy.ts); absent = the run's configured σ */
  sigma?: number | Float32Array;
  x0: StateBatch;
  wantBest: boolean;
}

/** The weighted noise sums of one generation's update (core/es/noise-sums.ts), as a strategy asked for them. */
export interface GenerationSumsRequest {
  generation: number;
  /** the parameter count */
  dim: number;
  requests: readonly NoiseSumRequest[];
}

export interface GenerationOutcome {
  losses: number[];
  best: EsSliceResult['best'];
}

/** What stays fixed for a whole run. */
export interface EsRunSettings extends EsMemberSettings {
  cfg: NcaConfig;
  seed: number;
  population: number;
  target: Float32Array;
}

/**
 * The evaluator cannot go on for now (the cluster's Redis is unreachable): the trainer pauses after a checkpoint
 * with this message as the run's status line, and whoever runs the session may resume it when the cause is gone.
 */
export class EvaluationPaused extends Error {
  override name = 'EvaluationPaused';
}

export interface EsEvaluator {
  readonly workers: number;
  /** evaluates in the calling process (evaluate() returns only when done) */
  readonly inProcess: boolean;
  evaluate(req: GenerationRequest): Promise<GenerationOutcome>;
  /**
   * Resolves once the generation just asked for is on its way to the workers (never rejects). The master builds
   * the generation's noise while they evaluate; it must not start before the jobs are out, or the build (tens of
   * ms at population 1000) delays them (a cluster's jobs go out after Redis round trips, not synchronously).
   */
  dispatched?(): Promise<void>;
  /**
   * The generation's weighted noise sums, computed beside the population: each worker rebuilds its range of
   * parameters of every pair's noise and sums it (bit for bit what the master would get), so the master neither
   * builds nor sums the noise, the largest serial part of a generation. Absent: the master sums it itself.
   */
  noiseSums?(req: GenerationSumsRequest): Promise<Float64Array[]>;
}

function sliceRequest(run: EsRunSettings, req: GenerationRequest, memberStart: number, memberEnd: number): EsSliceRequest {
  const out: EsSliceRequest = {
    cfg: run.cfg, params: req.params, seed: run.seed, generation: req.generation, memberStart, memberEnd,
    x0: req.x0, target: run.target, wantBest: req.wantBest,
    sigma: typeof req.sigma === 'number' ? req.sigma : run.sigma, mirrored: run.mirrored, commonRandomNumbers: run.commonRandomNumbers,
    perMemberSteps: run.perMemberSteps, stepsMin: run.stepsMin, stepsMax: run.stepsMax,
  };
  // the window objective (docs/benchmarks.md): the keys stay absent for the thesis's (final state, spec c.2),
  // so its requests are what they always were
  if (run.lossWindow !== undefined && run.lossWindow > 1) {
    out.lossWindow = run.lossWindow;
    out.lossEvery = run.lossEvery;
  }
  if (run.longRollout) out.longRollout = run.longRollout;
  // only diagonal strategies send a σ vector (the key stays absent otherwise, so requests are as before)
  if (req.sigma instanceof Float32Array) out.sigmaVector = req.sigma;
  return out;
}

/** A run's objective (`es.objective`: loss window and long rollouts) as the slice evaluation takes it. */
export function esObjectiveSettings(o: EsObjective): Pick<EsMemberSettings, 'lossWindow' | 'lossEvery' | 'longRollout'> {
  return { lossWindow: o.lossWindow, lossEvery: o.lossEvery, longRollout: o.longEvery > 0 ? { every: o.longEvery, steps: o.longSteps } : null };
}

/** Joins slice results in member order and keeps the overall best. */
export function joinSlices(results: EsSliceResult[]): GenerationOutcome {
  const sorted = [...results].sort((a, b) => a.memberStart - b.memberStart);
  const losses = sorted.flatMap((r) => r.losses);
  let best: EsSliceResult['best'] = null;
  for (const r of sorted) if (r.best && (!best || r.best.loss < best.loss)) best = r.best;
  return { losses, best };
}

/** The sums jobs of one generation: every request's pair weights, and one range of parameters per job. */
export function noiseSumsJobs(run: Pick<EsRunSettings, 'seed' | 'population' | 'mirrored'>, req: GenerationSumsRequest, parts: number): NoiseSumsRequest[] {
  const kinds = req.requests.map((r) => r.kind);
  const weights = req.requests.map((r) => pairWeights(run.population, run.mirrored, r));
  return noiseSumRanges(req.dim, parts).map(([from, to]) => ({ seed: run.seed, generation: req.generation, dim: req.dim, from, to, kinds, pairWeights: weights }));
}

/** Puts the jobs' ranges back together: one array of `dim` sums per request. */
export function joinNoiseSums(results: NoiseSumsResult[], requests: number, dim: number): Float64Array[] {
  const out = Array.from({ length: requests }, () => new Float64Array(dim));
  let covered = 0;
  for (const r of results) {
    if (r.sums.length !== requests) throw new Error(`ES noise sums: a job returned ${r.sums.length} sums for ${requests} requests`);
    for (let q = 0; q < requests; q++) out[q].set(r.sums[q], r.from);
    covered += r.sums[0]?.length ?? 0;
  }
  if (requests > 0 && covered !== dim) throw new Error(`ES noise sums: the jobs covered ${covered} of ${dim} parameters`);
  return out;
}

/** Splits [0, P) into at most `parts` contiguous slices of near-equal size. */
export function memberSlices(population: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, population));
  const out: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const start = Math.floor((k * population) / n);
    const end = Math.floor(((k + 1) * population) / n);
    if (end > start) out.push([start, end]);
  }
  return out;
}

export class InProcessEsEvaluator implements EsEvaluator {
  readonly workers = 1;
  readonly inProcess = true;
  constructor(private readonly run: EsRunSettings) {}
  async evaluate(req: GenerationRequest): Promise<GenerationOutcome> {
    return joinSlices([evaluateEsSlice(sliceRequest(this.run, req, 0, this.run.population))]);
  }
}

/** The slice job a worker runs (its record in services/workers/lab-jobs.ts). */
export type EsSliceJob = (payload: EsSliceRequest) => Promise<EsSliceResult>;

/** Anything that can run slice jobs on several processes: the WorkerPool, adapted by the caller. */
export interface SliceRunner {
  readonly size: number;
  map(payloads: EsSliceRequest[]): Promise<EsSliceResult[]>;
  /** resolves once the current map's jobs are published (never rejects); absent = they are out when map returns */
  published?(): Promise<void>;
  /** where the generation's noise sums are formed; absent = the master sums the noise */
  sums?: NoiseSumsRunner;
}

/** Processes that run noise-sums jobs (src/worker/jobs/es-noise-sums.ts): one range of parameters each. */
export interface NoiseSumsRunner {
  readonly size: number;
  map(payloads: NoiseSumsRequest[]): Promise<NoiseSumsResult[]>;
}

export class PoolEsEvaluator implements EsEvaluator {
  readonly inProcess = false;
  readonly noiseSums?: (req: GenerationSumsRequest) => Promise<Float64Array[]>;
  constructor(private readonly run: EsRunSettings, private readonly runner: SliceRunner) {
    const sums = runner.sums;
    if (sums) this.noiseSums = async (req) => joinNoiseSums(await sums.map(noiseSumsJobs(run, req, sums.size)), req.requests.length, req.dim);
  }
  get workers(): number {
    return this.runner.size;
  }
  dispatched(): Promise<void> {
    return this.runner.published?.() ?? Promise.resolve();
  }
  async evaluate(req: GenerationRequest): Promise<GenerationOutcome> {
    const slices = memberSlices(this.run.population, this.runner.size);
    const results = await this.runner.map(slices.map(([s, e]) => sliceRequest(this.run, req, s, e)));
    return joinSlices(results);
  }
}
