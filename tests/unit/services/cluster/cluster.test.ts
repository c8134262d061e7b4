/**
 * ES across machines (services/cluster): a private redis-server and real `nca-lab worker` processes. A cluster
 * run must end on the same bytes as the same run on local worker processes, whatever happens to the workers
 * or to Redis on the way; a worker of another lab version must be refused, with the difference named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabStore } from '../../../../src/services/store/lab-store';
import { configFromPreset, type EsRunConfig } from '../../../../src/shared/training-config';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { runExperiment } from '../../../../src/services/experiments/run-experiment';
import { LabService } from '../../../../src/services/lab/lab-service';
import type { ClusterStatus, LabSettings } from '../../../../src/shared/lab-api';
import type { StopRequest } from '../../../../src/services/training/context';
import type { RunProgressEvent } from '../../../../src/shared/metrics';
import type { MetricRow } from '../../../../src/shared/run-record';
import { freePort, labCopyWithVersion, redisServerPath, startRedis, startWorker, type Proc } from './cluster-helpers';

const redisBin = redisServerPath();
// CI installs redis-server (.ci/run), so there a missing one fails these tests instead of skipping them
const skip = !redisBin && !process.env.CI;
if (skip) console.warn('cluster tests skipped: redis-server is not installed (apt-get install redis-server; .ci/run installs it)');

const GENERATIONS = 12;

function config(): EsRunConfig {
  const c = configFromPreset('thesis-es') as EsRunConfig;
  c.seed = 7;
  // slices of ~60 members: long enough that a worker killed on taking one dies before it answers
  c.es.population = 240;
  c.evalEvery = 5;
  c.checkpointEvery = 4;
  c.stop.maxGenerations = GENERATIONS;
  return c;
}

/** Everything of a metric row but the wall clock. */
const numbers = (rows: MetricRow[]) => rows.map((r) => ({ ...r, wallSeconds: 0 }));

describe.skipIf(skip)('ES on a cluster (Redis + BullMQ; skipped only where redis-server is missing)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nca-cluster-'));
  const ws = join(dir, 'ws');
  const store = new LabStore(ws);
  let port = 0;
  let url = '';
  let redis: Proc;
  const procs: Proc[] = [];
  let reference: { params: Buffer; metrics: ReturnType<typeof numbers> };

  beforeAll(async () => {
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = await startRedis(port);
    // the same run on two local worker processes, no cluster
    const run = await store.createRun(config(), { backend: null });
    const out = await runTrainingSession({ workspace: ws, runId: run.id, control: { requested: null }, workers: 2 });
    expect(out.status).toBe('finished');
    const ck = (await store.readLatestCheckpoint(run.id))!;
    reference = { params: Buffer.from(ck.params.buffer, ck.params.byteOffset, ck.params.byteLength), metrics: numbers(await store.readMetrics(run.id)) };
    expect(reference.metrics.map((r) => r.generation)).toEqual(Array.from({ length: GENERATIONS }, (_, i) => i + 1));
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    redis?.kill('SIGKILL');
    await Promise.all([...procs.map((p) => p.exited), redis?.exited]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function clusterRun(opts: { onProgress?: (ev: RunProgressEvent) => void; control?: StopRequest; logs: string[] }) {
    const run = await store.createRun(config(), { backend: null });
    const outcome = await runTrainingSession({
      workspace: ws, runId: run.id, control: opts.control ?? { requested: null }, workers: 0, cluster: url,
      onProgress: opts.onProgress, onLog: (l) => opts.logs.push(l),
    });
    const ck = (await store.readLatestCheckpoint(run.id))!;
    return {
      runId: run.id, outcome, params: Buffer.from(ck.params.buffer, ck.params.byteOffset, ck.params.byteLength),
      metrics: numbers(await store.readMetrics(run.id)), record: await store.getRun(run.id),
    };
  }

  it('waits for workers, refuses one of another lab version, survives a SIGKILLed worker and a late one: same bytes as local', async () => {
    // a machine with another install of the lab: same code, another version number
    const other = labCopyWithVersion(join(dir, 'other-lab'), '0.0.9-other');
    const stranger = startWorker(url, { root: other, name: 'stranger' });
    procs.push(stranger);
    await stranger.waitFor(/waiting for jobs/);

    const logs: string[] = [];
    let late: Proc | null = null;
    // the run starts with no compatible worker: it must wait, and say why
    const running = clusterRun({ logs });
    for (let i = 0; i < 300 && !logs.some((l) => /waiting for a worker/.test(l)); i++) await new Promise((r) => setTimeout(r, 100));
    const w1 = startWorker(url, { name: 'w1' });
    const w2 = startWorker(url, { name: 'w2' });
    procs.push(w1, w2);
    // mid-run, SIGKILL whichever worker first holds a slice past generation 2, and let the other leave (it
    // finishes what it holds): nobody is left, so the run can only end if the late worker takes the rest,
    // the orphaned slice included
    const holding = /taking es-slice .* g([3-9]|1\d) /;
    const first = (w: Proc) => w.waitFor(holding, 80_000).then((line) => ({ w, line }), () => new Promise<never>(() => undefined));
    const killed = Promise.race([first(w1), first(w2)]).then(({ w }) => {
      w.kill('SIGKILL');
      const other = w === w1 ? w2 : w1;
      other.kill('SIGTERM');
      late = startWorker(url, { name: 'late' });
      procs.push(late);
      return { victim: w, other };
    });
    const result = await running;
    expect(result.outcome.status).toBe('finished');
    // Which slices the killed worker held is told, not asserted: a slice takes ≈ 10 ms, and a worker killed
    // between storing its result in Redis and printing "done" leaves nothing to re-run. What must hold is below:
    // the late worker took part, and the run ends on the local run's bytes, every generation once
    const { victim, other: leaver } = await killed;
    const tags = (p: Proc, verb: string) => p.lines.filter((l) => l.includes(`${verb} es-slice`)).map((l) => l.replace(/^.*(es-slice [^:]*).*$/, '$1'));
    const held = tags(victim, 'taking').filter((t) => !tags(victim, 'done').includes(t));
    console.log(`cluster: the SIGKILLed worker held ${held.length ? held.map((t) => `${t} (${tags(late!, 'done').includes(t) ? 're-run by the late worker' : 'not re-run: stored before the kill, or taken by the worker that left'})`).join(', ') : 'no slice'}`);
    const leaverCode = await leaver.exited;
    // a worker that had started serving leaves cleanly on SIGTERM (one still starting just ends)
    if (leaver.lines.some((l) => /waiting for jobs/.test(l))) expect(leaverCode).toBe(0);
    expect(logs.some((l) => /waiting for a worker since .*none connected/.test(l))).toBe(true);
    expect(logs.some((l) => /refused this run: .*lab version 0\.0\.9-other here, 0\.1\.0 on the run's machine/.test(l))).toBe(true);
    expect(stranger.lines.some((l) => /refusing run .*lab version 0\.0\.9-other here/.test(l))).toBe(true);
    expect(stranger.lines.some((l) => /taking es-slice/.test(l))).toBe(false);
    // the late worker did take part
    expect(late!.lines.some((l) => /done es-slice/.test(l))).toBe(true);
    // the killed worker's slice was finished by someone else: every generation once, in order
    expect(result.metrics.map((r) => r.generation)).toEqual(reference.metrics.map((r) => r.generation));
    expect(result.metrics).toEqual(reference.metrics);
    expect(result.params.equals(reference.params)).toBe(true);
    expect(result.record.backend).toContain(`on cluster ${url}`);
  }, 120_000);

  it('pauses with "cluster unreachable since …" when Redis goes away, resumes when it is back: same bytes', async () => {
    // the late worker of the test before is still there, and reconnects by itself
    const logs: string[] = [];
    let statusDuringOutage: { status: string; statusReason: string | null } | null = null;
    let restarted: Promise<void> | null = null;
    const result = await clusterRun({
      logs,
      onProgress: (ev) => {
        if (ev.generation < 5 || restarted) return;
        restarted = (async () => {
          redis.kill('SIGKILL');
          await redis.exited;
          // wait until the run has paused after its checkpoint, then bring Redis back (empty: no persistence)
          for (let i = 0; i < 200 && !logs.some((l) => l.startsWith('cluster unreachable since')); i++) await new Promise((r) => setTimeout(r, 100));
          const rec = await store.getRun(ev.runId);
          statusDuringOutage = { status: rec.status, statusReason: rec.statusReason };
          redis = await startRedis(port);
        })();
      },
    });
    await restarted;
    expect(result.outcome.status).toBe('finished');
    expect(statusDuringOutage).not.toBeNull();
    expect(statusDuringOutage!.status).toBe('paused');
    expect(statusDuringOutage!.statusReason).toMatch(/^cluster unreachable since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(logs.some((l) => /is back: resuming from generation [4-6]/.test(l))).toBe(true);
    expect(result.metrics).toEqual(reference.metrics);
    expect(result.params.equals(reference.params)).toBe(true);
  }, 90_000);

  it('runs an experiment suite on the cluster with the same curves as in this process', async () => {
    // the late worker (still there, reconnected after the Redis restart) takes the jobs
    const runs = await store.listRuns();
    const model = runs.find((r) => r.status === 'finished')!.id;
    const request = { workspace: ws, store, suite: 'erase-3x3' as const, models: [model], repeats: 2, seed: 4 };
    const local = await runExperiment({ ...request, workers: 0 });
    const logs: string[] = [];
    const remote = await runExperiment({ ...request, cluster: url, onLog: (l) => logs.push(l) });
    expect(logs.some((l) => /2 experiment jobs on the cluster/.test(l))).toBe(true);
    expect(remote.results.curves.length).toBeGreaterThan(0);
    expect(remote.results.curves).toEqual(local.results.curves);
    expect(remote.results.frames).toEqual(local.results.frames);
  }, 60_000);

  it('Settings → Compute: test connection lists the workers, the refusing one with its reason; the choice is validated and kept', async () => {
    const lab = new LabService({ workspace: join(dir, 'settings-ws') });
    const status = (await lab.dispatch('cluster:test', [url])) as ClusterStatus;
    expect(status.ok).toBe(true);
    expect(status.message).toMatch(/^Redis 7\.\d+\.\d+, \d+ ms to connect; 2 workers \(1 job slot for this lab\)/);
    const byVersion = new Map(status.workers.map((w) => [w.labVersion, w]));
    expect(byVersion.get('0.1.0')).toMatchObject({ compatible: true, incompatibility: null, cores: expect.any(Number), concurrency: 1 });
    expect(byVersion.get('0.1.0')!.mutantsPerSec).toBeGreaterThan(0);
    expect(byVersion.get('0.0.9-other')).toMatchObject({ compatible: false, incompatibility: expect.stringContaining("lab version 0.0.9-other here, 0.1.0 on the run's machine") });

    const unreachable = (await lab.dispatch('cluster:test', [`redis://127.0.0.1:${await freePort()}`])) as ClusterStatus;
    expect(unreachable.ok).toBe(false);
    expect(unreachable.message).toMatch(/ECONNREFUSED/);

    await expect(lab.dispatch('settings:update', [{ compute: { localCores: false, cluster: null } }]))
      .rejects.toThrow("settings.update: compute: choose this computer's cores, a cluster, or both");
    await expect(lab.dispatch('settings:update', [{ compute: { localCores: true, cluster: 'http://x' } }]))
      .rejects.toThrow('settings.update: compute.cluster: cluster URL scheme must be redis:// or rediss:// (TLS), got http://');
    const saved = (await lab.dispatch('settings:update', [{ compute: { localCores: false, cluster: url } }])) as LabSettings;
    expect(saved.compute).toEqual({ localCores: false, cluster: `${url}` });
    // a new lab on the same workspace reads it back
    expect((await new LabService({ workspace: join(dir, 'settings-ws') }).dispatch('settings:get', [])) as LabSettings).toMatchObject({ compute: { localCores: false, cluster: url } });
  }, 30_000);
});
