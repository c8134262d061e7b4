/**
 * One experiment rollout (spec f.1), pure: from the seed, `steps` CA updates of batch 1; after each update the
 * protocol's hook (erase, FGSM), then the RGBA MSE against the (padded) target is logged at that index.
 *
 *   x = seed
 *   for k in 0 .. steps−1:
 *     x = caStep(x)            # update k+1
 *     hook(k, x)               # erase / FGSM at the protocol's indices
 *     loss[k] = mse(x, target)
 *
 * The random stream is Philox(seed): the same seed gives the same fire masks in every protocol on the same
 * canvas, so an erase rollout equals the plain growth rollout up to index 50 and differs from index 51 on.
 */
import { eraseThesis, fgsmStep } from '../damage/damage';
import { FusedNca, FusedScratch } from '../nca/fused';
import { rgbaMsePerSample } from '../nca/loss';
import { makeSeed, type StateBatch } from '../nca/state';
import { renderRgbaOnWhite } from '../render';
import { Philox } from '../rng/philox';
import { padTarget, type Target } from '../targets/target';
import { BIG_CANVAS_ARG, type ExperimentProtocol } from './protocols';

/** A frame: the state after `updates` CA updates (and that step's hook), rendered on white (a.6). */
export interface ExperimentFrame {
  updates: number;
  height: number;
  width: number;
  /** opaque RGBA8, [height][width][4] */
  rgba8: Uint8ClampedArray;
}

export interface ProtocolRolloutOptions {
  /** the model as the fused kernel runs it */
  nca: FusedNca;
  protocol: ExperimentProtocol;
  /** the target the model was trained on (unpadded pixels, its own padding) */
  target: Target;
  /** key of the Philox stream of fire masks */
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

/** The target on the canvas a protocol runs on (f.5 for 'big'). */
export function protocolTarget(protocol: ExperimentProtocol, target: Target): Target {
  return protocol.canvas === 'big' ? padTarget(target, BIG_CANVAS_ARG) : target;
}

function frameOf(s: StateBatch, updates: number): ExperimentFrame {
  return { updates, height: s.height, width: s.width, rgba8: renderRgbaOnWhite(s.data, s.height, s.width, s.channels) };
}

export function runProtocol(opts: ProtocolRolloutOptions): ProtocolRollout {
  const { nca, protocol } = opts;
  const target = protocolTarget(protocol, opts.target);
  const H = target.height;
  const W = target.width;
  const state = makeSeed(H, W);
  const scratch = new FusedScratch(state);
  const rng = new Philox(opts.seed);
  const loss = new Float64Array(protocol.steps);
  const wantFrame = new Set(protocol.frames);
  const wantAnim = new Set(opts.animationUpdates ?? []);
  const frames: ExperimentFrame[] = [];
  const animation: ExperimentFrame[] = [];
  const every = opts.progressEvery ?? 100;
  const keep = (u: number) => {
    if (wantFrame.has(u)) frames.push(frameOf(state, u));
    if (wantAnim.has(u)) animation.push(wantFrame.has(u) ? frames[frames.length - 1] : frameOf(state, u));
  };
  keep(0);
  for (let k = 0; k < protocol.steps; k++) {
    if (k % 50 === 0) opts.checkpoint?.();
    nca.step(state, rng, scratch);
    for (const h of protocol.hooks) {
      if (h.kind === 'erase') {
        if (k === h.atIndex) eraseThesis(state, h.variant);
      } else if (k >= h.fromIndex && k <= h.toIndex) {
        fgsmStep(state, target.rgba, h.eps, h.clamp);
      }
    }
    const l = rgbaMsePerSample(state, target.rgba)[0];
    loss[k] = Number.isFinite(l) ? l : NaN;
    keep(k + 1);
    if (opts.onProgress && (k + 1) % every === 0) opts.onProgress(k + 1);
  }
  opts.onProgress?.(protocol.steps);
  return { loss, frames, animation, height: H, width: W };
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
