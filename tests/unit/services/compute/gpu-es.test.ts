/**
 * ES populations on the GPU (services/compute/gpu-es.ts, core/gpu/es-population-wgsl.ts) against the wasm engine
 * (core/es/slice.ts on the fused kernel), on SwiftShader (gpu-helpers.ts): one CA step's states within 1e-6
 * relative; a whole rollout's loss within 1e-4 relative at 9×9 and 15×15 and 1e-3 at 72×72, where a larger gap
 * is traced to the step and cell whose alive mask flipped; σ vectors, members without common random numbers,
 * and the same losses bit for bit when a generation is evaluated twice. The GPU runs in a lab worker process
 * (the 'es-gpu-slice' job), as in training. Small grids and populations: SwiftShader computes on the CPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { evaluateEsSlice, type EsSliceRequest, type EsSliceResult } from '../../../../src/core/es/slice';
import { FusedNca } from '../../../../src/core/nca/fused';
import { makeSeed, type StateBatch } from '../../../../src/core/nca/state';
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

/** The state after `steps` CPU steps of a model from the seed (a grown pattern to start from). */
function grown(m: LoadedModel, size: number, steps: number, n = 1): StateBatch {
  return new FusedNca(m.nca, m.params).rollout(makeSeed(size, size, m.nca.channels, n), steps, runStream(99, 0, StreamPurpose.Eval, 0));
}

function request(m: LoadedModel, x0: StateBatch, target: Float32Array, over: Partial<EsSliceRequest>): EsSliceRequest {
  return {
    cfg: m.nca, params: m.params, seed: 11, generation: 3, memberStart: 0, memberEnd: 4, x0, target, wantBest: false,
    sigma: 0.01, mirrored: true, commonRandomNumbers: true, perMemberSteps: true, stepsMin: 12, stepsMax: 16, ...over,
  };
}

/** max |a − b| / max |a| over a state. */
function relativeGap(a: Float32Array, b: Float32Array): number {
  let gap = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return gap / scale;
}

const ALIVE_CHANNEL = 3;

/** Whether a cell of sample 0 has any channel set. */
function cellLive(s: StateBatch, cell: number): boolean {
  for (let c = 0; c < s.channels; c++) if (s.data[cell * s.channels + c] !== 0) return true;
  return false;
}

function alphaMax(s: StateBatch, y: number, x: number): number {
  let m = -Infinity;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy >= 0 && yy < s.height && xx >= 0 && xx < s.width) m = Math.max(m, s.data[(yy * s.width + xx) * s.channels + ALIVE_CHANNEL]);
    }
  }
  return m;
}

describe.skipIf(skip !== null)(`ES on the GPU agrees with the wasm engine (SwiftShader)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let pool: WorkerPool<LabJobs>;
  let adapter: GpuAdapterReport;
  const onGpu = async (req: EsSliceRequest): Promise<EsSliceResult> => (await pool.map('es-gpu-slice', [{ ...req, adapter }]))[0];

  /**
   * For one member whose rollout loss disagrees: the first rollout length whose final states differ (bisection),
   * and the cells whose alive mask differs there, with the 3×3 alpha max before that step on both engines.
   */
  async function aliveFlip(req: EsSliceRequest, member: number, steps: number): Promise<string> {
    const at = (k: number) => ({ ...req, memberStart: member, memberEnd: member + 1, wantBest: true, stepsMin: k, stepsMax: k, lossWindow: 1, lossEvery: 1, longRollout: null });
    const finals = async (k: number) => [evaluateEsSlice(at(k)).best!.final, (await onGpu(at(k))).best!.final];
    let lo = 0;
    let hi = steps;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const [cpu, gpu] = await finals(mid);
      if (relativeGap(cpu.data, gpu.data) > 1e-3) hi = mid;
      else lo = mid;
    }
    const [cpuAfter, gpuAfter] = await finals(hi);
    const gap = relativeGap(cpuAfter.data, gpuAfter.data);
    if (gap <= 1e-3) return `member ${member}: no step's states differ by more than 1e-3 relative (${gap.toExponential(2)} after ${hi} steps): rounding, no alive mask flipped`;
    const [cpuBefore, gpuBefore] = hi > 1 ? await finals(hi - 1) : [req.x0, req.x0];
    const cells: string[] = [];
    for (let cell = 0; cell < cpuAfter.height * cpuAfter.width; cell++) {
      if (cellLive(cpuAfter, cell) === cellLive(gpuAfter, cell)) continue;
      const y = Math.floor(cell / cpuAfter.width);
      const x = cell % cpuAfter.width;
      cells.push(`(${y}, ${x}) ${cellLive(cpuAfter, cell) ? 'alive on the CPU, dead on the GPU' : 'dead on the CPU, alive on the GPU'}, ` +
        `3×3 alpha max before the step ${alphaMax(cpuBefore, y, x)} / ${alphaMax(gpuBefore, y, x)}`);
    }
    return `member ${member}: the engines part at step ${hi}; alive mask flipped at ${cells.length ? cells.join('; ') : 'no cell (the states drift apart without a flip)'}`;
  }

  /** Losses within `tolerance` relative, or a failure that names the step and cell where an alive mask flipped. */
  async function expectLossesAgree(req: EsSliceRequest, tolerance: number): Promise<number> {
    const cpu = evaluateEsSlice(req);
    const gpu = await onGpu(req);
    expect(gpu.steps).toEqual(cpu.steps);
    let worst = 0;
    for (let i = 0; i < cpu.losses.length; i++) {
      const rel = Math.abs(gpu.losses[i] - cpu.losses[i]) / cpu.losses[i];
      worst = Math.max(worst, rel);
      if (rel > tolerance) expect.fail(`loss of member ${req.memberStart + i}: ${cpu.losses[i]} (wasm) vs ${gpu.losses[i]} (GPU), ${rel.toExponential(2)} relative; ${await aliveFlip(req, req.memberStart + i, cpu.steps[i])}`);
    }
    return worst;
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

  it('one CA step: every member\'s states within 1e-6 relative, from a grown carrot', async () => {
    const m = await model('es-carrot-9');
    const x0 = grown(m, 9, 30, 2);
    const target = loadBuiltinTarget('carrot-9').rgba;
    for (const member of [0, 1, 2]) {
      const req = request(m, x0, target, { memberStart: member, memberEnd: member + 1, wantBest: true, stepsMin: 1, stepsMax: 1, commonRandomNumbers: false });
      const cpu = evaluateEsSlice(req).best!.final;
      const gpu = (await onGpu(req)).best!.final;
      expect(cpu.data.some((v, i) => v !== x0.data[i]), 'the step changes the state').toBe(true);
      const gap = relativeGap(cpu.data, gpu.data);
      console.log(`gpu-es: one step, member ${member}: ${gap.toExponential(2)} relative`);
      expect(gap).toBeLessThanOrEqual(1e-6);
    }
  });

  it('9×9: the rollout losses of a population (window and final-state objectives) within 1e-4 relative, the best member\'s states alike', async () => {
    const m = await model('es-carrot-9');
    const target = loadBuiltinTarget('carrot-9').rgba;
    const window = request(m, makeSeed(9, 9, 16, 2), target, { memberEnd: 6, stepsMin: 30, stepsMax: 36, lossWindow: 8, lossEvery: 2, wantBest: true });
    const worstWindow = await expectLossesAgree(window, 1e-4);
    const final = await expectLossesAgree({ ...window, lossWindow: 1, lossEvery: 1, wantBest: false }, 1e-4);
    console.log(`gpu-es: 9×9 rollout losses, worst ${worstWindow.toExponential(2)} (window), ${final.toExponential(2)} (final state) relative`);
    const cpu = evaluateEsSlice(window);
    const gpu = await onGpu(window);
    expect(gpu.best!.member).toBe(cpu.best!.member);
    expect(relativeGap(cpu.best!.final.data, gpu.best!.final.data)).toBeLessThan(1e-4);
  });

  it('15×15: rollout losses within 1e-4 relative, with a σ vector, without common random numbers or mirroring', async () => {
    const m = await model('es-rabbit-15');
    const target = loadBuiltinTarget('rabbit-15').rgba;
    const x0 = makeSeed(15, 15, 16, 1);
    const sigmaVector = new Float32Array(m.params.length).map((_, i) => 0.005 + 0.01 * ((i * 7919) % 13) / 13);
    const worst = Math.max(
      await expectLossesAgree(request(m, x0, target, { memberEnd: 4, stepsMin: 20, stepsMax: 24 }), 1e-4),
      await expectLossesAgree(request(m, x0, target, { memberStart: 2, memberEnd: 5, stepsMin: 20, stepsMax: 24, sigmaVector, mirrored: false, commonRandomNumbers: false }), 1e-4),
    );
    console.log(`gpu-es: 15×15 rollout losses, worst ${worst.toExponential(2)} relative`);
  });

  it('72×72 (Mordvintsev\'s canvas and model): a rollout\'s loss within 1e-3 relative', async () => {
    const m = await model('distill-lizard-growing');
    const target = loadBuiltinTarget('lizard-40', { padding: 16 }).rgba;
    const req = request(m, makeSeed(72, 72, 16, 1), target, { memberEnd: 1, mirrored: false, commonRandomNumbers: false, stepsMin: 40, stepsMax: 40, sigma: 0.002 });
    const worst = await expectLossesAgree(req, 1e-3);
    console.log(`gpu-es: 72×72 rollout loss ${worst.toExponential(2)} relative`);
  });

  it('evaluates a generation twice to the same losses and states, bit for bit (a resumed run retraces it)', async () => {
    const m = await model('es-carrot-9');
    const req = request(m, makeSeed(9, 9, 16, 1), loadBuiltinTarget('carrot-9').rgba, { memberEnd: 4, wantBest: true, lossWindow: 4, lossEvery: 1 });
    const a = await onGpu(req);
    const b = await onGpu(req);
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.best!.final.data)).toEqual(Array.from(a.best!.final.data));
  });
});
