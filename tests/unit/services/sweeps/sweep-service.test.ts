/**
 * SweepService over the real trainers (worker processes), at test size: a sweep with successive halving makes
 * its runs once (a run made before the record knew of it — a crash between the two — is found, not made again),
 * stops the worse configuration at the first rung and extends the better one to the full budget, which then
 * equals a run trained straight to it (metrics rows, the final checkpoint's bytes, the model). A plan refuses a
 * bad request before writing anything; pause and resume go on from where the sweep stopped.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunManager } from '../../../../src/services/runs/run-manager';
import { SweepService } from '../../../../src/services/sweeps/sweep-service';
import { configAtBudget } from '../../../../src/shared/sweep-plan';
import { sweepExperimentCharts } from '../../../../src/shared/sweep-charts';
import { sweepTable } from '../../../../src/shared/sweep-results';
import { readExperiment } from '../../../../src/services/experiments/experiment-store';
import { runCli } from '../../helpers/cli-run';
import { parseSweepAxisText, parseSweepFixedText } from '../../../../src/shared/sweep';
import type { SweepSummary } from '../../../../src/shared/sweep';
import { checkpointState, metricsOf, modelBytes, tinyRequest } from '../../helpers/sweep-helpers';

let workspace: string;
let runs: RunManager;
let sweeps: SweepService;
const events: SweepSummary[] = [];

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-sweep-'));
  runs = new RunManager({ workspace, cores: 2, maxConcurrent: 2, lowPriorityWorkers: false });
  await runs.init();
  sweeps = new SweepService({ runs, targetsDir: join(workspace, 'targets'), emit: (s) => events.push(s), progressIntervalMs: 0 });
});
afterAll(async () => {
  await sweeps.close();
  await runs.stopAll();
  await rm(workspace, { recursive: true, force: true });
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sweeps through the run queue', () => {
  it('plans with an estimate, and refuses a bad request without writing anything', async () => {
    const plan = await sweeps.plan(tinyRequest({ seeds: [1, 2, 3] }));
    expect([plan.configurations, plan.runs, plan.seeds]).toEqual([2, 6, 3]);
    expect(plan.estimateSeconds).toBeGreaterThan(0);
    expect(plan.estimateBasis).toMatch(/measured here on one core/);
    await expect(sweeps.create(tinyRequest({ target: 'no-such-target' }))).rejects.toThrow(/"no-such-target" is neither a built-in target/);
    expect(await readdir(join(workspace, 'sweeps')).catch(() => [])).toEqual([]);
  });

  it('halves, finds a run made before a crash, and extends the kept configuration bit-exactly', async () => {
    const request = tinyRequest({ axes: [parseSweepAxisText('es.sigma=0.002,0.05')], halving: { firstBudget: null } });
    const record = await sweeps.create(request);
    expect(record.rungs).toEqual([4, 8]);
    // a crash right after a run was made, before the record was rewritten: the run exists, the record does not know it
    const early = await runs.create({ config: configAtBudget(record.runs[0].config, 'generations', 4), name: 'made before the crash' }, undefined, { sweep: { id: record.id, index: 0 } });
    const done = await sweeps.run(record.id);
    expect(done.status).toBe('done');
    expect(done.runs[0].runId).toBe(early.id);
    const all = await runs.store.listRuns();
    expect(all.filter((r) => r.sweep?.id === record.id)).toHaveLength(2);
    expect(all).toHaveLength(2);

    expect(done.decisions).toHaveLength(1);
    const d = done.decisions[0];
    expect(d.budget).toBe(4);
    expect([...d.kept, ...d.stopped].sort()).toEqual([0, 1]);
    const [kept] = d.kept;
    const [stopped] = d.stopped;
    // the kept configuration had the lower 40-step loss at the rung
    expect(d.scores[kept]!).toBeLessThanOrEqual(d.scores[stopped]!);
    const keptRun = done.runs.find((r) => r.group === kept)!;
    const stoppedRun = done.runs.find((r) => r.group === stopped)!;
    const a = await runs.get(keptRun.runId!);
    const b = await runs.get(stoppedRun.runId!);
    expect([a.status, a.progress.generation, b.status, b.progress.generation]).toEqual(['finished', 8, 'finished', 4]);
    expect(keptRun.final!.generation).toBe(8);
    expect(stoppedRun.final!.generation).toBe(4);
    expect(keptRun.final!.eval40).toBeGreaterThan(0);

    // the same configuration trained straight to 8
    const straight = await runs.create({ config: keptRun.config, name: 'straight' });
    await until('the straight run', async () => {
      const r = await runs.get(straight.id);
      return r.status === 'finished' && r.live === null;
    });
    expect(await metricsOf(runs.store, keptRun.runId!)).toEqual(await metricsOf(runs.store, straight.id));
    const ca = await checkpointState(runs.store, keptRun.runId!, 8);
    const cb = await checkpointState(runs.store, straight.id, 8);
    expect(ca.state).toBe(cb.state);
    expect(ca.payload.equals(cb.payload)).toBe(true);
    expect((await modelBytes(runs.store, keptRun.runId!)).equals(await modelBytes(runs.store, straight.id))).toBe(true);
    expect(events.some((e) => e.id === record.id && e.status === 'done' && e.measured === 2)).toBe(true);
  }, 300_000);

  it('pauses a sweep (its runs write a checkpoint) and resumes it to the end', async () => {
    const record = await sweeps.create(tinyRequest({ stop: { maxGenerations: 40, maxSeconds: null, targetLoss: null } }));
    const started = sweeps.run(record.id);
    await until('a run at generation 5', async () => {
      const r = await sweeps.get(record.id);
      const ids = r.runs.map((x) => x.runId).filter((x): x is string => x !== null);
      for (const id of ids) if ((await runs.get(id)).progress.generation >= 5) return true;
      return false;
    });
    const paused = await sweeps.pause(record.id);
    expect(paused.status).toBe('paused');
    await started;
    const mid = await sweeps.get(record.id);
    const states = await Promise.all(mid.runs.filter((r) => r.runId).map((r) => runs.get(r.runId!)));
    expect(states.every((s) => s.live === null && s.queuePosition === null)).toBe(true);
    expect(states.some((s) => s.status === 'paused')).toBe(true);
    await sweeps.resume(record.id);
    await until('the sweep to end', async () => (await sweeps.get(record.id)).status === 'done');
    const end = await sweeps.get(record.id);
    for (const r of end.runs) expect((await runs.get(r.runId!)).progress.generation).toBe(40);
  }, 300_000);

  it('ES against Adam with the experiment suites on every final model, drawn per configuration with the seeds\' band', async () => {
    const record = await sweeps.create(tinyRequest({
      axes: [parseSweepAxisText('optimizer=es,adam')], seeds: [1, 2], stop: { maxGenerations: 4, maxSeconds: null, targetLoss: null },
      set: [...tinyRequest().set, parseSweepFixedText('adam.batchSize=2')], suites: ['growth', 'erase-bottom', 'fgsm-after'],
    }));
    expect(record.groups.map((g) => g.label)).toEqual(['optimizer es', 'optimizer adam']);
    expect(record.runs.map((r) => r.config.preset)).toEqual(['es-256', 'thesis-adam', 'es-256', 'thesis-adam']);
    const done = await sweeps.run(record.id);
    expect(done.status).toBe('done');
    expect(done.experiments.map((e) => e.suite)).toEqual(['growth', 'erase-bottom', 'fgsm-after']);
    const rows = sweepTable(done);
    expect(rows.map((r) => r.measured)).toEqual([2, 2]);
    const results = await readExperiment(workspace, done.experiments.find((e) => e.suite === 'erase-bottom')!.id);
    expect(results.models.map((m) => m.runId).sort()).toEqual(done.runs.map((r) => r.runId).sort());
    const [chart] = sweepExperimentCharts(done, results, 'erase-bottom');
    expect(chart.target).toBe('9x9 carrot');
    expect(chart.spec.series.map((x) => x.label)).toEqual(['optimizer es (2)', 'optimizer adam (2)']);
    // the band is the min and max of the two seeds' curves, the line their mean, at every step
    for (const [i, group] of [0, 1].entries()) {
      const curves = done.runs.filter((r) => r.group === group).map((r) => results.curves.find((c) => c.protocol === 'erase-bottom' && c.model === r.runId)!.repeats[0].loss);
      const s = chart.spec.series[i];
      expect(s.y).toHaveLength(400);
      for (const k of [0, 51, 399]) {
        const [a, b] = [curves[0][k]!, curves[1][k]!];
        expect(s.band!.lo[k]).toBe(Math.min(a, b));
        expect(s.band!.hi[k]).toBe(Math.max(a, b));
        expect(s.y[k]).toBeCloseTo((a + b) / 2, 12);
      }
    }
  }, 300_000);

  it('the built-in ES-vs-Adam sweep plans 4 configurations × 3 seeds from the command line', async () => {
    const out = await runCli('sweep', '--builtin', 'es-vs-adam', '--dry-run', '--json', '--workspace', workspace);
    expect(out.code, out.err.join('\n')).toBe(0);
    const plan = JSON.parse(out.out[0]) as { configurations: number; runs: number; labels: string[] };
    expect([plan.configurations, plan.runs]).toEqual([4, 12]);
    expect(plan.labels).toEqual(['optimizer es · target carrot-9', 'optimizer es · target rabbit-15', 'optimizer adam · target carrot-9', 'optimizer adam · target rabbit-15']);
    const bad = await runCli('sweep', '--target', 'carrot-9', '--grid', 'es.sigma=0.01,abc', '--max-seconds', '5', '--workspace', workspace);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--grid: es.sigma: must be a number, got "abc"/);
  }, 120_000);
});
