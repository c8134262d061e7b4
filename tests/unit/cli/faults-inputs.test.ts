/**
 * Fault injection, inputs: bad flags and files given to the CLI, and a workspace that
 * cannot be written. Every one must be refused before anything is written (no queued run left, run.json byte
 * for byte as it was) with a message that names the real cause.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabStore } from '../../../src/services/store/lab-store';
import { runTrainingSession } from '../../../src/services/training/run-training';
import { initNodeBackend } from '../../../src/services/compute/backend';
import { paramCount } from '../../../src/core/nca/config';
import { configFromPreset, ncaConfigOf, type EsRunConfig } from '../../../src/shared/training-config';
import { runCli } from '../helpers/cli-run';
import { clearRunLock, lockRunFor } from '../helpers/run-lock-helpers';
import { BadInputTally, badCli } from '../helpers/bad-inputs';

const base = mkdtempSync(join(tmpdir(), 'nca-faults-inputs-'));
const ws = join(base, 'ws');
const store = new LabStore(ws);
const counts = { badInputs: 0, clearErrors: 0 };
const tally = new BadInputTally('cli inputs and workspace');
let trained: string;

/** Runs the CLI, expects a clear refusal whose output matches `cause` with the workspace unchanged, and counts it. */
async function refused(argv: string[], cause: RegExp, code?: number): Promise<string> {
  counts.badInputs++;
  const r = await badCli(tally, argv, cause, [ws]);
  expect(r.verdict, r.text).toBe('clear');
  if (code !== undefined) expect(r.code).toBe(code);
  counts.clearErrors++;
  return r.text;
}

function esConfig(max = 10): EsRunConfig {
  const c = configFromPreset('thesis-es') as EsRunConfig;
  c.es.population = 8;
  c.evalEvery = 5;
  c.checkpointEvery = 5;
  c.stop.maxGenerations = max;
  return c;
}

/** A PNG that is only a signature and an IHDR claiming `w`×`h` (no pixel data). */
function pngHeaderOnly(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
}

beforeAll(async () => {
  await initNodeBackend();
  const run = await store.createRun(esConfig(10), { backend: null });
  const outcome = await runTrainingSession({ workspace: ws, runId: run.id, control: { requested: null }, workers: 0 });
  expect(outcome.status).toBe('finished');
  trained = run.id;
}, 120_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  console.log(`faults-inputs: ${counts.badInputs} bad inputs tried, ${counts.clearErrors} clear errors`);
  tally.report();
});

describe('train refuses bad flags before it creates a run', () => {
  const cases: [string[], RegExp, number?][] = [
    [['--set', 'es.population=0x10'], /es\.population.*must be a number, got "0x10" \(decimal digits only\)/],
    [['--set', 'es.sigma=1e999'], /es\.sigma.*must be a finite number/],
    [['--set', 'es.population= '], /es\.population.*must be a number, got " "/],
    [['--workers', 'abc'], /--workers: es\.workers.*got "abc"/],
    [['--optimizer', 'adam', '--workers', 'abc'], /--workers must be an integer from 0 to 1024, got "abc"/],
    [['--optimizer', 'adam', '--workers=-1'], /--workers must be an integer from 0 to 1024, got "-1"/],
    [['--backend', 'bogus'], /--backend must be one of tensorflow, wasm, cpu, got "bogus"/],
    [['--optimizer', 'adam', '--backend', 'webgl'], /--backend must be one of/],
    [['--target', join(base, 'heart.png')], /heart\.png: an image file needs --size N/],
    [['--target', 'nothing-like-this'], /unknown target "nothing-like-this"/, 1],
    [['--max-generations', '0'], /max-generations|maxGenerations/],
  ];
  for (const [flags, cause, code = 2] of cases) {
    it(flags.join(' '), async () => {
      const before = readdirSync(join(ws, 'runs')).sort();
      await refused(['train', '--target', 'carrot-9', ...flags, '--workspace', ws], cause, code);
      expect(readdirSync(join(ws, 'runs')).sort()).toEqual(before);
    });
  }
});

describe('resume checks everything before it writes', () => {
  it('a refused limit leaves run.json byte for byte as it was', async () => {
    const file = join(store.runDir(trained), 'run.json');
    const before = readFileSync(file);
    await refused(['resume', trained, '--max-generations', '0', '--workspace', ws], /--max-generations must be an integer from 1/);
    await refused(['resume', trained, '--max-generations', '5', '--workspace', ws], /already at generation 10 of 5/);
    await refused(['resume', trained, '--max-generations', '1', '--workspace', ws], /already at generation 10 of 1/);
    await refused(['resume', trained, '--max-generations', '20', '--backend', 'bogus', '--workspace', ws], /--backend must be one of/);
    await refused(['resume', trained, '--max-seconds', 'x', '--workspace', ws], /--max-seconds must be an integer/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a run another live process trains is not touched', async () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      const dir = store.runDir(trained);
      lockRunFor(dir, sleeper.pid!);
      const before = readFileSync(join(dir, 'run.json'));
      await refused(['resume', trained, '--max-generations', '20', '--workspace', ws], new RegExp(`being trained by process ${sleeper.pid}; stop it there first \\(nothing was changed\\)`));
      expect(readFileSync(join(dir, 'run.json')).equals(before)).toBe(true);
      // and the listing tells a live owner from a dead one
      await store.updateRun(trained, { status: 'running' });
      const live = (await runCli('runs', '--json', '--workspace', ws)).out.map((l) => JSON.parse(l)).find((r) => r.id === trained);
      expect(live.status).toBe('running');
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      const dead = (await runCli('runs', '--json', '--workspace', ws)).out.map((l) => JSON.parse(l)).find((r) => r.id === trained);
      expect(dead.status).toBe('interrupted');
      expect(dead.statusReason).toMatch(/no live process is training it/);
      clearRunLock(dir);
      await store.updateRun(trained, { status: 'finished' });
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});

describe('errors name the real cause', () => {
  it('a 20000×20000 PNG is too large, not corrupt', async () => {
    const file = join(base, 'huge.png');
    writeFileSync(file, pngHeaderOnly(20000, 20000));
    const text = await refused(['target', file, '--size', '9', '--out', join(base, 'out.png')], /huge\.png: the image is 20000×20000; at most 8192 px a side is accepted/);
    expect(text).not.toMatch(/corrupt/);
    await refused(['target', file, '--size', '9', '--out', join(base, 'out.png'), '--padding', '0'], /at most 8192 px/);
  });

  it('target --out DIR says it is a folder', async () => {
    mkdirSync(join(base, 'pictures'), { recursive: true });
    await refused(['target', 'carrot-9', '--out', join(base, 'pictures')], /--out .*pictures is a folder; give the PNG file to write/);
  });

  it('grow says when a model with huge finite weights diverges, and at which update', async () => {
    const cfg = esConfig();
    const run = await store.createRun(cfg, { backend: null });
    const params = new Float32Array(paramCount(ncaConfigOf(cfg))).fill(1e30);
    await store.writeModel(run.id, params, { config: cfg, generation: 0, loss: null });
    counts.badInputs++;
    const r = await runCli('grow', run.id, '--steps', '30', '--csv', join(base, 'loss.csv'), '--workspace', ws);
    expect(r.code).toBe(3);
    expect(r.err.join('\n')).toMatch(/diverged: its state holds NaN or ±Infinity from update t=\d+ on/);
    const t = Number(/t=(\d+)/.exec(r.err.join('\n'))![1]);
    expect(t).toBeGreaterThanOrEqual(1);
    expect(t).toBeLessThanOrEqual(30);
    counts.clearErrors++;
    tally.add('clear');
  });
});

/** A read-only workspace needs a read-only mount (root or a user namespace); skipped with the reason otherwise. */
const roDir = join(base, 'ro');
mkdirSync(roDir);
let roSkip: string | null = null;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', roDir], { stdio: 'pipe' });
} catch (err) {
  roSkip = `cannot mount a read-only tmpfs (${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message})`;
  console.log(`faults-inputs: read-only workspace tests skipped: ${roSkip}`);
}
afterAll(() => {
  if (!roSkip) {
    try { execFileSync('umount', [roDir]); } catch { /* left for the OS */ }
  }
});

describe.skipIf(roSkip !== null)('a read-only workspace', () => {
  it('train names the read-only file system, not ENOENT', async () => {
    await refused(['train', '--target', 'carrot-9', '--max-generations', '2', '--workspace', join(roDir, 'ws')],
      /cannot create the workspace's runs folder .*: .*ro is on a read-only file system \(EROFS\)/);
  });

  it('experiment checks --out before computing anything', async () => {
    const text = await refused(['experiment', '--suite', 'growth', '--models', trained, '--out', join(roDir, 'figures'), '--workspace', ws],
      /cannot create the --out folder .*figures: .*ro is on a read-only file system \(EROFS\)/);
    expect(text).not.toMatch(/jobs on|data: /);
    // nothing was computed: no results stored in the workspace
    expect(existsSync(join(ws, 'experiments')) ? readdirSync(join(ws, 'experiments')).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });
});
