/**
 * Fault injection, files that lie: a checkpoint that reads back intact but is not the run's own (copied in from
 * another run of the same shape and generation) or holds non-finite parameters under a valid CRC. A resume must
 * set it aside, say so (CLI, run.log, run.json's resumeNotice, which the run page shows) and continue from the
 * checkpoint before, ending on the weights and the metrics of an uninterrupted run. A target.png replaced by
 * another image is refused before anything is written. What kills and hands leave behind: temporary files of
 * killed processes are removed by the next listing; a metrics log deleted mid-run is rewritten, and said.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from '../../../../src/services/store/checkpoint-format';
import { readPng, writePng } from '../../../../src/services/export/png';
import { targetPixelsSha256 } from '../../../../src/services/store/run-target';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { runCli } from '../../helpers/cli-run';
import { comparable } from '../../helpers/fault-kills';
import { clearRunLock, lockRunFor } from '../../helpers/run-lock-helpers';
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

describe('a run\'s target is the image it was created with', () => {
  it('a target.png replaced by another valid image is refused, naming the file and what to do; nothing is changed', async () => {
    const runId = await runAt30();
    const dir = store.runDir(runId);
    const file = join(dir, 'target.png');
    const original = readFileSync(file);
    const png = await readPng(file);
    expect((await store.getRun(runId)).targetSha256).toBe(targetPixelsSha256({ size: png.width, rgbaU8: png.data }));
    png.data[4 * 40 + 1] ^= 0x5a; // one channel of one pixel
    await writePng(file, png.data, png.width, png.height);
    counts.faults++;
    const before = snapshot(dir);
    const r = await runCli('resume', runId, '--max-generations', '40', '--workers', '0', '--workspace', faults.ws);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(new RegExp(
      `run "${runId}": ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not the image the run was created with \\(the SHA-256 of its pixels is [0-9a-f]{16}…, run\\.json records [0-9a-f]{16}…\\); ` +
      'training on it would continue the run on another target\\. Put the original image back as .*target\\.png, or delete .*target\\.png to have it rebuilt from the built-in target "carrot-9"; ' +
      'to train on the new image, start a new run with it\\. Nothing was changed\\.'));
    expect(snapshot(dir)).toEqual(before);
    counts.clearErrors++;
    // the original back: the run resumes onto the uninterrupted one
    writeFileSync(file, original);
    await resumeAndCompare(runId);
  }, 120_000);

  it('a built-in target\'s deleted target.png is rebuilt from the built-in, which is the same image', async () => {
    const runId = await runAt30();
    rmSync(join(store.runDir(runId), 'target.png'));
    counts.faults++;
    await resumeAndCompare(runId);
  }, 120_000);

  it('a run.json from before the hash was kept resumes and records it', async () => {
    const runId = await runAt30();
    const file = join(store.runDir(runId), 'run.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const recorded = json.targetSha256;
    delete json.targetSha256;
    writeFileSync(file, JSON.stringify(json, null, 2));
    expect((await store.getRun(runId)).targetSha256).toBeNull();
    await resumeAndCompare(runId);
    expect((await store.getRun(runId)).targetSha256).toBe(recorded);
  }, 120_000);
});

/** Every file under a run folder with its bytes (run.log aside, which a refusal does not write either). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[name] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

describe('what a kill or a hand leaves behind', () => {
  it('temporary files of killed processes are removed by the next listing; a live process\'s and another machine\'s run\'s are kept', async () => {
    const runId = await runAt30();
    const other = await runAt30();
    const dead = await deadPid();
    const dir = store.runDir(runId);
    const leftovers = [
      join(dir, `.run.json.${dead}.0a1b2c3d.tmp`),
      join(dir, 'checkpoints', `.ckpt-000000040.nckpt.${dead}.deadbeef.tmp`),
      join(dir, 'model', `.weights.bin.${dead}.00ff00ff.tmp`),
      join(dir, `.target.png.${dead}.12345678.tmp`),
    ];
    const live = join(dir, `.run.json.${process.pid}.abcdef01.tmp`);
    // a run trained from another machine: its pids mean nothing here
    lockRunFor(store.runDir(other), 4242, { host: 'lab-pc-2' });
    const remote = join(store.runDir(other), `.run.json.${dead}.0a1b2c3d.tmp`);
    for (const f of [...leftovers, live, remote]) writeFileSync(f, 'partial');
    counts.faults += leftovers.length;
    const r = await runCli('runs', '--workspace', faults.ws);
    expect(r.code).toBe(0);
    for (const f of leftovers) expect(existsSync(f), f).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(remote)).toBe(true);
    rmSync(live);
    clearRunLock(store.runDir(other));
  }, 120_000);

  it('metrics.jsonl deleted while the run trains is rewritten from the rows the run holds, and the run says so', async () => {
    const run = await store.createRun(faultRunConfig(40), { backend: null });
    const file = join(store.runDir(run.id), 'metrics.jsonl');
    const said: string[] = [];
    let deletedAt = 0;
    const outcome = await runTrainingSession({
      workspace: faults.ws, runId: run.id, control: { requested: null }, workers: 0, onLog: (l) => said.push(l),
      // generation 15 is an evaluation row, so its event is never throttled away; rows 1–10 are on disk by then
      onProgress: (ev) => {
        if (deletedAt === 0 && ev.generation >= 15) {
          deletedAt = ev.generation;
          rmSync(file);
        }
      },
    });
    expect(outcome.status, outcome.reason).toBe('finished');
    expect(deletedAt).toBeGreaterThanOrEqual(15);
    counts.faults++;
    const { params, rows } = faults.uninterrupted();
    expect((await store.readMetrics(run.id)).map(comparable)).toEqual(rows);
    expect(Buffer.from((await store.loadModel(run.id)).params.buffer).equals(Buffer.from(params.buffer))).toBe(true);
    const note = /metrics\.jsonl was deleted or changed while the run trained: before generation \d+ it held \d+ bytes, not the \d+ the run had written; it was rewritten from the \d+ rows the run holds \(up to generation \d+\)/;
    expect(said.join('\n')).toMatch(note);
    expect(readFileSync(join(store.runDir(run.id), 'run.log'), 'utf8')).toMatch(note);
    counts.clearErrors++;
  }, 120_000);
});

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}
