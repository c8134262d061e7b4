/**
 * The live workspace and imported targets: a run written by another process (a LabStore of
 * its own, as `nca-lab train` has) reaches a LabService's listeners as run:status, its metrics as run:metrics, its
 * deletion as run:deleted; an image dropped into targets/ as targets:changed. Imported targets are kept in the
 * workspace, listed after the built-ins, renamed, and deleted only when no run trains on them.
 */
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabEventMessage, TargetData } from '../../../../src/shared/lab-api';
import { LabService } from '../../../../src/services/lab/lab-service';
import { classifyRunPath, watchWorkspace, type RunChange } from '../../../../src/services/lab/workspace-watch';
import { encodePng } from '../../../../src/services/export/png';
import { LabStore } from '../../../../src/services/store/lab-store';
import { configFromPreset } from '../../../../src/shared/training-config';
import { RunManager } from '../../../../src/services/runs/run-manager';
import { SweepService } from '../../../../src/services/sweeps/sweep-service';
import { tinyRequest } from '../../helpers/sweep-helpers';

let workspace: string;
let service: LabService;
let events: LabEventMessage[];

function squarePng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) px.set([30, 60, 220, 255], i * 4);
  return encodePng(px, size, size);
}

async function until<T>(what: string, find: () => T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = find();
    if (hit !== undefined) return hit;
    if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms; events: ${events.map((e) => e.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-live-'));
  service = new LabService({ workspace });
  events = [];
  service.onEvent((m) => void events.push(m));
  await service.start();
});
afterEach(async () => {
  await service.close();
  await rm(workspace, { recursive: true, force: true });
});

describe('the live workspace', () => {
  it('classifies the files a run folder holds', () => {
    expect(classifyRunPath('r1/metrics.jsonl')).toEqual({ runId: 'r1', file: 'metrics' });
    expect(classifyRunPath('r1/run.json.123.tmp')).toEqual({ runId: 'r1', file: 'record' });
    expect(classifyRunPath('r1')).toEqual({ runId: 'r1', file: 'record' });
    expect(classifyRunPath('r1/checkpoints/00000010.nckpt')).toEqual({ runId: 'r1', file: 'other' });
    expect(classifyRunPath('.tmp-x')).toBeNull();
  });

  it('reports a sweep another process makes and changes (nca-lab sweep) as sweep:status', async () => {
    const other = new SweepService({ runs: new RunManager({ workspace, cores: 1 }), targetsDir: join(workspace, 'targets') });
    const record = await other.create(tinyRequest());
    const made = await until('sweep:status', () => events.find((e) => e.event === 'sweep:status' && e.payload.id === record.id));
    expect(made.event === 'sweep:status' && [made.payload.runs, made.payload.status]).toEqual([2, 'paused']);
    await other.store.update(record.id, (r) => ({ ...r, status: 'done', statusReason: 'ended elsewhere' }));
    await until('the done sweep', () => events.find((e) => e.event === 'sweep:status' && e.payload.id === record.id && e.payload.status === 'done'));
  });

  it('reports a run that never stops writing (a fast CLI run) while it writes, not only when it goes quiet', async () => {
    const seen: RunChange[] = [];
    const watch = await watchWorkspace({ workspace, debounceMs: 100, onRun: (c) => seen.push(c), onTargets: () => undefined });
    try {
      const dir = join(workspace, 'runs', 'busy-run');
      await mkdir(dir, { recursive: true });
      // a write every few milliseconds, far more often than the window; stop at the first report (or give up)
      let writes = 0;
      for (; writes < 2000 && !seen.some((c) => c.runId === 'busy-run' && c.metrics); writes++) {
        await appendFile(join(dir, 'metrics.jsonl'), `{"generation":${writes}}\n`);
        await new Promise((r) => setTimeout(r, 5));
      }
      // reported while the writes went on: the writer saw the report before its last write
      expect(writes).toBeLessThan(2000);
    } finally {
      watch.close();
    }
  });

  it('reports a run another process creates, trains (metrics) and deletes', async () => {
    const other = new LabStore(workspace);
    const run = await other.createRun(configFromPreset('thesis-es'), { backend: null, name: 'from the CLI' });
    const status = await until('run:status', () => events.find((e) => e.event === 'run:status' && e.payload.id === run.id));
    expect(status.event === 'run:status' && status.payload.name).toBe('from the CLI');

    await other.appendMetrics(run.id, [{ generation: 1, evaluations: 6, wallSeconds: 0.5, loss: 0.08, bestLoss: 0.08, lr: 0.01 }]);
    await until('run:metrics', () => events.find((e) => e.event === 'run:metrics' && e.payload.runId === run.id));
    expect(await service.runs.metrics(run.id)).toHaveLength(1);

    await rm(other.runDir(run.id), { recursive: true, force: true });
    await until('run:deleted', () => events.find((e) => e.event === 'run:deleted' && e.payload.runId === run.id));
  });

  it('reports an image another process keeps in targets/', async () => {
    await writeFile(join(workspace, 'targets', 'dropped.png'), squarePng(4));
    const changed = await until('targets:changed', () => events.find((e) => e.event === 'targets:changed'));
    expect(changed.payload).toEqual({ reason: 'workspace' });
  });
});

describe('imported targets in the workspace', () => {
  it('keeps an import, lists it after the built-ins, renames it, and deletes it unless a run trains on it', async () => {
    const builtins = (await service.targets.list()).length;
    const kept = (await service.dispatch('targets:import', [{ name: 'blue square.png', bytesBase64: squarePng(12).toString('base64'), size: 9, padding: 2, keep: true }])) as TargetData;
    expect(kept).toMatchObject({ name: 'blue square', builtin: false, size: 9, padding: 2, height: 13, width: 13 });
    expect(kept.imported).toMatchObject({ source: 'blue square.png' });
    expect(kept.imported!.id).toMatch(/^blue-square-[0-9a-f]{8}\.png$/);
    expect(kept.imported!.file).toBe(join(workspace, 'targets', kept.imported!.id));

    // a preview (no keep) leaves nothing behind
    await service.dispatch('targets:import', [{ name: 'other.png', bytesBase64: squarePng(5).toString('base64'), size: 5, padding: 0 }]);
    expect((await readdir(join(workspace, 'targets'))).sort()).toEqual([kept.imported!.id, `${kept.imported!.id}.target.json`]);

    const list = await service.targets.list();
    expect(list).toHaveLength(builtins + 1);
    expect(list[builtins]).toMatchObject({ name: 'blue square', imported: { id: kept.imported!.id } });
    expect(list[builtins].rgbaF32Base64).toBe(kept.rgbaF32Base64);

    const renamed = (await service.dispatch('targets:rename', [kept.imported!.id, 'my square'])) as TargetData;
    expect(renamed.name).toBe('my square');
    expect((await service.targets.list())[builtins].name).toBe('my square');

    const config = configFromPreset('thesis-es');
    config.target = { name: kept.imported!.file, size: 9, padding: 2 };
    const run = await service.runs.create({ config, name: 'on the square', start: false });
    await expect(service.dispatch('targets:delete', [kept.imported!.id])).rejects.toThrow(/1 run trains on this target \("on the square"\)/);
    await service.runs.delete(run.id);
    await service.dispatch('targets:delete', [kept.imported!.id]);
    expect(await service.targets.list()).toHaveLength(builtins);
    expect(events.filter((e) => e.event === 'targets:changed').map((e) => e.payload)).toEqual(
      expect.arrayContaining([{ reason: 'import' }, { reason: 'rename' }, { reason: 'delete' }]));
  });

  it('refuses an id that is a path', async () => {
    await expect(service.dispatch('targets:delete', ['../runs'])).rejects.toThrow(/targets\.delete: id must be an imported target's id/);
  });
});
