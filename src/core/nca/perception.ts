/**
 * Perception (spec a.2): three fixed 3×3 kernels applied depthwise with zero padding.
 *
 * Two forms of the same linear map:
 *  - `perceive`: the spec's interleaved output, y[3c+k] (k: identity, sobel_x, sobel_y), from one depthwise
 *    conv with channel multiplier 3. The reference; used by tests and anything that needs the spec's order.
 *  - `perceiveBlocked`: [x, sobel_x(x), sobel_y(x)] as three blocks of C channels. Depthwise convs with channel
 *    multiplier 1 run ≈8× faster on tfjs-wasm than multiplier 3 (environment.md, "Compute"), and the
 *    identity block is x itself. The MLP's first kernel is stored with its rows permuted to match (weights.ts).
 *    It carries its own gradient: wasm has no DepthwiseConv2dNativeBackpropInput kernel, and the gradient of a
 *    fixed stride-1 'same' correlation is the correlation of dy with the 180°-rotated kernel (= −sobel).
 */
import * as tf from '@tensorflow/tfjs';

export const IDENTITY_3X3 = [[0, 0, 0], [0, 1, 0], [0, 0, 0]];
export const SOBEL_X_3X3 = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]].map((r) => r.map((v) => v / 8));
export const SOBEL_Y_3X3 = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]].map((r) => r.map((v) => v / 8));

/** Depthwise filter [3,3,C,m] from m 3×3 kernels, repeated for every channel. */
function depthwiseFilter(kernels: number[][][], channels: number, sign = 1): tf.Tensor4D {
  const m = kernels.length;
  const data = new Float32Array(9 * channels * m);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      for (let c = 0; c < channels; c++) {
        for (let k = 0; k < m; k++) data[((i * 3 + j) * channels + c) * m + k] = sign * kernels[k][i][j];
      }
    }
  }
  return tf.tensor4d(data, [3, 3, channels, m]);
}

interface FilterSet {
  interleaved: tf.Tensor4D;
  sx: tf.Tensor4D;
  sy: tf.Tensor4D;
  sxRot: tf.Tensor4D;
  syRot: tf.Tensor4D;
}

// Filters are constants: build once per (backend, channel count) and keep them out of tidy scopes.
const filterCache = new Map<string, FilterSet>();

function filters(channels: number): FilterSet {
  const key = `${tf.getBackend()}:${channels}`;
  let f = filterCache.get(key);
  if (!f || f.sx.isDisposed) {
    f = tf.tidy(() => {
      const set = {
        interleaved: depthwiseFilter([IDENTITY_3X3, SOBEL_X_3X3, SOBEL_Y_3X3], channels),
        sx: depthwiseFilter([SOBEL_X_3X3], channels),
        sy: depthwiseFilter([SOBEL_Y_3X3], channels),
        sxRot: depthwiseFilter([SOBEL_X_3X3], channels, -1),
        syRot: depthwiseFilter([SOBEL_Y_3X3], channels, -1),
      };
      Object.values(set).forEach((t) => tf.keep(t));
      return set;
    });
    filterCache.set(key, f);
  }
  return f;
}

/** Spec a.2 exactly: [N,H,W,C] → [N,H,W,3C] with y[3c+k]. */
export function perceive(x: tf.Tensor4D): tf.Tensor4D {
  return tf.depthwiseConv2d(x, filters(x.shape[3]).interleaved, 1, 'same');
}

const perceiveBlockedOp = tf.customGrad((x, save) => {
  const xt = x as tf.Tensor4D;
  const f = filters(xt.shape[3]);
  const value = tf.concat([xt, tf.depthwiseConv2d(xt, f.sx, 1, 'same'), tf.depthwiseConv2d(xt, f.sy, 1, 'same')], 3);
  (save as tf.GradSaveFunc)([]);
  return {
    value,
    gradFunc: (dy) => {
      const d = dy as tf.Tensor4D;
      const c = xt.shape[3];
      const [dId, dSx, dSy] = tf.split(d, [c, c, c], 3) as tf.Tensor4D[];
      return dId
        .add(tf.depthwiseConv2d(dSx, f.sxRot, 1, 'same'))
        .add(tf.depthwiseConv2d(dSy, f.syRot, 1, 'same'));
    },
  };
});

/** [N,H,W,C] → [N,H,W,3C] as blocks [identity | sobel_x | sobel_y]. */
export function perceiveBlocked(x: tf.Tensor4D): tf.Tensor4D {
  return perceiveBlockedOp(x) as tf.Tensor4D;
}

/** Row j = 3c+k of the spec's kernel0 goes to row k·C + c of the blocked kernel. */
export function blockedRow(interleavedRow: number, channels: number): number {
  const c = Math.floor(interleavedRow / 3);
  const k = interleavedRow % 3;
  return k * channels + c;
}
