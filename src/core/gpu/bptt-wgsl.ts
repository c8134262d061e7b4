/**
 * Adam's backprop through time on the GPU as WGSL (spec a.2–a.4, b.3, d.2): the function of core/adam/fused-bptt.ts
 * (per-sample loss, final states and per-sample gradient of a slice of an iteration's batch), for every cell of
 * every sample in parallel, a few dispatches per CA step. Pure text and layout; services/compute/gpu-bptt.ts
 * compiles and drives it.
 *
 * Forward, per step t: `update` (alive mask before, perception, MLP or the empty neighbourhood's constant dx, fire
 * mask from the iteration's stream at uniform (t·N + sample)·H·W + cell as fused-bptt.ts reads it, x + dx·fire
 * into x1) and `mask` (alive after; every state x_t is kept, with the step's alive mask a_t = before·after).
 * `loss` then sums each sample's squared RGBA error and writes the loss gradient 2(x − target)/(H·W·4).
 * Backward, per step from the last: `rows` recomputes a cell's perception y and hidden layer h from x_t (cheaper
 * than storing them) and, where a_t and the fire mask are 1, gdx = s·g, gz = (gdx·W1ᵀ)·[h > 0], gy = gz·W0ᵀ;
 * `perception` gathers g_prev = a_t·g + perceptionᵀ(gy) from the neighbours (the transpose of a.2's kernels);
 * `weights` adds, per sample and parameter, the sum over the sample's cells in cell order of yᵀ·gz, gz,
 * relu(h)ᵀ·gdx and gdx: a fixed order, so an iteration is bit-identical on one adapter. The alive masks are step
 * functions (no gradient), as on the CPU.
 */
import { paramLayout, type NcaConfig } from '../nca/config';
import { WGSL_RANDOM, aliveComparison, fireThreshold, wgslF32 } from './wgsl-random';

export interface BpttGpuShape {
  cfg: NcaConfig;
  height: number;
  width: number;
  /** samples of the slice */
  batch: number;
}

export const BPTT_WORKGROUP = 64;
export const LOSS_WORKGROUP = 256;
/** Bytes of the `Run` uniform block. */
export const BPTT_RUN_BYTES = 48;
/** Stride of the per-step uniform records (dynamic offsets). */
export const BPTT_STEP_STRIDE = 256;

/** Floats per cell of the backward rows buffer: y, relu(h), gz, gdx, gy. */
export function rowFloats(cfg: NcaConfig): number {
  const inputs = 3 * cfg.channels;
  return inputs + 2 * cfg.hidden + cfg.channels + inputs;
}

const RUN = /* wgsl */ `
struct Run {
  seedLo: u32,
  seedHi: u32,
  stream0: u32,
  stream1: u32,
  // uniform number of the stream's next draw (fused-bptt.ts StreamReader's origin)
  origin: u32,
  batchSize: u32,
  sampleStart: u32,
  steps: u32,
  groupsX: u32,
  // the weights kernel's grid width (its grid is per parameter, not per cell)
  weightGroupsX: u32,
  pad1: u32,
  pad2: u32,
}
struct Step { t: u32 }
@group(0) @binding(0) var<uniform> run: Run;
@group(0) @binding(1) var<uniform> step: Step;
`;

function header(shape: BpttGpuShape): string {
  const { cfg, height: H, width: W, batch: B } = shape;
  const L = paramLayout(cfg);
  const alive = aliveComparison(cfg.aliveThreshold);
  const R = rowFloats(cfg);
  return /* wgsl */ `${RUN}
${WGSL_RANDOM}
const C: u32 = ${cfg.channels}u;
const HID: u32 = ${cfg.hidden}u;
const IN: u32 = ${L.inputs}u;
const DIM: u32 = ${L.total}u;
const K0: u32 = ${L.kernel0.offset}u;
const B0: u32 = ${L.bias0 ? L.bias0.offset : 0}u;
const K1: u32 = ${L.kernel1.offset}u;
const B1: u32 = ${L.bias1 ? L.bias1.offset : 0}u;
const GH: i32 = ${H};
const GW: i32 = ${W};
const HW: u32 = ${H * W}u;
const B: u32 = ${B}u;
const STEP_SIZE: f32 = ${wgslF32(cfg.stepSize)};
const FIRE_T: u32 = ${fireThreshold(cfg.fireRate)}u;
// the backward rows buffer, per cell: y (IN), relu(h) (HID), gz (HID), gdx (C), gy (IN)
const ROW: u32 = ${R}u;
const R_Y: u32 = 0u;
const R_H: u32 = ${L.inputs}u;
const R_GZ: u32 = ${L.inputs + cfg.hidden}u;
const R_GDX: u32 = ${L.inputs + 2 * cfg.hidden}u;
const R_GY: u32 = ${L.inputs + 2 * cfg.hidden + cfg.channels}u;

fn isAlive(a: f32) -> bool { return a ${alive.op} ${wgslF32(alive.value)}; }

fn cellIndex(gid: vec3<u32>) -> u32 { return gid.x + gid.y * run.groupsX * ${BPTT_WORKGROUP}u; }

// the fire mask of (sample b of the slice, cell) at step t (spec a.4)
fn fires(t: u32, b: u32, cell: u32) -> bool {
  let u = streamWord(vec2<u32>(run.seedLo, run.seedHi), run.stream0, run.stream1, t * run.batchSize + run.sampleStart + b, HW, cell + run.origin);
  return u <= FIRE_T;
}
`;
}

/** Perception of one cell into `y` (spec a.2), its 3×3 alpha max and whether the neighbourhood is all zero. */
function perceiveFn(buffer: string): string {
  return /* wgsl */ `
struct Perceived { amax: f32, any: bool }
fn perceive(base: u32, cell: u32, y: ptr<function, array<f32, ${'${IN_LEN}'}>>) -> Perceived {
  let cy = i32(cell) / GW;
  let cx = i32(cell) % GW;
  var out = Perceived(-1.0e30, false);
  for (var c = 0u; c < C; c++) {
    var v: array<f32, 9>;
    for (var k = 0; k < 9; k++) {
      let yy = cy + k / 3 - 1;
      let xx = cx + k % 3 - 1;
      var value = 0.0;
      if (yy >= 0 && yy < GH && xx >= 0 && xx < GW) {
        value = ${buffer}[base + u32(yy * GW + xx) * C + c];
        if (c == 3u) { out.amax = max(out.amax, value); }
      }
      v[k] = value;
      out.any = out.any || value != 0.0;
    }
    (*y)[3u * c] = v[4];
    (*y)[3u * c + 1u] = (v[2] + 2.0 * v[5] + v[8] - v[0] - 2.0 * v[3] - v[6]) / 8.0;
    (*y)[3u * c + 2u] = (v[6] + 2.0 * v[7] + v[8] - v[0] - 2.0 * v[1] - v[2]) / 8.0;
  }
  return out;
}`;
}

function withInputs(code: string, cfg: NcaConfig): string {
  return code.split('${IN_LEN}').join(String(3 * cfg.channels));
}

/** dx of an all-zero perception, relu(b0)·W1 + b1, once per iteration (the `update` kernel reads it). */
export function bpttDxZeroWgsl(shape: BpttGpuShape): string {
  const L = paramLayout(shape.cfg);
  return /* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> dxZero: array<f32>;
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= C) { return; }
  var d = ${L.bias1 ? 'params[B1 + c]' : '0.0'};
  ${L.bias0 ? 'for (var k = 0u; k < HID; k++) { d = d + max(params[B0 + k], 0.0) * params[K1 + k * C + c]; }' : ''}
  dxZero[c] = d;
}
`;
}

/** Forward phase 1 of step t: x1 = x_t + dx·fire, and the alive mask before. */
export function bpttUpdateWgsl(shape: BpttGpuShape): string {
  const L = paramLayout(shape.cfg);
  return withInputs(/* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> states: array<f32>;
@group(0) @binding(4) var<storage, read_write> x1: array<f32>;
@group(0) @binding(5) var<storage, read_write> pre: array<u32>;
@group(0) @binding(6) var<storage, read> dxZero: array<f32>;
${perceiveFn('states')}
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = cellIndex(gid);
  if (index >= B * HW) { return; }
  let b = index / HW;
  let cell = index % HW;
  let t = step.t;
  let base = (t * B + b) * HW * C;
  var y: array<f32, ${L.inputs}>;
  let p = perceive(base, cell, &y);
  pre[index] = select(0u, 1u, isAlive(p.amax));
  let o = base + cell * C;
  if (!fires(t, b, cell)) {
    for (var c = 0u; c < C; c++) { x1[index * C + c] = states[o + c]; }
    return;
  }
  if (!p.any) {
    for (var c = 0u; c < C; c++) { x1[index * C + c] = states[o + c] + dxZero[c] * STEP_SIZE; }
    return;
  }
  var dx: array<f32, ${shape.cfg.channels}>;
  for (var c = 0u; c < C; c++) { dx[c] = ${L.bias1 ? 'params[B1 + c]' : '0.0'}; }
  for (var k = 0u; k < HID; k++) {
    var h = ${L.bias0 ? 'params[B0 + k]' : '0.0'};
    for (var j = 0u; j < IN; j++) { h = h + y[j] * params[K0 + j * HID + k]; }
    if (h > 0.0) {
      for (var c = 0u; c < C; c++) { dx[c] = dx[c] + h * params[K1 + k * C + c]; }
    }
  }
  for (var c = 0u; c < C; c++) { x1[index * C + c] = states[o + c] + dx[c] * STEP_SIZE; }
}
`, shape.cfg);
}

/** Forward phase 2 of step t: the alive mask after, a_t = before·after, x_{t+1} = a_t·x1. */
export function bpttMaskWgsl(shape: BpttGpuShape): string {
  return /* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read_write> states: array<f32>;
@group(0) @binding(3) var<storage, read> x1: array<f32>;
@group(0) @binding(4) var<storage, read> pre: array<u32>;
@group(0) @binding(5) var<storage, read_write> alive: array<u32>;
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = cellIndex(gid);
  if (index >= B * HW) { return; }
  let b = index / HW;
  let cell = index % HW;
  let cy = i32(cell) / GW;
  let cx = i32(cell) % GW;
  var amax = -1.0e30;
  for (var k = 0; k < 9; k++) {
    let yy = cy + k / 3 - 1;
    let xx = cx + k % 3 - 1;
    if (yy >= 0 && yy < GH && xx >= 0 && xx < GW) { amax = max(amax, x1[(b * HW + u32(yy * GW + xx)) * C + 3u]); }
  }
  let keep = isAlive(amax) && pre[index] == 1u;
  alive[step.t * B * HW + index] = select(0u, 1u, keep);
  let o = ((step.t + 1u) * B + b) * HW * C + cell * C;
  for (var c = 0u; c < C; c++) { states[o + c] = select(0.0, x1[index * C + c], keep); }
}
`;
}

/** The loss of every sample after `run.steps` steps (sum of squares; the caller divides) and its gradient. */
export function bpttLossWgsl(shape: BpttGpuShape): string {
  return /* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> states: array<f32>;
@group(0) @binding(3) var<storage, read> goal: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> lossSums: array<f32>;
var<workgroup> partial: array<f32, ${LOSS_WORKGROUP}>;
@compute @workgroup_size(${LOSS_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let base = (run.steps * B + b) * HW * C;
  var acc = 0.0;
  for (var cell = lid; cell < HW; cell += ${LOSS_WORKGROUP}u) {
    for (var c = 0u; c < C; c++) {
      var g = 0.0;
      if (c < 4u) {
        let d = states[base + cell * C + c] - goal[cell * 4u + c];
        acc = acc + d * d;
        g = (2.0 * d) / f32(HW * 4u);
      }
      grad[(b * HW + cell) * C + c] = g;
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = ${LOSS_WORKGROUP / 2}u; half > 0u; half = half / 2u) {
    if (lid < half) { partial[lid] = partial[lid] + partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { lossSums[b] = partial[0]; }
}
`;
}

/** Backward of step t, per cell: y, relu(h), gz, gdx and gy where the cell is alive and fired (zero elsewhere). */
export function bpttRowsWgsl(shape: BpttGpuShape): string {
  const L = paramLayout(shape.cfg);
  return withInputs(/* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> states: array<f32>;
@group(0) @binding(4) var<storage, read> alive: array<u32>;
@group(0) @binding(5) var<storage, read> grad: array<f32>;
@group(0) @binding(6) var<storage, read_write> rows: array<f32>;
${perceiveFn('states')}
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = cellIndex(gid);
  if (index >= B * HW) { return; }
  let b = index / HW;
  let cell = index % HW;
  let t = step.t;
  let r = index * ROW;
  if (alive[t * B * HW + index] == 0u || !fires(t, b, cell)) {
    for (var k = 0u; k < HID; k++) { rows[r + R_GZ + k] = 0.0; }
    for (var c = 0u; c < C; c++) { rows[r + R_GDX + c] = 0.0; }
    for (var j = 0u; j < IN; j++) { rows[r + R_GY + j] = 0.0; }
    return;
  }
  // alive before the step, so its neighbourhood is not all zero: its MLP ran
  var y: array<f32, ${L.inputs}>;
  _ = perceive((t * B + b) * HW * C, cell, &y);
  for (var j = 0u; j < IN; j++) { rows[r + R_Y + j] = y[j]; }
  var gdx: array<f32, ${shape.cfg.channels}>;
  for (var c = 0u; c < C; c++) {
    gdx[c] = grad[index * C + c] * STEP_SIZE;
    rows[r + R_GDX + c] = gdx[c];
  }
  var gy: array<f32, ${L.inputs}>;
  for (var k = 0u; k < HID; k++) {
    var h = ${L.bias0 ? 'params[B0 + k]' : '0.0'};
    for (var j = 0u; j < IN; j++) { h = h + y[j] * params[K0 + j * HID + k]; }
    var gz = 0.0;
    if (h > 0.0) {
      for (var c = 0u; c < C; c++) { gz = gz + gdx[c] * params[K1 + k * C + c]; }
    }
    rows[r + R_H + k] = max(h, 0.0);
    rows[r + R_GZ + k] = gz;
    for (var j = 0u; j < IN; j++) { gy[j] = gy[j] + gz * params[K0 + j * HID + k]; }
  }
  for (var j = 0u; j < IN; j++) { rows[r + R_GY + j] = gy[j]; }
}
`, shape.cfg);
}

/** Backward of step t, per cell: g_prev = a_t·g + perceptionᵀ(gy) gathered from the 3×3 neighbours. */
export function bpttPerceptionWgsl(shape: BpttGpuShape): string {
  return /* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> alive: array<u32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read> rows: array<f32>;
@group(0) @binding(5) var<storage, read_write> gradPrev: array<f32>;
// sobel_x and sobel_y of a.2 as [dy + 1][dx + 1]
const SX = array<f32, 9>(-0.125, 0.0, 0.125, -0.25, 0.0, 0.25, -0.125, 0.0, 0.125);
const SY = array<f32, 9>(-0.125, -0.25, -0.125, 0.0, 0.0, 0.0, 0.125, 0.25, 0.125);
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = cellIndex(gid);
  if (index >= B * HW) { return; }
  let b = index / HW;
  let cell = index % HW;
  let cy = i32(cell) / GW;
  let cx = i32(cell) % GW;
  let keep = alive[step.t * B * HW + index] == 1u;
  for (var c = 0u; c < C; c++) {
    var g = select(0.0, grad[index * C + c], keep);
    // neighbour q = (cy + dy, cx + dx) read this cell with the kernels' weight at offset (−dy, −dx)
    for (var k = 0; k < 9; k++) {
      let dy = k / 3 - 1;
      let dx = k % 3 - 1;
      let qy = cy + dy;
      let qx = cx + dx;
      if (qy < 0 || qy >= GH || qx < 0 || qx >= GW) { continue; }
      let q = (b * HW + u32(qy * GW + qx)) * ROW + R_GY + 3u * c;
      let w = u32(8 - k);
      if (k == 4) { g = g + rows[q]; }
      g = g + SX[w] * rows[q + 1u] + SY[w] * rows[q + 2u];
    }
    gradPrev[index * C + c] = g;
  }
}
`;
}

/** θ's gradient of each sample: += over its cells in cell order of the rows' products (kernel0, bias0, kernel1, bias1). */
export function bpttWeightsWgsl(shape: BpttGpuShape): string {
  const L = paramLayout(shape.cfg);
  return /* wgsl */ `${header(shape)}
@group(0) @binding(2) var<storage, read> rows: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;
@compute @workgroup_size(${BPTT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let index = gid.x + gid.y * run.weightGroupsX * ${BPTT_WORKGROUP}u;
  if (index >= B * DIM) { return; }
  let b = index / DIM;
  let i = index % DIM;
  // which product: a = the row offset of the first factor (or none), z = of the second
  var first = 0xffffffffu;
  var second: u32;
  if (i < K0 + ${L.kernel0.size}u) {
    first = R_Y + (i - K0) / HID;
    second = R_GZ + (i - K0) % HID;
  } ${L.bias0 ? `else if (i < B0 + HID) {
    second = R_GZ + (i - B0);
  } ` : ''}else if (i < K1 + ${L.kernel1.size}u) {
    first = R_H + (i - K1) / C;
    second = R_GDX + (i - K1) % C;
  } else {
    second = R_GDX + (i - B1);
  }
  var acc = 0.0;
  for (var cell = 0u; cell < HW; cell++) {
    let r = (b * HW + cell) * ROW;
    var v = rows[r + second];
    if (first != 0xffffffffu) { v = v * rows[r + first]; }
    acc = acc + v;
  }
  grads[index] = grads[index] + acc;
}
`;
}
