/**
 * The training loss on tensors (spec b.3): per sample, mean over (H, W, 4) of (x[..., 0:4] − target)²
 * against the premultiplied target; the batch loss is the mean over samples. Differentiable on wasm
 * (Slice's gradient is a PadV2).
 */
import * as tf from '@tensorflow/tfjs';

/** x [N,H,W,C], target [H,W,4] → [N]. */
export function rgbaMsePerSampleTensor(x: tf.Tensor4D, target: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 4]), target)), [1, 2, 3]) as tf.Tensor1D);
}
