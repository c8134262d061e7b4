/**
 * The ES population on the GPU as WGSL (spec a.2–a.4, b.3, c.2): the same rollouts as core/es/slice.ts on the
 * fused kernel, for every member of a generation at once. Pure text and layout: the services
 * (services/compute/gpu-es.ts) compile it on a device and feed it.
 *
 * Two kernels:
 *  - `weights`: θ_i = θ + sign_i·σ⊙z_pair(i) for every member, z rebuilt from the member's Philox noise stream
 *    (seed, generation, Noise, pair) with the CPU's Box-Muller (wgsl-random.ts); one invocation per Philox
 *    block, i.e. four parameters.
 *  - `rollout`: one workgroup per (member, sample) grid, its invocations taking the cells in turn; a dispatch
 *    runs a segment of CA steps [tStart, tEnd) of every grid, each step in two phases separated by a barrier
 *    (update into `next`, then the alive masks back into `state`), and after a step whose state the objective
 *    scores, the grid's squared RGBA error summed by the workgroup in a fixed tree order. Segments keep one
 *    dispatch short (a desktop driver resets a GPU whose dispatch runs for seconds); a member frozen at its step
 *    count is left as it is, exactly like its own rollout on the CPU.
 * A cell's step is the CPU's: maxpool alive mask before (strict `>` on the float32 alpha, made exact against the
 * double threshold), perception with zero padding in the spec's interleaved order, the MLP, the fire mask from
 * the member's stream at uniform (t·B + b)·H·W + cell (FusedNca's [step][sample][y][x] order), the alive mask
 * after, dead cells zeroed. Floats agree with the CPU to rounding (sums run in another order).
 */
import { paramLayout, type NcaConfig } from '../nca/config';
import { WGSL_RANDOM, aliveComparison, fireThreshold, wgslF32 } from './wgsl-random';
import { StreamPurpose } from '../rng/run-streams';

export interface EsGpuShape {
  cfg: NcaConfig;
  height: number;
  width: number;
  /** samples per member rollout */
  batch: number;
  /**
   * objective: the last `lossWindow` states, every `lossEvery`-th, ending on the final one (spec c.2 scores the
   * final state only; the window is the lab's objective)
   */
  lossWindow: number;
  lossEvery: number;
}

/** Bytes of the per-run uniform block (`Run` in both kernels). */
export const RUN_UNIFORM_BYTES = 32;
/** Stride of the per-segment uniform (tStart, tEnd) records: WebGPU's minimum dynamic-offset alignment. */
export const SEGMENT_STRIDE = 256;
/** u32 words per member in the member table: noise pair, sign bit, step count, fire-stream index. */
export const MEMBER_WORDS = 4;

/** Scored states per rollout: the window's states at stride `every`, ending on the last (population.ts windowSteps). */
export function scoredSlots(window: number, every: number): number {
  return Math.ceil(window / every);
}

/** Invocations per rollout workgroup: the grid's cells in one pass where they fit, at most 256. */
export function rolloutWorkgroupSize(height: number, width: number): number {
  let n = 32;
  while (n < height * width && n < 256) n *= 2;
  return n;
}

export const WEIGHTS_WORKGROUP = 64;

const RUN_STRUCT = /* wgsl */ `
struct Run {
  seedLo: u32,
  seedHi: u32,
  generation: u32,
  members: u32,
  groupsX: u32,
  sigma: f32,
  sigmaVector: u32,
  pad: u32,
}`;

/** The member-weights kernel for a model of `dim` parameters. */
export function esWeightsWgsl(dim: number): string {
  return /* wgsl */ `${RUN_STRUCT}
${WGSL_RANDOM}
@group(0) @binding(0) var<uniform> run: Run;
// θ (dim), then σ per parameter (dim) when run.sigmaVector is 1
@group(0) @binding(1) var<storage, read> center: array<f32>;
@group(0) @binding(2) var<storage, read> members: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;

const DIM: u32 = ${dim}u;
const BLOCKS: u32 = ${Math.ceil(dim / 4)}u;

@compute @workgroup_size(${WEIGHTS_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = gid.x + gid.y * run.groupsX * ${WEIGHTS_WORKGROUP}u;
  if (index >= run.members * BLOCKS) { return; }
  let m = index / BLOCKS;
  let q = index % BLOCKS;
  let info = members[m];
  // stream (seed, generation, Noise, pair): counter words 2, 3 = generation, purpose << 24 | pair
  let w = philox(vec4<u32>(q, 0u, run.generation, ${StreamPurpose.Noise << 24}u | info.x), vec2<u32>(run.seedLo, run.seedHi));
  let n01 = normalPair(w.x, w.y);
  let n23 = normalPair(w.z, w.w);
  let z = array<f32, 4>(n01.x, n01.y, n23.x, n23.y);
  var sign = 1.0;
  if (info.y == 1u) { sign = -1.0; }
  for (var i = 0u; i < 4u; i++) {
    let j = q * 4u + i;
    if (j < DIM) {
      var s = run.sigma;
      if (run.sigmaVector == 1u) { s = center[DIM + j]; }
      weights[m * DIM + j] = center[j] + (sign * s) * z[i];
    }
  }
}
`;
}

/** The rollout kernel for one shape. */
export function esRolloutWgsl(shape: EsGpuShape): string {
  const { cfg, height: H, width: W, batch: B } = shape;
  const L = paramLayout(cfg);
  const C = cfg.channels;
  const HID = cfg.hidden;
  const HW = H * W;
  const WG = rolloutWorkgroupSize(H, W);
  const S = scoredSlots(shape.lossWindow, shape.lossEvery);
  const alive = aliveComparison(cfg.aliveThreshold);
  return /* wgsl */ `${RUN_STRUCT}
${WGSL_RANDOM}
struct Segment { tStart: u32, tEnd: u32 }
@group(0) @binding(0) var<uniform> run: Run;
@group(0) @binding(1) var<uniform> seg: Segment;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> members: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read_write> next: array<f32>;
@group(0) @binding(6) var<storage, read_write> alivePre: array<u32>;
// the premultiplied RGBA target (H·W·4), then the start batch (B·H·W·C)
@group(0) @binding(7) var<storage, read> inputs: array<f32>;
@group(0) @binding(8) var<storage, read_write> losses: array<f32>;

const C: u32 = ${C}u;
const HID: u32 = ${HID}u;
const IN: u32 = ${L.inputs}u;
const DIM: u32 = ${L.total}u;
const K1: u32 = ${L.kernel1.offset}u;
const GH: i32 = ${H};
const GW: i32 = ${W};
const HW: u32 = ${HW}u;
const B: u32 = ${B}u;
const WG: u32 = ${WG}u;
const SLOTS: u32 = ${S}u;
const WINDOW: u32 = ${shape.lossWindow}u;
const EVERY: u32 = ${shape.lossEvery}u;
const X0: u32 = ${HW * 4}u;
const FIRE_T: u32 = ${fireThreshold(cfg.fireRate)}u;

var<workgroup> wgSteps: u32;
var<workgroup> dxZero: array<f32, ${C}>;
var<workgroup> partial: array<f32, ${WG}>;

fn isAlive(a: f32) -> bool { return a ${alive.op} ${wgslF32(alive.value)}; }

// phase 1 of a step for one cell: alive mask before, fire mask, perception, MLP, x + dx·fire into next
fn updateCell(base: u32, wbase: u32, cell: u32, t: u32, b: u32, fireStream: u32) {
  let cy = i32(cell) / GW;
  let cx = i32(cell) % GW;
  var y: array<f32, ${L.inputs}>;
  var amax = -1.0e30;
  var any = false;
  // perception (spec a.2), zero padding; its 3×3 alpha max and whether the neighbourhood is all zero
  for (var c = 0u; c < C; c++) {
    var v: array<f32, 9>;
    for (var k = 0; k < 9; k++) {
      let yy = cy + k / 3 - 1;
      let xx = cx + k % 3 - 1;
      var value = 0.0;
      if (yy >= 0 && yy < GH && xx >= 0 && xx < GW) {
        value = state[base + u32(yy * GW + xx) * C + c];
        if (c == 3u) { amax = max(amax, value); }
      }
      v[k] = value;
      any = any || value != 0.0;
    }
    y[3u * c] = v[4];
    y[3u * c + 1u] = (v[2] + 2.0 * v[5] + v[8] - v[0] - 2.0 * v[3] - v[6]) / 8.0;
    y[3u * c + 2u] = (v[6] + 2.0 * v[7] + v[8] - v[0] - 2.0 * v[1] - v[2]) / 8.0;
  }
  alivePre[base / C + cell] = select(0u, 1u, isAlive(amax));
  let o = base + cell * C;
  let u = streamWord(vec2<u32>(run.seedLo, run.seedHi), run.generation, ${StreamPurpose.FireMasks << 24}u | fireStream, t * B + b, HW, cell);
  if (u > FIRE_T) {
    for (var c = 0u; c < C; c++) { next[o + c] = state[o + c]; }
    return;
  }
  if (!any) {
    // an all-zero neighbourhood has perception 0: dx is the member's constant relu(b0)·W1 + b1
    for (var c = 0u; c < C; c++) { next[o + c] = state[o + c] + dxZero[c] * ${wgslF32(cfg.stepSize)}; }
    return;
  }
  var dx: array<f32, ${C}>;
  for (var c = 0u; c < C; c++) { dx[c] = ${L.bias1 ? `weights[wbase + ${L.bias1.offset}u + c]` : '0.0'}; }
  for (var k = 0u; k < HID; k++) {
    var h = ${L.bias0 ? `weights[wbase + ${L.bias0.offset}u + k]` : '0.0'};
    for (var j = 0u; j < IN; j++) { h = h + y[j] * weights[wbase + j * HID + k]; }
    if (h > 0.0) {
      for (var c = 0u; c < C; c++) { dx[c] = dx[c] + h * weights[wbase + K1 + k * C + c]; }
    }
  }
  for (var c = 0u; c < C; c++) { next[o + c] = state[o + c] + dx[c] * ${wgslF32(cfg.stepSize)}; }
}

// phase 2: alive after the update AND before, else every channel zero (spec a.4)
fn maskCell(base: u32, cell: u32) {
  let cy = i32(cell) / GW;
  let cx = i32(cell) % GW;
  var amax = -1.0e30;
  for (var k = 0; k < 9; k++) {
    let yy = cy + k / 3 - 1;
    let xx = cx + k % 3 - 1;
    if (yy >= 0 && yy < GH && xx >= 0 && xx < GW) { amax = max(amax, next[base + u32(yy * GW + xx) * C + 3u]); }
  }
  let keep = isAlive(amax) && alivePre[base / C + cell] == 1u;
  let o = base + cell * C;
  for (var c = 0u; c < C; c++) { state[o + c] = select(0.0, next[o + c], keep); }
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ms = wid.x + wid.y * run.groupsX;
  if (ms >= run.members * B) { return; }
  let m = ms / B;
  let b = ms % B;
  let info = members[m];
  if (lid == 0u) { wgSteps = info.z; }
  let steps = workgroupUniformLoad(&wgSteps);
  let base = ms * HW * C;
  let wbase = m * DIM;
  for (var c = lid; c < C; c += WG) {
    var d = ${L.bias1 ? `weights[wbase + ${L.bias1.offset}u + c]` : '0.0'};
    ${L.bias0 ? `for (var k = 0u; k < HID; k++) { d = d + max(weights[wbase + ${L.bias0.offset}u + k], 0.0) * weights[wbase + K1 + k * C + c]; }` : ''}
    dxZero[c] = d;
  }
  workgroupBarrier();
  if (seg.tStart == 0u) {
    for (var i = lid; i < HW * C; i += WG) { state[base + i] = inputs[X0 + b * HW * C + i]; }
    storageBarrier();
  }
  let end = min(seg.tEnd, steps);
  for (var t = seg.tStart; t < end; t++) {
    for (var cell = lid; cell < HW; cell += WG) { updateCell(base, wbase, cell, t, b, info.w); }
    storageBarrier();
    for (var cell = lid; cell < HW; cell += WG) { maskCell(base, cell); }
    storageBarrier();
    // the objective: is the state after t + 1 steps one of the window's?
    let back = steps - (t + 1u);
    if (back < WINDOW && back % EVERY == 0u) {
      var acc = 0.0;
      for (var cell = lid; cell < HW; cell += WG) {
        for (var c = 0u; c < 4u; c++) {
          let d = state[base + cell * C + c] - inputs[cell * 4u + c];
          acc = acc + d * d;
        }
      }
      partial[lid] = acc;
      workgroupBarrier();
      for (var half = WG / 2u; half > 0u; half = half / 2u) {
        if (lid < half) { partial[lid] = partial[lid] + partial[lid + half]; }
        workgroupBarrier();
      }
      if (lid == 0u) { losses[ms * SLOTS + (SLOTS - 1u - back / EVERY)] = partial[0]; }
      workgroupBarrier();
    }
  }
}
`;
}
