/**
 * Fault injection, files that lie: a checkpoint that reads back intact but is not the run's own (copied in from
 * another run of the same shape and generation) or holds non-finite parameters under a valid CRC. A resume must
 * set it aside, say so (CLI, run.log, run.json's resumeNotice, which the run page shows) and continue from the
 * checkpoint before, ending on the weights and the metrics of an uninterrupted run.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from '../../../../src/services/store/checkpoint-format';
import { fileFaults, faultRunConfig } from '../../helpers/fault-files';

const faults = fileFaults('faults-lies');
const { store, counts, runAt30, resumeAndCompare, ckptPath } = faults;

beforeAll(faults.setUp, 120_000);
afterAll(faults.tearDown);

/** What a resume must say about the set-aside checkpoint 30, everywhere it says things. */
async function expectSetAside(runId: string, err: string[], problem: RegExp): Promise<void> {
  const said = err.find((l) => l.includes('ckpt-000000030.nckpt cannot be read'));
  expect(said, err.join('\n')).toMatch(problem);
  expect(said).toContain('kept as ckpt-000000030.nckpt.unreadable');
  const log = readFileSync(join(store.runDir(runId), 'run.log'), 'utf8');
  expect(log).toMatch(/resume from checkpoint ckpt-000000020\.nckpt: checkpoint .*ckpt-000000030\.nckpt cannot be read/);
  expect(log).toMatch(problem);
  expect((await store.getRun(runId)).resumeNotice).toMatch(problem);
  expect(existsSync(ckptPath(runId, 30) + '.unreadable')).toBe(true);
  counts.clearErrors++;
}

describe('a checkpoint that reads back intact but lies is set aside, and the resume falls back', () => {
  it('a checkpoint copied in from another run of the same shape and generation', async () => {
    const runId = await runAt30();
    const other = await store.createRun({ ...faultRunConfig(30), seed: 22 }, { backend: null });
    await faults.trainTo(other.id);
    copyFileSync(ckptPath(other.id, 30), ckptPath(runId, 30));
    counts.faults++;
    await expect(store.readCheckpoint(runId, 30)).rejects.toThrow(`it belongs to run "${other.id}", not to "${runId}"`);
    const { err } = await resumeAndCompare(runId);
    await expectSetAside(runId, err, new RegExp(`it belongs to run "${other.id}", not to "${runId}" \\(copied in from another run\\)`));
  }, 120_000);

  it('a checkpoint with a valid CRC but NaN and Infinity parameters', async () => {
    const runId = await runAt30();
    const { checkpoint, header } = await readCheckpointFile(ckptPath(runId, 30));
    checkpoint.params[3] = NaN;
    checkpoint.params[40] = Infinity;
    await writeCheckpointFile(ckptPath(runId, 30), checkpoint, header.run);
    counts.faults++;
    const { err } = await resumeAndCompare(runId);
    await expectSetAside(runId, err, /its parameters are not finite: NaN at parameter 3 \(kernel0\[3\]\)/);
  }, 120_000);

  it('a checkpoint whose optimizer state is not finite is refused by name', async () => {
    const runId = await runAt30();
    const ckpt = await store.readCheckpoint(runId, 30);
    await store.writeCheckpoint(runId, { ...ckpt, generation: 31, arrays: { ...ckpt.arrays, velocity: Float32Array.of(0, -Infinity) } });
    counts.faults++;
    await expect(store.readCheckpoint(runId, 31)).rejects.toThrow(/ckpt-000000031\.nckpt: its optimizer state "velocity" is not finite: -Infinity at 1$/);
    counts.clearErrors++;
  }, 120_000);
});
