/**
 * Adam on every core (docs/architecture.md, "Compute"): the batch's gradient split over the worker processes as
 * 'adam-grad' jobs (their record in services/workers/lab-jobs.ts), each a contiguous slice of samples computed by the fused
 * BPTT engine from (θ, the slice's start states, K, the iteration's fire stream). Per-sample results come back
 * and are put together in sample order, so the trainer's mean gradient, and with it the whole run, is the same
 * for any number of workers; a slice whose worker crashed is re-run by the pool with the same result.
 */
import type { NcaConfig } from '../../core/nca/config';
import { sampleOf, stackStates, type StateBatch } from '../../core/nca/state';
import type { GradientSource } from '../../core/adam/fused-adam';
import type { AdamGradientRequest, AdamGradientResult } from '../../core/adam/gradient-slice';

/** Contiguous slices [start, end) of n samples over at most `parts` workers, sizes differing by at most one. */
export function batchSlices(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(n, parts));
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const size = Math.floor(n / k) + (i < n % k ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

function slice(x0: StateBatch, start: number, end: number): StateBatch {
  if (start === 0 && end === x0.n) return x0;
  return stackStates(Array.from({ length: end - start }, (_, i) => sampleOf(x0, start + i)));
}

/** A gradient source that maps the batch's slices over `workers` processes with `map` (WorkerPool.map). */
export function poolGradients(
  cfg: NcaConfig, target: { rgba: Float32Array; height: number; width: number }, maxSteps: number, workers: number,
  map: (payloads: AdamGradientRequest[]) => Promise<AdamGradientResult[]>,
): GradientSource {
  return async (params, x0, steps, fire, checkpointEvery) => {
    const parts = batchSlices(x0.n, workers);
    const results = await map(parts.map(([a, b]) => ({
      cfg, target, params, x0: slice(x0, a, b), steps, fire: { stream: fire, batchSize: x0.n, sampleStart: a }, checkpointEvery, maxSteps,
    })));
    return {
      sampleLosses: results.flatMap((r) => r.sampleLosses),
      finals: results.length === 1 ? results[0].finals : stackStates(results.map((r) => r.finals)),
      grads: results.flatMap((r) => r.grads),
      work: {
        cellSteps: results.reduce((s, r) => s + r.work.cellSteps, 0),
        forwardRows: results.reduce((s, r) => s + r.work.forwardRows, 0),
        backwardRows: results.reduce((s, r) => s + r.work.backwardRows, 0),
      },
    };
  };
}
