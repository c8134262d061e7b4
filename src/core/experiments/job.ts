/**
 * One experiment job: one model, the protocols of one suite, one repeat (one seed). Pure: the worker process
 * runs it (the 'experiment' record of services/workers/lab-jobs.ts), and so does the runner in its own process when asked for 0 workers.
 */
import type { NcaConfig } from '../nca/config';
import { targetFromU8 } from '../targets/target';
import type { ExperimentProtocol } from './protocols';
import { animationUpdates, runProtocol, type ExperimentFrame } from './rollout';

export interface ExperimentJobPayload {
  cfg: NcaConfig;
  params: Float32Array;
  /** the model's target: unpadded straight RGBA8 and its padding (targets/target.ts) */
  target: { name: string; size: number; padding: number; rgbaU8: Uint8Array };
  protocols: ExperimentProtocol[];
  seed: number;
  /** keep the protocols' frames (the first repeat does) */
  keepFrames: boolean;
  /** protocol ids to record an animation of */
  animate: string[];
}

export interface ExperimentJobRollout {
  protocol: string;
  loss: Float64Array;
  frames: ExperimentFrame[];
  animation: ExperimentFrame[];
}

export interface ExperimentJobResult {
  rollouts: ExperimentJobRollout[];
  seconds: number;
}

/** CA updates done of the job's total. */
export interface ExperimentJobProgress {
  updates: number;
  total: number;
}

export interface ExperimentJobContext {
  signal?: AbortSignal;
  progress?: (p: ExperimentJobProgress) => void;
}

export function jobUpdates(protocols: ExperimentProtocol[]): number {
  return protocols.reduce((a, p) => a + p.steps, 0);
}

export function runExperimentJob(payload: ExperimentJobPayload, ctx: ExperimentJobContext = {}): ExperimentJobResult {
  const t0 = performance.now();
  const model = { nca: payload.cfg, params: payload.params };
  const t = payload.target;
  const target = targetFromU8(t.name, t.size, t.rgbaU8, t.padding);
  const total = jobUpdates(payload.protocols);
  let before = 0;
  const rollouts: ExperimentJobRollout[] = [];
  for (const protocol of payload.protocols) {
    const r = runProtocol({
      model, protocol, target, seed: payload.seed,
      animationUpdates: payload.animate.includes(protocol.id) ? animationUpdates(protocol) : undefined,
      progressEvery: 250,
      onProgress: (done) => ctx.progress?.({ updates: before + done, total }),
      checkpoint: () => ctx.signal?.throwIfAborted(),
    });
    before += protocol.steps;
    rollouts.push({ protocol: protocol.id, loss: r.loss, frames: payload.keepFrames ? r.frames : [], animation: r.animation });
  }
  return { rollouts, seconds: (performance.now() - t0) / 1000 };
}
