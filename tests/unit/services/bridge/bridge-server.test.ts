import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../../../src/services/bridge/server';
import { LabService } from '../../../../src/services/lab/lab-service';
import { encodePng } from '../../../../src/services/export/png';
import { CONTENT_SECURITY_POLICY } from '../../../../src/shared/csp';
import type { SystemInfo, TargetData } from '../../../../src/shared/lab-api';

let dir: string;
let server: BridgeServer;
const opened: WebSocket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-lab-bridge-'));
  const rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>NCA Lab</title>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("lab")');
  await writeFile(join(rendererDir, 'assets', 'k.wasm'), Buffer.from([0, 97, 115, 109]));
  await writeFile(join(dir, 'secret.txt'), 'outside the renderer');
  const service = new LabService({
    workspace: join(dir, 'workspace'),
    selectBackend: async () => ({ name: 'cpu', skipped: [] }),
  });
  server = await startBridgeServer({ service, rendererDir, port: 0 });
});

afterAll(async () => {
  for (const ws of opened) ws.terminate();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a socket and collects every frame it receives. */
async function connect(url = server.socketUrl, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  opened.push(ws);
  const frames: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (match: (f: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  let id = 0;
  const call = async (channel: string, args: unknown[] = []) => {
    const myId = ++id;
    ws.send(JSON.stringify({ id: myId, channel, args }));
    return next((f) => f.id === myId);
  };
  return { ws, call, next, frames };
}

/** The HTTP status a refused upgrade gets. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the connection was accepted'));
    });
    ws.on('error', () => undefined);
  });
}

function pngBase64(): string {
  const px = new Uint8Array(4 * 4 * 4).fill(255);
  return encodePng(px, 4, 4).toString('base64');
}

describe('bridge WebSocket protocol', () => {
  it('answers system:info and targets:list', async () => {
    const { call } = await connect();
    const info = (await call('system:info')) as { id: number; result: SystemInfo };
    expect(info.id).toBe(1);
    expect(info.result).toMatchObject({ backend: 'cpu', skippedBackends: [], workspace: join(dir, 'workspace') });
    const list = (await call('targets:list')) as { result: TargetData[] };
    expect(list.result).toHaveLength(6);
    expect(list.result[0]).toMatchObject({ name: 'carrot-9', size: 9, width: 9, builtin: true });
    // 9×9×4 float32 = 1296 bytes = 1728 base64 characters
    expect(list.result[0].rgbaF32Base64).toHaveLength(1728);
  });

  it('sends errors back as {id, error: {message}} with the service\'s message', async () => {
    const { call } = await connect();
    const bad = await call('targets:import', [{ name: 'notes.png', bytesBase64: Buffer.from('hello').toString('base64'), size: 9, padding: 0 }]);
    expect(bad).toEqual({ id: 1, error: { message: expect.stringMatching(/^notes\.png: not an image/) } });
    expect(Object.keys(bad).sort()).toEqual(['error', 'id']);
    expect(await call('runs:erase')).toEqual({ id: 2, error: { message: 'unknown channel "runs:erase"' } });
    expect(await call('targets:import', [{ name: 'a.png', bytesBase64: pngBase64(), size: 500, padding: 0 }]))
      .toEqual({ id: 3, error: { message: 'targets.import: size must be an integer from 1 to 128, got 500' } });
  });

  it('answers a malformed frame with an error, and keeps the socket open', async () => {
    const { ws, next, call } = await connect();
    ws.send('{"id": 5, "channel": "system:info"}');
    expect(await next((f) => f.id === 5)).toEqual({ id: 5, error: { message: 'bridge: request args must be a list' } });
    ws.send('not json');
    expect(await next((f) => f.id === 0)).toEqual({ id: 0, error: { message: 'bridge: a request must be JSON {id, channel, args}' } });
    expect(((await call('system:info')) as { result: SystemInfo }).result.backend).toBe('cpu');
  });

  it('pushes targets:imported to every connected client', async () => {
    const a = await connect();
    const b = await connect();
    const reply = (await a.call('targets:import', [{ name: 'white.png', bytesBase64: pngBase64(), size: 4, padding: 1 }])) as { result: TargetData };
    expect(reply.result).toMatchObject({ name: 'white', size: 4, padding: 1, width: 6 });
    for (const client of [a, b]) {
      expect(await client.next((f) => f.event === 'targets:imported')).toEqual({ event: 'targets:imported', payload: reply.result });
    }
  });

  it('refuses a socket with a wrong, missing or truncated token', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await refusedStatus(`${base}?token=${'0'.repeat(64)}`)).toBe(401);
    expect(await refusedStatus(base)).toBe(401);
    expect(await refusedStatus(`${base}?token=${server.token.slice(0, -1)}`)).toBe(401);
  });

  it('refuses a socket opened from another web page (Origin) or another Host name', async () => {
    expect(await refusedStatus(server.socketUrl, { Origin: 'https://evil.example' })).toBe(403);
    expect(await refusedStatus(server.socketUrl, { Host: `rebound.example:${server.port}` })).toBe(421);
    // the lab's own page is allowed
    const { call } = await connect(server.socketUrl, { Origin: `http://127.0.0.1:${server.port}` });
    expect(((await call('system:info')) as { result: SystemInfo }).result.backend).toBe('cpu');
  });

  it('uses a fresh 64-hex-digit token per server', async () => {
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    const other = await startBridgeServer({ service: new LabService({ workspace: dir }), rendererDir: dir, port: 0 });
    expect(other.token).not.toBe(server.token);
    expect(other.port).not.toBe(server.port);
    await other.close();
  });
});

describe('bridge HTTP', () => {
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${server.port}${path}`, { headers });

  it('serves the page only with the token, with the CSP and no referrer', async () => {
    const page = await get(`/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('<title>NCA Lab</title>');
    expect((await get('/')).status).toBe(403);
    expect((await get('/index.html?token=wrong')).status).toBe(403);
    expect(await (await get('/')).text()).toContain('open the address that `nca-lab serve` printed');
  });

  it('serves built assets with their types, and nothing outside the renderer folder', async () => {
    const js = await get('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log("lab")');
    expect((await get('/assets/k.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect((await get('/assets/missing.js')).status).toBe(404);
    // outside /assets everything needs the token; with it, nothing outside the renderer folder is found
    expect((await get('/../secret.txt')).status).toBe(403);
    expect((await get(`/../secret.txt?token=${server.token}`)).status).toBe(404);
    expect((await get('/assets/..%2f..%2fsecret.txt')).status).toBe(403);
    expect((await get(`/assets/..%2f..%2fsecret.txt?token=${server.token}`)).status).toBe(404);
  });

  it('decodes and normalises a path before the token gate: every spelling of the page needs the token', async () => {
    for (const path of ['/%69ndex.html', '/index%2ehtml', '//index.html', '/./index.html', '/assets/../index.html', '/assets/%2e%2e/index.html', '/ind%65x.html']) {
      const res = await get(path);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      const ok = await get(`${path}?token=${server.token}`);
      expect(ok.status, path).toBe(200);
      expect(ok.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
    }
    // every response carries the same headers, errors included
    for (const res of [await get('/assets/missing.js'), await get('/%zz'), await get('/assets/app.js')]) {
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});
