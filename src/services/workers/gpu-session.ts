/**
 * The worker's one WebGPU device (services/compute/gpu-device.ts), opened on the adapter the first GPU job names
 * and kept for the worker's life: compiling the kernels and allocating their buffers once per run, not per
 * generation. Dawn is loaded only here, so a worker that never gets a GPU job never loads it.
 */
import type { GpuAdapterReport } from '../compute/gpu-adapters';
import type { GpuDevice } from '../compute/gpu-device';

let open: { key: string; device: Promise<GpuDevice> } | null = null;

/** The device on `adapter`, opened once (a job naming another adapter gets a fresh one). */
export async function gpuDeviceFor(adapter: GpuAdapterReport): Promise<GpuDevice> {
  const key = `${adapter.backend}/${adapter.name}`;
  if (open && open.key !== key) {
    (await open.device.catch(() => null))?.destroy();
    open = null;
  }
  if (!open) {
    const { GpuDevice } = await import('../compute/gpu-device');
    const device = GpuDevice.open(adapter);
    open = { key, device };
    device.catch(() => { if (open?.device === device) open = null; });
  }
  return open.device;
}
