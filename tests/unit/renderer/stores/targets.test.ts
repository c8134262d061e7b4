// @vitest-environment happy-dom
/**
 * The targets store (src/renderer/stores/targets.ts): the built-in and imported galleries, listed again on
 * `targets:changed`; the import form's own checks (nothing is sent for an out-of-range size or an empty file),
 * an import kept in the workspace; renames and deletes with their errors kept per target.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { TargetData, TargetImportRequest } from '../../../../src/shared/lab-api';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useTargetsStore: typeof import('../../../../src/renderer/stores/targets').useTargetsStore;
let all: TargetData[];

function target(name: string, builtin: boolean, id?: string): TargetData {
  return {
    name, builtin, size: 9, padding: 0, height: 9, width: 9, rgbaF32Base64: '',
    ...(id ? { imported: { id, file: `/ws/targets/${id}`, source: `/home/u/${id}`, importedAt: '2026-12-01T00:00:00.000Z' } } : {}),
  };
}
const calls = (method: string) => fake.calls.filter((c) => c.method === method);

beforeEach(async () => {
  all = [target('carrot-9', true), target('lizard', false, 'lizard.png'), target('rabbit-15', true), target('a preview', false)];
  fake = installFakeLab({
    'targets.list': () => all,
    'targets.import': (r: TargetImportRequest) => ({ ...target(r.name, false, r.name), size: r.size, padding: r.padding, height: r.size + 2 * r.padding, width: r.size + 2 * r.padding }),
    'targets.rename': (id: string, name: string) => {
      if (name === '') throw new Error('name: must not be empty');
      all = all.map((t) => (t.imported?.id === id ? { ...t, name } : t));
    },
    'targets.delete': (id: string) => {
      if (id === 'lizard.png') throw new Error('target "lizard" is used by run abc, which is training');
      all = all.filter((t) => t.imported?.id !== id);
    },
  });
  setActivePinia(createPinia());
  ({ useTargetsStore } = await import('../../../../src/renderer/stores/targets'));
});

describe('the targets store', () => {
  it('splits the list into built-ins and the workspace\'s imports (a bare preview is neither)', async () => {
    const store = useTargetsStore();
    await store.load();
    expect(store.status).toBe('ready');
    expect(store.builtins.map((t) => t.name)).toEqual(['carrot-9', 'rabbit-15']);
    expect(store.imported.map((t) => t.name)).toEqual(['lizard']);
    expect(store.importedById('lizard.png')?.name).toBe('lizard');
    expect(store.importedById('carrot-9')).toBeUndefined();
  });

  it('keeps the lab\'s message when the list cannot be read', async () => {
    fake = installFakeLab({ 'targets.list': () => { throw new Error('targets/: permission denied'); } });
    const store = useTargetsStore();
    await store.load();
    expect(store.status).toBe('error');
    expect(store.loadError).toBe('targets/: permission denied');
  });

  it('lists again, quietly, when the targets changed, but only once it has been loaded', async () => {
    const store = useTargetsStore();
    fake.emit('targets:changed', {});
    expect(calls('targets.list')).toHaveLength(0);
    await store.load();
    all = [...all, target('heart', false, 'heart.png')];
    fake.emit('targets:changed', {});
    expect(store.status).toBe('ready');
    await vi.waitFor(() => expect(store.imported).toHaveLength(2));
    expect(store.imported.map((t) => t.name)).toEqual(['lizard', 'heart']);
  });

  it('refuses an out-of-range size or padding, an empty file and a huge one before sending anything', async () => {
    const store = useTargetsStore();
    const png = new File([new Uint8Array([137, 80, 78, 71])], 'heart.png', { type: 'image/png' });
    store.importSize = 0;
    await store.runImport(png);
    expect(store.importError).toBe('Size must be a whole number from 1 to 128.');
    store.importSize = 15.5;
    await store.runImport();
    expect(store.importError).toBe('Size must be a whole number from 1 to 128.');
    store.importSize = 15;
    store.importPadding = 65;
    await store.runImport();
    expect(store.importError).toBe('Padding must be a whole number from 0 to 64.');
    store.importPadding = 2;
    await store.runImport(new File([], 'empty.png'));
    expect(store.importError).toBe('empty.png is empty (0 bytes).');
    // only its size is read before anything is sent
    const huge = new File([new Uint8Array(8)], 'huge.png');
    Object.defineProperty(huge, 'size', { value: 16 * 1024 * 1024 + 1 });
    await store.runImport(huge);
    expect(store.importError).toBe('huge.png is larger than 16 MB.');
    expect(store.preview).toBeNull();
    expect(calls('targets.import')).toHaveLength(0);
  });

  it('imports the chosen file into the workspace, and again with the same file when the size changes', async () => {
    const store = useTargetsStore();
    const png = new File([new Uint8Array([137, 80, 78, 71])], 'heart.png', { type: 'image/png' });
    store.importSize = 15;
    store.importPadding = 2;
    await store.runImport(png);
    expect(store.importError).toBeNull();
    expect(store.importing).toBe(false);
    expect(store.preview).toMatchObject({ name: 'heart.png', height: 19, width: 19 });
    expect(calls('targets.import')[0].args[0]).toEqual({ name: 'heart.png', bytesBase64: 'iVBORw==', size: 15, padding: 2, keep: true });
    store.importSize = 20;
    await store.runImport();
    expect(calls('targets.import').map((c) => (c.args[0] as TargetImportRequest).size)).toEqual([15, 20]);
    expect(store.preview).toMatchObject({ height: 24 });
  });

  it('renames and deletes, listing again after; a refusal is kept for that target until it is tried again', async () => {
    const store = useTargetsStore();
    await store.load();
    expect(await store.remove('lizard.png')).toBe(false);
    expect(store.actionErrors).toEqual({ 'lizard.png': 'target "lizard" is used by run abc, which is training' });
    expect(await store.rename('lizard.png', 'gecko')).toBe(true);
    expect(store.actionErrors).toEqual({});
    expect(store.imported.map((t) => t.name)).toEqual(['gecko']);
    expect(await store.rename('lizard.png', '')).toBe(false);
    expect(store.actionErrors['lizard.png']).toBe('name: must not be empty');
    expect(store.imported.map((t) => t.name)).toEqual(['gecko']);
  });
});
