// @vitest-environment happy-dom
/**
 * The reproduce store (src/renderer/stores/reproduce.ts, Compare → "Reproduce the study"): the budgets and studies,
 * kept current by `reproduce:progress`; the study shown (the newest unless one is chosen); a finished study's
 * figure index and its files as blob URLs fetched once, released when another study is shown; downloads.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { ReproducePhase, ReproduceProgressEvent } from '../../../../src/shared/reproduce';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let mod: typeof import('../../../../src/renderer/stores/reproduce');
let listed: ReproduceProgressEvent[];
const budget = { seconds: 60, esGenerations: 200, adamIterations: 400 };
const full = { seconds: null, esGenerations: null, adamIterations: null };

function study(id: string, phase: ReproducePhase, startedAt: string, elapsedSeconds = 10): ReproduceProgressEvent {
  return {
    id, phase, message: '', done: 0, total: 16, trainingsDone: 0, trainingsTotal: 16, runIds: [], quick: true,
    budgetNote: 'quick', startedAt, elapsedSeconds,
  };
}
const calls = (method: string) => fake.calls.filter((c) => c.method === method);
const index = (id: string) => ({ formatVersion: 1, title: `study ${id}`, intro: null, sections: [], data: ['results.json'] });

let urls: { created: Blob[]; revoked: string[] };

beforeEach(async () => {
  listed = [study('r1', 'done', '2026-12-01T10:00:00.000Z'), study('r2', 'training', '2026-12-02T10:00:00.000Z')];
  fake = installFakeLab({
    'experiments.reproductions': () => ({ quick: budget, full, trainings: 16, studies: listed }),
    'experiments.reproduce': () => ({ id: 'r3' }),
    'experiments.cancelReproduce': (id: string) => { if (id !== 'r2') throw new Error(`study "${id}" is not running`); },
    'experiments.reproduceIndex': (id: string) => {
      if (id === 'r9') throw new Error('figures.json: missing');
      return index(id);
    },
    'experiments.reproduceFile': (id: string, file: string) => {
      if (file.endsWith('.svg')) throw new Error(`${file}: not a file of study ${id}`);
      return { file, mime: 'image/png', bytesBase64: btoa(`${id}:${file}`) };
    },
  });
  urls = { created: [], revoked: [] };
  vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => { urls.created.push(b as Blob); return `blob:${urls.created.length}`; });
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation((u) => { urls.revoked.push(u); });
  setActivePinia(createPinia());
  mod = await import('../../../../src/renderer/stores/reproduce');
});
afterEach(() => { vi.restoreAllMocks(); });

describe('the reproduce store', () => {
  it('says which phases are running', () => {
    expect(['training', 'suite', 'table2', 'figures'].every((p) => mod.isStudyRunning(study('x', p as ReproducePhase, '')))).toBe(true);
    expect(['done', 'failed', 'cancelled'].some((p) => mod.isStudyRunning(study('x', p as ReproducePhase, '')))).toBe(false);
  });

  it('loads the budgets and studies; shows the newest; knows the running one', async () => {
    const store = mod.useReproduceStore();
    await store.load();
    expect(store.status).toBe('ready');
    expect(store.budgets).toEqual({ quick: budget, full, trainings: 16 });
    expect(store.sorted.map((s) => s.id)).toEqual(['r2', 'r1']);
    expect(store.shown?.id).toBe('r2');
    expect(store.running?.id).toBe('r2');
    // the newest is still training: no index is read
    expect(calls('experiments.reproduceIndex')).toHaveLength(0);
  });

  it('keeps a study\'s newer progress pushed while the list was on its way', async () => {
    const store = mod.useReproduceStore();
    fake.emit('reproduce:progress', { ...study('r2', 'suite', '2026-12-02T10:00:00.000Z', 50), done: 3 });
    await store.load();
    expect(store.studies.get('r2')).toMatchObject({ phase: 'suite', done: 3, elapsedSeconds: 50 });
  });

  it('reads the index of a finished study when it is shown, and when the shown study finishes', async () => {
    const store = mod.useReproduceStore();
    await store.load();
    store.show('r1');
    await vi.waitFor(() => expect(store.indexStatus).toBe('ready'));
    expect(store.indexId).toBe('r1');
    expect(store.index?.title).toBe('study r1');
    store.show('r2');
    expect(store.index).toBeNull();
    expect(store.indexStatus).toBe('idle');
    fake.emit('reproduce:progress', study('r2', 'done', '2026-12-02T10:00:00.000Z', 90));
    await vi.waitFor(() => expect(store.index?.title).toBe('study r2'));
    expect(store.running).toBeNull();
  });

  it('keeps the message of an index that cannot be read', async () => {
    listed = [study('r9', 'done', '2026-12-03T00:00:00.000Z')];
    const store = mod.useReproduceStore();
    await store.load();
    await vi.waitFor(() => expect(store.indexStatus).toBe('error'));
    expect(store.indexError).toBe('figures.json: missing');
  });

  it('fetches each file of the shown index once as a blob URL, and releases them when another study is shown', async () => {
    const store = mod.useReproduceStore();
    await expect(store.fileUrl('fig1.png')).rejects.toThrow('no study is shown');
    await store.load();
    store.show('r1');
    await vi.waitFor(() => expect(store.indexStatus).toBe('ready'));
    const [a, b] = await Promise.all([store.fileUrl('fig1.png'), store.fileUrl('fig1.png')]);
    expect(a).toBe(b);
    expect(calls('experiments.reproduceFile').map((c) => c.args)).toEqual([['r1', 'fig1.png']]);
    expect(urls.created).toHaveLength(1);
    expect(urls.created[0].type).toBe('image/png');
    expect(await urls.created[0].text()).toBe('r1:fig1.png');
    await expect(store.fileUrl('fig1.svg')).rejects.toThrow('fig1.svg: not a file of study r1');
    // a failed file is asked for again next time
    await expect(store.fileUrl('fig1.svg')).rejects.toThrow();
    expect(calls('experiments.reproduceFile')).toHaveLength(3);
    store.show('r2');
    await vi.waitFor(() => expect(urls.revoked).toEqual([a]));
  });

  it('downloads a file under a name without folders, and shows why one could not be read', async () => {
    const store = mod.useReproduceStore();
    await store.load();
    store.show('r1');
    await vi.waitFor(() => expect(store.indexStatus).toBe('ready'));
    const names: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { names.push(this.download); });
    await store.download('figures/growth.png');
    expect(names).toEqual(['figures-growth.png']);
    expect(await urls.created.at(-1)!.text()).toBe('r1:figures/growth.png');
    await store.download('figures/growth.svg');
    expect(store.indexError).toBe('figures/growth.svg: not a file of study r1');
    expect(names).toHaveLength(1);
  });

  it('starts a study and shows it; shows why a start or cancel was refused', async () => {
    const store = mod.useReproduceStore();
    await store.load();
    await store.start(true, false);
    expect(calls('experiments.reproduce')[0].args).toEqual([{ quick: true, reuse: false }]);
    expect(store.starting).toBe(false);
    // r3 has sent no progress yet: nothing is shown until it does
    expect(store.shown).toBeNull();
    fake.emit('reproduce:progress', study('r3', 'training', '2026-12-04T00:00:00.000Z', 0));
    expect(store.shown?.id).toBe('r3');
    await store.cancel('r1');
    expect(store.startError).toBe('study "r1" is not running');
  });
});
