/**
 * Which engine a session computes on (shared/compute-engine.ts; docs/architecture.md, "Compute"): `wasm` is the
 * CPU's fused WebAssembly SIMD engine; `webgpu` the first usable GPU adapter, a software one only when nothing
 * better exists, and an error naming what was found when there is none (a run that asked for the GPU never
 * silently computes elsewhere); `auto` a real GPU adapter when there is one, else `wasm`, saying which and why.
 */
import type { ComputeRecord, EngineChoice } from '../../shared/compute-engine';
import { describeSurvey, pickAdapter, surveyGpus, vulkanLoaderPresent, type GpuAdapterReport, type GpuSurvey } from './gpu-adapters';
import { GpuFailure } from './gpu-device';

export interface EngineResolution {
  record: ComputeRecord;
  /** the adapter to open, for `webgpu` */
  adapter: GpuAdapterReport | null;
}

/** The GPU adapter's name as run.json records it. */
export function adapterLabel(a: GpuAdapterReport): string {
  return `${a.name} (${a.backend}${a.software ? ', software' : ''})`;
}

/** Why `auto` found no real GPU in this survey. */
function whyNoGpu(survey: GpuSurvey): string {
  if (!survey.dawn.loaded) return survey.dawn.reason;
  if (survey.adapters.length === 0) return `Dawn found none: ${survey.hint}`;
  return survey.adapters.map((a) => `${a.name}: ${a.refused ?? (a.software ? 'a software (CPU) adapter, slower than the wasm engine' : 'unusable')}`).join('; ');
}

export async function resolveEngine(requested: EngineChoice, survey?: () => Promise<GpuSurvey>): Promise<EngineResolution> {
  if (requested === 'wasm') return { record: { engine: 'wasm', adapter: null, reason: 'the run asks for wasm' }, adapter: null };
  if (requested === 'auto' && !survey && !vulkanLoaderPresent()) {
    return { record: { engine: 'wasm', adapter: null, reason: 'auto: no GPU adapter; no Vulkan loader (libvulkan.so.1) on this machine' }, adapter: null };
  }
  const found = await (survey ?? surveyGpus)();
  if (requested === 'webgpu') {
    const a = pickAdapter(found, true);
    if (!a) throw new GpuFailure(`engine webgpu: no usable GPU adapter: ${describeSurvey(found).join('; ')}`);
    return { record: { engine: 'webgpu', adapter: adapterLabel(a), reason: a.software ? 'the run asks for webgpu; the only adapter is a software one' : 'the run asks for webgpu' }, adapter: a };
  }
  const a = pickAdapter(found, false);
  if (a) return { record: { engine: 'webgpu', adapter: adapterLabel(a), reason: `auto: ${a.name} is a GPU` }, adapter: a };
  return { record: { engine: 'wasm', adapter: null, reason: `auto: no GPU adapter; ${whyNoGpu(found)}` }, adapter: null };
}
