/**
 * The Adam gradient job on the GPU: the slice's losses, final states and per-sample gradients computed by the
 * worker's WebGPU device (services/compute/gpu-bptt.ts); the update stays with the master, as for adam-grad.
 */
import type { JobHandler } from './protocol';
import type { AdamGpuGradJobType } from './lab-job-types';
import type { GpuBptt } from '../compute/gpu-bptt';
import type { GpuDevice } from '../compute/gpu-device';
import { gpuDeviceFor } from './gpu-session';

let engine: { device: GpuDevice; bptt: GpuBptt } | null = null;

export const adamGpuGradJob: JobHandler<AdamGpuGradJobType> = async (payload) => {
  const { adapter, ...req } = payload;
  const device = await gpuDeviceFor(adapter);
  if (engine?.device !== device) {
    const { GpuBptt } = await import('../compute/gpu-bptt');
    engine = { device, bptt: new GpuBptt(device) };
  }
  return engine.bptt.sliceGradients(req);
};
