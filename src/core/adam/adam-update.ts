/**
 * Adam's update (spec d.1, d.4, i.6) on plain float32 arrays, with tf.train.adam's arithmetic step for step,
 * so the fused engine (fused-bptt.ts) continues the same optimizer as the tfjs path and reads and writes the
 * same checkpoint state (AdamOptimizerState: moments, step, and β1^t, β2^t as float32 running products):
 *
 *   m ← m·β1 + g·(1 − β1);  v ← v·β2 + g²·(1 − β2)
 *   θ ← θ + (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε) · (−lr);  β1^t ← β1^t·β1;  β2^t ← β2^t·β2
 *
 * every operation rounded to float32 as tfjs's float32 kernels do (a product or sum of two float32 numbers
 * taken in float64 and rounded once is the correctly rounded float32 result). tfjs starts the running
 * products at β (not 1): its first update divides by 1 − β, as PyTorch and Keras do.
 *
 * Also M's per-variable gradient normalisation and the global norm, on the flat layout (config.ts).
 */
import type { NcaConfig } from '../nca/config';
import { paramLayout } from '../nca/config';
import type { AdamOptimizerState } from './bptt';
import type { AdamSettings } from './settings';

const f32 = Math.fround;

/** A fresh optimizer state for `size` parameters, as tf.train.adam starts. */
export function freshAdamState(adam: Pick<AdamSettings, 'beta1' | 'beta2'>, size: number): AdamOptimizerState {
  return { step: 0, accBeta1: f32(adam.beta1), accBeta2: f32(adam.beta2), m: new Float32Array(size), v: new Float32Array(size) };
}

/** One Adam update of `params` in place with gradient `grad` and learning rate `lr`; advances `state`. */
export function applyAdam(adam: Pick<AdamSettings, 'beta1' | 'beta2' | 'epsilon'>, state: AdamOptimizerState, params: Float32Array, grad: Float32Array, lr: number): void {
  const n = params.length;
  if (grad.length !== n || state.m.length !== n || state.v.length !== n) {
    throw new RangeError(`Adam: params ${n}, gradient ${grad.length}, moments ${state.m.length}/${state.v.length} values`);
  }
  const b1 = f32(adam.beta1);
  const b2 = f32(adam.beta2);
  // the scalars tfjs builds: 1 − β in float64 then a float32 tensor; ε and −lr likewise
  const c1 = f32(1 - adam.beta1);
  const c2 = f32(1 - adam.beta2);
  const eps = f32(adam.epsilon);
  const negLr = f32(-lr);
  const d1 = f32(1 - state.accBeta1);
  const d2 = f32(1 - state.accBeta2);
  const { m, v } = state;
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    const mi = f32(f32(m[i] * b1) + f32(g * c1));
    const vi = f32(f32(v[i] * b2) + f32(f32(g * g) * c2));
    m[i] = mi;
    v[i] = vi;
    const mh = f32(mi / d1);
    const vh = f32(vi / d2);
    params[i] = f32(f32(f32(mh / f32(f32(Math.sqrt(vh)) + eps)) * negLr) + params[i]);
  }
  state.accBeta1 = f32(state.accBeta1 * b1);
  state.accBeta2 = f32(state.accBeta2 * b2);
  state.step += 1;
}

/** The variables of the flat layout as [offset, size] pairs (kernel0, bias0, kernel1, bias1 where present). */
function variables(cfg: NcaConfig): [number, number][] {
  const L = paramLayout(cfg);
  return [L.kernel0, L.bias0, L.kernel1, L.bias1].filter((v): v is { offset: number; size: number } => v !== null).map((v) => [v.offset, v.size]);
}

/** √(Σ g²) over all parameters, in float64. */
export function globalNormFlat(grad: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grad.length; i++) s += grad[i] * grad[i];
  return Math.sqrt(s);
}

/** M's g ← g / (‖g‖₂ + 1e-8), each variable by its own norm (gradients.ts on tensors); a new array. */
export function normalizeFlatPerVariable(cfg: NcaConfig, grad: Float32Array): Float32Array {
  const out = new Float32Array(grad.length);
  for (const [o, size] of variables(cfg)) {
    let s = 0;
    for (let i = o; i < o + size; i++) s += grad[i] * grad[i];
    const d = f32(f32(Math.sqrt(s)) + 1e-8);
    for (let i = o; i < o + size; i++) out[i] = grad[i] / d;
  }
  return out;
}
