/**
 * `nca-lab bench [population|es|adam|quality|cluster|gpu]`: throughput figures printed as one JSON line per case plus readable
 * tables (never timed assertions in tests: CONTRIBUTING.md). `npm run bench` = population, `bench:es`, `bench:adam`.
 */
import { availableParallelism } from 'node:os';
import { initNodeBackend } from '../../services/compute/backend';
import { benchIo } from '../../services/bench/bench-io';
import { benchPopulation } from '../../services/bench/population-bench';
import { benchEs, NOISE_SUMS_SITES, type NoiseSumsSite } from '../../services/bench/es-bench';
import { benchQuality, QUALITY_TARGETS } from '../../services/bench/quality-bench';
import { fieldByPath, parseFieldText, ConfigError } from '../../shared/training-config';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';
import { OPTIMIZERS, presetsOf } from '../../shared/optimizers';
import type { ComputeEngine } from '../../shared/compute-engine';

function listFlag(flag: string, text: string | undefined, min: number, max: number): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new UsageError(`--${flag} must be a comma-separated list of integers from ${min} to ${max}, got "${text}"`);
  }
  return values;
}

function names(flag: string, text: string | undefined, allowed: readonly string[] | null): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError(`--${flag} must name at least one, got "${text}"`);
  const bad = allowed ? list.find((n) => !allowed.includes(n)) : undefined;
  if (bad) throw new UsageError(`--${flag}: unknown "${bad}"; choose from ${allowed!.join(', ')}`);
  return list;
}

/** bench es's --preset: one ES preset's name */
function onePreset(text: string | undefined): string | undefined {
  const list = names('preset', text, presetsOf('es').map((p) => p.name));
  if (list && list.length !== 1) throw new UsageError(`--preset names one ES preset, got "${text}"`);
  return list?.[0];
}

function noiseSumsSite(text: string | undefined): NoiseSumsSite | undefined {
  if (text === undefined) return undefined;
  const site = NOISE_SUMS_SITES.find((s) => s === text);
  if (!site) throw new UsageError(`--noise-sums must be ${NOISE_SUMS_SITES.join(' or ')}, got "${text}"`);
  return site;
}

/** --engine of bench es, adam and quality: webgpu measures the GPU beside the wasm engine */
function benchEngine(text: string | undefined): ComputeEngine | undefined {
  if (text === undefined) return undefined;
  if (text !== 'wasm' && text !== 'webgpu') throw new UsageError(`--engine must be wasm or webgpu (webgpu measures the GPU beside the wasm engine), got "${text}"`);
  return text;
}

function qualityOptions(values: Record<string, unknown>) {
  const num = (flag: string, lo: number, hi: number, integer = false): number | undefined => {
    const text = values[flag] as string | undefined;
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}, got "${text}"`);
    }
    return v;
  };
  return {
    presets: names('presets', values.presets as string | undefined, presetsOf('es').map((p) => p.name)) ?? [OPTIMIZERS.es.defaultPreset],
    targets: names('targets', values.targets as string | undefined, null),
    maxSeconds: num('max-seconds', 1, 1e7) ?? 600,
    goal: num('goal', 1e-9, 1),
    workers: num('workers', 0, 256, true),
    engine: benchEngine(values.engine as string | undefined),
    workspace: values.workspace as string | undefined,
    set: ((values.set as string[] | undefined) ?? []).map((item): [string, unknown] => {
      const eq = item.indexOf('=');
      const field = eq > 0 ? fieldByPath(item.slice(0, eq).trim()) : undefined;
      if (!field) throw new UsageError(`--set expects PATH=VALUE with PATH a config field, got "${item}"`);
      try {
        return [field.path, parseFieldText(field, item.slice(eq + 1))];
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(`--set: ${err.message}`);
        throw err;
      }
    }),
  };
}

export const benchCommand: Command = {
  summary: 'benchmarks: population evaluation (default), es (thesis Table 2), adam, quality (time to a persistent model), cluster (overhead of the cluster path), gpu (the GPU beside the wasm engine)',
  usage: `nca-lab bench [population|es|adam|cluster] [--json] [--backend NAME] [--sizes 9,15] [--populations 6,40]
                [--workers 1,2] [--seconds S] [--redis URL] [--generations N] [--preset NAME (es)]
                [--noise-sums workers|master (es)] [--engine wasm|webgpu (es, adam)]
  nca-lab bench quality [--presets es-256,thesis-es] [--targets carrot-9,rabbit-15] [--max-seconds S] [--goal LOSS]
                [--set PATH=VALUE]… [--workers N] [--workspace DIR] [--engine wasm|webgpu] [--json]
  nca-lab bench gpu [--quick] [--workers N] [--max-seconds S] [--json]

  --engine webgpu   es, adam, quality: every case also on the GPU (the first usable WebGPU adapter, named in
                    the rows), beside the wasm engine measured in the same run; no adapter is an error

  population   mutants/s of the population evaluation per strategy (fused kernel, tfjs loop, tfjs batched),
               at 9, 15 and 40 px, 35 steps, from the seed and from a fully grown state; rates per CPU-second
               as fractions of the f32x4 SIMD peak measured in the same run, and the process's RSS
  es           the thesis's Table 2: generations/s and mutants/s for population {6,10,40,100,256,1000}
               × size {9,15} × workers {1…cores}, the scaling efficiency, and the master's own work per
               generation split into its phases; each case trains a scratch run of --preset (default thesis-es)
               through the training loop, the ES optimizer and the worker pool; --noise-sums master has the
               master sum the update's noise itself (as before the workers did, and as on a cluster)
  adam         ms per iteration of thesis-adam at 9 and 15 px and M's 72×72, from the seed and with every cell
               alive: the tfjs reference, the fused BPTT kernel in process and over --workers processes
               (default 1…cores), each beside the tfjs row; --seconds caps each case's measuring time
  quality      time to quality: train each preset (default ${OPTIMIZERS.es.defaultPreset}) × target (default ${QUALITY_TARGETS.join(', ')}) until the
               40-step loss is ≤ the goal (0.0005 at 9 px, 0.0015 at 15 px) and the model persists (loss at 1000
               steps ≤ 2 × loss at 40), or --max-seconds of training (default 600); the thesis's row beside it
  cluster      per-generation overhead of the cluster path (Redis + BullMQ, W \`nca-lab worker\` processes) against
               the in-process pool of W processes: population {40,1000} × size {9,15,40} × W {1…4}, bytes per
               generation, Redis's round trip, the master's update (docs/scale-out.md); --redis URL, or a private
               redis-server; --generations N per case (default 3)
  gpu          the GPU beside the wasm engine, the adapter named: ES generations/s of ${OPTIMIZERS.es.defaultPreset} at 9 and 15 px
               and populations 256, 1024, 4096 (with the master's serial ms); Adam iterations/s at 15 px and 72 px;
               time to the rabbit-15 goal (--max-seconds per engine, default 300); --workers CPU workers (default
               all cores); --quick: tiny sizes, to see it run on a software adapter (its figures mean nothing)

Prints one JSON object per case (only those with --json) and a table.`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      backend: { type: 'string' },
      sizes: { type: 'string' },
      populations: { type: 'string' },
      workers: { type: 'string' },
      seconds: { type: 'string' },
      presets: { type: 'string' },
      preset: { type: 'string' },
      'noise-sums': { type: 'string' },
      targets: { type: 'string' },
      'max-seconds': { type: 'string' },
      goal: { type: 'string' },
      workspace: { type: 'string' },
      set: { type: 'string', multiple: true },
      redis: { type: 'string' },
      generations: { type: 'string' },
      engine: { type: 'string' },
      quick: { type: 'boolean' },
    });
    const which = positionals[0] ?? 'population';
    if (positionals.length > 1 || !['population', 'es', 'adam', 'quality', 'cluster', 'gpu'].includes(which)) {
      throw new UsageError(`bench takes one of population, es, adam, quality, cluster, gpu; got "${positionals.join(' ')}"`);
    }
    if (values.engine !== undefined && !['es', 'adam', 'quality'].includes(which)) throw new UsageError(`--engine is for bench es, adam and quality (bench gpu always measures both), not ${which}`);
    if (values.quick && which !== 'gpu') throw new UsageError('--quick is for bench gpu');
    const engine = benchEngine(values.engine);
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be a number in (0, 600], got "${values.seconds}"`);
    const out = benchIo(io, !!values.json);
    const choice = await initNodeBackend(values.backend);
    out.note(`backend ${choice.name}${choice.skipped.length ? ` (skipped: ${choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}, ${availableParallelism()} cores`);
    if (which === 'population') {
      await benchPopulation({ backend: choice.name, sizes: listFlag('sizes', values.sizes, 3, 256), seconds }, out);
    } else if (which === 'es') {
      await benchEs({
        sizes: listFlag('sizes', values.sizes, 3, 256), populations: listFlag('populations', values.populations, 2, 100000),
        workers: listFlag('workers', values.workers, 1, 256), seconds, backend: values.backend,
        preset: onePreset(values.preset as string | undefined), noiseSums: noiseSumsSite(values['noise-sums'] as string | undefined), engine,
      }, out);
    } else if (which === 'quality') {
      await benchQuality(qualityOptions(values), out);
    } else if (which === 'gpu') {
      const { benchGpu } = await import('../../services/bench/gpu-bench');
      const workers = listFlag('workers', values.workers, 1, 256);
      if (workers && workers.length !== 1) throw new UsageError(`bench gpu: --workers takes one count, got "${values.workers}"`);
      const maxSeconds = values['max-seconds'] === undefined ? undefined : qualityOptions(values).maxSeconds;
      await benchGpu({ quick: !!values.quick, json: !!values.json, workers: workers?.[0], maxSeconds }, io);
    } else if (which === 'cluster') {
      const { benchCluster } = await import('../../services/bench/cluster-bench');
      await benchCluster({
        sizes: listFlag('sizes', values.sizes, 3, 256), populations: listFlag('populations', values.populations, 2, 100000),
        workers: listFlag('workers', values.workers, 1, 64), redis: values.redis,
        generations: listFlag('generations', values.generations, 1, 1000)?.[0],
      }, out);
    } else {
      const { benchAdam } = await import('../../services/bench/adam-bench');
      await benchAdam({ json: !!values.json, sizes: listFlag('sizes', values.sizes, 3, 256), workers: listFlag('workers', values.workers, 1, 256), seconds, engine }, io);
    }
    return 0;
  },
};
