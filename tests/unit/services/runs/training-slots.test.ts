/**
 * "Runs at once" holds across processes (runs/training-slots.ts): with the workspace's limit at 1, a `nca-lab
 * train` started while a window's run trains waits its turn, says so, and is shown queued in the window; it
 * trains once the window's run stops, and then the window's next run waits for it. A holder killed with SIGKILL
 * leaves its slot to the next waiter; the window's Pause ends a CLI's wait. Every wait is for an event (a line
 * the CLI prints, a status reached), never for an amount of work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { LabService } from '../../../../src/services/lab/lab-service';
import type { RunInfo } from '../../../../src/shared/lab-api';
import { configFromPreset } from '../../../../src/shared/training-config';
import type { TrainSessionFn } from '../../../../src/services/runs/run-manager';
import { LabStore } from '../../../../src/services/store/lab-store';
import { slotHolders } from '../../../../src/services/runs/training-slots';

const BIN = join(__dirname, '../../../../bin/nca-lab.js');
// test size: carrot-9, population 8, one worker; no limit: the test ends it
const TRAIN = ['train', '--optimizer', 'es', '--preset', 'thesis-es', '--target', 'carrot-9', '--seed', '3', '--set', 'es.population=8',
  '--workers', '1', '--json'];

interface CliEvent {
  event: string;
  runId?: string;
  generation?: number;
  message?: string;
  status?: string;
  reason?: string;
}

interface CliTrain {
  child: ChildProcess;
  runId: Promise<string>;
  /** resolves with the first event of that kind (and passing `test`) */
  next(event: string, test?: (e: CliEvent) => boolean): Promise<CliEvent>;
  exited: Promise<number | null>;
  /** its JSON events so far */
  events: CliEvent[];
  /** what it wrote to stderr */
  errors: string[];
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function cliTrain(workspace: string): CliTrain {
  const child = spawn(process.execPath, [BIN, ...TRAIN, '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  const seen: CliEvent[] = [];
  const waiters: { event: string; test: (e: CliEvent) => boolean; resolve: (e: CliEvent) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const ev = JSON.parse(line) as CliEvent;
    seen.push(ev);
    for (const w of waiters.filter((x) => x.event === ev.event && x.test(ev))) w.resolve(ev);
  });
  child.stderr!.on('data', (d) => errors.push(String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const next = (event: string, test: (e: CliEvent) => boolean = () => true) => {
    const hit = seen.find((e) => e.event === event && test(e));
    return hit ? Promise.resolve(hit) : new Promise<CliEvent>((resolve) => waiters.push({ event, test, resolve }));
  };
  return { child, events: seen, errors, exited, next, runId: next('run').then((e) => e.runId!) };
}

/** A workspace whose "Runs at once" is 1, gone after the test. */
async function workspaceOfOne(): Promise<string> {
  const workspace = await mkdtemp(join(tmpdir(), 'nca-lab-slots-'));
  await writeFile(join(workspace, 'settings.json'), JSON.stringify({ lab: { maxConcurrentRuns: 1 } }));
  cleanup.unshift(() => rm(workspace, { recursive: true, force: true }));
  return workspace;
}

/** Trains nothing: `running` until asked to end, then paused or stopped as asked (the window's side of the test). */
const idleTrainer: TrainSessionFn = async (o) => {
  const store = new LabStore(o.workspace);
  await store.updateRun(o.runId, { status: 'running', statusReason: null, backend: 'fake' });
  while (o.control.requested === null) await new Promise((r) => setTimeout(r, 20));
  const status = o.control.requested === 'pause' ? 'paused' : 'stopped';
  await store.updateRun(o.runId, { status, statusReason: `${status} by the test` });
  return { status, reason: `${status} by the test`, generation: 0, bestEval40: null };
};

async function windowLab(workspace: string): Promise<LabService> {
  const lab = new LabService({ workspace, selectBackend: async () => ({ name: 'cpu', skipped: [] }), runs: { train: idleTrainer, cores: 1 }, watchWorkspace: false });
  await lab.start();
  cleanup.push(async () => void (await lab.close()));
  return lab;
}

/** Waits for a state to be reached, bounded only by the test's own timeout. */
async function until<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const hit = await probe();
    if (hit !== undefined && hit !== false) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runIn = (lab: LabService, id: string, test: (r: RunInfo) => boolean) => until(async () => {
  const r = await lab.runs.get(id);
  return test(r) && r;
});

function esRun(lab: LabService): Promise<RunInfo> {
  const config = configFromPreset('thesis-es');
  config.stop.maxGenerations = null;
  return lab.runs.create({ config, name: 'window run' });
}

describe('training slots across processes', () => {
  it('a CLI train waits while the window trains, is queued in the window, trains once a slot frees, and the window then waits for it', async () => {
    const workspace = await workspaceOfOne();
    const lab = await windowLab(workspace);
    const first = await esRun(lab);
    await runIn(lab, first.id, (r) => r.status === 'running');

    const cli = cliTrain(workspace);
    const cliRun = await cli.runId;
    const waiting = await cli.next('waiting');
    expect(waiting.message).toMatch(new RegExp(`^waiting for a slot: 1 of 1 run at once is training \\(run ${first.id} in .*, process ${process.pid}\\)$`));
    // the window shows the CLI's run queued there, with why it waits
    const queued = await runIn(lab, cliRun, (r) => r.status === 'queued');
    expect(queued.statusReason).toBe(waiting.message);
    expect(queued.live).toBeNull();

    // the window's run stops: its slot goes to the CLI, which trains
    await lab.runs.stop(first.id);
    await cli.next('progress');
    expect((await slotHolders(workspace)).map((h) => ({ runId: h.runId, pid: h.pid, command: h.command })))
      .toEqual([{ runId: cliRun, pid: cli.child.pid, command: 'nca-lab train' }]);
    expect((await lab.runs.get(cliRun)).live?.owner?.pid).toBe(cli.child.pid);

    // now a run of the window waits for the CLI's, and starts once the window's Stop has ended the CLI
    const second = await esRun(lab);
    const waits = await runIn(lab, second.id, (r) => r.statusReason?.startsWith('waiting for a slot') === true);
    expect(waits).toMatchObject({ status: 'queued', queuePosition: 1 });
    expect(waits.statusReason).toBe(`waiting for a slot: 1 of 1 run at once is training (run ${cliRun} in nca-lab train, process ${cli.child.pid})`);
    await lab.runs.stop(cliRun);
    expect(await cli.exited).toBe(0);
    await runIn(lab, second.id, (r) => r.status === 'running');
    await lab.runs.stop(second.id);
    expect(await slotHolders(workspace)).toEqual([]);
  }, 180_000);

  it('a slot whose holder was killed (SIGKILL) goes to the next waiter; the window\'s Pause ends a wait', async () => {
    const workspace = await workspaceOfOne();
    const holder = cliTrain(workspace);
    await holder.next('progress');
    const next = cliTrain(workspace);
    const nextRun = await next.runId;
    await next.next('waiting');
    const third = cliTrain(workspace);
    const thirdRun = await third.runId;
    // the third waits behind the second
    expect((await third.next('waiting')).message).toMatch(/; 1 waiting before this one$/);

    holder.child.kill('SIGKILL');
    await next.next('progress');
    expect((await slotHolders(workspace)).map((h) => h.runId)).toEqual([nextRun]);

    // the third's wait is given up from the window (its Pause reaches the CLI): paused, nothing trained
    const lab = await windowLab(workspace);
    expect((await lab.runs.get(thirdRun)).status).toBe('queued');
    const paused = await lab.runs.pause(thirdRun);
    expect(paused).toMatchObject({ status: 'paused', statusReason: 'paused while waiting for a slot' });
    expect(await third.exited).toBe(0);
    expect(third.events.filter((e) => e.event === 'progress')).toEqual([]);
    expect(third.events.at(-1)).toMatchObject({ event: 'summary', status: 'paused', reason: 'paused while waiting for a slot' });

    next.child.kill('SIGINT');
    expect(await next.exited).toBe(0);
    expect(await slotHolders(workspace)).toEqual([]);
  }, 180_000);

  it('raising "Runs at once" in the window lets a waiting CLI train at once', async () => {
    const workspace = await workspaceOfOne();
    const lab = await windowLab(workspace);
    const first = await esRun(lab);
    await runIn(lab, first.id, (r) => r.status === 'running');
    const cli = cliTrain(workspace);
    await cli.next('waiting');
    await lab.dispatch('settings:update', [{ maxConcurrentRuns: 2 }]);
    await cli.next('progress');
    expect((await slotHolders(workspace)).map((h) => h.runId).sort()).toEqual([first.id, await cli.runId].sort());
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    await lab.runs.stop(first.id);
  }, 180_000);
});
