/**
 * Gradient post-processing for Adam (spec d.4): M's per-variable normalisation g ← g / (‖g‖₂ + 1e-8), and the
 * global L2 norm the trainer logs and checks against adam.maxGradNorm.
 */
import * as tf from '@tensorflow/tfjs';

export const GRAD_NORM_EPSILON = 1e-8;

/** √(Σ_v ‖g_v‖²) over all variables, as a scalar tensor. */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Each gradient divided by its own L2 norm + 1e-8 (M's `g / (tf.norm(g) + 1e-8)`). New tensors. */
export function normalizePerVariable(grads: tf.Tensor[]): tf.Tensor[] {
  return grads.map((g) => tf.tidy(() => tf.div(g, tf.add(tf.sqrt(tf.sum(tf.square(g))), GRAD_NORM_EPSILON))));
}

/** The same on plain arrays (tests, tools): returns new arrays. */
export function normalizePerVariableData(grads: Float32Array[]): Float32Array[] {
  return grads.map((g) => {
    let s = 0;
    for (const v of g) s += v * v;
    const d = Math.sqrt(s) + GRAD_NORM_EPSILON;
    return g.map((v) => v / d);
  });
}
