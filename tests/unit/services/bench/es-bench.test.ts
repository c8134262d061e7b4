/**
 * `nca-lab bench es` on tiny cases: the row's numbers (parameters, the master's phases and their sum), the
 * tables, the probe's arithmetic on a fake clock, and the CLI's --preset check. (The figures belong to the bench.)
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initNodeBackend } from '../../../../src/services/compute/backend';
import { benchEs } from '../../../../src/services/bench/es-bench';
import type { BenchIo } from '../../../../src/services/bench/bench-io';
import { EsMasterProbe, ES_MASTER_PHASES, ES_WAIT_PHASES } from '../../../../src/services/training/es-master-probe';
import { main } from '../../../../src/cli/index';

beforeAll(async () => { await initNodeBackend(); });
afterEach(() => { vi.restoreAllMocks(); });

function collect(): BenchIo & { rows: object[]; titles: string[]; tables: (string | number)[][][]; notes: string[] } {
  const rows: object[] = [];
  const titles: string[] = [];
  const tables: (string | number)[][][] = [];
  const notes: string[] = [];
  return { rows, titles, tables, notes, json: (r) => rows.push(r), table: (t, _h, r) => { titles.push(t); tables.push(r); }, note: (l) => notes.push(l) };
}

describe('EsMasterProbe', () => {
  it('splits a generation into phases and counts the waits apart from the master\'s own work', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const probe = new EsMasterProbe();
    const generation = (loopMs: number) => {
      now += loopMs;
      probe.begin();
      now += 1; probe.lap('ask');
      now += 2; probe.lap('send');
      now += 50; probe.lap('wait');
      now += 3; probe.lap('rank');
      now += 7; probe.lap('sumsWait');
      now += 4; probe.lap('tell');
      now += 5; probe.end();
    };
    generation(100); // the warm-up: its loop time (before the first begin) is not counted
    probe.reset();
    generation(10);
    generation(20);
    generation(60);
    const g = probe.perGeneration();
    expect(probe.generations).toBe(3);
    expect(g.parts).toMatchObject({ loop: 30, ask: 1, send: 2, wait: 50, rank: 3, sumsWait: 7, tell: 4, pool: 5, noise: 0, sums: 0 });
    expect(g.serialMs).toBe(30 + 1 + 2 + 3 + 4 + 5);
    expect(probe.serialSamples).toEqual([25, 35, 75]);
    expect(g.serialMedianMs).toBe(35);
    expect(g.serialMinMs).toBe(25);
    expect(ES_WAIT_PHASES).toEqual(['wait', 'sumsWait']);
  });
});

describe('bench es', () => {
  it('trains a scratch run of the preset per case and reports the master\'s phases', async () => {
    const io = collect();
    const rows = await benchEs({ preset: 'es-256', populations: [8], sizes: [9], workers: [1], seconds: 0.01 }, io);
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r).toMatchObject({ bench: 'es', preset: 'es-256', size: 9, population: 8, params: 2080, workers: 1, workerTfjs: false });
    expect(Object.keys(r.masterParts)).toEqual([...ES_MASTER_PHASES]);
    for (const p of ES_MASTER_PHASES) expect(r.masterParts[p]).toBeGreaterThanOrEqual(0);
    // the master's work is every phase but the waits (each part rounded to 0.001 ms)
    const own = ES_MASTER_PHASES.filter((p) => !ES_WAIT_PHASES.includes(p)).reduce((s, p) => s + r.masterParts[p], 0);
    expect(Math.abs(r.masterMs - own)).toBeLessThan(0.01);
    expect(r.masterParts.wait).toBeGreaterThan(0);
    expect(r.generationsPerSec).toBeGreaterThan(0);
    expect(r.mutantsPerSec).toBeCloseTo(r.generationsPerSec * 8, 0);
    expect(io.rows).toEqual(rows);
    expect(io.titles[0]).toMatch(/preset es-256/);
    expect(io.titles[1]).toMatch(/The master's time per generation/);
    expect(io.notes.some((n) => /^load before: [\d.]+, [\d.]+, [\d.]+/.test(n))).toBe(true);
    // thesis-es is the default (Table 2): the thesis's 2,048 parameters
    const thesis = await benchEs({ populations: [6], sizes: [9], workers: [1], seconds: 0.01 }, collect());
    expect(thesis[0]).toMatchObject({ preset: 'thesis-es', params: 2048 });
  }, 120_000);

  it('names a bad --preset', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => void err.push(l) };
    expect(await main(['bench', 'es', '--preset', 'thesis-adam'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--preset: unknown "thesis-adam"/);
    expect(await main(['bench', 'es', '--preset', 'es,es-256'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/--preset names one ES preset, got "es,es-256"/);
  });
});
