import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRunId } from '../../../../src/services/store/lab-store';
import { decodePng } from '../../../../src/services/export/png';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import type { MetricRow } from '../../../../src/shared/run-record';
import { ConfigError } from '../../../../src/shared/training-config';
import { esConfig, TEST_VERSIONS, testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

let ws: TestWorkspace;
beforeEach(() => {
  ws = testWorkspace();
});
afterEach(() => ws.cleanup());

describe('LabStore runs', () => {
  it('creates a run folder with run.json, checkpoints/, model/ and the exact target pixels', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: 'wasm', tags: ['thesis'], notes: 'first' });
    expect(run.id).toMatch(/^20261125-184700-es-carrot-9-[0-9a-f]{4}$/);
    expect(run).toMatchObject({
      formatVersion: 1, name: `thesis-es · carrot-9 · ${run.id.slice(-4)}`, optimizer: 'es', preset: 'thesis-es', status: 'queued', statusReason: null,
      createdAt: '2026-11-25T18:47:00.000Z', updatedAt: '2026-11-25T18:47:00.000Z', backend: 'wasm', versions: TEST_VERSIONS,
      tags: ['thesis'], notes: 'first', forkedFrom: null, checkpointGeneration: null,
      progress: { generation: 0, evaluations: 0, wallSeconds: 0, bestLoss: null, lastLoss: null, bestEval40: null, lastEval40: null, lastEval200: null, lastEval1000: null, verdict: null },
    });
    const dir = ws.store.runDir(run.id);
    expect(dir).toBe(join(ws.dir, 'runs', run.id));
    expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'model', 'run.json', 'target.png']);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toEqual(run);
    const png = decodePng(readFileSync(join(dir, 'target.png')));
    expect([png.width, png.height]).toEqual([9, 9]);
    expect(Buffer.from(png.data).equals(Buffer.from(loadBuiltinTarget('carrot-9').rgbaU8))).toBe(true);
    // nothing hidden (staging folder) is left behind
    expect(readdirSync(join(ws.dir, 'runs'))).toEqual([run.id]);
    const target = await ws.store.loadRunTarget(run.id);
    expect([target.name, target.size, target.padding, target.height]).toEqual(['carrot-9', 9, 0, 9]);
  });

  it('makes sortable ids from UTC time, optimizer and target', () => {
    expect(makeRunId(new Date('2026-01-02T03:04:05Z'), 'adam', 'Lizard 2018 (40).png', 'ab12')).toBe('20260102-030405-adam-lizard-2018-40-ab12');
    // an imported image's path gives its base name
    expect(makeRunId(new Date('2026-01-02T03:04:05Z'), 'es', '/home/me/Pictures/My Heart.webp', 'ab12')).toBe('20260102-030405-es-my-heart-ab12');
    expect(makeRunId(new Date('2026-01-02T03:04:05Z'), 'es', 'carrot-9', 'ab12')).toBe('20260102-030405-es-carrot-9-ab12');
  });

  it('refuses an invalid config naming the field, and creates nothing', async () => {
    const cfg = esConfig();
    if (cfg.optimizer !== 'es') throw new Error('preset');
    cfg.es.population = 7;
    const err = await ws.store.createRun(cfg, { backend: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('es.population: must be even with mirrored sampling, got 7');
    expect(existsSync(join(ws.dir, 'runs')) ? readdirSync(join(ws.dir, 'runs')) : []).toEqual([]);
  });

  it('records a fork only from an existing run', async () => {
    await expect(ws.store.createRun(esConfig(), { backend: null, forkedFrom: { runId: 'nope', generation: 5 } })).rejects.toThrow(/no run "nope"/);
    const a = await ws.store.createRun(esConfig(), { backend: null });
    const b = await ws.store.createRun(esConfig(), { backend: null, forkedFrom: { runId: a.id, generation: 5 } });
    expect((await ws.store.getRun(b.id)).forkedFrom).toEqual({ runId: a.id, generation: 5 });
  });

  it('gets, lists newest first, updates and deletes', async () => {
    const a = await ws.store.createRun(esConfig(), { backend: null, name: 'a' });
    ws.tick(60);
    const b = await ws.store.createRun(esConfig(), { backend: null, name: 'b' });
    ws.tick(60);
    const c = await ws.store.createRun(esConfig(), { backend: null, name: 'c' });
    expect((await ws.store.listRuns()).map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(await ws.store.getRun(b.id)).toEqual(b);

    ws.tick(5);
    const progress = { generation: 12, evaluations: 72, wallSeconds: 3.5, bestLoss: 0.05, lastLoss: NaN, bestEval40: 0.07, lastEval40: Infinity, lastEval200: null, lastEval1000: NaN, verdict: 'diverges' as const };
    const updated = await ws.store.updateRun(b.id, { status: 'failed', statusReason: 'NaN loss at generation 12', progress, tags: ['x'] });
    expect(updated.updatedAt).toBe('2026-11-25T18:49:05.000Z');
    const again = await ws.store.getRun(b.id);
    expect(again.status).toBe('failed');
    expect(again.progress.lastLoss).toBeNaN();
    expect(again.progress.lastEval40).toBe(Infinity);
    expect(again.progress.bestLoss).toBe(0.05);
    expect(again.tags).toEqual(['x']);
    const onDisk = JSON.parse(readFileSync(join(ws.store.runDir(b.id), 'run.json'), 'utf8'));
    expect(onDisk.progress.lastLoss).toBe('NaN');
    expect(onDisk.progress.lastEval40).toBe('Infinity');
    expect(readdirSync(ws.store.runDir(b.id)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    await expect(ws.store.updateRun(b.id, { config: esConfig() } as never)).rejects.toThrow(/^config: cannot be changed/);
    await expect(ws.store.updateRun(b.id, { status: 'done' } as never)).rejects.toThrow(/^status: must be one of queued, running/);

    await ws.store.deleteRun(a.id);
    expect(existsSync(ws.store.runDir(a.id))).toBe(false);
    expect((await ws.store.listRuns()).map((r) => r.name)).toEqual(['c', 'b']);
    await expect(ws.store.getRun(a.id)).rejects.toThrow(`no run "${a.id}" in ${join(ws.dir, 'runs')}`);
    await expect(ws.store.deleteRun(a.id)).rejects.toThrow(/no run/);

    await ws.store.updateRun(c.id, { status: 'running' });
    await expect(ws.store.deleteRun(c.id)).rejects.toThrow(`run "${c.id}" is running; stop it before deleting it`);
    await ws.store.deleteRun(c.id, { force: true });
    expect((await ws.store.listRuns()).map((r) => r.id)).toEqual([b.id]);
    expect(readdirSync(join(ws.dir, 'runs'))).toEqual([b.id]);
  });

  it('refuses run ids that are not plain folder names', async () => {
    await expect(ws.store.getRun('../outside')).rejects.toThrow(/invalid run id "..\/outside"/);
    expect(() => ws.store.runDir('a/b')).toThrow(/invalid run id/);
  });

  it('serialises concurrent updates of one run', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    await Promise.all(Array.from({ length: 20 }, (_, i) => ws.store.updateRun(run.id, { notes: `n${i}`, tags: [String(i)] })));
    const r = await ws.store.getRun(run.id);
    expect(r.notes).toBe('n19');
    expect(r.tags).toEqual(['19']);
  });

  it('reports a malformed run.json clearly, never deletes it, and lists the other runs', async () => {
    await ws.store.createRun(esConfig(), { backend: null, name: 'good' });
    ws.tick();
    const bad = await ws.store.createRun(esConfig(), { backend: null });
    ws.tick();
    const badSchema = await ws.store.createRun(esConfig(), { backend: null });
    const badFile = join(ws.store.runDir(bad.id), 'run.json');
    writeFileSync(badFile, '{"formatVersion": 1, "id": ');
    const schemaFile = join(ws.store.runDir(badSchema.id), 'run.json');
    writeFileSync(schemaFile, JSON.stringify({ ...badSchema, status: 'exploded' }));

    const err = (await ws.store.getRun(bad.id).then(() => null, (e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^run "${bad.id}": ${badFile.replace(/[/\\.]/g, '\\$&')} is malformed: not JSON \\(.+\\); the folder was left as it is$`));
    await expect(ws.store.getRun(badSchema.id)).rejects.toThrow(/is malformed: status: must be one of queued, running, paused, stopped, finished, failed, interrupted, got "exploded"/);
    await expect(ws.store.updateRun(bad.id, { notes: 'x' })).rejects.toThrow(/is malformed/);

    const list = await ws.store.listRuns();
    expect(list.map((r) => r.name)).toEqual(['good']);
    expect(ws.problems.map((p) => p.id).sort()).toEqual([bad.id, badSchema.id].sort());
    expect(ws.problems.find((p) => p.id === bad.id)!.message).toContain('not JSON');
    const { runs, problems } = await ws.store.scanRuns();
    expect([runs.length, problems.length]).toEqual([1, 2]);
    // still there, byte for byte
    expect(readFileSync(badFile, 'utf8')).toBe('{"formatVersion": 1, "id": ');
    expect(existsSync(join(ws.store.runDir(bad.id), 'target.png'))).toBe(true);
  });

  it('names a run folder whose run.json is missing', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    const file = join(ws.store.runDir(run.id), 'run.json');
    writeFileSync(file, '');
    await expect(ws.store.getRun(run.id)).rejects.toThrow(/not JSON/);
    const { rmSync } = await import('node:fs');
    rmSync(file);
    await expect(ws.store.getRun(run.id)).rejects.toThrow(`run "${run.id}": ${file} is missing; the folder was left as it is`);
  });

  it('marks runs left "running" as interrupted at start-up', async () => {
    const a = await ws.store.createRun(esConfig(), { backend: null });
    const b = await ws.store.createRun(esConfig(), { backend: null });
    const c = await ws.store.createRun(esConfig(), { backend: null });
    await ws.store.updateRun(a.id, { status: 'running', checkpointGeneration: 3000 });
    await ws.store.updateRun(b.id, { status: 'running' });
    await ws.store.updateRun(c.id, { status: 'finished', statusReason: 'reached max generations (10)' });
    const ids = await ws.store.markInterrupted();
    expect(ids.sort()).toEqual([a.id, b.id].sort());
    const ra = await ws.store.getRun(a.id);
    expect(ra.status).toBe('interrupted');
    expect(ra.statusReason).toMatch(/resume continues from the checkpoint at generation 3000$/);
    expect((await ws.store.getRun(b.id)).statusReason).toMatch(/no checkpoint had been written/);
    expect(await ws.store.getRun(c.id)).toMatchObject({ status: 'finished', statusReason: 'reached max generations (10)' });
    expect(await ws.store.markInterrupted()).toEqual([]);
  });

  it('lists nothing (and does not fail) in an empty or missing workspace', async () => {
    expect(await ws.store.listRuns()).toEqual([]);
    expect(await ws.store.markInterrupted()).toEqual([]);
  });
});

describe('LabStore metrics', () => {
  const row = (generation: number, extra: Partial<MetricRow> = {}): MetricRow => ({
    generation, evaluations: generation * 6, wallSeconds: generation * 0.25, loss: 0.1 / generation, bestLoss: 0.05 / generation, lr: 0.005, ...extra,
  });

  it('appends JSON lines, one write per call, and reads them back', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    expect(await ws.store.readMetrics(run.id)).toEqual([]);
    await ws.store.appendMetrics(run.id, [row(1), row(2, { eval40: 0.08, eval200: 0.09 })]);
    await ws.store.appendMetrics(run.id, [row(3, { gradNorm: 1.5, loss: NaN })]);
    const rows = await ws.store.readMetrics(run.id);
    expect(rows.map((r) => r.generation)).toEqual([1, 2, 3]);
    expect(rows[1]).toEqual(row(2, { eval40: 0.08, eval200: 0.09 }));
    expect(rows[2].loss).toBeNaN();
    expect(rows[2].gradNorm).toBe(1.5);
    const text = readFileSync(join(ws.store.runDir(run.id), 'metrics.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(4);
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text.split('\n')[2]).loss).toBe('NaN');
  });

  it('refuses a bad row and writes nothing', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    await ws.store.appendMetrics(run.id, [row(1)]);
    await expect(ws.store.appendMetrics(run.id, [row(2), { ...row(3), generation: -1 }])).rejects.toThrow('metrics row 1: generation: must be an integer ≥ 0, got -1');
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1]);
    await expect(ws.store.appendMetrics('20990101-000000-es-x-0000', [row(1)])).rejects.toThrow(/no run "20990101-000000-es-x-0000"/);
  });

  it('ignores a torn last line, and the next append does not glue onto it', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    const file = join(ws.store.runDir(run.id), 'metrics.jsonl');
    await ws.store.appendMetrics(run.id, [row(1), row(2), row(3)]);
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before + '{"generation":4,"evaluations":24,"wallSec');
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1, 2, 3]);
    // a complete-looking JSON object without its newline is still torn
    writeFileSync(file, before + JSON.stringify(row(4)));
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1, 2, 3]);
    await ws.store.appendMetrics(run.id, [row(4), row(5)]);
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1, 2, 3, 4, 5]);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(before)).toBe(true); // earlier lines untouched
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l).generation)).toEqual([1, 2, 3, 4, 5]);
  });

  it('names the line of a damaged row in the middle', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    const file = join(ws.store.runDir(run.id), 'metrics.jsonl');
    await ws.store.appendMetrics(run.id, [row(1)]);
    writeFileSync(file, readFileSync(file, 'utf8') + 'garbage\n' + JSON.stringify(row(3)) + '\n');
    await expect(ws.store.readMetrics(run.id)).rejects.toThrow(`metrics log ${file}, line 2: not JSON`);
  });

  it('truncates after a generation atomically (resume)', async () => {
    const run = await ws.store.createRun(esConfig(), { backend: null });
    const file = join(ws.store.runDir(run.id), 'metrics.jsonl');
    await ws.store.appendMetrics(run.id, [1, 2, 3, 4, 5].map((g) => row(g)));
    writeFileSync(file, readFileSync(file, 'utf8') + '{"generation":6');
    await ws.store.truncateMetricsAfter(run.id, 3);
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1, 2, 3]);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);
    await ws.store.appendMetrics(run.id, [row(4)]);
    expect((await ws.store.readMetrics(run.id)).map((r) => r.generation)).toEqual([1, 2, 3, 4]);
    await ws.store.truncateMetricsAfter(run.id, 0);
    expect(await ws.store.readMetrics(run.id)).toEqual([]);
    expect(readdirSync(ws.store.runDir(run.id)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
