/**
 * Who evaluates an ES generation: the trainer asks for one generation at a time and gets back every member's
 * loss (and the best member's final states when a sample pool is on). Two implementations:
 *  - InProcessEsEvaluator: in the calling process (tests, one-core machines);
 *  - PoolEsEvaluator: the thesis's Algorithm 2 over a WorkerPool, one contiguous slice of members per worker;
 *    only parameters and the generation number go out, only losses (and one best state) come back.
 */
import type { NcaConfig } from '../../core/nca/config';
import type { StateBatch } from '../../core/nca/state';
import type { EsObjective } from '../../shared/training-config';
import { evaluateEsSlice, type EsMemberSettings, type EsSliceRequest, type EsSliceResult } from '../../core/es/slice';

export interface GenerationRequest {
  generation: number;
  /** the strategy's centre θ this generation */
  params: Float32Array;
  /** the strategy's σ this generation (core/es/strategy.ts); absent = the run's configured σ */
  sigma?: number | Float32Array;
  x0: StateBatch;
  wantBest: boolean;
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
}

function sliceRequest(run: EsRunSettings, req: GenerationRequest, memberStart: number, memberEnd: number): EsSliceRequest {
  const out: EsSliceRequest = {
    cfg: run.cfg, params: req.params, seed: run.seed, generation: req.generation, memberStart, memberEnd,
    x0: req.x0, target: run.target, wantBest: req.wantBest,
    sigma: typeof req.sigma === 'number' ? req.sigma : run.sigma, mirrored: run.mirrored, commonRandomNumbers: run.commonRandomNumbers,
    perMemberSteps: run.perMemberSteps, stepsMin: run.stepsMin, stepsMax: run.stepsMax,
  };
  // issue 10's objectives: the keys stay absent for the thesis's, so its requests are what they always were
  if (run.lossWindow !== undefined && run.lossWindow > 1) {
    out.lossWindow = run.lossWindow;
    out.lossEvery = run.lossEvery;
  }
  if (run.longRollout) out.longRollout = run.longRollout;
  // only diagonal strategies send a σ vector (the key stays absent otherwise, so requests are as before)
  if (req.sigma instanceof Float32Array) out.sigmaVector = req.sigma;
  return out;
}

/** A run's objective (issue 10 §3) as the slice evaluation takes it. */
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
}

export class PoolEsEvaluator implements EsEvaluator {
  readonly inProcess = false;
  constructor(private readonly run: EsRunSettings, private readonly runner: SliceRunner) {}
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
