/**
 * `nca-lab bench [population|es|adam]`: throughput figures printed as one JSON line per case plus readable
 * tables (never timed assertions in tests: CONTRIBUTING.md). `npm run bench` = population, `bench:es`, `bench:adam`.
 */
import { availableParallelism } from 'node:os';
import { initNodeBackend } from '../../services/compute/backend';
import { benchIo } from '../../services/bench/bench-io';
import { benchPopulation } from '../../services/bench/population-bench';
import { benchEs } from '../../services/bench/es-bench';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';

function listFlag(flag: string, text: string | undefined, min: number, max: number): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new UsageError(`--${flag} must be a comma-separated list of integers from ${min} to ${max}, got "${text}"`);
  }
  return values;
}

export const benchCommand: Command = {
  summary: 'throughput benchmarks: population evaluation (default), es (thesis Table 2), adam',
  usage: `nca-lab bench [population|es|adam] [--json] [--backend NAME] [--sizes 9,15] [--populations 6,40]
                [--workers 1,2] [--seconds S]

  population   mutants/s of the population evaluation per strategy (fused kernel, tfjs loop, tfjs batched),
               at 9, 15 and 40 px, 35 steps, from the seed and from a fully grown state; rates per CPU-second
               as fractions of the f32x4 SIMD peak measured in the same run, and the process's RSS
  es           the thesis's Table 2: generations/s and mutants/s for population {6,10,40,100,1000}
               × size {9,15} × workers {1…cores}, and the scaling efficiency
  adam         ms per iteration of thesis-adam at 9 and 15 px and M's 72×72, from the seed and with every cell
               alive: the tfjs reference, the fused BPTT kernel in process and over --workers processes
               (default 1…cores), each beside the tfjs row; --seconds caps each case's measuring time

Prints one JSON object per case (only those with --json) and a table.`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      backend: { type: 'string' },
      sizes: { type: 'string' },
      populations: { type: 'string' },
      workers: { type: 'string' },
      seconds: { type: 'string' },
    });
    const which = positionals[0] ?? 'population';
    if (positionals.length > 1 || !['population', 'es', 'adam'].includes(which)) {
      throw new UsageError(`bench takes one of population, es, adam; got "${positionals.join(' ')}"`);
    }
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
      }, out);
    } else {
      const { benchAdam } = await import('../../services/bench/adam-bench');
      await benchAdam({ json: !!values.json, sizes: listFlag('sizes', values.sizes, 3, 256), workers: listFlag('workers', values.workers, 1, 256), seconds }, io);
    }
    return 0;
  },
};
