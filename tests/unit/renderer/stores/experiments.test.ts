// @vitest-environment happy-dom
/**
 * The experiments store (src/renderer/stores/experiments.ts, the Compare view): the stored list, the open results,
 * starting and cancelling, and the pushed `experiment:progress` that refreshes the list and opens the results of the
 * experiment this window started once it is done.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { isReactive } from 'vue';
import type { ExperimentProgressEvent, ExperimentRunRequest, ExperimentSummary } from '../../../../src/shared/experiment';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useExperimentsStore: typeof import('../../../../src/renderer/stores/experiments').useExperimentsStore;
let stored: ExperimentSummary[];

const summary = (id: string): ExperimentSummary => ({ id, suite: 'growth', createdAt: '2026-12-01T00:00:00.000Z', finishedAt: '2026-12-01T00:01:00.000Z', repeats: 1, models: [{ key: 'a', label: 'run a' }], seconds: 60 });
const event = (id: string, phase: ExperimentProgressEvent['phase'], jobsDone = 0): ExperimentProgressEvent => ({ id, phase, jobsDone, jobs: 4, updatesDone: jobsDone * 10, updatesTotal: 40, elapsedSeconds: jobsDone });
const calls = (method: string) => fake.calls.filter((c) => c.method === method);

beforeEach(async () => {
  stored = [summary('e1')];
  fake = installFakeLab({
    'experiments.list': () => stored,
    'experiments.get': (id: string) => {
      if (id === 'gone') throw new Error('experiment "gone" not found');
      return { id, suite: 'growth', models: [] };
    },
    'experiments.run': (r: ExperimentRunRequest) => {
      if (r.models.length === 0) throw new Error('models: choose at least one run');
      return { id: 'e2' };
    },
    'experiments.cancel': (id: string) => { if (id !== 'e2') throw new Error(`experiment "${id}" is not running`); },
  });
  setActivePinia(createPinia());
  ({ useExperimentsStore } = await import('../../../../src/renderer/stores/experiments'));
});

describe('the experiments store', () => {
  it('lists the stored experiments, and keeps the message when it cannot', async () => {
    const store = useExperimentsStore();
    await store.loadList();
    expect(store.listStatus).toBe('ready');
    expect(store.list.map((e) => e.id)).toEqual(['e1']);
    fake = installFakeLab({ 'experiments.list': () => { throw new Error('experiments/: unreadable'); } });
    await store.loadList();
    expect(store.listStatus).toBe('error');
    expect(store.listError).toBe('experiments/: unreadable');
  });

  it('opens results raw (not made reactive: they hold every curve and frame), and says when they are gone', async () => {
    const store = useExperimentsStore();
    await store.open('e1');
    expect(store.currentStatus).toBe('ready');
    expect(store.current?.id).toBe('e1');
    expect(isReactive(store.current)).toBe(false);
    await store.open('gone');
    expect(store.currentStatus).toBe('error');
    expect(store.currentError).toBe('experiment "gone" not found');
  });

  it('starts an experiment, follows it with a progress entry at once, and opens it when it is done', async () => {
    const store = useExperimentsStore();
    const id = await store.start({ suite: 'growth', models: ['a'] });
    expect(id).toBe('e2');
    expect(store.following).toBe('e2');
    expect(store.progress.get('e2')).toMatchObject({ id: 'e2', phase: 'loading', jobsDone: 0 });
    fake.emit('experiment:progress', event('e2', 'running', 2));
    expect(store.progress.get('e2')).toMatchObject({ phase: 'running', jobsDone: 2 });
    expect(calls('experiments.get')).toHaveLength(0);
    stored = [summary('e1'), summary('e2')];
    fake.emit('experiment:progress', event('e2', 'done', 4));
    await vi.waitFor(() => expect(store.current?.id).toBe('e2'));
    await vi.waitFor(() => expect(store.list.map((e) => e.id)).toEqual(['e1', 'e2']));
  });

  it('refreshes the list but opens nothing when another window\'s experiment is done', async () => {
    const store = useExperimentsStore();
    await store.start({ suite: 'growth', models: ['a'] });
    fake.emit('experiment:progress', event('other', 'done', 4));
    await vi.waitFor(() => expect(calls('experiments.list')).toHaveLength(1));
    expect(calls('experiments.get')).toHaveLength(0);
    expect(store.progress.get('other')?.phase).toBe('done');
  });

  it('keeps a progress event that arrived before the start answered', async () => {
    // the store is made after this fake, so its listener hears the event sent while the run request is answered
    fake = installFakeLab({
      'experiments.run': () => { fake.emit('experiment:progress', event('e2', 'running', 1)); return { id: 'e2' }; },
    });
    const store = useExperimentsStore();
    await store.start({ suite: 'growth', models: ['a'] });
    expect(store.progress.get('e2')).toMatchObject({ phase: 'running', jobsDone: 1 });
  });

  it('shows why a start or a cancel was refused', async () => {
    const store = useExperimentsStore();
    expect(await store.start({ suite: 'growth', models: [] })).toBeNull();
    expect(store.startError).toBe('models: choose at least one run');
    expect(store.following).toBeNull();
    await store.cancel('e9');
    expect(store.startError).toBe('experiment "e9" is not running');
  });
});
