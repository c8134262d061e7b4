import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabStore } from '../../../../src/services/store/lab-store';
import { runTrainingSession } from '../../../../src/services/training/run-training';
import { main } from '../../../../src/cli/index';
import { trainThenKill } from '../../helpers/cli-kill';

const dirs: string[] = [];
afterEach(() => { while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true }); });

describe('Adam training survives SIGKILL: a kill at any moment leaves a run that resumes', () => {
  it('resumes a killed CLI run onto the uninterrupted trajectory', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'nca-adam-kill-'));
    dirs.push(ws);
    const { runId, killedAt } = await trainThenKill(['--optimizer', 'adam', '--preset', 'thesis-adam', '--target', 'carrot-9', '--seed', '3',
      '--max-iterations', '90', '--set', 'checkpointEvery=15', '--set', 'evalEvery=30', '--workspace', ws], 40);
    expect(killedAt).toBeGreaterThanOrEqual(40);
    const store = new LabStore(ws);
    const killed = await store.getRun(runId);
    expect(killed.status).toBe('running');
    expect(killed.checkpointGeneration).toBeGreaterThanOrEqual(15);
    expect(killed.checkpointGeneration! < 90).toBe(true);

    const io = { out: () => undefined, err: () => undefined };
    expect(await main(['resume', runId, '--workspace', ws], io)).toBe(0);
    const resumed = await store.getRun(runId);
    expect(resumed.status).toBe('finished');
    expect(resumed.progress.generation).toBe(90);

    const straight = await store.createRun({ ...resumed.config }, { backend: null });
    const outcome = await runTrainingSession({ workspace: ws, runId: straight.id, control: { requested: null } });
    expect(outcome.status).toBe('finished');
    const a = (await store.loadModel(runId)).params;
    const b = (await store.loadModel(straight.id)).params;
    expect(Array.from(a)).toEqual(Array.from(b));
    // the metrics of the killed-and-resumed run are the uninterrupted run's, with no duplicate rows
    const ma = (await store.readMetrics(runId)).map((r) => [r.generation, r.loss]);
    const mb = (await store.readMetrics(straight.id)).map((r) => [r.generation, r.loss]);
    expect(ma).toEqual(mb);
  }, 180_000);
});
