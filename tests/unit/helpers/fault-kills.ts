/**
 * The SIGKILL scenario of the fault-injection suite: a CLI run is killed at seeded random instants
 * (once while training, once while resuming), then resumed to the end; its final weights and every metrics row
 * must equal those of the same run trained without interruption.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LabStore } from '../../../src/services/store/lab-store';
import type { MetricRow } from '../../../src/shared/run-record';
import { cliThenKill } from './cli-kill';
import { runCli } from './cli-run';

/** The seed of this test run's kill instants: NCA_FAULT_SEED to replay one, otherwise fresh (and printed). */
export const FAULT_SEED = Number(process.env.NCA_FAULT_SEED ?? (Date.now() % 1_000_000));

/** mulberry32: a small seeded generator for the kill instants (not the lab's own streams). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillReport {
  name: string;
  seed: number;
  /** the generation each kill was triggered at and the delay after it */
  kills: { at: number; delayMs: number; phase: 'train' | 'resume' }[];
  rowsCompared: number;
  /** rows missing, duplicated or different from the uninterrupted run's, plus 1 when the weights differ */
  dataLost: number;
}

/** Every field of a row but its wall time (which differs between sessions by nature). */
export function comparable(r: MetricRow): Partial<MetricRow> {
  const rest: Partial<MetricRow> = { ...r };
  delete rest.wallSeconds;
  return rest;
}

/**
 * Trains `args` straight (in this process) and killed-and-resumed (child processes), in fresh workspaces, and
 * compares. `last` is the run's final generation; kills land between generation 2 and `last` - 3.
 */
export async function killScenario(name: string, args: string[], last: number, seed: number): Promise<KillReport> {
  const random = seededRandom(seed);
  const ws = mkdtempSync(join(tmpdir(), 'nca-faults-kill-'));
  const store = new LabStore(ws);
  const kills: KillReport['kills'] = [];

  const straightRun = runCli('train', ...args, '--json', '--workspace', ws);

  const at1 = 2 + Math.floor(random() * (last / 2));
  const d1 = Math.floor(random() * 150);
  const first = await cliThenKill(['train', ...args, '--workspace', ws], at1, d1);
  expect(first.signal, `${name}: the first kill (generation ${at1} + ${d1} ms) came after the run ended`).toBe('SIGKILL');
  kills.push({ at: first.killedAt, delayMs: d1, phase: 'train' });
  const { runId } = first;
  // a killed run's record still says running; the listing says what it is
  const listed = (await runCli('runs', '--json', '--workspace', ws)).out.map((l) => JSON.parse(l) as { id: string; status: string });
  expect(listed.find((r) => r.id === runId)?.status).toBe('interrupted');

  const at2 = Math.min(last - 3, first.killedAt + 1 + Math.floor(random() * (last / 3)));
  const d2 = Math.floor(random() * 150);
  const second = await cliThenKill(['resume', runId, '--workspace', ws], at2, d2);
  if (second.signal === 'SIGKILL') kills.push({ at: second.killedAt, delayMs: d2, phase: 'resume' });

  const resumed = await runCli('resume', runId, '--workspace', ws);
  const straight = await straightRun;
  expect(straight.code, straight.err.join('\n')).toBe(0);
  const straightId = (JSON.parse(straight.out[0]) as { runId: string }).runId;
  // a resume after the second kill may find the run finished already (the kill came after the last checkpoint)
  expect([0, 2], resumed.err.join('\n')).toContain(resumed.code);

  const a = await store.getRun(runId);
  const b = await store.getRun(straightId);
  expect(a.status, a.statusReason ?? '').toBe('finished');
  expect(a.progress.generation).toBe(last);
  expect(b.progress.generation).toBe(last);
  const wa = (await store.loadModel(runId)).params;
  const wb = (await store.loadModel(straightId)).params;
  const weightsEqual = Buffer.from(wa.buffer, wa.byteOffset, wa.byteLength).equals(Buffer.from(wb.buffer, wb.byteOffset, wb.byteLength));
  const ma = (await store.readMetrics(runId)).map(comparable);
  const mb = (await store.readMetrics(straightId)).map(comparable);
  let lost = weightsEqual ? 0 : 1;
  const n = Math.max(ma.length, mb.length);
  for (let i = 0; i < n; i++) if (JSON.stringify(ma[i]) !== JSON.stringify(mb[i])) lost++;
  // the progress summary survives the resumes too (lastEval40 was once lost on a resume)
  expect(a.progress.lastEval40).toBe(b.progress.lastEval40);
  expect(a.progress.bestEval40).toBe(b.progress.bestEval40);
  expect(ma).toEqual(mb);
  expect(weightsEqual).toBe(true);
  return { name, seed, kills, rowsCompared: mb.length, dataLost: lost };
}

export function reportLine(r: KillReport): string {
  return `${r.name}: seed ${r.seed}, ${r.kills.length} SIGKILLs (${r.kills.map((k) => `${k.phase} at ${k.at} +${k.delayMs} ms`).join(', ')}), ` +
    `${r.rowsCompared} metrics rows and the weights compared, data lost ${r.dataLost}`;
}
