// @vitest-environment happy-dom
/**
 * The sweeps store (src/renderer/stores/sweeps.ts): the list, kept current by `sweep:status`; a sweep's record
 * fetched when the view opens it and again when its summary says it changed (one request at a time per sweep);
 * pause and resume with their errors kept per sweep.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { SweepSummary } from '../../../../src/shared/sweep';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useSweepsStore: typeof import('../../../../src/renderer/stores/sweeps').useSweepsStore;
let listed: SweepSummary[];
/** sweeps.get answers: a record stand-in carrying how many times it was read */
let reads: number;
let gate: Promise<void> | null;

function sweep(id: string, over: Partial<SweepSummary> = {}): SweepSummary {
  return {
    id, name: `sweep ${id}`, status: 'running', statusReason: null, createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z', configurations: 2, runs: 4, made: 1, measured: 0, rung: null, message: null, ...over,
  };
}
const calls = (method: string) => fake.calls.filter((c) => c.method === method);

beforeEach(async () => {
  listed = [sweep('s1'), sweep('s3'), sweep('s2')];
  reads = 0;
  gate = null;
  fake = installFakeLab({
    'sweeps.list': () => ({ sweeps: listed, problems: [{ id: 'bad', message: 'sweep.json: not JSON' }] }),
    'sweeps.get': async (id: string) => {
      if (id === 'missing') throw new Error('sweep "missing" not found');
      const n = ++reads;
      if (gate) await gate;
      return { id, reads: n };
    },
    'sweeps.pause': (id: string) => {
      if (id === 's2') throw new Error('sweep "s2" is not running');
      return sweep(id, { status: 'paused', updatedAt: '2026-12-01T00:05:00.000Z' });
    },
    'sweeps.resume': (id: string) => sweep(id, { status: 'running' }),
    'sweeps.start': (r: { name: string }) => sweep('s9', { name: r.name, made: 0 }),
  });
  setActivePinia(createPinia());
  ({ useSweepsStore } = await import('../../../../src/renderer/stores/sweeps'));
});

describe('the sweeps store', () => {
  it('lists the sweeps newest id first, with the folders that could not be read', async () => {
    const store = useSweepsStore();
    await store.load();
    expect(store.status).toBe('ready');
    expect(store.sweeps.map((s) => s.id)).toEqual(['s3', 's2', 's1']);
    expect(store.problems).toEqual([{ id: 'bad', message: 'sweep.json: not JSON' }]);
  });

  it('keeps a newer summary pushed while the list was on its way', async () => {
    const store = useSweepsStore();
    fake.emit('sweep:status', sweep('s1', { updatedAt: '2026-12-01T00:09:00.000Z', made: 3 }));
    await store.load();
    expect(store.byId.get('s1')?.made).toBe(3);
    expect(store.byId.get('s2')?.made).toBe(1);
  });

  it('keeps the lab\'s message when the list cannot be read', async () => {
    fake = installFakeLab({ 'sweeps.list': () => { throw new Error('sweeps/: unreadable'); } });
    const store = useSweepsStore();
    await store.load();
    expect(store.status).toBe('error');
    expect(store.loadError).toBe('sweeps/: unreadable');
  });

  it('reads an open sweep\'s record again when its summary changed, and a closed one never', async () => {
    const store = useSweepsStore();
    await store.load();
    expect(store.recordOf('s1')).toBeNull();
    fake.emit('sweep:status', sweep('s1', { made: 2, updatedAt: '2026-12-01T00:01:00.000Z' }));
    expect(calls('sweeps.get')).toHaveLength(0);
    await store.loadRecord('s1');
    expect(store.recordOf('s1')).toEqual({ id: 's1', reads: 1 });
    expect(store.recordVersion.get('s1')).toBe(1);
    // the same summary again: nothing changed, nothing read
    fake.emit('sweep:status', sweep('s1', { made: 2, updatedAt: '2026-12-01T00:01:00.000Z' }));
    expect(calls('sweeps.get')).toHaveLength(1);
    fake.emit('sweep:status', sweep('s1', { made: 2, measured: 1, updatedAt: '2026-12-01T00:01:00.000Z' }));
    await vi.waitFor(() => expect(store.recordOf('s1')).toEqual({ id: 's1', reads: 2 }));
    expect(store.recordVersion.get('s1')).toBe(2);
  });

  it('reads one record at a time per sweep: a change during a read reads again after it', async () => {
    const store = useSweepsStore();
    let open!: () => void;
    gate = new Promise((r) => { open = r; });
    const first = store.loadRecord('s1');
    const second = store.loadRecord('s1');
    expect(calls('sweeps.get')).toHaveLength(1);
    open();
    await Promise.all([first, second]);
    expect(calls('sweeps.get')).toHaveLength(2);
    expect(store.recordOf('s1')).toEqual({ id: 's1', reads: 2 });
  });

  it('keeps the message of a record that cannot be read, until it can', async () => {
    const store = useSweepsStore();
    await store.loadRecord('missing');
    expect(store.recordErrors.get('missing')).toBe('sweep "missing" not found');
    expect(store.recordOf('missing')).toBeNull();
  });

  it('pauses and resumes, is pending meanwhile, then reads the record; a refusal is kept for that sweep', async () => {
    const store = useSweepsStore();
    await store.load();
    const pausing = store.pause('s1');
    expect(store.pending.get('s1')).toBe('pause');
    await pausing;
    expect(store.pending.has('s1')).toBe(false);
    expect(store.byId.get('s1')).toMatchObject({ status: 'paused', name: 'sweep s1' });
    expect(store.recordOf('s1')).toEqual({ id: 's1', reads: 1 });
    await store.pause('s2');
    expect(store.actionErrors.get('s2')).toBe('sweep "s2" is not running');
    expect(store.byId.get('s2')?.status).toBe('running');
    await store.resume('s2');
    expect(store.actionErrors.has('s2')).toBe(false);
    expect(calls('sweeps.resume').map((c) => c.args[0])).toEqual(['s2']);
  });

  it('shows a sweep it started at once, before any event', async () => {
    const store = useSweepsStore();
    const s = await store.start({ name: 'lr scan' } as never);
    expect(s.id).toBe('s9');
    expect(store.sweeps.map((x) => [x.id, x.name])).toEqual([['s9', 'lr scan']]);
  });
});
