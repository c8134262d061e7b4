// @vitest-environment happy-dom
/** The settings store (src/renderer/stores/settings.ts) against a fake LabApi: load, update, and changes pushed by any window. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { LabSettings } from '../../../../src/shared/lab-api';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useSettingsStore: typeof import('../../../../src/renderer/stores/settings').useSettingsStore;
let stored: LabSettings;
let release: (() => void) | null;

beforeEach(async () => {
  stored = { maxConcurrentRuns: 2, compute: { localCores: true, cluster: null } };
  release = null;
  fake = installFakeLab({
    'settings.get': () => structuredClone(stored),
    'settings.update': async (patch: Partial<LabSettings>) => {
      if (patch.maxConcurrentRuns !== undefined && patch.maxConcurrentRuns > 64) throw new Error('maxConcurrentRuns: must be a whole number from 1 to 64');
      await new Promise<void>((r) => { release = r; });
      stored = { ...stored, ...patch };
      return structuredClone(stored);
    },
  });
  setActivePinia(createPinia());
  ({ useSettingsStore } = await import('../../../../src/renderer/stores/settings'));
});

describe('the settings store', () => {
  it('loads the lab\'s settings', async () => {
    const store = useSettingsStore();
    expect(store.settings).toBeNull();
    await store.load();
    expect(store.settings).toEqual({ maxConcurrentRuns: 2, compute: { localCores: true, cluster: null } });
    expect(store.error).toBeNull();
  });

  it('keeps the lab\'s message when the settings cannot be read', async () => {
    fake = installFakeLab({ 'settings.get': () => { throw new Error('settings.json: not JSON'); } });
    setActivePinia(createPinia());
    const store = useSettingsStore();
    await store.load();
    expect(store.settings).toBeNull();
    expect(store.error).toBe('settings.json: not JSON');
  });

  it('is saving while an update is on its way, then holds what the lab kept', async () => {
    const store = useSettingsStore();
    await store.load();
    const done = store.update({ maxConcurrentRuns: 4 });
    expect(store.saving).toBe(true);
    await Promise.resolve();
    release!();
    await done;
    expect(store.saving).toBe(false);
    expect(store.settings?.maxConcurrentRuns).toBe(4);
    expect(fake.calls.find((c) => c.method === 'settings.update')?.args).toEqual([{ maxConcurrentRuns: 4 }]);
  });

  it('keeps the settings it had and shows the refusal when an update is refused', async () => {
    const store = useSettingsStore();
    await store.load();
    await store.update({ maxConcurrentRuns: 65 });
    expect(store.saving).toBe(false);
    expect(store.error).toBe('maxConcurrentRuns: must be a whole number from 1 to 64');
    expect(store.settings?.maxConcurrentRuns).toBe(2);
  });

  it('takes the settings another window saved (settings:changed)', async () => {
    const store = useSettingsStore();
    await store.load();
    fake.emit('settings:changed', { maxConcurrentRuns: 8, compute: { localCores: false, cluster: 'redis://h:6379' } });
    expect(store.settings).toEqual({ maxConcurrentRuns: 8, compute: { localCores: false, cluster: 'redis://h:6379' } });
  });
});
