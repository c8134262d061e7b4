/**
 * The failures a webgpu run reports rather than hangs on or hides (services/compute/gpu-device.ts; docs/architecture.md,
 * "Compute"), on SwiftShader in a child process (gpu-failures-child.ts): a buffer over the adapter's binding
 * limit is refused naming the adapter, the limit and the bytes; once the device is gone, a new buffer and a
 * read-back fail naming the adapter and the loss.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tsxImportFlag } from '../../../../src/services/workers/spawners';
import { gpuEnv, gpuSkipReason } from './gpu-helpers';

const skip = gpuSkipReason();

describe.skipIf(skip !== null)(`GPU failures name the adapter and the limit (SwiftShader)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  it('a buffer over maxStorageBufferBindingSize, and a device that is gone', async () => {
    const child = spawn(process.execPath, [tsxImportFlag(), join(__dirname, 'gpu-failures-child.ts')], { env: gpuEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, string | number>;
    const mib = Math.round(Number(r.limit) / 2 ** 20);
    expect(r.overLimit).toMatch(new RegExp(`^GpuFailure: GPU adapter ${String(r.adapter).replace(/[()]/g, '\\$&')}: the states buffer needs ${mib}\\.?\\d* MiB, over the adapter's maxStorageBufferBindingSize of ${mib} MiB$`));
    expect(r.afterLoss).toMatch(/^GpuFailure: GPU adapter SwiftShader.*: the GPU device was destroyed/);
    expect(r.readAfterLoss).toMatch(/^GpuFailure: GPU adapter SwiftShader.*: the GPU device was destroyed/);
  }, 120_000);
});
