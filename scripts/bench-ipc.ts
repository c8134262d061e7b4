/**
 * Round-trip cost of a WorkerPool job over fork IPC with advanced (structured clone) serialization: what one ES
 * generation pays per worker on top of its compute. Prints figures; asserts nothing.
 *
 *   npx tsx scripts/bench-ipc.ts [--jobs 1000] [--params 2048]
 *
 * Runs the test worker (tests/fixtures/test-worker.ts): `noop` (empty job) and `checksum` (a Float32Array
 * parameter vector in, one number out, the shape of an ES slice job), one job at a time on one worker, then a
 * generation-like `map` of one parameter-carrying job per worker over one worker per core.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from '../src/services/workers/pool';
import { forkSpawner } from '../src/services/workers/spawners';
import type { TestJobs } from '../tests/fixtures/test-worker';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const JOBS = flag('--jobs', 1000);
const PARAMS = flag('--params', 2048);
const WARMUP = 100;

const entry = fileURLToPath(new URL('../tests/fixtures/test-worker.ts', import.meta.url));

function summary(samplesUs: number[]): string {
  const s = [...samplesUs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `median ${q(0.5).toFixed(0).padStart(5)} µs   p90 ${q(0.9).toFixed(0).padStart(5)} µs   mean ${mean.toFixed(0).padStart(5)} µs`;
}

async function timeJobs(run: () => Promise<unknown>, n: number): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples;
}

async function main(): Promise<void> {
  const params = Float32Array.from({ length: PARAMS }, (_, i) => Math.sin(i) * 0.01);
  console.log(`WorkerPool IPC round trip (fork, serialization 'advanced'), Node ${process.version}, ${availableParallelism()} cores`);
  console.log(`${JOBS} sequential jobs after ${WARMUP} warm-up jobs, one worker:`);

  const one = new WorkerPool<TestJobs>({ size: 1, spawn: forkSpawner({ entry }) });
  await one.start();
  try {
    console.log(`  ${'empty job (noop)'.padEnd(44)}${summary(await timeJobs(() => one.run('noop', null), JOBS))}`);
    console.log(`  ${`${PARAMS} float32 in, 1 number out (checksum)`.padEnd(44)}${summary(await timeJobs(() => one.run('checksum', params), JOBS))}`);
  } finally {
    await one.close();
  }

  const workers = availableParallelism();
  const generations = Math.max(100, Math.round(JOBS / 5));
  const all = new WorkerPool<TestJobs>({ size: workers, spawn: forkSpawner({ entry }) });
  await all.start();
  try {
    const slices = Array.from({ length: workers }, () => params);
    const samples = await timeJobs(() => all.map('checksum', slices), generations);
    console.log(`one generation: map of ${workers} checksum jobs over ${workers} workers, ${generations} times:`);
    console.log(`  ${'per generation'.padEnd(44)}${summary(samples)}`);
  } finally {
    await all.close();
  }
}

await main();
