/**
 * The GPU tests' machine: no GPU, but Debian's chromium package ships SwiftShader's Vulkan driver and a Vulkan
 * loader (docs: environment.md, "WebGPU without a GPU"), which Dawn for Node (npm `webgpu`) takes as a software
 * adapter. The loader is found through LD_LIBRARY_PATH, which a process reads when it starts: so the tests set
 * these variables here for the child processes they start (CLI runs, workers) and never load Dawn themselves.
 * CI installs chromium and `npm ci` installs webgpu, so there the tests run; they skip, saying why, only where
 * Dawn or the driver is truly absent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { GpuAdapterReport } from '../../../../src/services/compute/gpu-adapters';

export const CHROMIUM_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');

/** Why the GPU tests cannot run here, or null when they can. */
export function gpuSkipReason(): string | null {
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return 'Dawn for Node (npm package "webgpu") is not installed';
  }
  if (!existsSync(SWIFTSHADER_ICD)) return `no SwiftShader Vulkan driver at ${SWIFTSHADER_ICD} (apt-get install chromium)`;
  if (!existsSync(join(CHROMIUM_DIR, 'libvulkan.so.1')) && !existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1')) return 'no Vulkan loader (libvulkan.so.1)';
  return null;
}

/** The environment that shows child processes SwiftShader (or, with `hidden`, a driver file that does not exist). */
export function gpuEnv(opts: { hidden?: boolean } = {}): NodeJS.ProcessEnv {
  const ld = [CHROMIUM_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { ...process.env, LD_LIBRARY_PATH: ld, VK_ICD_FILENAMES: opts.hidden ? '/nonexistent/no_icd.json' : SWIFTSHADER_ICD };
}

/** Makes every child process this test file starts see SwiftShader (workers are forked with process.env). */
export function exposeSwiftShaderToChildren(): void {
  Object.assign(process.env, gpuEnv());
}

const BIN = join(__dirname, '../../../../bin/nca-lab.js');

/** `nca-lab ARGS` in a child process with this environment. */
export function cliChild(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** The software adapter `nca-lab info` finds with SwiftShader visible. */
export async function swiftShaderAdapter(): Promise<GpuAdapterReport> {
  const info = await cliChild(['info', '--json'], gpuEnv());
  if (info.code !== 0) throw new Error(`nca-lab info failed: ${info.err}`);
  const report = JSON.parse(info.out) as { gpu: { adapters: GpuAdapterReport[] } };
  const a = report.gpu.adapters.find((x) => x.software && x.refused === null);
  if (!a) throw new Error(`nca-lab info found no usable software adapter: ${info.out}`);
  return a;
}
