/**
 * `nca-lab bench cluster`: what the cluster path costs per ES generation against the in-process WorkerPool, on
 * one machine, so that the difference is the cluster's overhead alone (Redis round trips, BullMQ, msgpack, the
 * extra processes): population {40, 1000} × size {9, 15, 40} × {1…4} worker processes, the same slice job,
 * shaping and update as training. Also the bytes per generation (the master's own and Redis's whole traffic),
 * Redis's round trip and the master's update time: the inputs of docs/scale-out.md's model.
 *
 * The pool runs W worker processes; the cluster run W `nca-lab worker --concurrency 1` processes (what W
 * one-core machines would run) and a master with no compute of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { BenchIo } from './bench-io';
import { round } from './population-bench';
import { WorkerPool } from '../workers/pool';
import { forkSpawner } from '../workers/spawners';
import type { LabJobs } from '../workers/lab-jobs';
import { esComputeBackend } from '../training/optimizers/es';
import { PoolEsEvaluator, type EsRunSettings, type SliceRunner } from '../training/es-evaluator';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../core/nca/config';
import { makeSeed } from '../../core/nca/state';
import { centredRankShaping } from '../../core/es/shaping';
import { applyEsUpdate, GenerationNoise } from '../../core/es/update';
import { Philox } from '../../core/rng/philox';
import { packageRoot } from '../resources/package-paths';
import { connectRedis, ensureConnected, parseClusterUrl, type ClusterAddress } from '../cluster/redis-url';
import { ClusterSliceRunner } from '../cluster/cluster-runner';
import { localCompat } from '../cluster/compat';

export interface ClusterBenchOptions {
  populations?: number[];
  sizes?: number[];
  workers?: number[];
  /** generations measured per case, after one warm-up (default 3) */
  generations?: number;
  /** an existing Redis; default: a private redis-server on a free loopback port */
  redis?: string;
}

export interface ClusterBenchRow {
  bench: 'cluster';
  size: number;
  population: number;
  workers: number;
  /** median ms per generation, in-process pool and cluster (alternating generations) */
  poolMs: number;
  clusterMs: number;
  /** clusterMs − poolMs, and that as a share of poolMs (the generation's compute) */
  overheadMs: number;
  overheadPct: number;
  /** the master's bytes per generation (θ blob and job data up, answers down) */
  masterBytesUp: number;
  masterBytesDown: number;
  /** everything through Redis per generation (workers' θ fetches, BullMQ's commands, heartbeats) */
  redisBytes: number;
  slices: number;
  /** the master's shaping + update at this population (ms) */
  updateMs: number;
}

function benchRun(population: number, size: number): { run: EsRunSettings; theta: Float32Array } {
  const cfg = THESIS_ES_MODEL;
  const rng = new Philox(1);
  const theta = initParams(cfg, 'torch', () => rng.uniform());
  const L = paramLayout(cfg);
  // a small random layer 2 so rollouts grow (a fresh model's zero layer 2 makes every rollout a no-op)
  for (let i = 0; i < L.kernel1.size; i++) theta[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
  const run: EsRunSettings = {
    cfg, seed: 1, population, target: new Float32Array(size * size * 4).fill(0.1),
    sigma: 0.01, mirrored: true, commonRandomNumbers: false, perMemberSteps: true, stepsMin: 30, stepsMax: 39,
  };
  return { run, theta };
}

/** One case's generations on one runner, one at a time, so two runners can take turns under the same load. */
function generations(runner: SliceRunner, population: number, size: number): (g: number) => Promise<{ ms: number; updateMs: number }> {
  const { run, theta } = benchRun(population, size);
  const evaluator = new PoolEsEvaluator(run, runner);
  const x0 = makeSeed(size, size);
  return async (g: number) => {
    const t0 = performance.now();
    const pending = evaluator.evaluate({ generation: g, params: theta, x0, wantBest: false });
    // as the trainer does (optimizers/es.ts): the noise is built once the jobs are out
    await evaluator.dispatched?.();
    const noise = GenerationNoise.forPopulation(1, g, population, true, theta.length);
    const out = await pending;
    const t = performance.now();
    applyEsUpdate({ theta, shaped: centredRankShaping(out.losses.map((l) => -l)), seed: 1, generation: g, mirrored: true, lr: 0.005, sigma: 0.01, form: 'thesis', noise });
    const end = performance.now();
    return { ms: end - t0, updateMs: end - t };
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, re: RegExp, what: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${text.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      text += d.toString();
      if (re.test(text)) { clearTimeout(timer); resolve(); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before it was ready:\n${text.slice(-2000)}`)); });
  });
}

async function startPrivateRedis(): Promise<{ url: string; child: ChildProcess }> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    throw new Error('bench cluster needs redis-server on PATH (apt-get install redis-server), or --redis URL');
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /Ready to accept connections/, 'redis-server', 15_000);
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function redisTraffic(conn: Redis): Promise<number> {
  const info = await conn.info('stats');
  const num = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? 0);
  return num('total_net_input_bytes') + num('total_net_output_bytes');
}

async function pingMs(conn: Redis): Promise<number> {
  await conn.ping();
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) await conn.ping();
  return (performance.now() - t0) / 50;
}

function startWorkers(url: string, n: number): ChildProcess[] {
  const bin = join(packageRoot(), 'bin/nca-lab.js');
  return Array.from({ length: n }, () => spawn(process.execPath, [bin, 'worker', '--redis', url, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.on('exit', () => { clearTimeout(force); resolve(); });
    c.kill('SIGTERM');
  })));
}

export async function benchCluster(opts: ClusterBenchOptions, io: BenchIo): Promise<ClusterBenchRow[]> {
  const populations = opts.populations ?? [40, 1000];
  const sizes = opts.sizes ?? [9, 15, 40];
  const workerCounts = opts.workers ?? [1, 2, 3, 4];
  const gens = opts.generations ?? 3;
  const privateRedis = opts.redis ? null : await startPrivateRedis();
  const addr: ClusterAddress = parseClusterUrl(opts.redis ?? privateRedis!.url);
  const stats = connectRedis(addr, { name: 'nca-lab:bench', blocking: false });
  const rows: ClusterBenchRow[] = [];
  try {
    await ensureConnected(stats);
    const rtt = await pingMs(stats);
    io.note(`redis ${addr.display}: round trip ${rtt.toFixed(3)} ms; ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; population on ${esComputeBackend()}`);
    io.json({ bench: 'cluster-redis', redis: addr.display, pingMs: round(rtt, 4), cores: availableParallelism(), load1: round(loadavg()[0], 2) });
    for (const W of workerCounts) {
      // W local processes (the reference) and W `nca-lab worker` processes, alive together; each case's
      // generations alternate between them, so both see the same load on this machine
      const pool = new WorkerPool<LabJobs>({ size: W, spawn: forkSpawner({ echoOutput: false }) });
      const workers = startWorkers(addr.url, W);
      const runner = new ClusterSliceRunner({ addr, runId: `bench-w${W}`, compat: localCompat() });
      try {
        await pool.start();
        await Promise.all(workers.map((w, i) => waitForLine(w, /waiting for jobs/, `worker ${i + 1}`)));
        await runner.open();
        for (let i = 0; i < 100 && runner.workers.length < W; i++) await new Promise((r) => setTimeout(r, 100));
        if (runner.workers.length < W) throw new Error(`only ${runner.workers.length} of ${W} workers announced themselves`);
        const poolRunner: SliceRunner = { size: pool.size, map: (p) => pool.map('es-slice', p) };
        for (const size of sizes) {
          for (const population of populations) {
            const onPool = generations(poolRunner, population, size);
            const onCluster = generations(runner, population, size);
            await onPool(1);
            await onCluster(1); // warm-up (and the run's settings go up once)
            const p: number[] = [];
            const c: number[] = [];
            const u: number[] = [];
            let redisBytes = 0;
            const traffic0 = runner.traffic.length;
            for (let g = 2; g < 2 + gens; g++) {
              const rp = await onPool(g);
              p.push(rp.ms);
              u.push(rp.updateMs);
              const before = await redisTraffic(stats);
              c.push((await onCluster(g)).ms);
              redisBytes += (await redisTraffic(stats)) - before;
            }
            const measured = runner.traffic.slice(traffic0);
            const poolMs = median(p);
            const clusterMs = median(c);
            const row: ClusterBenchRow = {
              bench: 'cluster', size, population, workers: W, poolMs: round(poolMs, 1), clusterMs: round(clusterMs, 1),
              overheadMs: round(clusterMs - poolMs, 1), overheadPct: round((100 * (clusterMs - poolMs)) / poolMs, 1),
              masterBytesUp: Math.round(avg(measured.map((t) => t.bytesUp))), masterBytesDown: Math.round(avg(measured.map((t) => t.bytesDown))),
              redisBytes: Math.round(redisBytes / gens), slices: measured[0]?.slices ?? 0, updateMs: round(median(u), 2),
            };
            rows.push(row);
            io.json(row);
          }
        }
      } finally {
        await runner.close();
        await stopAll(workers);
        await pool.close();
      }
    }
  } finally {
    stats.disconnect();
    if (privateRedis) await stopAll([privateRedis.child]);
  }
  io.table(`Cluster overhead per ES generation (median ms of ${gens} generations per case, pool and cluster alternating; load ${loadavg()[0].toFixed(1)} at the end)`,
    ['size', 'population', 'workers', 'pool ms', 'cluster ms', 'overhead ms', 'overhead %', 'slices', 'master B up', 'master B down', 'redis B/gen', 'update ms'],
    rows.map((r) => [r.size, r.population, r.workers, r.poolMs, r.clusterMs, r.overheadMs, `${r.overheadPct}%`, r.slices, r.masterBytesUp, r.masterBytesDown, r.redisBytes, r.updateMs]));
  return rows;
}

function avg(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
