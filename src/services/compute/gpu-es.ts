/**
 * An ES generation on the GPU (spec c.2, thesis Algorithm 2 with the GPU as the one worker): the same contract
 * as core/es/slice.ts's evaluateEsSlice — members [memberStart, memberEnd) of one generation from θ, σ, the seed
 * and the generation number; losses back (and the best member's final states when a pool is on) — computed by
 * the kernels of core/gpu/es-population-wgsl.ts. Only θ (and σ), the member table and the start batch go up;
 * only the per-state loss sums come down (and one member's states with a pool).
 *
 * Members are independent, so a population too large for the adapter's buffers runs in chunks with the same
 * result; a chunk's buffers are kept for the next generation.
 */
/// <reference types="@webgpu/types" />
import { paramLayout, type NcaConfig } from '../../core/nca/config';
import type { StateBatch } from '../../core/nca/state';
import { memberSteps, rolloutIndex, type EsSliceRequest, type EsSliceResult } from '../../core/es/slice';
import { memberNoiseIndex } from '../../core/es/streams';
import {
  MEMBER_WORDS, RUN_UNIFORM_BYTES, SEGMENT_STRIDE, WEIGHTS_WORKGROUP, esRolloutWgsl, esWeightsWgsl, scoredSlots, type EsGpuShape,
} from '../../core/gpu/es-population-wgsl';
import { philoxKey } from '../../core/gpu/wgsl-random';
import type { GpuDevice } from './gpu-device';
import { counted } from '../../shared/words';

/** CA steps one rollout dispatch runs: short enough that no dispatch runs near a driver's reset timeout. */
export const STEPS_PER_DISPATCH = 16;
/** GPU memory one chunk of the population may take (weights, two state buffers, masks). */
export const ES_GPU_BUDGET_BYTES = 1024 * 1024 * 1024;

const U = () => GPUBufferUsage;

interface Kernels {
  weights: GPUComputePipeline;
  rollout: GPUComputePipeline;
  weightsLayout: GPUBindGroupLayout;
  rolloutLayout: GPUBindGroupLayout;
}

interface Chunk {
  key: string;
  members: number;
  segments: number;
  runW: GPUBuffer; runR: GPUBuffer; segs: GPUBuffer; center: GPUBuffer; table: GPUBuffer; weights: GPUBuffer;
  state: GPUBuffer; next: GPUBuffer; alive: GPUBuffer; inputs: GPUBuffer; losses: GPUBuffer; lossRead: GPUBuffer; stateRead: GPUBuffer;
  weightsGroup: GPUBindGroup; rolloutGroup: GPUBindGroup;
}

function layoutEntries(kinds: ('uniform' | 'dynamic' | 'read' | 'write')[]): GPUBindGroupLayoutEntry[] {
  return kinds.map((k, binding) => ({
    binding, visibility: GPUShaderStage.COMPUTE,
    buffer: k === 'uniform' ? { type: 'uniform' } : k === 'dynamic' ? { type: 'uniform', hasDynamicOffset: true, minBindingSize: 8 }
      : { type: k === 'read' ? 'read-only-storage' : 'storage' },
  }));
}

export class GpuEsPopulation {
  private readonly kernels = new Map<string, Promise<Kernels>>();
  private chunk: Chunk | null = null;

  constructor(readonly gpu: GpuDevice) {}

  private kernelsFor(shape: EsGpuShape): Promise<Kernels> {
    const key = JSON.stringify(shape);
    let k = this.kernels.get(key);
    if (!k) {
      k = (async () => {
        const { device } = this.gpu;
        const weightsLayout = device.createBindGroupLayout({ entries: layoutEntries(['uniform', 'read', 'read', 'write']) });
        const rolloutLayout = device.createBindGroupLayout({
          entries: layoutEntries(['uniform', 'dynamic', 'read', 'read', 'write', 'write', 'write', 'read', 'write']),
        });
        const dim = paramLayout(shape.cfg).total;
        const [weights, rollout] = await Promise.all([
          this.gpu.pipeline('ES member weights', esWeightsWgsl(dim), device.createPipelineLayout({ bindGroupLayouts: [weightsLayout] })),
          this.gpu.pipeline('ES rollout', esRolloutWgsl(shape), device.createPipelineLayout({ bindGroupLayouts: [rolloutLayout] })),
        ]);
        return { weights, rollout, weightsLayout, rolloutLayout };
      })();
      k.catch(() => this.kernels.delete(key));
      this.kernels.set(key, k);
    }
    return k;
  }

  /** Members per chunk for this shape: within the adapter's binding limit and the memory budget. */
  chunkSize(shape: EsGpuShape, population: number): number {
    const { cfg, height, width, batch } = shape;
    const dim = paramLayout(cfg).total;
    const stateBytes = batch * height * width * cfg.channels * 4;
    const perMember = dim * 4 + 2 * stateBytes + batch * height * width * 4 + batch * scoredSlots(shape.lossWindow, shape.lossEvery) * 4;
    const limit = this.gpu.maxBinding;
    const n = Math.min(population, Math.floor(limit / stateBytes), Math.floor(limit / (dim * 4)), Math.floor(ES_GPU_BUDGET_BYTES / perMember));
    if (n < 1) {
      throw this.gpu.failure(`one member's ${counted(batch, 'state')} (${(stateBytes / 1048576).toFixed(1)} MiB) do not fit the adapter's ` +
        `maxStorageBufferBindingSize (${(limit / 1048576).toFixed(0)} MiB) or the lab's ${ES_GPU_BUDGET_BYTES / 1048576} MiB budget`);
    }
    return n;
  }

  private async chunkFor(shape: EsGpuShape, kernels: Kernels, members: number, segments: number): Promise<Chunk> {
    const key = `${JSON.stringify(shape)}|${members}`;
    const have = this.chunk;
    if (have && have.key === key && have.segments >= segments) return have;
    this.releaseChunk();
    const { cfg, height, width, batch } = shape;
    const dim = paramLayout(cfg).total;
    const cells = height * width;
    const stateBytes = members * batch * cells * cfg.channels * 4;
    const slots = scoredSlots(shape.lossWindow, shape.lossEvery);
    const u = U();
    const [runW, runR, segs, center, table, weights, state, next, alive, inputs, losses, lossRead, stateRead] = await this.gpu.createBuffers([
      { label: 'weights run', size: RUN_UNIFORM_BYTES, usage: u.UNIFORM | u.COPY_DST },
      { label: 'rollout run', size: RUN_UNIFORM_BYTES, usage: u.UNIFORM | u.COPY_DST },
      { label: 'segments', size: segments * SEGMENT_STRIDE, usage: u.UNIFORM | u.COPY_DST },
      { label: 'θ and σ', size: 2 * dim * 4, usage: u.STORAGE | u.COPY_DST },
      { label: 'member table', size: members * MEMBER_WORDS * 4, usage: u.STORAGE | u.COPY_DST },
      { label: 'member weights', size: members * dim * 4, usage: u.STORAGE },
      { label: 'states', size: stateBytes, usage: u.STORAGE | u.COPY_SRC },
      { label: 'updated states', size: stateBytes, usage: u.STORAGE },
      { label: 'alive masks', size: members * batch * cells * 4, usage: u.STORAGE },
      { label: 'target and start states', size: (cells * 4 + batch * cells * cfg.channels) * 4, usage: u.STORAGE | u.COPY_DST },
      { label: 'losses', size: members * batch * slots * 4, usage: u.STORAGE | u.COPY_SRC },
      { label: 'losses read-back', size: members * batch * slots * 4, usage: u.MAP_READ | u.COPY_DST },
      { label: 'best states read-back', size: batch * cells * cfg.channels * 4, usage: u.MAP_READ | u.COPY_DST },
    ]);
    const { device } = this.gpu;
    const bind = (layout: GPUBindGroupLayout, buffers: GPUBuffer[], dynamic: number) => device.createBindGroup({
      layout, entries: buffers.map((buffer, binding) => ({ binding, resource: binding === dynamic ? { buffer, size: 8 } : { buffer } })),
    });
    const chunk: Chunk = {
      key, members, segments, runW, runR, segs, center, table, weights, state, next, alive, inputs, losses, lossRead, stateRead,
      weightsGroup: bind(kernels.weightsLayout, [runW, center, table, weights], -1),
      rolloutGroup: bind(kernels.rolloutLayout, [runR, segs, weights, table, state, next, alive, inputs, losses], 1),
    };
    this.chunk = chunk;
    return chunk;
  }

  private releaseChunk(): void {
    const c = this.chunk;
    if (!c) return;
    for (const b of [c.runW, c.runR, c.segs, c.center, c.table, c.weights, c.state, c.next, c.alive, c.inputs, c.losses, c.lossRead, c.stateRead]) b.destroy();
    this.chunk = null;
  }

  /** evaluateEsSlice on the GPU (same request, same result up to float rounding). */
  async evaluate(req: EsSliceRequest): Promise<EsSliceResult> {
    const shape = shapeOf(req);
    const dim = paramLayout(req.cfg).total;
    if (req.params.length !== dim) throw new RangeError(`ES on the GPU: θ has ${req.params.length} values, the model ${dim}`);
    if (req.sigmaVector && req.sigmaVector.length !== dim) throw new RangeError(`ES on the GPU: σ has ${req.sigmaVector.length} entries for ${dim} parameters`);
    const members: number[] = [];
    for (let i = req.memberStart; i < req.memberEnd; i++) members.push(i);
    const steps = members.map((i) => memberSteps(req.seed, req.generation, i, req));
    for (const k of steps) {
      if (k < shape.lossWindow) throw new RangeError(`ES on the GPU: ${k} steps are fewer than the loss window (${shape.lossWindow})`);
    }
    const kernels = await this.kernelsFor(shape);
    const size = this.chunkSize(shape, members.length);
    const maxSteps = Math.max(0, ...steps);
    const segments = Math.max(1, Math.ceil(maxSteps / STEPS_PER_DISPATCH));
    const chunk = await this.chunkFor(shape, kernels, size, segments);
    this.upload(req, shape, chunk, segments);

    const losses: number[] = [];
    const sampleLosses: number[][] = [];
    let best: EsSliceResult['best'] = null;
    for (let from = 0; from < members.length; from += size) {
      const part = members.slice(from, from + size);
      const partSteps = steps.slice(from, from + size);
      const sums = await this.runChunk(req, shape, kernels, chunk, part, partSteps, segments);
      const slots = scoredSlots(shape.lossWindow, shape.lossEvery);
      const cells = shape.height * shape.width;
      for (let j = 0; j < part.length; j++) {
        // as population.ts: per sample the mean over the scored states of the per-state MSE, then the batch mean
        const per: number[] = [];
        for (let b = 0; b < shape.batch; b++) {
          let sum = 0;
          for (let s = 0; s < slots; s++) sum += sums[(j * shape.batch + b) * slots + s] / (cells * 4);
          per.push(sum / slots);
        }
        sampleLosses.push(per);
        losses.push(per.reduce((a, v) => a + v, 0) / per.length);
      }
      if (req.wantBest) {
        // the first member with the lowest loss, as one pass over the whole slice picks it
        let j = 0;
        for (let k = 1; k < part.length; k++) if (losses[from + k] < losses[from + j]) j = k;
        if (best === null || losses[from + j] < best.loss) best = { member: part[j], loss: losses[from + j], final: await this.readStates(shape, chunk, j) };
      }
    }
    return { memberStart: req.memberStart, losses, sampleLosses, steps, best };
  }

  /** What is the same for every chunk of a generation: θ (and σ), target and start states, the segments. */
  private upload(req: EsSliceRequest, shape: EsGpuShape, chunk: Chunk, segments: number): void {
    const { queue } = this.gpu.device;
    const dim = req.params.length;
    const center = new Float32Array(2 * dim);
    center.set(req.params);
    if (req.sigmaVector) center.set(req.sigmaVector, dim);
    queue.writeBuffer(chunk.center, 0, center);
    const cells = shape.height * shape.width;
    if (req.x0.n !== shape.batch || req.x0.height !== shape.height || req.x0.width !== shape.width || req.x0.channels !== shape.cfg.channels) {
      throw new RangeError('ES on the GPU: the start batch does not match the shape');
    }
    const inputs = new Float32Array(cells * 4 + req.x0.data.length);
    inputs.set(req.target);
    inputs.set(req.x0.data, cells * 4);
    queue.writeBuffer(chunk.inputs, 0, inputs);
    const segs = new Uint32Array(segments * SEGMENT_STRIDE / 4);
    for (let s = 0; s < segments; s++) {
      segs[s * SEGMENT_STRIDE / 4] = s * STEPS_PER_DISPATCH;
      segs[s * SEGMENT_STRIDE / 4 + 1] = (s + 1) * STEPS_PER_DISPATCH;
    }
    queue.writeBuffer(chunk.segs, 0, segs);
  }

  /** Weights and rollouts of one chunk of members; the per-state loss sums back. */
  private async runChunk(
    req: EsSliceRequest, shape: EsGpuShape, kernels: Kernels, chunk: Chunk, part: number[], steps: number[], segments: number,
  ): Promise<Float32Array> {
    const { device } = this.gpu;
    const dim = req.params.length;
    const table = new Uint32Array(part.length * MEMBER_WORDS);
    part.forEach((i, j) => {
      const { pair, sign } = memberNoiseIndex(i, req.mirrored);
      table.set([pair, sign < 0 ? 1 : 0, steps[j], rolloutIndex(i, req)], j * MEMBER_WORDS);
    });
    device.queue.writeBuffer(chunk.table, 0, table);
    const weightGroups = Math.ceil((part.length * Math.ceil(dim / 4)) / WEIGHTS_WORKGROUP);
    const grids = part.length * shape.batch;
    const wx = Math.min(weightGroups, 65535);
    const rx = Math.min(grids, 65535);
    device.queue.writeBuffer(chunk.runW, 0, runUniform(req, part.length, wx));
    device.queue.writeBuffer(chunk.runR, 0, runUniform(req, part.length, rx));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(kernels.weights);
    pass.setBindGroup(0, chunk.weightsGroup);
    pass.dispatchWorkgroups(wx, Math.ceil(weightGroups / wx));
    pass.setPipeline(kernels.rollout);
    const lastStep = Math.max(...steps);
    for (let s = 0; s < segments && s * STEPS_PER_DISPATCH < Math.max(1, lastStep); s++) {
      pass.setBindGroup(0, chunk.rolloutGroup, [s * SEGMENT_STRIDE]);
      pass.dispatchWorkgroups(rx, Math.ceil(grids / rx));
    }
    pass.end();
    const bytes = grids * scoredSlots(shape.lossWindow, shape.lossEvery) * 4;
    encoder.copyBufferToBuffer(chunk.losses, 0, chunk.lossRead, 0, Math.ceil(bytes / 4) * 4);
    await this.gpu.submit([encoder.finish()]);
    return new Float32Array(await this.gpu.read(chunk.lossRead, bytes));
  }

  /** Member j of the chunk just run: its final states. */
  private async readStates(shape: EsGpuShape, chunk: Chunk, j: number): Promise<StateBatch> {
    const { device } = this.gpu;
    const n = shape.batch * shape.height * shape.width * shape.cfg.channels;
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(chunk.state, j * n * 4, chunk.stateRead, 0, n * 4);
    await this.gpu.submit([encoder.finish()]);
    const data = new Float32Array(await this.gpu.read(chunk.stateRead, n * 4));
    return { n: shape.batch, height: shape.height, width: shape.width, channels: shape.cfg.channels, data };
  }

  dispose(): void {
    this.releaseChunk();
  }
}

function runUniform(req: EsSliceRequest, members: number, groupsX: number): ArrayBuffer {
  const buf = new ArrayBuffer(RUN_UNIFORM_BYTES);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  const [lo, hi] = philoxKey(req.seed);
  u[0] = lo;
  u[1] = hi;
  u[2] = req.generation >>> 0;
  u[3] = members;
  u[4] = groupsX;
  f[5] = typeof req.sigma === 'number' ? req.sigma : 0;
  u[6] = req.sigmaVector ? 1 : 0;
  return buf;
}

/** The kernels' shape of a slice request. */
export function shapeOf(req: EsSliceRequest): EsGpuShape {
  const cfg: NcaConfig = { ...req.cfg };
  const window = req.lossWindow ?? 1;
  return { cfg, height: req.x0.height, width: req.x0.width, batch: req.x0.n, lossWindow: window, lossEvery: window > 1 ? (req.lossEvery ?? 1) : 1 };
}
