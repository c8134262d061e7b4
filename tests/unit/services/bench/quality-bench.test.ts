/**
 * `nca-lab bench quality` on tiny budgets: the pause-at-candidate / persistence check / resume loop, the row's
 * numbers, the table with the thesis's row, and the CLI's flag checks. (The long runs belong to the bench.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { benchQuality, persistenceVerdict, qualityEval, qualityGoal } from '../../../../src/services/bench/quality-bench';
import type { BenchIo } from '../../../../src/services/bench/bench-io';
import { growthEval } from '../../../../src/core/nca/growth-eval';
import { THESIS_ES_MODEL, initParams, paramLayout } from '../../../../src/core/nca/config';
import { Philox } from '../../../../src/core/rng/philox';
import { main } from '../../../../src/cli/index';
import { OPTIMIZERS } from '../../../../src/shared/optimizers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

beforeAll(async () => { await initNodeBackend(); });

function collect(): BenchIo & { rows: object[]; tables: (string | number)[][][]; notes: string[] } {
  const rows: object[] = [];
  const tables: (string | number)[][][] = [];
  const notes: string[] = [];
  return { rows, tables, notes, json: (r) => rows.push(r), table: (_t, _h, r) => tables.push(r), note: (l) => notes.push(l) };
}

describe('persistence', () => {
  it('judges persists / overgrows / diverges', () => {
    expect(persistenceVerdict(0.001, 0.002)).toBe('persists');
    expect(persistenceVerdict(0.001, 0.0021)).toBe('overgrows');
    expect(persistenceVerdict(0.001, 1.5)).toBe('diverges');
    expect(persistenceVerdict(0.001, NaN)).toBe('diverges');
    expect(qualityGoal(9)).toBe(0.0005);
    expect(qualityGoal(15)).toBe(0.0015);
  });

  it('carries the training growth eval on to 1000 steps (the same 40- and 200-step losses)', () => {
    const rng = new Philox(7);
    const p = initParams(THESIS_ES_MODEL, 'torch', () => rng.uniform());
    const L = paramLayout(THESIS_ES_MODEL);
    for (let i = 0; i < L.kernel1.size; i++) p[L.kernel1.offset + i] = (rng.uniform() - 0.5) * 0.05;
    const t = { rgba: new Float32Array(81 * 4).fill(0.2), height: 9, width: 9 };
    const g = growthEval(THESIS_ES_MODEL, 2, p, t, 30);
    const e = qualityEval(THESIS_ES_MODEL, 2, p, t, 30);
    expect(e.eval40).toBe(g.eval40);
    expect(e.eval200).toBe(g.eval200);
    expect(e.verdict).toBe(persistenceVerdict(e.eval40, e.eval1000));
  });
});

describe('bench quality', () => {
  it('stops a case once the goal is met and the model persists; a case that cannot reach it ends at the cap', async () => {
    const io = collect();
    // with a vanishing step size the model stays a seed: its loss (0.0897 on carrot-9) meets a goal of 0.1 at the
    // first eval, and a model that does nothing persists
    const easy = await benchQuality({ presets: ['es'], targets: ['carrot-9'], maxSeconds: 120, goal: 0.1, workers: 0, set: [['es.lr', 1e-12]] }, io);
    expect(easy).toHaveLength(1);
    expect(easy[0]).toMatchObject({ bench: 'quality', preset: 'es', target: 'carrot-9', goal: 0.1, reached: true, verdict: 'persists', generations: 1 });
    expect(easy[0].eval40).toBeCloseTo(0.089656, 5);
    expect(easy[0].evaluations).toBe(32);
    const hard = await benchQuality({ presets: ['thesis-es'], targets: ['carrot-9'], maxSeconds: 1, goal: 1e-6, workers: 0 }, io);
    expect(hard[0].reached).toBe(false);
    expect(hard[0].generations).toBeGreaterThan(0);
    expect(hard[0].wallSeconds).toBeGreaterThanOrEqual(1);
    expect(io.rows).toHaveLength(2);
    // the table has the thesis's row for carrot-9 beside the measured ones
    expect(io.tables[1].map((r) => r[0])).toEqual(['thesis-es', 'thesis: loss 0.003 in 36 min on 128 cores']);
    expect(io.notes.some((n) => /^load before: [\d.]+, [\d.]+, [\d.]+/.test(n))).toBe(true);
  }, 120_000);

  it('benchmarks the default preset for new ES runs when --presets is not given', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: () => undefined };
    const ws = mkdtempSync(join(tmpdir(), 'nca-quality-cli-'));
    try {
      const args = ['bench', 'quality', '--targets', 'carrot-9', '--goal', '0.1', '--set', 'es.lr=1e-12', '--set', 'es.population=8', '--workers', '0', '--json', '--workspace', ws];
      expect(await main(args, io)).toBe(0);
      const rows = out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { preset: string; reached: boolean });
      expect(rows.map((r) => [r.preset, r.reached])).toEqual([[OPTIMIZERS.es.defaultPreset, true]]);
      expect(OPTIMIZERS.es.defaultPreset).toBe('es-256');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 120_000);

  it('names a bad flag', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => void err.push(l) };
    expect(await main(['bench', 'quality', '--presets', 'thesis-adam'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--presets: unknown "thesis-adam"/);
    expect(await main(['bench', 'quality', '--max-seconds', '0'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--max-seconds must be a number from 1/);
    expect(await main(['bench', 'quality', '--set', 'es.nope=1'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--set expects PATH=VALUE with PATH a config field, got "es.nope=1"/);
  });
});
