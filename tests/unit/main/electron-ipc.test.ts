/**
 * The Electron glue (main's ipc wiring + the preload) without the Electron binary: `electron` is replaced by a
 * fake that connects ipcRenderer.invoke to ipcMain.handle with structured clones, as Electron does. What is
 * checked is our code: every channel registered, errors arriving as the service's message, events reaching
 * listeners without Electron's event object, and calls from foreign frames refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePng } from '../../../src/services/export/png';
import { LAB_CHANNELS } from '../../../src/shared/ipc';
import type { LabApi, TargetData } from '../../../src/shared/lab-api';

const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  const state = {
    handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
    rendererListeners: new Map<string, Set<Listener>>(),
    exposed: new Map<string, unknown>(),
    frameUrl: 'app://lab/index.html',
  };
  const electron = {
    ipcMain: {
      handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => {
        if (state.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        state.handlers.set(channel, fn);
      },
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    BrowserWindow: {
      getAllWindows: () => [
        {
          isDestroyed: () => false,
          webContents: {
            send: (channel: string, payload: unknown) => {
              for (const l of state.rendererListeners.get(channel) ?? []) l({ sender: 'ipc internals' }, structuredClone(payload));
            },
          },
        },
      ],
    },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        const handler = state.handlers.get(channel);
        if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
        return structuredClone(await handler({ senderFrame: { url: state.frameUrl } }, ...structuredClone(args)));
      },
      on: (channel: string, l: Listener) => {
        if (!state.rendererListeners.has(channel)) state.rendererListeners.set(channel, new Set());
        state.rendererListeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: Listener) => state.rendererListeners.get(channel)?.delete(l),
    },
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => state.exposed.set(key, api),
    },
  };
  return { state, electron };
});

vi.mock('electron', () => fake.electron);

const { registerLabIpc } = await import('../../../src/main/app/ipc');
const { isAppUrl } = await import('../../../src/main/app/security');
const { LabService } = await import('../../../src/services/lab/lab-service');

let workspace: string;
let unregister: () => void;
let lab: LabApi;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-ipc-'));
  const service = new LabService({ workspace, selectBackend: async () => ({ name: 'cpu', skipped: [] }) });
  unregister = registerLabIpc(service, (url) => isAppUrl(url));
  await import('../../../src/preload/index');
  lab = fake.state.exposed.get('lab') as LabApi;
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('Electron IPC wiring + preload', () => {
  it('registers every channel of the map and exposes only `lab`', () => {
    expect([...fake.state.handlers.keys()].sort()).toEqual([...LAB_CHANNELS].sort());
    expect([...fake.state.handlers.keys()]).toEqual(expect.arrayContaining(['system:info', 'targets:import', 'runs:create', 'runs:pause', 'models:params', 'settings:update']));
    expect([...fake.state.exposed.keys()]).toEqual(['lab']);
    expect(Object.keys(lab).sort()).toEqual(['cluster', 'experiments', 'models', 'on', 'runs', 'settings', 'sweeps', 'system', 'targets']);
    expect(Object.keys(lab.runs).sort()).toEqual([
      'checkpoints', 'create', 'delete', 'evaluationStrip', 'fork', 'get', 'list', 'metrics', 'pause', 'rename', 'resume', 'setNotes', 'setTags', 'stop', 'target',
    ]);
  });

  it('answers calls through the preload', async () => {
    expect((await lab.system.info()).backend).toBe('cpu');
    expect((await lab.targets.list()).map((t) => t.name)).toEqual([
      'carrot-9', 'carrot-15', 'rabbit-9', 'rabbit-15', 'lizard-40', 'lizard-2018-40',
    ]);
  });

  it('rethrows the service\'s message, not Electron\'s wrapper', async () => {
    const err = await lab.targets
      .import({ name: 'readme.png', bytesBase64: Buffer.from('# readme').toString('base64'), size: 9, padding: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^readme\.png: not an image/);
    await expect(lab.targets.import({ name: 'a.png', bytesBase64: 'AAAA', size: 9, padding: 99 })).rejects.toThrow(
      'targets.import: padding must be an integer from 0 to 64, got 99',
    );
  });

  it('delivers events to page listeners with the payload only', async () => {
    const calls: unknown[][] = [];
    const off = lab.on('targets:imported', (...args: unknown[]) => calls.push(args));
    const png = encodePng(new Uint8Array(3 * 3 * 4).fill(255), 3, 3).toString('base64');
    const t: TargetData = await lab.targets.import({ name: 'white.png', bytesBase64: png, size: 3, padding: 0 });
    expect(calls).toEqual([[t]]);
    off();
    await lab.targets.import({ name: 'white.png', bytesBase64: png, size: 3, padding: 0 });
    expect(calls).toHaveLength(1);
  });

  it('refuses calls from a frame that is not the lab\'s page', async () => {
    fake.state.frameUrl = 'https://evil.example/page';
    try {
      await expect(lab.system.info()).rejects.toThrow('refused: system:info called from https://evil.example/page');
    } finally {
      fake.state.frameUrl = 'app://lab/index.html';
    }
  });

  it('knows the lab\'s own origins', () => {
    expect(isAppUrl('app://lab/index.html#/targets')).toBe(true);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('file:///tmp/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('removes every handler on unregister', () => {
    unregister();
    expect(fake.state.handlers.size).toBe(0);
  });
});
