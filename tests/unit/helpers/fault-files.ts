/**
 * The file-fault scenario of the fault-injection suite: a small ES run trained to generation 30 and left as if cut
 * off, damaged by a test, then resumed to 40 through the CLI; its weights and every metrics row must equal those of
 * the same run trained to 40 without interruption.
 */
import { recordFaultCounts } from './bad-inputs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LabStore } from '../../../src/services/store/lab-store';
import { runTrainingSession } from '../../../src/services/training/run-training';
import { initNodeBackend } from '../../../src/services/compute/backend';
import { configFromPreset, type EsRunConfig } from '../../../src/shared/training-config';
import type { MetricRow } from '../../../src/shared/run-record';
import { runCli } from './cli-run';
import { comparable } from './fault-kills';

export interface FaultCounts { faults: number; clearErrors: number; dataLost: number }

export function faultRunConfig(maxGenerations: number): EsRunConfig {
  const c = configFromPreset('thesis-es') as EsRunConfig;
  c.seed = 21;
  c.es.population = 8;
  c.evalEvery = 5;
  c.checkpointEvery = 10;
  c.stop.maxGenerations = maxGenerations;
  return c;
}

export interface FileFaults {
  ws: string;
  store: LabStore;
  counts: FaultCounts;
  /** trains the uninterrupted run (call in beforeAll) */
  setUp(): Promise<void>;
  /** removes the workspace and prints the counts (call in afterAll) */
  tearDown(): void;
  trainTo(runId: string): Promise<void>;
  /** a run trained to generation 30 (checkpoints 10, 20, 30), its status interrupted */
  runAt30(): Promise<string>;
  /** resumes to 40 through the CLI and checks the end state against the uninterrupted run */
  resumeAndCompare(runId: string): Promise<{ err: string[] }>;
  ckptPath(runId: string, generation: number): string;
  /** the uninterrupted run's final weights and its rows (without wall times) */
  uninterrupted(): { params: Float32Array; rows: Partial<MetricRow>[] };
}

export function fileFaults(name: string): FileFaults {
  const ws = mkdtempSync(join(tmpdir(), `nca-${name}-`));
  const store = new LabStore(ws);
  const counts: FaultCounts = { faults: 0, clearErrors: 0, dataLost: 0 };
  let straight: { params: Float32Array; rows: Partial<MetricRow>[] } | null = null;

  const trainTo = async (runId: string) => {
    const outcome = await runTrainingSession({ workspace: ws, runId, control: { requested: null }, workers: 0 });
    expect(outcome.status, outcome.reason).toBe('finished');
  };

  return {
    ws, store, counts, trainTo,
    async setUp() {
      await initNodeBackend();
      const run = await store.createRun(faultRunConfig(40), { backend: null });
      await trainTo(run.id);
      straight = { params: (await store.loadModel(run.id)).params, rows: (await store.readMetrics(run.id)).map(comparable) };
      expect(straight.rows.map((r) => r.generation)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    },
    tearDown() {
      rmSync(ws, { recursive: true, force: true });
      console.log(`${name}: ${counts.faults} faults injected, ${counts.clearErrors} clear errors, data lost ${counts.dataLost}`);
      recordFaultCounts(name, { faults: counts.faults, faultsSurvived: counts.dataLost === 0 ? counts.faults : 0 });
    },
    async runAt30() {
      const run = await store.createRun(faultRunConfig(30), { backend: null });
      await trainTo(run.id);
      await store.updateRun(run.id, { status: 'interrupted' });
      return run.id;
    },
    async resumeAndCompare(runId) {
      const r = await runCli('resume', runId, '--max-generations', '40', '--workers', '0', '--workspace', ws);
      expect(r.code, r.err.join('\n')).toBe(0);
      const params = (await store.loadModel(runId)).params;
      const rows = (await store.readMetrics(runId)).map(comparable);
      const same = Buffer.from(params.buffer).equals(Buffer.from(straight!.params.buffer));
      if (!same) counts.dataLost++;
      const n = Math.max(rows.length, straight!.rows.length);
      for (let i = 0; i < n; i++) if (JSON.stringify(rows[i]) !== JSON.stringify(straight!.rows[i])) counts.dataLost++;
      expect(rows).toEqual(straight!.rows);
      expect(same).toBe(true);
      return r;
    },
    uninterrupted: () => straight!,
    ckptPath: (runId, g) => join(store.runDir(runId), 'checkpoints', `ckpt-${String(g).padStart(9, '0')}.nckpt`),
  };
}
