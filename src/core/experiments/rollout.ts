/**
 * One experiment rollout (spec f.1) on the replay engine of the playground and `nca-lab grow`
 * (core/replay/growth-replay.ts): from the seed, `steps` CA updates of batch 1; the protocol's hooks are a damage
 * log (erase, FGSM) applied after the update and before that state's loss is measured, as the thesis's hook:
 *
 *   x = seed
 *   for k in 0 .. steps−1:
 *     x = caStep(x)            # update k+1
 *     hook(k, x)               # damage event afterUpdate k+1
 *     loss[k] = mse(x, target)
 *
 * Fire masks come from the replay's streams (replay seed, update), so an experiment's rollout is bit-identical to
 * the same model, seed and damage replayed in the playground or with `nca-lab grow` (experimentDamageLog gives the
 * log), and every protocol of a seed shares its fire masks: an erase rollout equals plain growth up to index 50
 * and departs from index 51 on.
 */
import { GrowthReplay } from '../replay/growth-replay';
import type { DamageEvent } from '../replay/damage-event';
import type { NcaConfig } from '../nca/config';
import { renderRgbaOnWhite } from '../render';
import type { Target } from '../targets/target';
import { bigCanvasSize, type ExperimentProtocol } from './protocols';

/** A frame: the state after `updates` CA updates (and that step's hook), rendered on white (a.6). */
export interface ExperimentFrame {
  updates: number;
  height: number;
  width: number;
  /** opaque RGBA8, [height][width][4] */
  rgba8: Uint8ClampedArray;
}

export interface ProtocolRolloutOptions {
  /** the model's configuration and flat parameters */
  model: { nca: NcaConfig; params: Float32Array };
  protocol: ExperimentProtocol;
  /** the target the model was trained on (unpadded pixels, its own padding) */
  target: Target;
  /** the replay seed: the fire masks' Philox streams derive from it */
  seed: number;
  /** frames for an animation, by number of updates (default none) */
  animationUpdates?: readonly number[];
  /** called every `progressEvery` updates with the number done */
  onProgress?: (updatesDone: number) => void;
  progressEvery?: number;
  /** called every 50 updates; throw from it to stop (cancellation) */
  checkpoint?: () => void;
}

export interface ProtocolRollout {
  /** loss[k] = RGBA MSE after k+1 updates and the hook at k (f.1); NaN where it was not finite */
  loss: Float64Array;
  frames: ExperimentFrame[];
  /** animation frames in update order, when asked for */
  animation: ExperimentFrame[];
  height: number;
  width: number;
}

/** The canvas a protocol runs on: the training canvas, or f.5's larger one (39×39 for 9 and 15 px targets). */
export function protocolCanvas(protocol: ExperimentProtocol, target: Target): { height: number; width: number } {
  if (protocol.canvas !== 'big') return { height: target.height, width: target.width };
  const side = Math.max(bigCanvasSize(target.size), target.height, target.width);
  return { height: side, width: side };
}

/** The protocol's hooks as a replay damage log (loss index k = the state after k+1 updates, f.1). */
export function experimentDamageLog(protocol: ExperimentProtocol): DamageEvent[] {
  return protocol.hooks.map((h): DamageEvent => (h.kind === 'erase'
    ? { afterUpdate: h.atIndex + 1, damage: { kind: 'thesis', variant: h.variant } }
    : h.fromIndex === h.toIndex
      ? { afterUpdate: h.fromIndex + 1, damage: { kind: 'fgsm', eps: h.eps, clamp: h.clamp } }
      : { afterUpdate: h.fromIndex + 1, repeatUntil: h.toIndex + 1, damage: { kind: 'fgsm', eps: h.eps, clamp: h.clamp } }));
}

function frameOf(replay: GrowthReplay, updates: number): ExperimentFrame {
  const s = replay.state();
  return { updates, height: s.height, width: s.width, rgba8: renderRgbaOnWhite(s.data, s.height, s.width, s.channels) };
}

export function runProtocol(opts: ProtocolRolloutOptions): ProtocolRollout {
  const { protocol, target } = opts;
  const { height, width } = protocolCanvas(protocol, target);
  const replay = new GrowthReplay({
    models: [{ name: 'model', nca: opts.model.nca, params: opts.model.params, target: { height: target.height, width: target.width, rgba: target.rgba } }],
    height, width, seed: opts.seed, damage: experimentDamageLog(protocol),
    // nothing is stepped back: keep the replay's history small
  }, { budgetBytes: 1 << 20, snapshotEvery: 1 << 20 });
  const wantFrame = new Set(protocol.frames);
  const wantAnim = new Set(opts.animationUpdates ?? []);
  const frames: ExperimentFrame[] = [];
  const animation: ExperimentFrame[] = [];
  const every = opts.progressEvery ?? 100;
  const keep = (u: number) => {
    if (!wantFrame.has(u) && !wantAnim.has(u)) return;
    const f = frameOf(replay, u);
    if (wantFrame.has(u)) frames.push(f);
    if (wantAnim.has(u)) animation.push(f);
  };
  keep(0);
  for (let u = 1; u <= protocol.steps; u++) {
    if (u % 50 === 1) opts.checkpoint?.();
    replay.stepForward();
    keep(u);
    if (opts.onProgress && u % every === 0) opts.onProgress(u);
  }
  opts.onProgress?.(protocol.steps);
  // the replay's loss at t is the thesis's index t − 1
  const series = replay.lossSeries();
  const loss = new Float64Array(protocol.steps);
  for (let k = 0; k < protocol.steps; k++) loss[k] = Number.isFinite(series[k + 1]) ? series[k + 1] : NaN;
  return { loss, frames, animation, height, width };
}

/**
 * Which updates an animation of a protocol shows: every update up to 200 (growth and the damage at 51 and its
 * repair), then every 20th to the end, and the last state. At most ≈ 300 frames.
 */
export function animationUpdates(protocol: ExperimentProtocol, dense = 200, stride = 20): number[] {
  const out: number[] = [];
  for (let u = 0; u <= protocol.steps; u++) {
    if (u <= dense || u % stride === 0 || u === protocol.steps) out.push(u);
  }
  return out;
}
