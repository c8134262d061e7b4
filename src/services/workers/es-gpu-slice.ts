/**
 * The ES worker job on the GPU: the whole population of a generation (or the slice asked for) evaluated by the
 * worker's WebGPU device (services/compute/gpu-es.ts); losses back, as from es-slice.
 */
import type { JobHandler } from './protocol';
import type { EsGpuSliceJobType } from './lab-job-types';
import type { GpuEsPopulation } from '../compute/gpu-es';
import type { GpuDevice } from '../compute/gpu-device';
import { gpuDeviceFor } from './gpu-session';

let population: { device: GpuDevice; evaluator: GpuEsPopulation } | null = null;

export const esGpuSliceJob: JobHandler<EsGpuSliceJobType> = async (payload) => {
  const { adapter, ...req } = payload;
  const device = await gpuDeviceFor(adapter);
  if (population?.device !== device) {
    const { GpuEsPopulation } = await import('../compute/gpu-es');
    population = { device, evaluator: new GpuEsPopulation(device) };
  }
  return population.evaluator.evaluate(req);
};
