/**
 * One CA step (spec a.4) on tfjs ops, and rollouts of many steps.
 *
 *   aliveBefore = maxpool3x3(alpha) > threshold
 *   dx = mlp(perceive(x)); x = x + dx · fireMask
 *   aliveAfter  = maxpool3x3(alpha') > threshold
 *   x = x · (aliveBefore AND aliveAfter)
 *
 * The fire mask comes from the lab's own counter-based RNG (not tf.random), so every rollout is reproducible
 * from (seed, stream) on any backend and in any process, and the same numbers drive every implementation.
 */
import * as tf from '@tensorflow/tfjs';
import type { NcaConfig } from './config';
import { perceiveBlocked } from './perception';
import type { NcaWeights } from './weights';
import { weightsFromParams, disposeWeights } from './weights';
import type { StateBatch } from './state';
import type { Philox } from '../rng/philox';

/**
 * Alive mask as float 0/1. Its gradient is zero by definition (a step function); declaring that here keeps
 * tfjs from asking the backend for MaxPoolGrad (absent on wasm) during backprop through time.
 */
const aliveMaskOps = new Map<number, (alpha: tf.Tensor4D) => tf.Tensor4D>();

function aliveMaskOp(threshold: number): (alpha: tf.Tensor4D) => tf.Tensor4D {
  let op = aliveMaskOps.get(threshold);
  if (!op) {
    const grad = tf.customGrad((alpha, save) => {
      (save as tf.GradSaveFunc)([]);
      const value = tf.step(tf.maxPool(alpha as tf.Tensor4D, 3, 1, 'same').sub(threshold), 0);
      return { value, gradFunc: (dy) => tf.zerosLike(dy) };
    });
    op = (alpha) => grad(alpha) as tf.Tensor4D;
    aliveMaskOps.set(threshold, op);
  }
  return op;
}

export function aliveMask(x: tf.Tensor4D, threshold: number): tf.Tensor4D {
  return aliveMaskOp(threshold)(tf.slice(x, [0, 0, 0, 3], [-1, -1, -1, 1]));
}

/** Fire-mask values for one step of a batch: u <= fireRate (spec a.4), u drawn in [n][y][x] order. */
export function fireMaskData(rng: Philox, n: number, height: number, width: number, fireRate: number): Float32Array {
  const m = new Float32Array(n * height * width);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() <= fireRate ? 1 : 0;
  return m;
}

/** The tensor step. `fireMask` is [N,H,W,1] of 0/1. Differentiable w.r.t. x and the weights. */
export function caStep(cfg: NcaConfig, x: tf.Tensor4D, w: NcaWeights, fireMask: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd, c] = x.shape;
    const pre = aliveMask(x, cfg.aliveThreshold);
    const y = perceiveBlocked(x).reshape([n * h * wd, 3 * c]) as tf.Tensor2D;
    let hidden = tf.matMul(y, w.kernel0);
    if (w.bias0) hidden = hidden.add(w.bias0);
    hidden = tf.relu(hidden);
    let dx = tf.matMul(hidden, w.kernel1);
    if (w.bias1) dx = dx.add(w.bias1);
    if (cfg.stepSize !== 1) dx = dx.mul(cfg.stepSize);
    const x1 = x.add(dx.reshape([n, h, wd, c]).mul(fireMask)) as tf.Tensor4D;
    const post = aliveMask(x1, cfg.aliveThreshold);
    return x1.mul(pre.mul(post));
  });
}

export function statesToTensor(s: StateBatch): tf.Tensor4D {
  return tf.tensor4d(s.data, [s.n, s.height, s.width, s.channels]);
}

export function tensorToStates(t: tf.Tensor4D): StateBatch {
  const [n, height, width, channels] = t.shape;
  return { n, height, width, channels, data: t.dataSync() as Float32Array };
}

/** Runs `steps` CA steps on a tensor state (disposes intermediates; the caller owns the result). */
export function rolloutTensor(
  cfg: NcaConfig, x0: tf.Tensor4D, w: NcaWeights, steps: number, rng: Philox,
  onStep?: (x: tf.Tensor4D, step: number) => void,
): tf.Tensor4D {
  const [n, h, wd] = x0.shape;
  let x = x0.clone();
  for (let s = 0; s < steps; s++) {
    const mask = tf.tensor4d(fireMaskData(rng, n, h, wd, cfg.fireRate), [n, h, wd, 1]);
    const next = caStep(cfg, x, w, mask);
    mask.dispose();
    x.dispose();
    x = next;
    onStep?.(x, s + 1);
  }
  return x;
}

/** `step(state, params, rng)` on plain data: one CA step of the whole batch (a.4). */
export function step(cfg: NcaConfig, state: StateBatch, params: Float32Array, rng: Philox): StateBatch {
  return rollout(cfg, state, params, 1, rng);
}

/** `steps` CA steps on plain data. */
export function rollout(cfg: NcaConfig, state: StateBatch, params: Float32Array, steps: number, rng: Philox): StateBatch {
  const w = weightsFromParams(cfg, params);
  try {
    const x0 = statesToTensor(state);
    const x = rolloutTensor(cfg, x0, w, steps, rng);
    x0.dispose();
    const out = tensorToStates(x);
    x.dispose();
    return out;
  } finally {
    disposeWeights(w);
  }
}
