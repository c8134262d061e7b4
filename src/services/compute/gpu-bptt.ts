/**
 * Adam's gradients on the GPU (spec d.2, d.4): core/adam/gradient-slice.ts's contract — per-sample losses, final
 * states and per-sample gradients of a slice of an iteration's batch, from θ, the start states, K and the
 * iteration's fire stream — computed by the kernels of core/gpu/bptt-wgsl.ts in one submission: the forward with
 * every state kept, the loss, the backward; only the losses, the final states and the gradients come back. The
 * trainer's mean over samples, gradient normalisation and Adam update stay where they are (core/adam/fused-adam.ts):
 * on a model of at most 8,336 parameters they take microseconds, and the run's checkpoints stay the CPU engine's.
 */
/// <reference types="@webgpu/types" />
import { paramLayout } from '../../core/nca/config';
import type { StateBatch } from '../../core/nca/state';
import type { AdamGradientRequest, AdamGradientResult } from '../../core/adam/gradient-slice';
import {
  BPTT_RUN_BYTES, BPTT_STEP_STRIDE, BPTT_WORKGROUP, bpttDxZeroWgsl, bpttLossWgsl, bpttMaskWgsl, bpttPerceptionWgsl, bpttRowsWgsl,
  bpttUpdateWgsl, bpttWeightsWgsl, rowFloats, type BpttGpuShape,
} from '../../core/gpu/bptt-wgsl';
import type { GpuDevice } from './gpu-device';

type Kind = 'uniform' | 'dynamic' | 'read' | 'write';

interface Kernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

interface Plan {
  key: string;
  shape: BpttGpuShape;
  maxSteps: number;
  kernels: Record<'dxZero' | 'update' | 'mask' | 'loss' | 'rows' | 'perception' | 'weights', Kernel>;
  buffers: Record<string, GPUBuffer>;
  groups: Record<string, GPUBindGroup>;
  /** the target last uploaded */
  target: Float32Array | null;
}

const KINDS = {
  dxZero: ['uniform', 'dynamic', 'read', 'write'],
  update: ['uniform', 'dynamic', 'read', 'read', 'write', 'write', 'read'],
  mask: ['uniform', 'dynamic', 'write', 'read', 'read', 'write'],
  loss: ['uniform', 'dynamic', 'read', 'read', 'write', 'write'],
  rows: ['uniform', 'dynamic', 'read', 'read', 'read', 'read', 'write'],
  perception: ['uniform', 'dynamic', 'read', 'read', 'read', 'write'],
  weights: ['uniform', 'dynamic', 'read', 'write'],
} satisfies Record<string, Kind[]>;

const SOURCES: Record<keyof typeof KINDS, (s: BpttGpuShape) => string> = {
  dxZero: bpttDxZeroWgsl, update: bpttUpdateWgsl, mask: bpttMaskWgsl, loss: bpttLossWgsl,
  rows: bpttRowsWgsl, perception: bpttPerceptionWgsl, weights: bpttWeightsWgsl,
};

/** Bytes of GPU memory one slice of this shape needs for K steps (the kept states dominate). */
export function bpttGpuBytes(shape: BpttGpuShape, maxSteps: number): number {
  const { cfg, height, width, batch } = shape;
  const cells = batch * height * width;
  const dim = paramLayout(cfg).total;
  return 4 * ((maxSteps + 1) * cells * cfg.channels + maxSteps * cells + cells * (3 * cfg.channels + 1) + cells * rowFloats(cfg) + batch * dim * 2);
}

export class GpuBptt {
  private plan: Plan | null = null;

  constructor(readonly gpu: GpuDevice) {}

  private async planFor(shape: BpttGpuShape, maxSteps: number): Promise<Plan> {
    const key = `${JSON.stringify(shape)}|${maxSteps}`;
    if (this.plan?.key === key) return this.plan;
    this.release();
    const { device } = this.gpu;
    const kernels = {} as Plan['kernels'];
    await Promise.all((Object.keys(KINDS) as (keyof typeof KINDS)[]).map(async (name) => {
      const layout = device.createBindGroupLayout({
        entries: (KINDS[name] as Kind[]).map((k, binding) => ({
          binding, visibility: GPUShaderStage.COMPUTE,
          buffer: k === 'uniform' ? { type: 'uniform' } : k === 'dynamic' ? { type: 'uniform', hasDynamicOffset: true, minBindingSize: 4 }
            : { type: k === 'read' ? 'read-only-storage' : 'storage' },
        })),
      });
      const pipeline = await this.gpu.pipeline(`Adam BPTT ${name}`, SOURCES[name](shape), device.createPipelineLayout({ bindGroupLayouts: [layout] }));
      kernels[name] = { pipeline, layout };
    }));
    const buffers = await this.allocate(shape, maxSteps);
    const plan: Plan = { key, shape, maxSteps, kernels, buffers, groups: {}, target: null };
    this.bindAll(plan);
    // the step records t = 0 … maxSteps − 1, read at dynamic offsets
    const steps = new Uint32Array(maxSteps * BPTT_STEP_STRIDE / 4);
    for (let t = 0; t < maxSteps; t++) steps[t * BPTT_STEP_STRIDE / 4] = t;
    device.queue.writeBuffer(buffers.steps, 0, steps);
    this.plan = plan;
    return plan;
  }

  private async allocate(shape: BpttGpuShape, maxSteps: number): Promise<Record<string, GPUBuffer>> {
    const { cfg, height, width, batch } = shape;
    const cells = batch * height * width;
    const dim = paramLayout(cfg).total;
    const stateBytes = cells * cfg.channels * 4;
    const u = GPUBufferUsage;
    const specs = [
      ['run', 'run', BPTT_RUN_BYTES, u.UNIFORM | u.COPY_DST],
      ['steps', 'step records', maxSteps * BPTT_STEP_STRIDE, u.UNIFORM | u.COPY_DST],
      ['params', 'θ', dim * 4, u.STORAGE | u.COPY_DST],
      ['dxZero', 'empty-neighbourhood dx', cfg.channels * 4, u.STORAGE],
      ['states', `kept states (${maxSteps + 1} steps)`, (maxSteps + 1) * stateBytes, u.STORAGE | u.COPY_DST | u.COPY_SRC],
      ['x1', 'updated states', stateBytes, u.STORAGE],
      ['pre', 'alive masks before', cells * 4, u.STORAGE],
      ['alive', `alive masks (${maxSteps} steps)`, maxSteps * cells * 4, u.STORAGE],
      ['target', 'target', height * width * 16, u.STORAGE | u.COPY_DST],
      ['gradA', 'state gradients', stateBytes, u.STORAGE],
      ['gradB', 'state gradients', stateBytes, u.STORAGE],
      ['rows', 'backward rows', cells * rowFloats(cfg) * 4, u.STORAGE],
      ['grads', 'parameter gradients', batch * dim * 4, u.STORAGE | u.COPY_SRC | u.COPY_DST],
      ['lossSums', 'losses', batch * 4, u.STORAGE | u.COPY_SRC],
      ['lossRead', 'losses read-back', batch * 4, u.MAP_READ | u.COPY_DST],
      ['gradsRead', 'gradients read-back', batch * dim * 4, u.MAP_READ | u.COPY_DST],
      ['finalsRead', 'final states read-back', stateBytes, u.MAP_READ | u.COPY_DST],
    ] as const;
    const made = await this.gpu.createBuffers(specs.map(([, label, size, usage]) => ({ label, size, usage })));
    return Object.fromEntries(specs.map(([name], i) => [name, made[i]]));
  }

  private bindAll(plan: Plan): void {
    const { device } = this.gpu;
    const b = plan.buffers;
    const group = (kernel: Kernel, buffers: GPUBuffer[]) => device.createBindGroup({
      layout: kernel.layout,
      entries: buffers.map((buffer, binding) => ({ binding, resource: binding === 1 ? { buffer, size: 4 } : { buffer } })),
    });
    const k = plan.kernels;
    const head = [b.run, b.steps];
    plan.groups = {
      dxZero: group(k.dxZero, [...head, b.params, b.dxZero]),
      update: group(k.update, [...head, b.params, b.states, b.x1, b.pre, b.dxZero]),
      mask: group(k.mask, [...head, b.states, b.x1, b.pre, b.alive]),
      loss: group(k.loss, [...head, b.states, b.target, b.gradA, b.lossSums]),
      // the state gradient ping-pongs: step K − 1 reads gradA (the loss's) and writes gradB, and so on
      rows0: group(k.rows, [...head, b.params, b.states, b.alive, b.gradA, b.rows]),
      rows1: group(k.rows, [...head, b.params, b.states, b.alive, b.gradB, b.rows]),
      perception0: group(k.perception, [...head, b.alive, b.gradA, b.rows, b.gradB]),
      perception1: group(k.perception, [...head, b.alive, b.gradB, b.rows, b.gradA]),
      weights: group(k.weights, [...head, b.rows, b.grads]),
    };
  }

  private release(): void {
    if (!this.plan) return;
    for (const buf of Object.values(this.plan.buffers)) buf.destroy();
    this.plan = null;
  }

  /** computeAdamGradientSlice on the GPU (same request, the same result up to float rounding). */
  async sliceGradients(req: AdamGradientRequest): Promise<AdamGradientResult> {
    const { cfg, x0, steps } = req;
    const { height, width } = req.target;
    const dim = paramLayout(cfg).total;
    if (req.params.length !== dim) throw new RangeError(`Adam on the GPU: θ has ${req.params.length} values, the model ${dim}`);
    if (x0.channels !== cfg.channels || x0.height !== height || x0.width !== width) {
      throw new RangeError(`Adam on the GPU: states ${x0.height}×${x0.width}×${x0.channels} do not match the model/target ${height}×${width}×${cfg.channels}`);
    }
    if (!Number.isInteger(steps) || steps < 1 || steps > req.maxSteps) throw new RangeError(`Adam on the GPU: steps must be an integer in [1, ${req.maxSteps}], got ${steps}`);
    const shape: BpttGpuShape = { cfg: { ...cfg }, height, width, batch: x0.n };
    const need = bpttGpuBytes(shape, req.maxSteps);
    if (need > 2 * 1024 ** 3) throw this.gpu.failure(`Adam needs ${(need / 1048576).toFixed(0)} MiB of GPU memory for ${x0.n} samples of ${height}×${width} over ${req.maxSteps} steps, over the lab's 2048 MiB`);
    const plan = await this.planFor(shape, req.maxSteps);
    this.upload(plan, req);
    const { device } = this.gpu;
    const cells = x0.n * height * width;
    const cellGroups = Math.ceil(cells / BPTT_WORKGROUP);
    const gx = Math.min(cellGroups, 65535);
    const weightGroups = Math.ceil((x0.n * dim) / BPTT_WORKGROUP);
    const wx = Math.min(weightGroups, 65535);
    const encoder = device.createCommandEncoder();
    encoder.clearBuffer(plan.buffers.grads);
    const pass = encoder.beginComputePass();
    const run = (name: string, pipeline: GPUComputePipeline, t: number, x: number, y: number) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, plan.groups[name], [t * BPTT_STEP_STRIDE]);
      pass.dispatchWorkgroups(x, y);
    };
    const k = plan.kernels;
    run('dxZero', k.dxZero.pipeline, 0, 1, 1);
    for (let t = 0; t < steps; t++) {
      run('update', k.update.pipeline, t, gx, Math.ceil(cellGroups / gx));
      run('mask', k.mask.pipeline, t, gx, Math.ceil(cellGroups / gx));
    }
    run('loss', k.loss.pipeline, 0, x0.n, 1);
    for (let t = steps - 1; t >= 0; t--) {
      const parity = (steps - 1 - t) % 2;
      run(`rows${parity}`, k.rows.pipeline, t, gx, Math.ceil(cellGroups / gx));
      run(`perception${parity}`, k.perception.pipeline, t, gx, Math.ceil(cellGroups / gx));
      // the weight-gradient kernel's own grid: one invocation per (sample, parameter)
      pass.setPipeline(k.weights.pipeline);
      pass.setBindGroup(0, plan.groups.weights, [t * BPTT_STEP_STRIDE]);
      pass.dispatchWorkgroups(wx, Math.ceil(weightGroups / wx));
    }
    pass.end();
    const stateBytes = cells * cfg.channels * 4;
    const b = plan.buffers;
    encoder.copyBufferToBuffer(b.lossSums, 0, b.lossRead, 0, x0.n * 4);
    encoder.copyBufferToBuffer(b.grads, 0, b.gradsRead, 0, x0.n * dim * 4);
    encoder.copyBufferToBuffer(b.states, steps * stateBytes, b.finalsRead, 0, stateBytes);
    await this.gpu.submit([encoder.finish()]);
    const [sums, grads, finals] = await Promise.all([
      this.gpu.read(b.lossRead, x0.n * 4), this.gpu.read(b.gradsRead, x0.n * dim * 4), this.gpu.read(b.finalsRead, stateBytes),
    ]);
    const sumArr = new Float32Array(sums);
    const gradArr = new Float32Array(grads);
    const finalStates: StateBatch = { n: x0.n, height, width, channels: cfg.channels, data: new Float32Array(finals) };
    return {
      sampleLosses: Array.from(sumArr, (s) => s / (height * width * 4)),
      finals: finalStates,
      grads: Array.from({ length: x0.n }, (_, i) => gradArr.slice(i * dim, (i + 1) * dim)),
      // the GPU evaluates every cell; it does not count the rows the CPU engine would have skipped
      work: { cellSteps: x0.n * steps * height * width, forwardRows: 0, backwardRows: 0 },
    };
  }

  private upload(plan: Plan, req: AdamGradientRequest): void {
    const { queue } = this.gpu.device;
    const b = plan.buffers;
    queue.writeBuffer(b.params, 0, req.params);
    if (!plan.target || plan.target.length !== req.target.rgba.length || plan.target.some((v, i) => v !== req.target.rgba[i])) {
      queue.writeBuffer(b.target, 0, req.target.rgba);
      plan.target = req.target.rgba.slice();
    }
    queue.writeBuffer(b.states, 0, req.x0.data);
    const s = req.fire.stream;
    const origin = (s.counter[0] + s.counter[1] * 4294967296) * 4 - (s.used < 4 ? 4 - s.used : 0);
    if (origin > 0xffffffff - plan.shape.height * plan.shape.width) throw new RangeError(`Adam on the GPU: the fire stream is ${origin} draws in; at most 2^32 − H·W`);
    const run = new Uint32Array(BPTT_RUN_BYTES / 4);
    const [lo, hi] = s.key;
    const { batch, height, width } = plan.shape;
    run.set([lo, hi, s.stream[0], s.stream[1], origin, req.fire.batchSize, req.fire.sampleStart, req.steps,
      Math.min(Math.ceil((batch * height * width) / BPTT_WORKGROUP), 65535),
      Math.min(Math.ceil((batch * paramLayout(plan.shape.cfg).total) / BPTT_WORKGROUP), 65535)]);
    queue.writeBuffer(b.run, 0, run);
  }

  dispose(): void {
    this.release();
  }
}

