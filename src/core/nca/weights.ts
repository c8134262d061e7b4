/**
 * Parameters as tensors for the tfjs NCA, converted from / to the flat layout of config.ts.
 * Inside tensors the first kernel's rows are in the blocked perception order (perception.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { paramLayout, type NcaConfig } from './config';
import { blockedRow } from './perception';

export interface NcaWeights {
  /** [3C, hidden], rows in blocked order */
  kernel0: tf.Tensor2D;
  bias0: tf.Tensor1D | null;
  /** [hidden, C] */
  kernel1: tf.Tensor2D;
  bias1: tf.Tensor1D | null;
}

/** Flat params (spec order) → the blocked kernel0 data. */
export function blockedKernel0(cfg: NcaConfig, params: Float32Array): Float32Array {
  const L = paramLayout(cfg);
  const h = cfg.hidden;
  const out = new Float32Array(L.kernel0.size);
  for (let j = 0; j < L.inputs; j++) {
    const r = blockedRow(j, cfg.channels);
    out.set(params.subarray(L.kernel0.offset + j * h, L.kernel0.offset + (j + 1) * h), r * h);
  }
  return out;
}

export function weightsFromParams(cfg: NcaConfig, params: Float32Array): NcaWeights {
  const L = paramLayout(cfg);
  if (params.length !== L.total) {
    throw new RangeError(`parameters: expected ${L.total} values for hidden ${cfg.hidden} (bias1 ${cfg.bias1}, bias2 ${cfg.bias2}), got ${params.length}`);
  }
  return {
    kernel0: tf.tensor2d(blockedKernel0(cfg, params), [L.inputs, cfg.hidden]),
    bias0: L.bias0 ? tf.tensor1d(params.slice(L.bias0.offset, L.bias0.offset + L.bias0.size)) : null,
    kernel1: tf.tensor2d(params.slice(L.kernel1.offset, L.kernel1.offset + L.kernel1.size), L.kernel1.shape),
    bias1: L.bias1 ? tf.tensor1d(params.slice(L.bias1.offset, L.bias1.offset + L.bias1.size)) : null,
  };
}

/** Tensors (blocked order) → flat params in the spec's order. Reads data synchronously. */
export function paramsFromWeights(cfg: NcaConfig, w: NcaWeights): Float32Array {
  const L = paramLayout(cfg);
  const h = cfg.hidden;
  const params = new Float32Array(L.total);
  const k0 = w.kernel0.dataSync() as Float32Array;
  for (let j = 0; j < L.inputs; j++) {
    const r = blockedRow(j, cfg.channels);
    params.set(k0.subarray(r * h, (r + 1) * h), L.kernel0.offset + j * h);
  }
  if (L.bias0 && w.bias0) params.set(w.bias0.dataSync() as Float32Array, L.bias0.offset);
  params.set(w.kernel1.dataSync() as Float32Array, L.kernel1.offset);
  if (L.bias1 && w.bias1) params.set(w.bias1.dataSync() as Float32Array, L.bias1.offset);
  return params;
}

export function disposeWeights(w: NcaWeights): void {
  w.kernel0.dispose();
  w.bias0?.dispose();
  w.kernel1.dispose();
  w.bias1?.dispose();
}
