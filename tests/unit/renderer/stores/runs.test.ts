// @vitest-environment happy-dom
/** The Runs store (src/renderer/stores/runs.ts) against a fake LabApi: listing, pushed events, live curves, actions. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { fakeRun, installFakeLab, progress, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useRunsStore: typeof import('../../../../src/renderer/stores/runs').useRunsStore;
const runs = new Map<string, ReturnType<typeof fakeRun>>();

beforeEach(async () => {
  runs.clear();
  runs.set('a', fakeRun('a', { createdAt: '2026-12-01T10:00:00.000Z' }));
  runs.set('bb', fakeRun('bb', { createdAt: '2026-12-02T10:00:00.000Z' }));
  fake = installFakeLab({
    'runs.list': () => ({ runs: [...runs.values()], problems: [{ id: 'broken', message: 'run.json: not JSON' }] }),
    'runs.metrics': ({ runId }: { runId: string }) => (runId === 'a'
      ? [1, 2, 3].map((g) => ({ generation: g, evaluations: g * 6, wallSeconds: g, loss: 0.09 - g / 100, bestLoss: 0.09 - g / 100, lr: 0.005 }))
      : Promise.reject(new Error('metrics.jsonl: unreadable'))),
    'runs.pause': (id: string) => { if (id === 'bb') throw new Error('run "bb" cannot be paused: it is paused'); return { ...runs.get(id)!, status: 'paused' }; },
    'runs.delete': (id: string) => { if (id === 'a') return undefined; throw new Error('run "bb" is training; stop it before deleting it'); },
  });
  setActivePinia(createPinia());
  ({ useRunsStore } = await import('../../../../src/renderer/stores/runs'));
});

describe('the runs store', () => {
  it('lists the runs newest first, with the folders that could not be read', async () => {
    const store = useRunsStore();
    await store.load();
    expect(store.status).toBe('ready');
    expect(store.runs.map((r) => r.id)).toEqual(['bb', 'a']);
    expect(store.problems).toEqual([{ id: 'broken', message: 'run.json: not JSON' }]);
  });

  it('applies pushed status, progress and deletion events without asking the lab again', async () => {
    const store = useRunsStore();
    await store.load();
    const listCalls = fake.calls.filter((c) => c.method === 'runs.list').length;
    fake.emit('run:status', fakeRun('ccc', { status: 'running' }));
    expect(store.byId.get('ccc')?.status).toBe('running');
    fake.emit('run:progress', progress('a', 7, 0.05, { eval40: 0.04 }));
    expect(store.byId.get('a')?.progress).toMatchObject({ generation: 7, lastLoss: 0.05, bestLoss: 0.05, lastEval40: 0.04, bestEval40: 0.04 });
    fake.emit('run:progress', progress('a', 8, 0.07));
    expect(store.byId.get('a')?.progress.bestLoss).toBe(0.05);
    store.selected.add('bb');
    fake.emit('run:deleted', { runId: 'bb' });
    expect(store.byId.has('bb')).toBe(false);
    expect(store.selected.has('bb')).toBe(false);
    expect(fake.calls.filter((c) => c.method === 'runs.list').length).toBe(listCalls);
  });

  it('appends live points to a loaded curve, and cuts it back when a resumed run restarts from its checkpoint', async () => {
    const store = useRunsStore();
    await store.load();
    const s = await store.loadMetrics('a');
    expect(s.status).toBe('ready');
    expect(s.points.map((p) => p.generation)).toEqual([1, 2, 3]);
    fake.emit('run:progress', progress('a', 4, 0.04));
    expect(s.points.map((p) => p.generation)).toEqual([1, 2, 3, 4]);
    fake.emit('run:progress', progress('a', 3, 0.045));
    expect(s.points.map((p) => p.generation)).toEqual([1, 2, 3]);
    expect(s.points.at(-1)?.loss).toBe(0.045);
    expect(store.metricsVersion.get('a')).toBeGreaterThanOrEqual(4);
    const bad = await store.loadMetrics('bb');
    expect(bad).toMatchObject({ status: 'error', error: 'metrics.jsonl: unreadable' });
  });

  it("keeps a failed action's message per run, and reports the runs a delete could not remove", async () => {
    const store = useRunsStore();
    await store.load();
    await expect(store.pause('bb')).rejects.toThrow(/cannot be paused/);
    expect(store.actionErrors.get('bb')).toBe('run "bb" cannot be paused: it is paused');
    expect(store.pending.size).toBe(0);
    const failed = await store.remove(['a', 'bb']);
    expect(failed).toEqual([{ id: 'bb', message: 'run "bb" is training; stop it before deleting it' }]);
    expect(store.byId.has('a')).toBe(false);
    expect(store.byId.has('bb')).toBe(true);
  });
});
