/**
 * One slice of an Adam batch's gradient (spec d.2), as a job any process can run: the fused BPTT engine
 * (fused-bptt.ts) on samples [sampleStart, sampleStart + x0.n) of an iteration's batch, from the parameters,
 * the slice's start states, the step count and the iteration's fire stream. It returns per-sample losses,
 * final states and gradients; the caller takes their mean in sample order (meanGradient), so the result of an
 * iteration does not depend on how many processes computed it, and a slice re-run after a crash gives the
 * same numbers.
 */
import type { NcaConfig } from '../nca/config';
import type { StateBatch } from '../nca/state';
import { FusedBptt, type FireStreamSlice, type FusedSliceResult } from './fused-bptt';

export interface AdamGradientRequest {
  cfg: NcaConfig;
  target: { rgba: Float32Array; height: number; width: number };
  params: Float32Array;
  /** the slice's start states */
  x0: StateBatch;
  steps: number;
  fire: FireStreamSlice;
  /** steps per checkpoint segment (the master's engine choice, so every process computes alike) */
  checkpointEvery: number;
  /** the run's largest step count (sizes the engine's memory) */
  maxSteps: number;
}

export type AdamGradientResult = FusedSliceResult;

/** One engine per process, rebuilt when the model, grid, target or memory plan changes. */
let cached: { key: string; target: Float32Array; engine: FusedBptt } | null = null;

function engineFor(req: AdamGradientRequest): FusedBptt {
  const key = JSON.stringify([req.cfg, req.target.height, req.target.width, req.checkpointEvery, req.maxSteps]);
  if (cached && cached.key === key && sameValues(cached.target, req.target.rgba)) return cached.engine;
  const target = { ...req.target, rgba: req.target.rgba.slice() };
  cached = { key, target: target.rgba, engine: new FusedBptt(req.cfg, target, { checkpointEvery: req.checkpointEvery, maxSteps: req.maxSteps }) };
  return cached.engine;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function computeAdamGradientSlice(req: AdamGradientRequest): AdamGradientResult {
  return engineFor(req).sliceGradients(req.params, req.x0, req.steps, req.fire);
}
