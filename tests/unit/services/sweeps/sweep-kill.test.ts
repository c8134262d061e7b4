/**
 * `nca-lab sweep` on carrot-9, 2 settings × 3 seeds at test size: one sweep runs uninterrupted (in this process),
 * the same sweep in a child process is SIGKILLed mid-way (while its third run trains, at a seeded random
 * generation and delay) and finished with `nca-lab sweep resume`. Every run of the resumed sweep equals its
 * counterpart — metrics rows, every checkpoint's payload bytes and training state, the model's bytes — and no run
 * was made twice. `nca-lab sweep show --csv` writes one row per run per evaluation with the swept setting as a
 * column.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabStore } from '../../../../src/services/store/lab-store';
import { SweepStore } from '../../../../src/services/sweeps/sweep-store';
import { runCli } from '../../helpers/cli-run';
import { FAULT_SEED, seededRandom } from '../../helpers/fault-kills';
import { checkpointGenerations, checkpointState, metricsOf, modelBytes, TINY_SET } from '../../helpers/sweep-helpers';

const ARGS = [
  'sweep', '--preset', 'es-256', '--target', 'carrot-9', '--grid', 'es.sigma=0.01,0.02', '--seeds', '1,2,3', '--max-generations', '10',
  ...TINY_SET.flatMap((s) => ['--set', s]), '--workers', '1',
];
const LAST = 10;
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function workspace(): string {
  const d = mkdtempSync(join(tmpdir(), 'nca-sweep-kill-'));
  dirs.push(d);
  return d;
}

/** Runs the sweep in a child and SIGKILLs it once its `nth` run (1-based, by first progress) reaches `at`, `delayMs` later. */
function sweepThenKill(ws: string, nth: number, at: number, delayMs: number): Promise<{ id: string; signal: NodeJS.Signals | null; runsSeen: number }> {
  const child = spawn(process.execPath, [join(__dirname, '../../../../bin/nca-lab.js'), ...ARGS, '--json', '--workspace', ws], { stdio: ['ignore', 'pipe', 'pipe'] });
  let id = '';
  const seen: string[] = [];
  let killing = false;
  return new Promise((resolve) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const ev = JSON.parse(line);
        if (ev.event === 'sweep') id = ev.id;
        if (ev.event !== 'progress') continue;
        if (!seen.includes(ev.runId)) seen.push(ev.runId);
        if (!killing && seen.indexOf(ev.runId) === nth - 1 && ev.generation >= at) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('exit', (_code, signal) => resolve({ id, signal, runsSeen: seen.length }));
  });
}

describe('a sweep killed mid-way and resumed equals an uninterrupted one', () => {
  it('runs all 6 runs; every run byte-equal after SIGKILL and resume; CSV per run per evaluation', async () => {
    const random = seededRandom(FAULT_SEED);
    const at = 2 + Math.floor(random() * (LAST - 4));
    const delay = Math.floor(random() * 150);
    const wsA = workspace();
    const wsB = workspace();
    const straight = runCli(...ARGS, '--json', '--workspace', wsA);
    const killed = await sweepThenKill(wsB, 3, at, delay);
    expect(killed.signal, `the kill (run 3 at generation ${at} + ${delay} ms) came after the sweep ended`).toBe('SIGKILL');
    const sweepsB = new SweepStore(wsB);
    expect((await sweepsB.get(killed.id)).status).toBe('interrupted');

    const resumed = await runCli('sweep', 'resume', killed.id, '--json', '--workspace', wsB);
    expect(resumed.code, resumed.err.join('\n')).toBe(0);
    const a = await straight;
    expect(a.code, a.err.join('\n')).toBe(0);
    const idA = (JSON.parse(a.out[0]) as { id: string }).id;

    const recA = await new SweepStore(wsA).get(idA);
    const recB = await sweepsB.get(killed.id);
    expect([recA.status, recB.status]).toEqual(['done', 'done']);
    expect(recB.runs).toHaveLength(6);
    const storeA = new LabStore(wsA);
    const storeB = new LabStore(wsB);
    // made once: six run folders, each named by its place in the sweep
    const runsB = await storeB.listRuns();
    expect(runsB).toHaveLength(6);
    expect(runsB.map((r) => r.sweep!.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    let compared = 0;
    for (let i = 0; i < 6; i++) {
      const ra = recA.runs[i].runId!;
      const rb = recB.runs[i].runId!;
      expect((await storeB.getRun(rb)).progress.generation).toBe(LAST);
      expect(await metricsOf(storeB, rb)).toEqual(await metricsOf(storeA, ra));
      const gens = await checkpointGenerations(storeB, rb);
      expect(gens).toEqual(await checkpointGenerations(storeA, ra));
      for (const g of gens) {
        const ca = await checkpointState(storeA, ra, g);
        const cb = await checkpointState(storeB, rb, g);
        expect(cb.state).toBe(ca.state);
        expect(cb.payload.equals(ca.payload), `run ${i + 1}, checkpoint ${g}`).toBe(true);
        compared++;
      }
      expect((await modelBytes(storeB, rb)).equals(await modelBytes(storeA, ra))).toBe(true);
      const fa = recA.runs[i].final!;
      const fb = recB.runs[i].final!;
      expect([fb.generation, fb.eval40, fb.eval200, fb.eval1000, fb.verdict]).toEqual([fa.generation, fa.eval40, fa.eval200, fa.eval1000, fa.verdict]);
    }
    console.log(`sweep-kill: seed ${FAULT_SEED}, SIGKILL at run 3 generation ${at} + ${delay} ms; 6 runs, ${compared} checkpoints byte-equal`);

    const csvFile = join(wsB, 'sweep.csv');
    const shown = await runCli('sweep', 'show', killed.id, '--csv', csvFile, '--workspace', wsB);
    expect(shown.code, shown.err.join('\n')).toBe(0);
    expect(shown.out.join('\n')).toMatch(/best: es.sigma 0.0[12]: 40-step loss/);
    const csv = (await readFile(csvFile, 'utf8')).trimEnd().split('\n');
    expect(csv[0]).toBe('sweep,run,configuration,es.sigma,seed,generation,evaluations,wall_seconds,loss,best_loss,lr,grad_norm,eval40,eval200,eval1000');
    // evaluations at generations 1, 2, 4, 6, 8, 10 (every 2, and the first): 6 per run
    expect(csv).toHaveLength(1 + 6 * 6);
    for (const line of csv.slice(1)) {
      const [, run, , sigma, seed, generation] = line.split(',');
      const entry = recB.runs.find((r) => r.runId === run)!;
      expect(Number(sigma)).toBe(recB.groups[entry.group].settings['es.sigma']);
      expect(Number(seed)).toBe(entry.seed);
      expect([1, 2, 4, 6, 8, 10]).toContain(Number(generation));
    }
  }, 600_000);
});
