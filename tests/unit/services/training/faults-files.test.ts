/**
 * Fault injection, files: corrupt checkpoints (truncated, bit-flipped, bad header), a damaged metrics
 * line, metrics lost behind a checkpoint, deleted checkpoints, no checkpoint, and corrupt run.json files. A
 * resume must say what it set aside (CLI, run.log, run.json's resumeNotice) and end with the weights and the
 * metrics of an uninterrupted run; a run.json that cannot be read is an error naming the file and the field,
 * and nothing is deleted.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricRow } from '../../../../src/shared/run-record';
import { runCli } from '../../helpers/cli-run';
import { fileFaults, faultRunConfig } from '../../helpers/fault-files';

const { ws, store, counts, runAt30, resumeAndCompare, ckptPath, setUp, tearDown, uninterrupted } = fileFaults('faults-files');

beforeAll(setUp, 120_000);
afterAll(tearDown);

describe('a corrupt newest checkpoint is skipped and named', () => {
  const damages: [string, (file: string) => void, RegExp][] = [
    ['truncated', (f) => truncateSync(f, Math.floor(readFileSync(f).length / 2)), /cannot be read \(.*(short|truncated|bytes)/i],
    ['bit-flipped', (f) => { const b = readFileSync(f); b[b.length - 100] ^= 0x10; writeFileSync(f, b); }, /cannot be read \(.*(CRC|checksum)/i],
    ['bad header', (f) => { const b = readFileSync(f); b.write('XXXXXXXX', 0, 'latin1'); writeFileSync(f, b); }, /cannot be read \(.*(magic|not an NCA Lab checkpoint|header)/i],
  ];
  for (const [what, damage, problem] of damages) {
    it(`${what}: resumes from the one before, says which file and why, and ends on the uninterrupted run`, async () => {
      const runId = await runAt30();
      damage(ckptPath(runId, 30));
      counts.faults++;
      const { err } = await resumeAndCompare(runId);
      const said = err.find((l) => l.includes('ckpt-000000030.nckpt cannot be read'));
      expect(said, err.join('\n')).toMatch(problem);
      expect(said).toContain('kept as ckpt-000000030.nckpt.unreadable');
      expect(readFileSync(join(store.runDir(runId), 'run.log'), 'utf8')).toMatch(/resume from checkpoint ckpt-000000020\.nckpt: checkpoint .*ckpt-000000030\.nckpt cannot be read/);
      expect((await store.getRun(runId)).resumeNotice).toMatch(/ckpt-000000030\.nckpt cannot be read/);
      // kept for inspection, never read again
      expect(existsSync(ckptPath(runId, 30) + '.unreadable')).toBe(true);
      counts.clearErrors++;
    }, 120_000);
  }

  it('every checkpoint unreadable: restarts from the beginning, naming each file', async () => {
    const runId = await runAt30();
    for (const g of [10, 20, 30]) truncateSync(ckptPath(runId, g), 10);
    counts.faults += 3;
    const { err } = await resumeAndCompare(runId);
    expect(err.filter((l) => /ckpt-0000000[123]0\.nckpt cannot be read/.test(l))).toHaveLength(3);
    counts.clearErrors++;
  }, 120_000);
});

describe('metrics are cut back to the state the run restarts from', () => {
  it('no checkpoint yet: the rows of the lost session are not duplicated', async () => {
    const run = await store.createRun({ ...faultRunConfig(40), checkpointEvery: 1000 }, { backend: null });
    // the rows a first session wrote before it was killed (no checkpoint yet): the uninterrupted run's first 12
    await store.appendMetrics(run.id, uninterrupted().rows.slice(0, 12).map((r): MetricRow => ({ ...r, wallSeconds: 0 }) as MetricRow));
    await store.updateRun(run.id, { status: 'interrupted' });
    counts.faults++;
    await resumeAndCompare(run.id);
  }, 120_000);

  it('checkpoints deleted: restarts from the beginning, says so, and the metrics match', async () => {
    const runId = await runAt30();
    for (const name of readdirSync(join(store.runDir(runId), 'checkpoints'))) rmSync(join(store.runDir(runId), 'checkpoints', name));
    rmSync(join(store.runDir(runId), 'model'), { recursive: true });
    counts.faults++;
    const { err } = await resumeAndCompare(runId);
    expect(err.join('\n')).toMatch(/run\.json records a checkpoint at generation 30, but none is left; training restarts from the beginning/);
    counts.clearErrors++;
  }, 120_000);

  it('rows lost behind a checkpoint (a power cut before metrics were durable): the checkpoint is recomputed with its rows', async () => {
    const runId = await runAt30();
    const file = join(store.runDir(runId), 'metrics.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, lines.slice(0, 24).join('\n') + '\n' + lines[24].slice(0, 30)); // rows 1–24 and a torn 25th
    counts.faults++;
    const { err } = await resumeAndCompare(runId);
    expect(err.join('\n')).toMatch(/ckpt-000000030\.nckpt \(generation 30\) is ahead of the metrics log, whose last intact row is generation 24/);
    counts.clearErrors++;
  }, 120_000);

  it('a damaged row before the checkpoint is recomputed, not kept', async () => {
    const runId = await runAt30();
    const file = join(store.runDir(runId), 'metrics.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    lines[14] = lines[14].replace('"loss":', '"loss":"x",');
    writeFileSync(file, lines.join('\n') + '\n');
    counts.faults++;
    const { err } = await resumeAndCompare(runId);
    expect(err.join('\n')).toMatch(/metrics\.jsonl line 15 is damaged \(.*\); it and the rows after it are recomputed/);
    counts.clearErrors++;
  }, 120_000);

  it('a torn last row (a crash mid-append) is dropped', async () => {
    const runId = await runAt30();
    appendFileSync(join(store.runDir(runId), 'metrics.jsonl'), '{"generation":31,"evaluat');
    counts.faults++;
    await resumeAndCompare(runId);
  }, 120_000);
});

describe('a corrupt run.json is reported with its file and field, and nothing is deleted', () => {
  const damages: [string, (text: string) => string, RegExp][] = [
    ['truncated', (t) => t.slice(0, t.length / 2), /run\.json is malformed: not JSON/],
    ['empty', () => '', /run\.json is malformed: not JSON/],
    ['a wrong field', (t) => t.replace('"status": "interrupted"', '"status": "exploded"'), /run\.json is malformed: .*status/],
    ['another id', (t) => t.replace(/"id": "[^"]+"/, '"id": "someone-else"'), /it says id "someone-else"/],
    ['a bad config', (t) => t.replace(/"population": 8/, '"population": -3'), /run\.json is malformed: .*population/],
  ];
  for (const [what, damage, message] of damages) {
    it(`${what}`, async () => {
      const runId = await runAt30();
      const file = join(store.runDir(runId), 'run.json');
      writeFileSync(file, damage(readFileSync(file, 'utf8')));
      counts.faults++;
      const before = readdirSync(store.runDir(runId)).sort();
      const resume = await runCli('resume', runId, '--workspace', ws);
      expect(resume.code).not.toBe(0);
      expect(resume.err.join('\n')).toMatch(message);
      expect(resume.err.join('\n')).toContain(file);
      const runs = await runCli('runs', '--workspace', ws);
      expect(runs.err.join('\n')).toMatch(new RegExp(`skipped .*${runId}`));
      expect(readdirSync(store.runDir(runId)).sort()).toEqual(before);
      counts.clearErrors++;
    }, 60_000);
  }
});
