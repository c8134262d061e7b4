import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/cli/commands/runs';
import { runCli } from '../helpers/cli-run';
import { configFromPreset } from '../../../src/shared/training-config';
import { esConfig, testWorkspace, type TestWorkspace } from '../helpers/store-helpers';

let ws: TestWorkspace;
beforeEach(() => {
  ws = testWorkspace();
});
afterEach(() => ws.cleanup());

const run = runCli;

async function twoRuns() {
  const es = await ws.store.createRun(esConfig(), { backend: 'wasm', name: 'carrot  baseline, sigma 0.02 and a name longer than the table shows' });
  await ws.store.updateRun(es.id, {
    status: 'finished', backend: 'wasm',
    progress: { generation: 2000, evaluations: 12000, wallSeconds: 3725, bestLoss: 0.0012346, lastLoss: 0.002, bestEval40: 0.0031, lastEval40: 0.004, lastEval200: 0.005, lastEval1000: 0.006, verdict: 'persists' as const },
  });
  ws.tick(90);
  const adam = await ws.store.createRun(configFromPreset('thesis-adam'), { backend: null });
  await ws.store.updateRun(adam.id, {
    status: 'failed', statusReason: 'NaN loss at iteration 812',
    progress: { generation: 812, evaluations: 6496, wallSeconds: 42, bestLoss: 0.01, lastLoss: NaN, bestEval40: null, lastEval40: null, lastEval200: null, lastEval1000: null, verdict: null },
  });
  return { es, adam };
}

describe('nca-lab runs', () => {
  it('prints a table, newest first, and names a broken run folder on stderr', async () => {
    const { es, adam } = await twoRuns();
    mkdirSync(join(ws.dir, 'runs', 'broken-run'));
    writeFileSync(join(ws.dir, 'runs', 'broken-run', 'run.json'), '{');
    const r = await run('runs', '--workspace', ws.dir);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(3);
    expect(r.out[0].split(/\s{2,}/)).toEqual(['id', 'name', 'optimizer', 'preset', 'target', 'status', 'generation', 'best loss', 'last loss', 'best eval40', 'wall', 'backend']);
    // each run by its name (the default one derived from preset and target; a long one cut, its spaces kept single)
    expect(r.out[1].split(/\s{2,}/)).toEqual([adam.id, adam.name, 'adam', 'thesis-adam', 'carrot-9', 'failed', '812', '1.000e-2', 'NaN', '-', '42s', '-']);
    expect(r.out[2].split(/\s{2,}/)).toEqual([es.id, 'carrot baseline, sigma 0.02 and a name …', 'es', 'thesis-es', 'carrot-9', 'finished', '2000', '1.235e-3', '2.000e-3', '3.100e-3', '1h02m', 'wasm']);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^nca-lab runs: skipped ${join(ws.dir, 'runs', 'broken-run').replace(/[/\\.]/g, '\\$&')}: run "broken-run": .* is malformed: not JSON`));
  });

  it('--json prints one object per run and line; --id prints the whole record', async () => {
    const { es, adam } = await twoRuns();
    const r = await run('runs', '--workspace', ws.dir, '--json');
    expect(r.code).toBe(0);
    const rows = r.out.map((l) => JSON.parse(l));
    expect(rows.map((x) => x.id)).toEqual([adam.id, es.id]);
    expect(rows[0]).toMatchObject({ optimizer: 'adam', status: 'failed', statusReason: 'NaN loss at iteration 812', generation: 812, lastLoss: 'NaN', bestLoss: 0.01, backend: null });
    expect(rows[1]).toMatchObject({ optimizer: 'es', preset: 'thesis-es', target: 'carrot-9', wallSeconds: 3725, bestEval40: 0.0031, backend: 'wasm' });

    const one = await run('runs', '--workspace', ws.dir, '--id', es.id);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out[0])).toEqual(await ws.store.getRun(es.id));
    const missing = await run('runs', '--workspace', ws.dir, '--id', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toBe(`nca-lab: no run "nope" in ${join(ws.dir, 'runs')}`);
  });

  it('says so when there are no runs, and refuses stray arguments', async () => {
    const r = await run('runs', '--workspace', ws.dir);
    expect(r.out).toEqual([`no runs in ${join(ws.dir, 'runs')}`]);
    expect((await run('runs', '--workspace', ws.dir, '--json')).out).toEqual([]);
    const bad = await run('runs', 'extra', '--workspace', ws.dir);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe('nca-lab runs: unexpected argument: extra');
  });

  it('formats wall time compactly', () => {
    expect([0, 42, 725, 3725, 90061].map(formatDuration)).toEqual(['0s', '42s', '12m05s', '1h02m', '1d01h']);
  });
});
