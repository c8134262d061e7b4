/**
 * One WebGPU device on one adapter (gpu-adapters.ts), with the failures a run must report rather than hang on
 * or hide (docs/architecture.md, "Compute"): a buffer larger than the adapter allows or than its memory holds, a
 * kernel the driver rejects, a device the driver lost. Each is a GpuFailure naming the adapter and, where there
 * is one, the limit; a read-back waits for the data or for the device's loss, never for ever.
 */
/// <reference types="@webgpu/types" />
import { dawnInstance, type GpuAdapterReport } from './gpu-adapters';

/** A GPU failure a run reports as it is (never a silent fallback to another engine inside a run). */
export class GpuFailure extends Error {
  override name = 'GpuFailure';
}

const MIB = 1024 * 1024;
const mib = (n: number) => `${(n / MIB).toFixed(n < 10 * MIB ? 1 : 0)} MiB`;

export class GpuDevice {
  /** why the device was lost, once it is */
  private lost: string | null = null;
  /** resolves once the device is lost (destroyed or taken by the driver): what waits on a loss waits for this */
  whenLost(): Promise<void> {
    return this.lostSignal.then(() => undefined, () => undefined);
  }
  private readonly lostSignal: Promise<never>;
  /** the first error the device reported outside an error scope */
  private uncaptured: string | null = null;

  private constructor(readonly device: GPUDevice, readonly adapter: GpuAdapterReport) {
    this.lostSignal = device.lost.then((info) => {
      this.lost = `${info.reason === 'destroyed' ? 'destroyed' : 'lost'}${info.message ? `: ${info.message}` : ''}`;
      throw this.failure(`the GPU device was ${this.lost}`);
    });
    // a rejection nobody awaits yet must not end the process
    this.lostSignal.catch(() => undefined);
    device.addEventListener('uncapturederror', (ev) => {
      this.uncaptured ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** A device on this adapter with the adapter's own buffer limits (WebGPU's defaults are far smaller). */
  static async open(adapter: GpuAdapterReport): Promise<GpuDevice> {
    const flags = adapter.backend === 'default' ? [] : [`adapter=${adapter.name}`, `backend=${adapter.backend}`];
    const gpuAdapter = await (await dawnInstance(flags)).requestAdapter({ powerPreference: 'high-performance' });
    if (!gpuAdapter) throw new GpuFailure(`GPU adapter ${adapter.name}: Dawn could not open it`);
    const limits = gpuAdapter.limits;
    try {
      const device = await gpuAdapter.requestDevice({
        requiredLimits: {
          maxBufferSize: limits.maxBufferSize,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 10),
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeInvocationsPerWorkgroup: 256,
          maxComputeWorkgroupSizeX: 256,
        },
      });
      return new GpuDevice(device, adapter);
    } catch (err) {
      throw new GpuFailure(`GPU adapter ${adapter.name}: no device (${(err as Error).message})`);
    }
  }

  /** "GPU adapter NAME: what" */
  failure(what: string): GpuFailure {
    return new GpuFailure(`GPU adapter ${this.adapter.name}: ${what}`);
  }

  /** Throws if the device is gone or reported an error outside a scope. */
  check(): void {
    if (this.lost) throw this.failure(`the GPU device was ${this.lost}`);
    if (this.uncaptured) throw this.failure(this.uncaptured);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** The most bytes one storage binding may hold on this device. */
  get maxBinding(): number {
    return Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
  }

  /**
   * Buffers, all or none: a size over the device's limit is refused naming the limit; the driver's
   * out-of-memory and validation errors become a GpuFailure naming the adapter and the bytes asked for.
   */
  async createBuffers(specs: { label: string; size: number; usage: number }[]): Promise<GPUBuffer[]> {
    this.check();
    for (const s of specs) {
      const storage = (s.usage & GPUBufferUsage.STORAGE) !== 0;
      const limit = storage ? this.maxBinding : this.device.limits.maxBufferSize;
      if (s.size > limit) {
        throw this.failure(`the ${s.label} buffer needs ${mib(s.size)}, over the adapter's ${storage ? 'maxStorageBufferBindingSize' : 'maxBufferSize'} of ${mib(limit)}`);
      }
    }
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const buffers = specs.map((s) => device.createBuffer({ label: s.label, size: Math.max(16, Math.ceil(s.size / 16) * 16), usage: s.usage }));
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom || invalid) {
      for (const b of buffers) b.destroy();
      const total = specs.reduce((a, s) => a + s.size, 0);
      throw this.failure(oom
        ? `out of GPU memory allocating ${mib(total)} (${specs.map((s) => `${s.label} ${mib(s.size)}`).join(', ')})`
        : `buffers refused: ${invalid!.message}`);
    }
    return buffers;
  }

  /** A compute pipeline from WGSL; a shader the driver rejects is a GpuFailure with its messages. */
  async pipeline(label: string, code: string, layout?: GPUPipelineLayout): Promise<GPUComputePipeline> {
    this.check();
    const { device } = this;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      await device.popErrorScope();
      throw this.failure(`the ${label} kernel does not compile: ${errors.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ')}`);
    }
    const pipeline = await device.createComputePipelineAsync({ label, layout: layout ?? 'auto', compute: { module, entryPoint: 'main' } })
      .catch((err: Error) => { throw this.failure(`the ${label} kernel has no pipeline: ${err.message}`); });
    const invalid = await device.popErrorScope();
    if (invalid) throw this.failure(`the ${label} kernel: ${invalid.message}`);
    return pipeline;
  }

  /** Submits command buffers; what the driver refuses in them is a GpuFailure (validation, internal errors). */
  async submit(commands: GPUCommandBuffer[]): Promise<void> {
    this.check();
    const { device } = this;
    device.pushErrorScope('validation');
    device.pushErrorScope('internal');
    device.queue.submit(commands);
    const internal = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    if (internal || invalid) throw this.failure(`the GPU refused the commands: ${(internal ?? invalid)!.message}`);
  }

  /**
   * The bytes of a MAP_READ buffer once the GPU has written them (its range copied out, the buffer unmapped).
   * Waits for the queue or for the device's loss, whichever comes first.
   */
  async read(buffer: GPUBuffer, size: number): Promise<ArrayBuffer> {
    this.check();
    const bytes = Math.ceil(size / 4) * 4;
    await Promise.race([buffer.mapAsync(GPUMapMode.READ, 0, bytes), this.lostSignal]).catch((err: Error) => {
      throw err instanceof GpuFailure ? err : this.failure(`reading results back failed: ${err.message}`);
    });
    const copy = buffer.getMappedRange(0, bytes).slice(0, size);
    buffer.unmap();
    this.check();
    return copy;
  }

  destroy(): void {
    this.device.destroy();
  }
}
