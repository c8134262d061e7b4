/**
 * The GPUs this process can compute on, through Dawn for Node (the optional npm package `webgpu`, a prebuilt
 * dawn.node per platform): which adapters Dawn sees, what each offers (name, vendor, limits) and why the lab
 * would refuse one (docs/architecture.md, "Compute"). `nca-lab info` prints this survey; the engine choice
 * (engine-choice.ts) picks from it.
 *
 * A software adapter (SwiftShader, Mesa's llvmpipe: WebGPU's "fallback adapter", computing on the CPU) runs
 * every kernel correctly and is how the lab's GPU kernels are tested on machines without a GPU, but it is slower
 * than the lab's own CPU engine: `auto` never takes one, `--engine webgpu` may.
 */
/// <reference types="@webgpu/types" />
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/** What dawn.node exports (package `webgpu`). */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** The limits the lab's kernels depend on, as the adapter reports them. */
export const REPORTED_LIMITS = [
  'maxBufferSize', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
] as const;
export type ReportedLimit = (typeof REPORTED_LIMITS)[number];

/** What the lab's kernels need at least (WebGPU's defaults, which every adapter offers, except the 256 invocations). */
export const REQUIRED_LIMITS: Record<ReportedLimit, number> = {
  maxBufferSize: 64 * 1024 * 1024,
  maxStorageBufferBindingSize: 64 * 1024 * 1024,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 8192,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupsPerDimension: 65535,
};

export interface GpuAdapterReport {
  /** Dawn's backend: vulkan, metal, d3d12, … */
  backend: string;
  /** Dawn's adapter name (what `--adapter` matches) */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  /** a software adapter computing on the CPU (SwiftShader, llvmpipe) */
  software: boolean;
  limits: Record<ReportedLimit, number>;
  /** why the lab will not compute on it at all, or null */
  refused: string | null;
}

export interface GpuSurvey {
  /** dawn.node loaded, or why not */
  dawn: { loaded: true; version: string } | { loaded: false; reason: string };
  adapters: GpuAdapterReport[];
  /** when no adapter was found: the likely reason (no Vulkan loader, no driver, …) */
  hint: string | null;
}

let dawn: Promise<DawnModule> | null = null;

/**
 * Every GPU instance this process created, kept for its lifetime: dawn.node tears an instance down when it is
 * garbage collected, and one collected while another instance's device works ends the process ("futex facility
 * returned an unexpected error code"), so none may be collected.
 */
const instances: GPU[] = [];

/** A Dawn GPU instance with these flags (`adapter=NAME`, `backend=vulkan`, …), kept alive. */
export async function dawnInstance(flags: string[]): Promise<GPU> {
  const gpu = (await loadDawn()).create(flags);
  instances.push(gpu);
  return gpu;
}

/** dawn.node, loaded once per process; rejects with the reason it cannot load. */
export function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    dawn = (async () => {
      const name = 'webgpu';
      try {
        const mod = (await import(/* @vite-ignore */ name)) as DawnModule;
        // the WebGPU classes and constants (GPUBufferUsage, …) the kernels' code refers to
        Object.assign(globalThis, mod.globals);
        return mod;
      } catch (err) {
        throw new Error(`Dawn for Node (the optional npm package "webgpu") did not load: ${(err as Error).message.split('\n')[0]}`, { cause: err });
      }
    })();
    dawn.catch(() => { dawn = null; });
  }
  return dawn;
}

function dawnVersion(): string {
  try {
    const spec = 'webgpu/package.json';
    return (createRequire(import.meta.url)(spec) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Dawn's list of every adapter it found, from the error it gives for an adapter name that matches none
 * ("Available adapters:\n * backend: 'vulkan', name: '…'"); null when the message has no such list.
 */
export function parseAdapterList(message: string): { backend: string; name: string }[] | null {
  const at = message.indexOf('Available adapters');
  if (at < 0) return null;
  const out: { backend: string; name: string }[] = [];
  for (const m of message.slice(at).matchAll(/backend:\s*'([^']*)',\s*name:\s*'([^']*)'/g)) out.push({ backend: m[1], name: m[2] });
  return out;
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

/** GPUAdapter.info (typed here: older @webgpu/types, which other packages bring along, lack it). */
interface AdapterInfo {
  vendor: string;
  architecture: string;
  device?: string;
  description: string;
  isFallbackAdapter?: boolean;
}
const infoOf = (adapter: GPUAdapter): AdapterInfo => (adapter as unknown as { info: AdapterInfo }).info;

function reportOf(backend: string, name: string, adapter: GPUAdapter): GpuAdapterReport {
  const info = infoOf(adapter);
  const limits = {} as Record<ReportedLimit, number>;
  for (const k of REPORTED_LIMITS) limits[k] = Number((adapter.limits as unknown as Record<string, number>)[k]);
  const software = !!info.isFallbackAdapter
    || SOFTWARE_NAMES.test(`${name} ${info.vendor} ${info.architecture} ${info.description}`);
  const short = REPORTED_LIMITS.filter((k) => !(limits[k] >= REQUIRED_LIMITS[k]));
  return {
    backend, name, vendor: info.vendor, architecture: info.architecture, description: info.description, software, limits,
    refused: short.length ? `its ${short.map((k) => `${k} ${limits[k]} is below the ${REQUIRED_LIMITS[k]} the lab's kernels need`).join('; ')}` : null,
  };
}

/**
 * Whether Dawn's Vulkan backend could find a Vulkan loader here (Linux): LD_LIBRARY_PATH's folders, then the
 * dynamic linker's cache (which names every library it finds by soname). Elsewhere the system's GPU API is there.
 */
export function vulkanLoaderPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true;
  if ((env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean).some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return true;
  }
}

function noAdapterHint(): string {
  if (!vulkanLoaderPresent()) {
    return 'no Vulkan loader (libvulkan.so.1) in LD_LIBRARY_PATH or the system library folders: install the GPU driver ' +
      'and the Vulkan loader (Debian/Ubuntu: libvulkan1)';
  }
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  if (icd && !icd.split(delimiter).some((f) => existsSync(f))) return `VK_ICD_FILENAMES names no file that exists (${icd})`;
  return 'Dawn found no GPU driver it can use (on Linux: a Vulkan driver, e.g. the NVIDIA driver\'s or Mesa\'s radv/anv)';
}

let surveyed: Promise<GpuSurvey> | null = null;

/** Every adapter Dawn sees in this process, once per process (the drivers do not change while it runs). */
export function surveyGpus(): Promise<GpuSurvey> {
  if (!surveyed) surveyed = runSurvey();
  return surveyed;
}

async function runSurvey(): Promise<GpuSurvey> {
  try {
    await loadDawn();
  } catch (err) {
    return { dawn: { loaded: false, reason: (err as Error).message }, adapters: [], hint: null };
  }
  const version = dawnVersion();
  // Dawn's only backend on Linux is Vulkan: without its loader there is nothing to find (and Dawn would warn)
  if (!vulkanLoaderPresent()) return { dawn: { loaded: true, version }, adapters: [], hint: noAdapterHint() };
  let listed: { backend: string; name: string }[] | null = null;
  try {
    // a name no adapter has: Dawn answers with the list of those it found
    await (await dawnInstance(['adapter=\u0001nca-lab-lists-adapters'])).requestAdapter();
  } catch (err) {
    listed = parseAdapterList((err as Error).message);
  }
  const adapters: GpuAdapterReport[] = [];
  if (listed) {
    for (const { backend, name } of listed) {
      if (backend === 'null') continue;
      const adapter = await (await dawnInstance([`adapter=${name}`, `backend=${backend}`])).requestAdapter().catch(() => null);
      if (adapter) adapters.push(reportOf(backend, name, adapter));
      else adapters.push({ backend, name, vendor: '', architecture: '', description: '', software: SOFTWARE_NAMES.test(name), limits: {} as Record<ReportedLimit, number>, refused: 'Dawn lists it but could not open it' });
    }
  } else {
    const adapter = await (await dawnInstance([])).requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (adapter) adapters.push(reportOf('default', infoOf(adapter).description || infoOf(adapter).device || 'default adapter', adapter));
  }
  return { dawn: { loaded: true, version }, adapters, hint: adapters.length ? null : noAdapterHint() };
}

/** The adapter a run may compute on: a real GPU first; a software one only when `allowSoftware`. */
export function pickAdapter(survey: GpuSurvey, allowSoftware: boolean, wanted?: string): GpuAdapterReport | null {
  const usable = survey.adapters.filter((a) => a.refused === null && (wanted === undefined || a.name === wanted));
  return usable.find((a) => !a.software) ?? (allowSoftware ? usable.find((a) => a.software) ?? null : null);
}

/** One line per adapter, and why there are none: for `nca-lab info` and error messages. */
export function describeSurvey(survey: GpuSurvey): string[] {
  if (!survey.dawn.loaded) return [survey.dawn.reason];
  if (survey.adapters.length === 0) return [`Dawn ${survey.dawn.version} found no adapter: ${survey.hint}`];
  return survey.adapters.map((a) => {
    const what = `${a.name} (${a.backend}${a.vendor ? `, ${a.vendor}` : ''})`;
    if (a.refused) return `${what}: refused, ${a.refused}`;
    const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
    return `${what}${a.software ? ': software (CPU) adapter, only with --engine webgpu' : ''}; buffers up to ${mib(a.limits.maxBufferSize)}, ` +
      `bindings ${mib(a.limits.maxStorageBufferBindingSize)}, ${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup`;
  });
}
