/**
 * LabService: the implementation of every LabApi channel, with no Electron import (architecture.md, "Testing
 * without Electron"). Electron's ipcMain wiring (src/main/app/ipc.ts) and the browser bridge
 * (src/node/bridge/server.ts) both hand requests to `dispatch`, which validates the arguments against the
 * channel's schema (shared/ipc-schema.ts) before a handler sees them. Pushed events go to `onEvent` listeners.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { BackendChoice } from '../core/backend';
import type { Target } from '../core/targets/target';
import { encodeFloat32Base64 } from '../shared/float32-base64';
import { isLabChannel, type LabHandlers } from '../shared/ipc';
import { parseChannelArgs } from '../shared/ipc-schema';
import type {
  LabEventMessage,
  LabEventName,
  LabEvents,
  SystemInfo,
  TargetData,
  TargetImportRequest,
  Unsubscribe,
} from '../shared/lab-api';
import { initNodeBackend } from './backend';
import { packageVersion } from './package-paths';
import { importTargetImage, listBuiltinTargets, loadBuiltinTarget } from './targets';

export interface LabServiceOptions {
  /** the workspace folder (runs, models, settings) */
  workspace: string;
  /** picks the Node-side tfjs backend; defaults to the one every Node process of the lab uses */
  selectBackend?: () => Promise<BackendChoice>;
}

export type LabEventListener = (message: LabEventMessage) => void;

export class LabService {
  readonly workspace: string;
  readonly handlers: LabHandlers;
  private readonly selectBackend: () => Promise<BackendChoice>;
  private readonly listeners = new Set<LabEventListener>();
  private builtinTargets: Promise<TargetData[]> | null = null;

  constructor(options: LabServiceOptions) {
    this.workspace = resolve(options.workspace);
    this.selectBackend = options.selectBackend ?? (() => initNodeBackend());
    this.handlers = {
      'system:info': () => this.systemInfo(),
      'targets:list': () => this.listTargets(),
      'targets:import': (request) => this.importTarget(request),
    };
  }

  /**
   * Runs one request that came from outside the process: an unknown channel or malformed arguments is an
   * Error with a message naming the problem, never a handler call with bad input.
   */
  async dispatch(channel: string, args: unknown): Promise<unknown> {
    if (!isLabChannel(channel)) throw new Error(`unknown channel "${channel}"`);
    const parsed = parseChannelArgs(channel, args);
    const handler = this.handlers[channel] as (...a: unknown[]) => Promise<unknown>;
    return handler(...(parsed as unknown[]));
  }

  /** Listens to every pushed event; the Electron wiring and the bridge forward them to their windows. */
  onEvent(listener: LabEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async systemInfo(): Promise<SystemInfo> {
    const backend = await this.selectBackend();
    return {
      version: packageVersion(),
      backend: backend.name,
      skippedBackends: backend.skipped.map((s) => ({ ...s })),
      cores: availableParallelism(),
      workspace: this.workspace,
    };
  }

  /** The built-ins never change while the lab runs: decoded once, then served from memory. */
  listTargets(): Promise<TargetData[]> {
    if (!this.builtinTargets) {
      this.builtinTargets = (async () =>
        listBuiltinTargets().map((info) => ({ ...targetToData(loadBuiltinTarget(info.name), true), emoji: info.emoji })))();
      this.builtinTargets.catch(() => {
        this.builtinTargets = null; // a failed read (missing resources) is retried on the next call
      });
    }
    return this.builtinTargets;
  }

  /**
   * Decodes the bytes with the same importer the CLI uses (importTargetImage reads a file, so the bytes go
   * to a private temporary folder under the file's own name), and reports errors with the user's file name
   * rather than the temporary path.
   */
  async importTarget(request: TargetImportRequest): Promise<TargetData> {
    const fileName = safeFileName(request.name);
    const dir = await mkdtemp(join(tmpdir(), 'nca-lab-import-'));
    const path = join(dir, fileName);
    try {
      await writeFile(path, Buffer.from(request.bytesBase64, 'base64'));
      let target: Target;
      try {
        target = await importTargetImage(path, { size: request.size, padding: request.padding });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(message.split(path).join(fileName));
      }
      const data = targetToData(target, false);
      this.emit('targets:imported', data);
      return data;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private emit<E extends LabEventName>(event: E, payload: LabEvents[E]): void {
    const message = { event, payload } as LabEventMessage;
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        // one broken window must not stop the others from hearing the event
        console.error(`nca-lab: a listener of "${event}" failed:`, err);
      }
    }
  }
}

export function targetToData(target: Target, builtin: boolean): TargetData {
  return {
    name: target.name,
    builtin,
    size: target.size,
    padding: target.padding,
    height: target.height,
    width: target.width,
    rgbaF32Base64: encodeFloat32Base64(target.rgba),
  };
}

/** The user's file name, reduced to a plain base name (no folders, nothing hidden) that is safe to create. */
function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f]/g, '').trim();
  return base === '' || base === '.' || base === '..' ? 'image' : base.startsWith('.') ? `image${base}` : base;
}
