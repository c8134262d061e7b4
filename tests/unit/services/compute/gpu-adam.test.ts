/**
 * Adam's backprop through time on the GPU (services/compute/gpu-bptt.ts, core/gpu/bptt-wgsl.ts) against the wasm
 * engine (core/adam/fused-bptt.ts), on SwiftShader (gpu-helpers.ts), through the worker job the trainer uses
 * ('adam-gpu-grad'): per-sample losses, final states and gradients at 9×9, 15×15 and on Mordvintsev's 72×72 canvas
 * and model, for a slice in the middle of a batch (the fire stream read at the slice's positions); the same
 * numbers bit for bit when an iteration is computed twice. Short rollouts: SwiftShader computes on the CPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { computeAdamGradientSlice, type AdamGradientRequest, type AdamGradientResult } from '../../../../src/core/adam/gradient-slice';
import { makeSeed, type StateBatch } from '../../../../src/core/nca/state';
import { FusedNca } from '../../../../src/core/nca/fused';
import { runStream, StreamPurpose } from '../../../../src/core/rng/run-streams';
import { readModelFolder, type LoadedModel } from '../../../../src/services/store/model-format';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { WorkerPool } from '../../../../src/services/workers/pool';
import { forkSpawner } from '../../../../src/services/workers/spawners';
import type { LabJobs } from '../../../../src/services/workers/lab-jobs';
import type { GpuAdapterReport } from '../../../../src/services/compute/gpu-adapters';
import { exposeSwiftShaderToChildren, gpuSkipReason, swiftShaderAdapter } from './gpu-helpers';

const skip = gpuSkipReason();

async function model(id: string): Promise<LoadedModel> {
  const dir = join(__dirname, '../../../../resources/models', id);
  return readModelFolder(join(dir, 'model.json'), (n) => join(dir, n));
}

function request(m: LoadedModel, target: { rgba: Float32Array; height: number; width: number }, x0: StateBatch, steps: number): AdamGradientRequest {
  return {
    cfg: m.nca, target, params: m.params, x0, steps, checkpointEvery: 0, maxSteps: steps + 2,
    // samples 1… of a batch one larger: the slice reads the fire stream where the second sample's masks begin
    fire: { stream: runStream(5, 7, StreamPurpose.FireMasks).getState(), batchSize: x0.n + 1, sampleStart: 1 },
  };
}

/** ‖a − b‖ / ‖a‖ */
function gap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += a[i] ** 2;
  }
  return Math.sqrt(d / n);
}

describe.skipIf(skip !== null)(`Adam's gradients on the GPU agree with the wasm engine (SwiftShader)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let pool: WorkerPool<LabJobs>;
  let adapter: GpuAdapterReport;
  const onGpu = async (req: AdamGradientRequest): Promise<AdamGradientResult> => (await pool.map('adam-gpu-grad', [{ ...req, adapter }]))[0];

  async function expectAgreement(name: string, req: AdamGradientRequest, tolerance: number): Promise<void> {
    const cpu = computeAdamGradientSlice(req);
    const gpu = await onGpu(req);
    for (let b = 0; b < req.x0.n; b++) {
      const g = gap(cpu.grads[b], gpu.grads[b]);
      const l = Math.abs(gpu.sampleLosses[b] - cpu.sampleLosses[b]) / cpu.sampleLosses[b];
      console.log(`gpu-adam: ${name}, sample ${b}: gradient ${g.toExponential(2)}, loss ${l.toExponential(2)} relative (‖g‖ ${Math.hypot(...cpu.grads[b]).toExponential(2)})`);
      expect(Math.hypot(...cpu.grads[b]), 'a gradient to compare').toBeGreaterThan(1e-3);
      expect(g).toBeLessThanOrEqual(tolerance);
      expect(l).toBeLessThanOrEqual(tolerance);
    }
    expect(gap(cpu.finals.data, gpu.finals.data)).toBeLessThanOrEqual(tolerance);
  }

  beforeAll(async () => {
    exposeSwiftShaderToChildren();
    adapter = await swiftShaderAdapter();
    pool = new WorkerPool<LabJobs>({ size: 1, spawn: forkSpawner({ echoOutput: false }) });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('9×9 and 15×15 (the thesis-adam model, a layer-1 bias): losses, final states and gradients within 1e-4 relative', async () => {
    const m = await model('thesis-adam-carrot-9');
    const t9 = loadBuiltinTarget('carrot-9');
    await expectAgreement('9×9, from seeds', request(m, t9, makeSeed(9, 9, 16, 3), 24), 1e-4);
    // a grown state (the pool's later samples) with every step's masks in play
    const grown = new FusedNca(m.nca, m.params).rollout(makeSeed(15, 15, 16, 2), 30, runStream(3, 0, StreamPurpose.Eval));
    const t15 = loadBuiltinTarget('carrot-15');
    await expectAgreement('15×15, from grown states', request(m, t15, grown, 12), 1e-4);
  });

  it('72×72 (Mordvintsev\'s model, both biases): within 1e-4 relative', async () => {
    const m = await model('distill-lizard-growing');
    const t = loadBuiltinTarget('lizard-40', { padding: 16 });
    await expectAgreement('72×72', request(m, t, makeSeed(72, 72, 16, 1), 3), 1e-4);
  });

  it('computes an iteration twice to the same numbers, bit for bit', async () => {
    const m = await model('thesis-adam-carrot-9');
    const req = request(m, loadBuiltinTarget('carrot-9'), makeSeed(9, 9, 16, 2), 10);
    const a = await onGpu(req);
    const b = await onGpu(req);
    expect(b.sampleLosses).toEqual(a.sampleLosses);
    expect(b.grads.map((g) => Array.from(g))).toEqual(a.grads.map((g) => Array.from(g)));
  });
});
