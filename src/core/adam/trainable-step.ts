/**
 * The CA step (spec a.4) as a differentiable tfjs op with a hand-written gradient, for backprop through time
 * (spec d.2). Same function as core/nca/step.ts `caStep` (tested equal), shaped for speed and memory:
 *
 *  - Perception is two channel-multiplier-1 depthwise convs, kept as blocks (x, sobel_x(x), sobel_y(x)); kernel0
 *    is used as its three row blocks, z = x·K0x + sx·K0sx + sy·K0sy (+ b0), with no Concat/Split (they copy
 *    whole tensors on wasm) — except for wide hidden layers (M's 128), where one concat and one product win.
 *  - Every matMul runs without a transpose flag: tfjs-wasm's matMul takes its XNNPACK fast path only then
 *    (environment.md, "Compute"; measured ≈10× faster at 15×15 than the transposed forms autodiff emits). The
 *    backward pass transposes an operand explicitly (a cheap copy) and multiplies plainly.
 *  - The alpha channel is read with a [C, 1] one-hot matMul instead of a Slice.
 *  - The alive mask has zero gradient (a step function), so MaxPoolGrad is never needed; the perception's
 *    gradient is the correlation with the 180°-rotated kernels (−sobel), so no DepthwiseConv2dNativeBackprop*.
 *
 * Gradient checkpointing: `rolloutTrainable` can group the rollout into segments of L steps whose forward keeps
 * only the segment's input; backward recomputes the segment (same masks, so the same values) and then runs the
 * per-step backward. Memory drops from K·(per-step internals) to K/L inputs + L·internals for ≈+1/3 compute.
 * M's 72×72, hidden 128 rollout needs it on wasm (environment.md: the plain tape runs out of memory at ≈24 steps).
 *
 * Backward of one step, with a = aliveBefore·aliveAfter, m the fire mask, s = stepSize, y_k the perception blocks:
 *   g1 = g·a;  gdx = s·(g1·m);  dK1 = hᵀ·gdx;  db1 = Σ gdx;  gz = (gdx·K1ᵀ)·[h > 0]
 *   dK0_k = y_kᵀ·gz;  db0 = Σ gz;  gx = g1 + gz·K0xᵀ + corr(gz·K0sxᵀ, −sobel_x) + corr(gz·K0syᵀ, −sobel_y)
 */
import * as tf from '@tensorflow/tfjs';
import type { NcaConfig } from '../nca/config';
import { SOBEL_X_3X3, SOBEL_Y_3X3 } from '../nca/perception';

/** The weights as the trainable step takes them: kernel0 as its three perception row blocks [C, hidden]. */
export interface TrainableWeights {
  k0: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  bias0: tf.Tensor1D | null;
  kernel1: tf.Tensor2D;
  bias1: tf.Tensor1D | null;
}

/** Gradients in the same shape as TrainableWeights. */
export interface WeightGrads {
  k0: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  bias0: tf.Tensor1D | null;
  kernel1: tf.Tensor2D;
  bias1: tf.Tensor1D | null;
}

interface Constants {
  /** [C, 1] one-hot on the alpha channel (3) */
  alpha: tf.Tensor2D;
  sx: tf.Tensor4D;
  sy: tf.Tensor4D;
  sxNeg: tf.Tensor4D;
  syNeg: tf.Tensor4D;
}

const constCache = new Map<string, Constants>();
const onesCache = new Map<string, tf.Tensor2D>();

function filter(kernel: number[][], channels: number, sign: number): tf.Tensor4D {
  const data = new Float32Array(9 * channels);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      for (let c = 0; c < channels; c++) data[(i * 3 + j) * channels + c] = sign * kernel[i][j];
    }
  }
  return tf.tensor4d(data, [3, 3, channels, 1]);
}

// Constants live outside every tidy scope and tape: built once per (backend, channels).
function constants(channels: number): Constants {
  const key = `${tf.getBackend()}:${channels}`;
  let c = constCache.get(key);
  if (!c || c.alpha.isDisposed) {
    const oneHot = new Float32Array(channels);
    oneHot[3] = 1;
    c = {
      alpha: tf.keep(tf.tensor2d(oneHot, [channels, 1])),
      sx: tf.keep(filter(SOBEL_X_3X3, channels, 1)),
      sy: tf.keep(filter(SOBEL_Y_3X3, channels, 1)),
      sxNeg: tf.keep(filter(SOBEL_X_3X3, channels, -1)),
      syNeg: tf.keep(filter(SOBEL_Y_3X3, channels, -1)),
    };
    constCache.set(key, c);
  }
  return c;
}

/** A [1, rows] row of ones: Σ over rows as a plain (fast-path) matMul. */
function onesRow(rows: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${rows}`;
  let t = onesCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.ones([1, rows]) as tf.Tensor2D);
    onesCache.set(key, t);
  }
  return t;
}

/** A [rows, 1] column of ones. */
function onesColumn(rows: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:col:${rows}`;
  let t = onesCache.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.ones([rows, 1]) as tf.Tensor2D);
    onesCache.set(key, t);
  }
  return t;
}

/** 1 where the 3×3 max-pooled alpha is strictly above the threshold (a.4), as [N,H,W,1] float. */
function aliveFrom(x2: tf.Tensor2D, shape: [number, number, number], threshold: number, k: Constants): tf.Tensor4D {
  const alpha = tf.reshape(tf.matMul(x2, k.alpha), [shape[0], shape[1], shape[2], 1]) as tf.Tensor4D;
  return tf.step(tf.sub(tf.maxPool(alpha, 3, 1, 'same'), threshold), 0) as tf.Tensor4D;
}

/** What one step's backward needs from its forward. */
interface StepInternals {
  x: tf.Tensor4D;
  sx: tf.Tensor4D;
  sy: tf.Tensor4D;
  /** relu output [P, hidden]; h > 0 ⇔ z > 0 gives the relu mask */
  h: tf.Tensor2D;
  /** aliveBefore · aliveAfter [N,H,W,1] */
  a: tf.Tensor4D;
}

function stepForward(
  cfg: NcaConfig, x: tf.Tensor4D, w: TrainableWeights, mask: tf.Tensor4D, k: Constants, k0full: tf.Tensor2D | null,
): { out: tf.Tensor4D; saved: StepInternals } {
  const [n, hh, ww, c] = x.shape;
  const rows = n * hh * ww;
  const x2 = tf.reshape(x, [rows, c]) as tf.Tensor2D;
  const pre = aliveFrom(x2, [n, hh, ww], cfg.aliveThreshold, k);
  const sx = tf.depthwiseConv2d(x, k.sx, 1, 'same');
  const sy = tf.depthwiseConv2d(x, k.sy, 1, 'same');
  const sx2 = tf.reshape(sx, [rows, c]) as tf.Tensor2D;
  const sy2 = tf.reshape(sy, [rows, c]) as tf.Tensor2D;
  // Narrow hidden layers (thesis: 32): three products and a sum beat a concat. Wide ones (M: 128): the products
  // are bound by writing [P, hidden] outputs, so one concat and one product win (≈4× at 72×72).
  let z: tf.Tensor2D = k0full
    ? tf.matMul(tf.concat([x2, sx2, sy2], 1) as tf.Tensor2D, k0full)
    : tf.addN([tf.matMul(x2, w.k0[0]), tf.matMul(sx2, w.k0[1]), tf.matMul(sy2, w.k0[2])]);
  if (w.bias0) z = tf.add(z, w.bias0);
  const h = tf.relu(z);
  let dx: tf.Tensor2D = tf.matMul(h, w.kernel1);
  if (w.bias1) dx = tf.add(dx, w.bias1);
  if (cfg.stepSize !== 1) dx = tf.mul(dx, cfg.stepSize);
  const x1 = tf.add(x, tf.mul(tf.reshape(dx, [n, hh, ww, c]), mask)) as tf.Tensor4D;
  const post = aliveFrom(tf.reshape(x1, [rows, c]) as tf.Tensor2D, [n, hh, ww], cfg.aliveThreshold, k);
  const a = tf.mul(pre, post) as tf.Tensor4D;
  return { out: tf.mul(x1, a) as tf.Tensor4D, saved: { x, sx, sy, h, a } };
}

/** Transposed weights for the backward pass: constant during a rollout, so built once per segment. */
interface Transposed {
  k0: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  kernel1: tf.Tensor2D;
}

function stepBackward(
  cfg: NcaConfig, g: tf.Tensor4D, s: StepInternals, w: TrainableWeights, wt: Transposed, mask: tf.Tensor4D, k: Constants,
): { gx: tf.Tensor4D; grads: WeightGrads } {
  const [n, hh, ww, c] = s.x.shape;
  const rows = n * hh * ww;
  const hidden = cfg.hidden;
  const g1 = tf.mul(g, s.a) as tf.Tensor4D;
  let gdx = tf.reshape(tf.mul(g1, mask), [rows, c]) as tf.Tensor2D;
  if (cfg.stepSize !== 1) gdx = tf.mul(gdx, cfg.stepSize);
  // Weight gradients contract over the P = N·H·W cells. tfjs-wasm packs the right-hand operand of every matMul
  // (XNNPACK weights) unless it has seen that tensor before, and packing a fresh [P, k] operand costs more than the
  // product itself; so each contraction is arranged to pack the narrower operand once and reuse it (a Σ over cells
  // is a ones-row product with an already packed operand).
  const dK1 = tf.matMul(tf.transpose(s.h) as tf.Tensor2D, gdx) as tf.Tensor2D;
  const db1 = w.bias1 ? (tf.reshape(tf.matMul(onesRow(rows), gdx), [c]) as tf.Tensor1D) : null;
  const gz = tf.mul(tf.matMul(gdx, wt.kernel1), tf.step(s.h, 0)) as tf.Tensor2D;
  const ys = [tf.reshape(s.x, [rows, c]), tf.reshape(s.sx, [rows, c]), tf.reshape(s.sy, [rows, c])] as tf.Tensor2D[];
  let dK0: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  let db0: tf.Tensor1D | null = null;
  if (!wideHidden(cfg)) {
    // pack gz [P, hidden] once; transpose the three y_k [P, C]
    dK0 = ys.map((y) => tf.matMul(tf.transpose(y), gz)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    if (w.bias0) db0 = tf.reshape(tf.matMul(onesRow(rows), gz), [hidden]) as tf.Tensor1D;
  } else {
    // wide hidden layer (M: 128): pack the y_k (3·C columns) and transpose gz once instead
    const gzT = tf.transpose(gz);
    dK0 = ys.map((y) => tf.transpose(tf.matMul(gzT, y))) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    if (w.bias0) db0 = tf.reshape(tf.matMul(gzT, onesColumn(rows)), [hidden]) as tf.Tensor1D;
  }
  const shape4: [number, number, number, number] = [n, hh, ww, c];
  const gx = tf.addN([
    g1,
    tf.reshape(tf.matMul(gz, wt.k0[0]), shape4),
    tf.depthwiseConv2d(tf.reshape(tf.matMul(gz, wt.k0[1]), shape4) as tf.Tensor4D, k.sxNeg, 1, 'same'),
    tf.depthwiseConv2d(tf.reshape(tf.matMul(gz, wt.k0[2]), shape4) as tf.Tensor4D, k.syNeg, 1, 'same'),
  ]) as tf.Tensor4D;
  return { gx, grads: { k0: dK0, bias0: db0, kernel1: dK1, bias1: db1 } };
}

/** M's hidden 128 against 3·16 perception inputs: the layer-1 product is done in one piece (stepForward). */
function wideHidden(cfg: NcaConfig): boolean {
  return cfg.hidden > 3 * cfg.channels;
}

function weightList(w: TrainableWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [...w.k0];
  if (w.bias0) out.push(w.bias0);
  out.push(w.kernel1);
  if (w.bias1) out.push(w.bias1);
  return out;
}

function weightsFromList(cfg: NcaConfig, list: tf.Tensor[]): TrainableWeights {
  let i = 3;
  const k0 = list.slice(0, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const bias0 = cfg.bias1 ? (list[i++] as tf.Tensor1D) : null;
  const kernel1 = list[i++] as tf.Tensor2D;
  const bias1 = cfg.bias2 ? (list[i] as tf.Tensor1D) : null;
  return { k0, bias0, kernel1, bias1 };
}

function gradList(g: WeightGrads): tf.Tensor[] {
  const out: tf.Tensor[] = [...g.k0];
  if (g.bias0) out.push(g.bias0);
  out.push(g.kernel1);
  if (g.bias1) out.push(g.bias1);
  return out;
}

/**
 * One differentiable op over `masks.length` steps. With `recompute` the forward keeps only its input and the
 * backward reruns the forward (a checkpointed segment); without, the forward saves each step's internals.
 * The weights are saved too: the caller's tensors (kernel0's blocks come from a split) are gone by the time
 * tfjs runs the backward pass.
 */
function segmentOp(cfg: NcaConfig, masks: tf.Tensor4D[], recompute: boolean) {
  const k = constants(cfg.channels);
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const x0 = args[0] as tf.Tensor4D;
    const wList = args.slice(1) as tf.Tensor[];
    const w = weightsFromList(cfg, wList);
    const k0full = wideHidden(cfg) ? tf.concat(w.k0, 0) as tf.Tensor2D : null;
    let value: tf.Tensor4D;
    if (recompute) {
      let cur = x0;
      for (const m of masks) {
        const prev = cur;
        cur = tf.tidy(() => stepForward(cfg, prev, w, m, k, k0full).out);
        if (prev !== x0) prev.dispose();
      }
      value = cur;
      save([...wList, x0]);
    } else {
      const savedAll: tf.Tensor[] = [...wList];
      let cur = x0;
      for (const m of masks) {
        const r = stepForward(cfg, cur, w, m, k, k0full);
        savedAll.push(r.saved.x, r.saved.sx, r.saved.sy, r.saved.h, r.saved.a);
        cur = r.out;
      }
      value = cur;
      save(savedAll);
    }
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const nw = wList.length;
      const ws = weightsFromList(cfg, saved.slice(0, nw));
      const wt: Transposed = {
        k0: ws.k0.map((t) => tf.transpose(t)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D],
        kernel1: tf.transpose(ws.kernel1),
      };
      const internals: StepInternals[] = [];
      const input = saved[nw] as tf.Tensor4D;
      const k0fullB = recompute && wideHidden(cfg) ? tf.concat(ws.k0, 0) as tf.Tensor2D : null;
      if (recompute) {
        let cur = input;
        for (const m of masks) {
          const prev = cur;
          const r = tf.tidy(() => {
            const f = stepForward(cfg, prev, ws, m, k, k0fullB);
            return { out: f.out, sx: f.saved.sx, sy: f.saved.sy, h: f.saved.h, a: f.saved.a };
          });
          internals.push({ x: prev, sx: r.sx, sy: r.sy, h: r.h, a: r.a });
          cur = r.out;
        }
        cur.dispose(); // the segment's output is known already; only the internals were wanted
      } else {
        for (let i = 0; i < masks.length; i++) {
          const [x, sx, sy, h, a] = saved.slice(nw + 5 * i, nw + 5 * i + 5);
          internals.push({ x: x as tf.Tensor4D, sx: sx as tf.Tensor4D, sy: sy as tf.Tensor4D, h: h as tf.Tensor2D, a: a as tf.Tensor4D });
        }
      }
      let g = dy as tf.Tensor4D;
      let acc: tf.Tensor[] | null = null;
      for (let i = masks.length - 1; i >= 0; i--) {
        const gPrev = g;
        const accPrev: tf.Tensor[] | null = acc;
        const r: { gx: tf.Tensor4D; grads: tf.Tensor[] } = tf.tidy(() => {
          const b = stepBackward(cfg, gPrev, internals[i], ws, wt, masks[i], k);
          const list = gradList(b.grads);
          return { gx: b.gx, grads: accPrev ? list.map((t, j) => tf.add(accPrev[j], t)) : list };
        });
        if (gPrev !== dy) gPrev.dispose();
        if (accPrev) tf.dispose(accPrev);
        g = r.gx;
        acc = r.grads;
        if (recompute) {
          // free this step's recomputed internals as soon as they are used (the tape owns the segment input)
          const s = internals[i];
          tf.dispose([s.sx, s.sy, s.h, s.a]);
          if (s.x !== input) s.x.dispose();
        }
      }
      tf.dispose([...wt.k0, wt.kernel1]);
      return [g, ...(acc as tf.Tensor[])];
    };
    return { value, gradFunc };
  });
}

export interface RolloutOptions {
  /**
   * Steps per checkpointed segment; 0 = no checkpointing (every step's internals stay on the tape).
   * Changes memory and compute only, not the result beyond float rounding of the gradient sums.
   */
  checkpointEvery: number;
}

/**
 * K differentiable CA steps from x0 with one fire mask per step (`masks[s]`: [N,H,W,1] of 0/1). Call inside
 * tf.variableGrads / tf.grads; gradients flow to x0 and to every tensor of `w`. The masks must stay alive
 * until the gradients have been computed.
 */
export function rolloutTrainable(cfg: NcaConfig, x0: tf.Tensor4D, w: TrainableWeights, masks: tf.Tensor4D[], opts: RolloutOptions): tf.Tensor4D {
  const L = opts.checkpointEvery > 0 ? opts.checkpointEvery : masks.length;
  const recompute = opts.checkpointEvery > 0;
  const wList = weightList(w);
  let x = x0;
  for (let s = 0; s < masks.length; s += L) {
    x = segmentOp(cfg, masks.slice(s, s + L), recompute)(x, ...wList) as tf.Tensor4D;
  }
  return x;
}

/**
 * Bytes the tape holds per CA step without checkpointing: x, sobel_x, sobel_y, h (float32) and the alive mask.
 */
export function tapeBytesPerStep(cfg: NcaConfig, n: number, height: number, width: number): number {
  return n * height * width * (3 * cfg.channels + cfg.hidden + 1) * 4;
}

/** Default memory the tape may hold before checkpointing is used (wasm's heap is 4 GiB at most). */
export const TAPE_BUDGET_BYTES = 768 * 1024 * 1024;

/**
 * Segment length for 'auto' checkpointing: none when the whole rollout fits the budget, else ⌈√K⌉ steps
 * (memory ≈ (K/L)·|x| + L·internals, smallest near L = √K).
 */
export function autoCheckpointEvery(cfg: NcaConfig, n: number, height: number, width: number, maxSteps: number, budget = TAPE_BUDGET_BYTES): number {
  if (tapeBytesPerStep(cfg, n, height, width) * maxSteps <= budget) return 0;
  return Math.max(1, Math.ceil(Math.sqrt(maxSteps)));
}
