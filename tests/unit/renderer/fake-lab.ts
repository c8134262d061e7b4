/**
 * A LabApi stand-in for the renderer's stores under happy-dom: `window.lab` as the Electron preload would give it,
 * with the domains the tests use answering from plain objects and `emit` pushing events as the lab does.
 */
import type { RunInfo, RunProgressEvent } from '../../../src/shared/lab-api';
import { PRESETS } from '../../../src/shared/training-config';

type Listener = (payload: any) => void;

export interface FakeLab {
  api: any;
  emit(event: string, payload: unknown): void;
  calls: { method: string; args: unknown[] }[];
}

let installed: FakeLab | null = null;
let current: Record<string, (...args: any[]) => unknown> = {};

/**
 * Installs the fake once per test file (the renderer's lib/lab.ts reads `window.lab` when first imported) and
 * gives it this test's handlers; listeners registered by earlier stores are dropped.
 */
export function installFakeLab(handlers: Record<string, (...args: any[]) => unknown>): FakeLab {
  current = handlers;
  if (installed) {
    installed.calls.length = 0;
    listenersOf(installed).clear();
    return installed;
  }
  const listeners = new Map<string, Set<Listener>>();
  const calls: FakeLab['calls'] = [];
  const domain = (name: string) => new Proxy({}, {
    get: (_t, method: string) => async (...args: unknown[]) => {
      calls.push({ method: `${name}.${method}`, args });
      const h = current[`${name}.${method}`];
      if (!h) throw new Error(`fake lab: no handler for ${name}.${method}`);
      return h(...args);
    },
  });
  const api = new Proxy({
    on(event: string, listener: Listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set!.delete(listener);
    },
  }, { get: (t: any, key: string) => (key in t ? t[key] : domain(key)) });
  (window as any).lab = api;
  installed = { api, calls, emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)) };
  allListeners.set(installed, listeners);
  return installed;
}

const allListeners = new WeakMap<FakeLab, Map<string, Set<Listener>>>();
function listenersOf(f: FakeLab): Map<string, Set<Listener>> {
  return allListeners.get(f)!;
}

export function fakeRun(id: string, over: Partial<RunInfo> = {}): RunInfo {
  const config = structuredClone(PRESETS.find((p) => p.name === 'thesis-es')!.config);
  return {
    formatVersion: 1, id, name: `run ${id}`, optimizer: 'es', preset: 'thesis-es', config, status: 'paused', statusReason: null,
    createdAt: `2026-12-0${id.length}T00:00:00.000Z`, updatedAt: '2026-12-01T00:00:00.000Z', backend: null,
    versions: { lab: '0', tfjs: '0', node: 'v20' },
    progress: { generation: 0, evaluations: 0, wallSeconds: 0, bestLoss: null, lastLoss: null, bestEval40: null, lastEval40: null, lastEval200: null, lastEval1000: null, verdict: null },
    tags: [], notes: '', forkedFrom: null, checkpointGeneration: null, resumeNotice: null, sweep: null, compute: null, workers: null, targetSha256: null, live: null, queuePosition: null, ...over,
  };
}

export function progress(runId: string, generation: number, loss: number, extra: Partial<RunProgressEvent> = {}): RunProgressEvent {
  return { runId, optimizer: 'es', generation, evaluations: generation * 6, wallSeconds: generation / 100, loss, bestLoss: loss, lr: 0.005, ...extra };
}
