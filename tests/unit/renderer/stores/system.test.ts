// @vitest-environment happy-dom
/**
 * The system store (src/renderer/stores/system.ts): the lab's system.info, and the renderer's own tfjs backend
 * started from the address's `?backend=` once the page is idle. The backend module is replaced here (the real one
 * is tested in tests/unit/renderer/lib/renderer-backend.test.ts): what matters is what the store asks of it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { installFakeLab } from '../fake-lab';

const backend = vi.hoisted(() => ({ forced: [] as (string | undefined)[], fail: null as string | null }));
vi.mock('../../../../src/renderer/lib/renderer-backend', () => ({
  initRendererBackend: async (forced?: string) => {
    backend.forced.push(forced);
    if (backend.fail) throw new Error(backend.fail);
    return { name: forced ?? 'webgl', skipped: [] };
  },
}));

let useSystemStore: typeof import('../../../../src/renderer/stores/system').useSystemStore;
const info = { version: '0.1.0', backend: 'wasm', skippedBackends: [{ name: 'tensorflow', reason: 'not installed' }], cores: 2, workspace: '/ws',
  gpu: { adapters: ['Dawn 0.6.2 found no adapter: …'], auto: { engine: 'wasm', adapter: null, reason: 'auto: no GPU adapter' } } };

beforeEach(async () => {
  backend.forced.length = 0;
  backend.fail = null;
  history.replaceState(null, '', '/');
  installFakeLab({ 'system.info': () => info });
  setActivePinia(createPinia());
  ({ useSystemStore } = await import('../../../../src/renderer/stores/system'));
});
afterEach(() => { vi.useRealTimers(); vi.unstubAllGlobals(); });

describe('the system store', () => {
  it('loads the lab\'s system info, and keeps the message when it fails', async () => {
    const store = useSystemStore();
    await store.loadInfo();
    expect(store.info).toEqual(info);
    expect(store.infoError).toBeNull();
    installFakeLab({ 'system.info': () => { throw new Error('the lab is not answering'); } });
    await store.loadInfo();
    expect(store.infoError).toBe('the lab is not answering');
  });

  it('starts the renderer\'s backend as the address asks (?backend=), none forced otherwise', async () => {
    const store = useSystemStore();
    await store.initRenderer();
    history.replaceState(null, '', '/?token=t&backend=wasm');
    await store.initRenderer();
    expect(backend.forced).toEqual([undefined, 'wasm']);
    expect(store.rendererBackend).toEqual({ name: 'wasm', skipped: [] });
    expect(store.rendererBackendError).toBeNull();
    // the start-up measurement is written each time
    expect(performance.getEntriesByName('nca-lab:renderer-backend', 'measure').length).toBeGreaterThanOrEqual(2);
  });

  it('shows why a forced backend failed, never falling back silently', async () => {
    backend.fail = 'backend "webgl" was requested but failed to initialise: no WebGL';
    history.replaceState(null, '', '/?backend=webgl');
    const store = useSystemStore();
    await store.initRenderer();
    expect(store.rendererBackend).toBeNull();
    expect(store.rendererBackendError).toBe('backend "webgl" was requested but failed to initialise: no WebGL');
  });

  it('waits for the page to be idle (at most 3 s) before loading tfjs', async () => {
    let idle: (() => void) | null = null;
    const requestIdleCallback = vi.fn((cb: () => void) => { idle = cb; return 1; });
    vi.stubGlobal('requestIdleCallback', requestIdleCallback);
    const store = useSystemStore();
    store.initRendererWhenIdle();
    expect(requestIdleCallback).toHaveBeenCalledWith(expect.any(Function), { timeout: 3000 });
    expect(backend.forced).toEqual([]);
    idle!();
    await vi.waitFor(() => expect(store.rendererBackend?.name).toBe('webgl'));
  });

  it('without requestIdleCallback, starts half a second after the first paint', async () => {
    vi.stubGlobal('requestIdleCallback', undefined);
    delete (window as any).requestIdleCallback;
    vi.useFakeTimers();
    const store = useSystemStore();
    store.initRendererWhenIdle();
    vi.advanceTimersByTime(499);
    expect(backend.forced).toEqual([]);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    await vi.waitFor(() => expect(store.rendererBackend?.name).toBe('webgl'));
  });
});
