/**
 * `nca-lab bench gpu`: the GPU engine's figures (docs/architecture.md, "Compute"), each row beside the wasm engine
 * measured in the same run on the same machine, the adapter named:
 *  - ES generations/s of the default preset at its shapes (9×9 and 15×15, 2,080 parameters) and populations
 *    256, 1,024 and 4,096 (bench es with the GPU beside the wasm engine; the master's serial ms in each row);
 *  - Adam iterations/s at 15×15 (thesis-adam) and on Mordvintsev's 72×72 canvas (bench adam);
 *  - time to the quality goal of rabbit-15 (0.0015, persistent) with the default ES preset (bench quality).
 * `quick` shrinks every part to a size a software adapter (SwiftShader, on the CPU) finishes in a minute or two:
 * it shows the benchmark runs and prints, its figures mean nothing for a GPU.
 */
import { availableParallelism, loadavg } from 'node:os';
import { benchIo, type LineSink } from './bench-io';
import { benchEs } from './es-bench';
import { benchQuality } from './quality-bench';
import { describeSurvey, surveyGpus } from '../compute/gpu-adapters';
import { adapterLabel, resolveEngine } from '../compute/engine-choice';
import type { WorkerSpawner } from '../workers/spawners';
import { OPTIMIZERS } from '../../shared/optimizers';
import { counted } from '../../shared/words';

export interface GpuBenchOptions {
  /** tiny sizes, populations and time caps: to see it run on a software adapter */
  quick: boolean;
  /** print only the JSON lines */
  json: boolean;
  /** CPU worker processes (default: every core) */
  workers?: number;
  /** the quality case's time cap per engine, in training seconds (default 300; quick 2) */
  maxSeconds?: number;
  spawn?: WorkerSpawner;
}

/** What each part measures, full and quick. */
export function gpuBenchPlan(quick: boolean) {
  return quick
    ? { es: { sizes: [9], populations: [8], seconds: 0 }, adam: { sizes: [9], starts: ['seed' as const], iterations: 1, warmup: 1 }, quality: { targets: ['carrot-9'], maxSeconds: 2, set: [['es.population', 8]] as [string, unknown][] } }
    : { es: { sizes: [9, 15], populations: [256, 1024, 4096], seconds: 3 }, adam: { sizes: [15, 72], starts: ['seed' as const, 'alive' as const], iterations: undefined, warmup: undefined }, quality: { targets: ['rabbit-15'], maxSeconds: 300, set: [] } };
}

export async function benchGpu(opts: GpuBenchOptions, io: LineSink): Promise<void> {
  const out = benchIo(io, opts.json);
  const survey = await surveyGpus();
  out.note('GPU adapters:');
  for (const line of describeSurvey(survey)) out.note(`  ${line}`);
  // the adapter first: without one the bench stops here with what was found (engine-choice.ts)
  const { adapter } = await resolveEngine('webgpu', async () => survey);
  const workers = opts.workers ?? availableParallelism();
  const plan = gpuBenchPlan(opts.quick);
  out.note(`bench gpu${opts.quick ? ' --quick (sizes to see it run, not GPU figures)' : ''}: webgpu on ${adapterLabel(adapter!)} beside the wasm engine, ${counted(workers, 'CPU worker')}; load ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);

  out.note('\n== ES: generations/s of the default preset');
  await benchEs({ ...plan.es, preset: OPTIMIZERS.es.defaultPreset, workers: [workers], engine: 'webgpu', spawn: opts.spawn }, out);

  out.note('\n== Adam: iterations/s');
  const { benchAdam } = await import('./adam-bench');
  await benchAdam({ ...plan.adam, workers: [workers], skipTfjs: true, engine: 'webgpu', json: opts.json, spawn: opts.spawn }, io);

  out.note('\n== Time to quality');
  await benchQuality({
    presets: [OPTIMIZERS.es.defaultPreset], targets: plan.quality.targets, maxSeconds: opts.maxSeconds ?? plan.quality.maxSeconds, set: plan.quality.set,
    workers, engine: 'webgpu', spawn: opts.spawn,
  }, out);
}
