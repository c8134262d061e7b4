/**
 * Sweep requests as text and data (shared/sweep.ts), their plans (shared/sweep-plan.ts: configurations, seeds,
 * configs, halving rungs) and their answer (shared/sweep-results.ts, shared/sweep-charts.ts): every refusal names
 * the setting; the same request plans the same runs.
 */
import { describe, expect, it } from 'vitest';
import {
  builtinSweep, parseSeedsText, parseSweepAxisText, parseSweepFixedText, parseSweepRecord, parseSweepRequest, sweepAxisText,
  type SweepRecord, type SweepRequest,
} from '../../../src/shared/sweep';
import { planSweep, type TargetResolver } from '../../../src/shared/sweep-plan';
import { bestConfigurations, spreadText, sweepCsv, sweepTable, verdictText } from '../../../src/shared/sweep-results';
import { groupCurvesChart, settingChart } from '../../../src/shared/sweep-charts';
import type { MetricPoint } from '../../../src/shared/lab-api';

const targets: TargetResolver = (name) => {
  const m = /^(carrot|rabbit)-(\d+)$/.exec(name);
  if (!m) throw new RangeError(`target: unknown "${name}"`);
  return { name, size: Number(m[2]), padding: 0 };
};

function request(over: Partial<SweepRequest> = {}): SweepRequest {
  return parseSweepRequest({
    preset: 'es-256', target: 'carrot-9', axes: [parseSweepAxisText('es.sigma=0.01,0.02')], sample: { kind: 'grid' }, seeds: [1, 2, 3],
    stop: { maxGenerations: 12, maxSeconds: null, targetLoss: null },
    set: ['es.population=8', 'stepsMin=12', 'stepsMax=16', 'es.objective.lossWindow=8'].map(parseSweepFixedText), halving: null, suites: [], goal: null,
    ...over,
  });
}

describe('sweep text forms', () => {
  it('parses lists, ranges and fixed settings with the field table\'s types', () => {
    expect(parseSweepAxisText('es.sigma=0.01,0.02,0.04')).toEqual({ path: 'es.sigma', kind: 'list', values: [0.01, 0.02, 0.04] });
    expect(parseSweepAxisText('es.population=128..512 log')).toEqual({ path: 'es.population', kind: 'range', min: 128, max: 512, scale: 'log', points: 3, integer: true });
    expect(parseSweepAxisText('es.lr=0.001..0.01 log 5')).toMatchObject({ kind: 'range', points: 5, integer: false, scale: 'log' });
    expect(parseSweepAxisText('optimizer=es,adam')).toEqual({ path: 'optimizer', kind: 'list', values: ['es', 'adam'] });
    expect(parseSweepAxisText('es.mirrored=true,false')).toEqual({ path: 'es.mirrored', kind: 'list', values: [true, false] });
    expect(sweepAxisText(parseSweepAxisText('es.population=128..512 log'))).toBe('es.population=128..512 log 3');
    expect(parseSweepFixedText('es.population=8')).toEqual({ path: 'es.population', value: 8 });
    expect(parseSeedsText('1..4')).toEqual([1, 2, 3, 4]);
    expect(parseSeedsText('3,1')).toEqual([3, 1]);
  });

  it('refuses what does not fit, naming the setting', () => {
    expect(() => parseSweepAxisText('es.sigma')).toThrow(/expected PATH=V1,V2/);
    expect(() => parseSweepAxisText('es.sigmaa=0.1')).toThrow(/es.sigmaa: is not a setting/);
    expect(() => parseSweepAxisText('es.sigma=0.01,-1')).toThrow(/es.sigma: must be a number > 0/);
    expect(() => parseSweepAxisText('es.population=512..128')).toThrow(/from low to high/);
    expect(() => parseSweepAxisText('es.decay.minLr=0..1 log')).toThrow(/log range needs a low end > 0/);
    expect(() => parseSweepAxisText('optimizer=es,sgd')).toThrow(/optimizer: must be es or adam, got "sgd"/);
    expect(() => parseSweepAxisText('es.update=0..1')).toThrow(/takes a list of values/);
    expect(() => parseSweepAxisText('seed=1,2')).toThrow(/seeds are not a setting/);
    expect(() => parseSweepAxisText('stop.maxGenerations=1,2')).toThrow(/one stop rule/);
    expect(() => parseSweepFixedText('optimizer=adam')).toThrow(/is a setting of the sweep itself/);
    expect(() => parseSeedsText('1,1')).toThrow(/lists a seed twice/);
    expect(() => request({ stop: { maxGenerations: null, maxSeconds: null, targetLoss: 0.001 } })).toThrow(/stop: needs a limit on generations or seconds/);
    expect(() => request({ axes: [parseSweepAxisText('optimizer=es,adam'), parseSweepAxisText('preset=es,thesis-adam')] })).toThrow(/the preset or the optimizer, not both/);
    expect(() => parseSweepRequest({ ...request(), extra: 1 })).toThrow(/extra: is not a field/);
  });
});

describe('sweep plans', () => {
  it('plans configurations × seeds, seed-major, with the fixed settings, the axis values and one stop rule', () => {
    const plan = planSweep(request(), targets);
    expect(plan.groups.map((g) => g.label)).toEqual(['es.sigma 0.01', 'es.sigma 0.02']);
    expect(plan.runs.map((r) => [r.group, r.seed])).toEqual([[0, 1], [1, 1], [0, 2], [1, 2], [0, 3], [1, 3]]);
    const c = plan.runs[3].config;
    if (c.optimizer !== 'es') throw new Error('expected ES');
    expect([c.preset, c.es.sigma, c.es.population, c.seed, c.stepsMin, c.stop.maxGenerations]).toEqual(['es-256', 0.02, 8, 2, 12, 12]);
    expect(plan.groups[0].goal).toBe(0.0005);
    // the same request, the same plan
    expect(planSweep(request(), targets)).toEqual(plan);
  });

  it('an optimizer axis takes the other optimizer\'s default preset; settings of the other optimizer do not apply', () => {
    const plan = planSweep(request({ axes: [parseSweepAxisText('optimizer=es,adam'), parseSweepAxisText('es.sigma=0.01,0.02'), parseSweepAxisText('target=carrot-9,rabbit-15')] }), targets);
    // es × 2 sigmas × 2 targets, adam × 2 targets (its two sigma points are one configuration)
    expect(plan.groups.map((g) => g.label)).toEqual([
      'optimizer es · es.sigma 0.01 · target carrot-9', 'optimizer es · es.sigma 0.01 · target rabbit-15',
      'optimizer es · es.sigma 0.02 · target carrot-9', 'optimizer es · es.sigma 0.02 · target rabbit-15',
      'optimizer adam · target carrot-9', 'optimizer adam · target rabbit-15',
    ]);
    const adam = plan.runs.find((r) => r.config.optimizer === 'adam')!.config;
    expect([adam.preset, adam.target.name, adam.stop.maxGenerations]).toEqual(['thesis-adam', 'carrot-9', 12]);
    expect(plan.groups[5].goal).toBe(0.0015);
    expect(plan.groups[4].settings).toEqual({ optimizer: 'adam', 'es.sigma': null, target: 'carrot-9' });
  });

  it('refuses a configuration that is not valid, naming it and the field', () => {
    expect(() => planSweep(request({ axes: [parseSweepAxisText('es.mirrored=true,false')] }), targets))
      .toThrow(/configuration 2 \(es.mirrored false\): es.commonRandomNumbers: needs mirrored sampling/);
    expect(() => planSweep(request({ target: 'lizard-40' }), targets)).toThrow(/target: unknown "lizard-40"/);
  });

  it('a random sample is seeded; halving rungs follow the stop rule', () => {
    const r = request({ axes: [parseSweepAxisText('es.lr=0.001..0.01 log'), parseSweepAxisText('es.sigma=0.01,0.02')], sample: { kind: 'random', samples: 6, seed: 4 }, halving: { firstBudget: null } });
    const a = planSweep(r, targets);
    expect(a).toEqual(planSweep(r, targets));
    expect(a.drawn).toBe(6);
    expect(a.groups.length).toBeLessThanOrEqual(6);
    expect(a.budgetUnit).toBe('generations');
    expect(a.rungs![a.rungs!.length - 1]).toBe(12);
    expect(planSweep({ ...r, sample: { kind: 'random', samples: 6, seed: 5 } }, targets).groups.map((g) => g.label)).not.toEqual(a.groups.map((g) => g.label));
    expect(builtinSweep('es-vs-adam').request.axes.map((x) => x.path)).toEqual(['optimizer', 'target']);
  });
});

/** A record of the plan with made-up final models, as a finished sweep's. */
function finishedRecord(): SweepRecord {
  const req = request();
  const plan = planSweep(req, targets);
  const finals = [0.01, 0.004, 0.012, 0.003, 0.011, null];
  const record: SweepRecord = {
    formatVersion: 1, id: '20260101-000000-sweep-es-256-carrot-9-abcd', name: plan.name, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    request: req, groups: plan.groups, rungs: null, budgetUnit: null, decisions: [], drawn: null, experiments: [], status: 'done', statusReason: null, driver: null,
    runs: plan.runs.map((r, i) => ({
      ...r, runId: `run-${i}`, removed: false,
      final: {
        generation: 12, evaluations: 96, wallSeconds: 3, eval40: finals[i], eval200: finals[i] === null ? null : finals[i]! * 1.5, eval1000: finals[i] === null ? null : finals[i]! * 1.8,
        verdict: finals[i] === null ? 'diverges' : 'persists', goalAt: i === 1 ? { generation: 8, evaluations: 64, wallSeconds: 2 } : null,
      },
    })),
  };
  return parseSweepRecord(JSON.parse(JSON.stringify(record)));
}

describe('the sweep\'s answer', () => {
  it('tables medians and spreads over seeds and names the best configuration', () => {
    const rows = sweepTable(finishedRecord());
    expect(rows[0].final40).toEqual({ n: 3, finite: 3, median: 0.011, min: 0.01, max: 0.012 });
    expect(rows[1].final40).toEqual({ n: 3, finite: 2, median: 0.004, min: 0.003, max: null });
    expect(verdictText(rows[1])).toBe('2 persist · 1 diverge');
    expect(spreadText(rows[1].final40)).toBe('0.00400 (0.00300–not reached)');
    expect(spreadText(rows[1].goalSeconds)).toBe('not reached (2.00–not reached)');
    const [best, ...more] = bestConfigurations(rows);
    expect(more).toEqual([]);
    expect(best.target).toBe('carrot-9');
    expect(best.row.group.label).toBe('es.sigma 0.02');
    expect(best.text).toMatch(/^es.sigma 0.02: 40-step loss 0.00400 \(0.00300–not reached\) over 3 seeds, 2 persist · 1 diverge/);
  });

  it('names the best configuration per target: losses of different targets are not compared', () => {
    const req = request({ axes: [parseSweepAxisText('es.sigma=0.01,0.02'), parseSweepAxisText('target=carrot-9,rabbit-15')], seeds: [1] });
    const plan = planSweep(req, targets);
    // rabbit-15 configurations have higher losses; carrot's best is es.sigma 0.02, rabbit's es.sigma 0.01
    const loss = [0.01, 0.05, 0.008, 0.06];
    const record = parseSweepRecord(JSON.parse(JSON.stringify({
      formatVersion: 1, id: '20260101-000000-sweep-es-256-carrot-9-abce', name: plan.name, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
      request: req, groups: plan.groups, rungs: null, budgetUnit: null, decisions: [], drawn: null, experiments: [], status: 'done', statusReason: null, driver: null,
      runs: plan.runs.map((r, i) => ({ ...r, runId: `run-${i}`, removed: false, final: { generation: 12, evaluations: 96, wallSeconds: 3, eval40: loss[i], eval200: loss[i], eval1000: loss[i], verdict: 'persists', goalAt: null } })),
    })));
    const best = bestConfigurations(sweepTable(record));
    expect(best.map((b) => [b.target, b.row.group.label])).toEqual([
      ['carrot-9', 'es.sigma 0.02 · target carrot-9'], ['rabbit-15', 'es.sigma 0.01 · target rabbit-15'],
    ]);
  });

  it('writes one CSV row per run per evaluation with the swept settings as columns', () => {
    const record = finishedRecord();
    const rows = (g: number): MetricPoint[] => [1, 2, 3, 4].map((gen) => ({
      generation: gen, evaluations: gen * 8, wallSeconds: gen / 10, loss: 0.09 - gen / 1000, bestLoss: 0.08, lr: 0.005,
      ...(gen % 2 === 1 ? { eval40: 0.08 - g / 1000, eval200: 0.2 } : {}),
    }));
    const metrics = new Map(record.runs.map((r, i) => [r.runId!, rows(i)]));
    const csv = sweepCsv(record, metrics).trimEnd().split('\n');
    expect(csv[0]).toBe('sweep,run,configuration,es.sigma,seed,generation,evaluations,wall_seconds,loss,best_loss,lr,grad_norm,eval40,eval200,eval1000');
    expect(csv).toHaveLength(1 + 6 * 2);
    expect(csv[1]).toBe('20260101-000000-sweep-es-256-carrot-9-abcd,run-0,1,0.01,1,1,8,0.1,0.089,0.08,0.005,,0.08,0.2,');
    expect(csv[4]).toMatch(/^[^,]+,run-1,2,0.02,1,3,/);
  });

  it('draws grouped curves with bands and the final loss by setting', () => {
    const record = finishedRecord();
    const metrics = new Map(record.runs.map((r, i) => [r.runId!, [1, 2, 3].map((gen) => ({
      generation: gen, evaluations: gen * 8, wallSeconds: gen, loss: 0.1 / gen + i / 1000, bestLoss: 0.1, lr: 0.005,
    }))]));
    const spec = groupCurvesChart(record, metrics, { x: 'generation', y: 'loss', scale: 'log' });
    expect(spec.series.map((s) => s.label)).toEqual(['es.sigma 0.01 (3 seeds)', 'es.sigma 0.02 (3 seeds)']);
    expect(spec.series[0].x).toEqual([1, 2, 3]);
    // seeds 0, 2, 4 of group 0: 0.1 + {0, 0.002, 0.004}
    expect(spec.series[0].y[0]).toBeCloseTo(0.102, 12);
    expect(spec.series[0].band!.lo[0]).toBeCloseTo(0.1, 12);
    expect(spec.series[0].band!.hi[0]).toBeCloseTo(0.104, 12);
    const byS = settingChart(record, 'es.sigma');
    expect(byS.xTicks).toEqual([{ value: 0.01, label: '0.01' }, { value: 0.02, label: '0.02' }]);
    expect(byS.series[0]).toMatchObject({ label: 'median over seeds', x: [0.01, 0.02], y: [0.011, 0.004], points: true });
    expect(byS.series[1]).toMatchObject({ line: false, legend: false, x: [0.01, 0.01, 0.01, 0.02, 0.02, 0.02], y: [0.01, 0.012, 0.011, 0.004, 0.003, null] });
  });
});
