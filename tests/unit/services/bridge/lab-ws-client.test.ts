import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../../../src/services/bridge/server';
import { LabService } from '../../../../src/services/lab/lab-service';
import { encodePng } from '../../../../src/services/export/png';
import type { TargetData } from '../../../../src/shared/lab-api';
import { createWebSocketLab, type WebSocketLike } from '../../../../src/shared/lab-ws-client';

let dir: string;
let server: BridgeServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-lab-wsclient-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>');
  const service = new LabService({ workspace: dir, selectBackend: async () => ({ name: 'wasm', skipped: [] }) });
  server = await startBridgeServer({ service, rendererDir: join(dir, 'renderer') });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const createSocket = (url: string): WebSocketLike => new WebSocket(url);

describe('LabApi over the bridge WebSocket (the renderer\'s browser transport)', () => {
  it('calls system.info and targets.list', async () => {
    const lab = createWebSocketLab({ url: server.socketUrl, createSocket });
    const [info, targets] = await Promise.all([lab.system.info(), lab.targets.list()]);
    expect(info.backend).toBe('wasm');
    expect(targets.map((t) => t.name)).toContain('rabbit-15');
    lab.close();
  });

  it('rethrows a service error as an Error carrying the service\'s message', async () => {
    const lab = createWebSocketLab({ url: server.socketUrl, createSocket });
    const err = await lab.targets
      .import({ name: 'photo.webp', bytesBase64: Buffer.from('<html>').toString('base64'), size: 9, padding: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^photo\.webp: not an image \(PNG, JPEG or WebP expected/);
    lab.close();
  });

  it('delivers pushed events to listeners until they unsubscribe', async () => {
    const listener = createWebSocketLab({ url: server.socketUrl, createSocket });
    const importer = createWebSocketLab({ url: server.socketUrl, createSocket });
    const seen: TargetData[] = [];
    let resolveSeen: () => void = () => undefined;
    const first = new Promise<void>((r) => (resolveSeen = r));
    const off = listener.on('targets:imported', (t) => {
      seen.push(t);
      resolveSeen();
    });
    await listener.system.info(); // the listener's socket is open before the import happens
    const png = encodePng(new Uint8Array(2 * 2 * 4).fill(200), 2, 2).toString('base64');
    const t = await importer.targets.import({ name: 'grey.png', bytesBase64: png, size: 2, padding: 0 });
    await first;
    expect(seen).toEqual([t]);
    off();
    await importer.targets.import({ name: 'grey.png', bytesBase64: png, size: 2, padding: 0 });
    await listener.system.info(); // a round trip after the second event was pushed
    expect(seen).toHaveLength(1);
    listener.close();
    importer.close();
  });

  it('rejects with a clear message when the token is refused', async () => {
    const lab = createWebSocketLab({ url: `ws://127.0.0.1:${server.port}/ws?token=wrong-token-0000000`, createSocket });
    await expect(lab.system.info()).rejects.toThrow(
      'cannot connect to the lab: is `nca-lab serve` running, and is the token in the address the current one?',
    );
    lab.close();
  });

  it('fails pending calls when the server goes away, and reconnects for the next call', async () => {
    const own = await startBridgeServer({
      service: new LabService({ workspace: dir, selectBackend: () => new Promise(() => undefined) }),
      rendererDir: join(dir, 'renderer'),
    });
    const lab = createWebSocketLab({ url: own.socketUrl, createSocket });
    const pending = lab.system.info(); // never answered: the backend never finishes choosing
    await lab.targets.list(); // connected
    await own.close();
    await expect(pending).rejects.toThrow('the connection to the lab closed; is `nca-lab serve` still running?');
    const again = await startBridgeServer({
      service: new LabService({ workspace: dir }),
      rendererDir: join(dir, 'renderer'),
      port: own.port,
      token: own.token,
    });
    expect(await lab.targets.list()).toHaveLength(6);
    lab.close();
    await again.close();
  });
});
