/**
 * A run whose lock owner is alive is running for every process on the workspace: a `nca-lab train` in a child
 * process trains; a LabService started beside it (as `nca-lab serve` or the app starts) leaves the run running,
 * follows it through its files (generation, owner, workers), and refuses delete, resume and a start from the
 * run's head with a message naming the process; a stop from the window reaches the CLI (its Ctrl-C), and once
 * the CLI has let go, the run can be deleted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { LabService } from '../../../../src/services/lab/lab-service';
import type { LabEventMessage, RunInfo } from '../../../../src/shared/lab-api';
import { configFromPreset } from '../../../../src/shared/training-config';
import { commandOf } from '../../../../src/services/training/run-owner';

const BIN = join(__dirname, '../../../../bin/nca-lab.js');
// test size: carrot-9, population 8, one worker; no limit: the test ends it
const TRAIN = ['train', '--optimizer', 'es', '--preset', 'thesis-es', '--target', 'carrot-9', '--seed', '3', '--set', 'es.population=8',
  '--workers', '1', '--set', 'evalEvery=5', '--set', 'checkpointEvery=5', '--json'];

interface CliTrain {
  child: ChildProcess;
  runId: Promise<string>;
  /** resolves with the first progress event at or past this generation */
  reached(generation: number): Promise<void>;
  exited: Promise<number | null>;
  lines: string[];
}

function cliTrain(workspace: string): CliTrain {
  const child = spawn(process.execPath, [BIN, ...TRAIN, '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { at: number; resolve: () => void }[] = [];
  let resolveId!: (id: string) => void;
  const runId = new Promise<string>((r) => (resolveId = r));
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const ev = JSON.parse(line) as { event: string; runId?: string; generation?: number };
      if (ev.event === 'run') resolveId(ev.runId!);
      if (ev.event === 'progress') for (const w of waiters.filter((x) => ev.generation! >= x.at)) w.resolve();
    }
  });
  child.stderr!.on('data', (d) => lines.push(String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child, runId, lines, exited,
    reached: (at) => new Promise<void>((resolve) => waiters.push({ at, resolve })),
  };
}

/** Waits for a state to be reached (an event), bounded only by the test's own timeout. */
async function until<T>(find: () => T | undefined): Promise<T> {
  for (;;) {
    const hit = find();
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
}

let cleanup: (() => Promise<void>)[] = [];

/** A fresh workspace with a `nca-lab train` in it; both are gone after the test. */
async function trainInNewWorkspace(): Promise<{ workspace: string; cli: CliTrain; runId: string }> {
  const workspace = await mkdtemp(join(tmpdir(), 'nca-lab-owner-'));
  const cli = cliTrain(workspace);
  cleanup.push(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await cli.exited;
    await rm(workspace, { recursive: true, force: true });
  });
  return { workspace, cli, runId: await cli.runId };
}
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('a run another process trains', () => {
  it('says what a process is, from its command line', () => {
    expect(commandOf(['/usr/bin/node', '/opt/lab/bin/nca-lab.js', 'train', '--target', 'carrot-9'])).toBe('nca-lab train');
    expect(commandOf(['/usr/bin/node', '/usr/local/bin/nca-lab', 'serve', '--port', '0'])).toBe('nca-lab serve');
    expect(commandOf(['/usr/bin/node', '/usr/local/bin/nca-lab', '--help'])).toBe('nca-lab');
    expect(commandOf(['/opt/NCA Lab/nca-lab-app', '--no-sandbox'])).toBe('the NCA Lab app');
    expect(commandOf([])).toBeNull();
  });

  // Skipped: it hung until its 180 s timeout in 4 of 7 runs, every time with many other files running beside it
  // (the full unit suite, twice with a second suite), while alone or beside 2–3 files it passed in 11–20 s; where it hangs is not yet found (the runs that
  // printed progress reached the Stop request). What it checks of the window is also checked end to end by
  // tests/e2e/live-cli.spec.ts (the CLI run live in the window, Delete disabled, Stop ends the CLI with exit 0).
  it('stays running beside a second lab, which follows it and refuses to delete, resume or start from its head', async () => {
    const { workspace, cli, runId } = await trainInNewWorkspace();
    // where a failure (or the test's timeout) found it, with what each process said
    let phase = 'the CLI reaches generation 2';
    const events: LabEventMessage[] = [];
    onTestFailed(() => {
      console.error(`run-owner: failed while waiting for: ${phase}\nCLI (exit ${cli.child.exitCode}):\n${cli.lines.slice(-15).join('\n')}\n` +
        `lab events: ${events.slice(-15).map((e) => e.event === 'run:status' ? `run:status ${e.payload.status} g${e.payload.progress.generation}` : e.event).join(', ')}`);
    });
    await cli.reached(2);

    // the lab starts while the CLI trains: the run is not cut off
    phase = 'the second lab starts';
    const lab = new LabService({ workspace, runs: { cores: 1 } });
    lab.onEvent((m) => void events.push(m));
    await lab.start();
    cleanup.unshift(async () => void (await lab.close()));
    const pid = cli.child.pid!;
    const listed = (await lab.runs.list()).runs.find((r) => r.id === runId)!;
    expect(listed.status).toBe('running');
    expect(listed.live?.owner).toMatchObject({ pid, command: 'nca-lab train' });
    expect(listed.live?.workers).toBe(1);

    // followed through its files: the generation advances in the pushed run:status events
    phase = 'a run:status event past generation 5, followed from the files';
    const seen = await until(() => events.find((e): e is { event: 'run:status'; payload: RunInfo } =>
      e.event === 'run:status' && e.payload.id === runId && e.payload.progress.generation > 5));
    expect(seen.payload.live?.owner?.pid).toBe(pid);

    const owner = new RegExp(`being trained by process ${pid} \\(nca-lab train\\) on host `);
    await expect(lab.dispatch('runs:delete', [runId])).rejects.toThrow(owner);
    await expect(lab.dispatch('runs:resume', [runId])).rejects.toThrow(owner);
    const fromHead = configFromPreset('thesis-es');
    fromHead.startFrom = { kind: 'run', runId, generation: null, label: '' };
    await expect(lab.dispatch('runs:create', [{ config: fromHead, name: 'from the head', start: false }])).rejects.toThrow(owner);
    expect((await lab.runs.list()).runs.map((r) => r.id)).toEqual([runId]);

    // the window's Stop reaches the CLI (its Ctrl-C): it writes its checkpoint and model, then lets go
    phase = 'runs:stop routed to the CLI: the CLI lets go of the run';
    const stopped = (await lab.dispatch('runs:stop', [runId])) as RunInfo;
    expect(stopped.status).toBe('stopped');
    expect(stopped.live).toBeNull();
    phase = 'the CLI exits after its stop';
    expect(await cli.exited).toBe(0);
    phase = 'the stopped run is deleted';
    await lab.dispatch('runs:delete', [runId]);
    expect((await lab.runs.list()).runs).toEqual([]);
  }, 180_000);

  it('is marked interrupted at start-up only once its process is gone', async () => {
    const { workspace, cli, runId } = await trainInNewWorkspace();
    await cli.reached(1);
    cli.child.kill('SIGKILL');
    await cli.exited;
    const lab = new LabService({ workspace, runs: { cores: 1 }, watchWorkspace: false });
    await lab.start();
    cleanup.unshift(async () => void (await lab.close()));
    const run = await lab.runs.get(runId);
    expect(run.status).toBe('interrupted');
    expect(run.statusReason).toMatch(/^the process training it stopped while it ran/);
    await lab.dispatch('runs:delete', [runId]);
  }, 120_000);
});
