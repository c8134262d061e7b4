/**
 * Fault injection, bridge: a hostile client sends oversized, malformed, deeply
 * nested and binary frames, broken request parts, and path arguments that reach outside the workspace. After
 * every one the server must still answer, and every refusal must be an error that names its cause.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../../../src/services/bridge/server';
import { LabService } from '../../../../src/services/lab/lab-service';
import { encodePng } from '../../../../src/services/export/png';
import { configFromPreset, ncaConfigOf } from '../../../../src/shared/training-config';
import { paramCount } from '../../../../src/core/nca/config';
import { LabStore } from '../../../../src/services/store/lab-store';
import { windowTargetProblem } from '../../../../src/services/targets/targets';
import { BRIDGE_MAX_FRAME_BYTES, BRIDGE_MAX_REQUEST_BYTES, BRIDGE_PART_CHARS } from '../../../../src/shared/bridge-protocol';
import { createWebSocketLab, type WebSocketLike } from '../../../../src/shared/lab-ws-client';
import { LAB_CHANNELS } from '../../../../src/shared/ipc';
import { ERROR_MESSAGE_MAX_CHARS } from '../../../../src/shared/lab-client';
import { connect as connectSocket } from 'node:net';
import { BadInputTally } from '../../helpers/bad-inputs';
import { modelFilesProblem } from '../../../../src/shared/ipc-schema';
import type { OpenedModel, SystemInfo, TargetData } from '../../../../src/shared/lab-api';

let dir: string;
let server: BridgeServer;
const problems: string[] = [];
const counts = { badInputs: 0, clearErrors: 0, closedSockets: 0 };
// every refusal below is asserted clear; the tally carries the count into the suite's summary
const tally = new BadInputTally('bridge bad inputs');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-faults-bridge-'));
  await mkdir(join(dir, 'renderer', 'assets'), { recursive: true });
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>NCA Lab</title>');
  // an image outside the workspace: the bridge must neither read it nor say whether it exists
  await writeFile(join(dir, 'private.png'), encodePng(new Uint8Array(9 * 9 * 4).fill(200), 9, 9));
  const service = new LabService({ workspace: join(dir, 'workspace'), selectBackend: async () => ({ name: 'cpu', skipped: [] }) });
  server = await startBridgeServer({ service, rendererDir: join(dir, 'renderer'), onSocketProblem: (m) => problems.push(m) });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
  console.log(`faults-bridge: ${counts.badInputs} bad inputs tried, ${counts.clearErrors} clear errors, ` +
    `${counts.closedSockets} sockets closed for oversized frames, the server answered after every one`);
  tally.counts.clear = counts.clearErrors;
  tally.counts.unclear = counts.badInputs - counts.clearErrors;
  tally.report();
});

interface Client {
  ws: WebSocket;
  send(data: string | Buffer, binary?: boolean): void;
  next(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(): Promise<Client> {
  const ws = new WebSocket(server.socketUrl);
  const frames: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    send: (data, binary = false) => ws.send(data, { binary }),
    next: async (match) => {
      for (;;) {
        const i = frames.findIndex(match);
        if (i >= 0) return frames.splice(i, 1)[0];
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    closed,
  };
}

/** The server still serves: a fresh socket gets system:info. */
async function stillServes(): Promise<void> {
  const c = await connect();
  c.send(JSON.stringify({ id: 77, channel: 'system:info', args: [] }));
  const reply = await c.next((f) => f.id === 77);
  expect((reply.result as SystemInfo).backend).toBe('cpu');
  c.ws.close();
}

/** One bad frame on `c`: its error reply (matched by id) must name the cause. */
async function refused(c: Client, frame: string | Buffer, id: number, cause: RegExp, binary = false): Promise<string> {
  counts.badInputs++;
  c.send(frame, binary);
  const reply = await c.next((f) => f.id === id);
  const message = (reply.error as { message?: string } | undefined)?.message ?? '';
  expect(message, String(frame).slice(0, 80)).toMatch(cause);
  counts.clearErrors++;
  return message;
}

const pngBase64 = (side: number) => encodePng(new Uint8Array(side * side * 4).fill(255), side, side).toString('base64');

describe('the bridge survives hostile frames', () => {
  it('closes only the socket of a frame over the limit, with 1009, and keeps serving', async () => {
    for (const size of [BRIDGE_MAX_FRAME_BYTES + 1, 30 * 1024 * 1024]) {
      counts.badInputs++;
      const c = await connect();
      c.send(JSON.stringify({ id: 1, channel: 'targets:import', args: [{ name: 'a.png', bytesBase64: 'A'.repeat(size), size: 9, padding: 0 }] }));
      const { code } = await c.closed;
      expect(code).toBe(1009);
      counts.closedSockets++;
      counts.clearErrors++;
      await stillServes();
    }
    expect(problems.filter((p) => p.includes('frame over 4 MB'))).toHaveLength(2);
  });

  it('answers malformed, binary and deeply nested frames with an error naming the problem', async () => {
    const c = await connect();
    await refused(c, 'not json', 0, /must be JSON/);
    await refused(c, '', 0, /must be JSON/);
    await refused(c, 'null', 0, /must be an object/);
    await refused(c, '[1,2,3]', 0, /request id must be a positive integer/);
    await refused(c, '{"id":-4,"channel":"system:info","args":[]}', -4, /request id must be a positive integer/);
    await refused(c, '{"id":1.5,"channel":"system:info","args":[]}', 0, /request id must be a positive integer/);
    await refused(c, '{"id":3,"channel":7,"args":[]}', 3, /channel must be a string/);
    await refused(c, '{"id":4,"channel":"system:info","args":{}}', 4, /args must be a list/);
    await refused(c, '{"id":5,"channel":"runs:erase","args":[]}', 5, /unknown channel "runs:erase"/);
    await refused(c, '{"id":6,"channel":"__proto__","args":[]}', 6, /unknown channel/);
    await refused(c, '{"id":7,"channel":"runs:get","args":[1,2,3]}', 7, /runs:get|runs\.get/);
    await refused(c, Buffer.from([0, 1, 2, 255, 254]), 0, /binary frames are not accepted/, true);
    await refused(c, Buffer.from('{"id":8,"channel":"system:info","args":[]}'), 0, /binary frames are not accepted/, true);
    const deep = 200_000;
    await refused(c, `{"id":9,"channel":"runs:create","args":[${'['.repeat(deep)}${']'.repeat(deep)}]}`, 9, /runs[.:]create/);
    await refused(c, `{"id":10,"channel":"settings:update","args":[${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]}`, 10, /settings\.update/);
    await refused(c, `{"id":11,"channel":"system:info","args":[${'['.repeat(deep)}`, 0, /must be JSON/);
    await refused(c, '{"id":12,"channel":"targets:import","args":[{"name":"x.png","bytesBase64":"' + 'A'.repeat(3_000_000) + '","size":9,"padding":0}]}', 12, /x\.png/);
    await stillServes();
  });

  it('reassembles a request sent in parts and refuses broken parts', async () => {
    const c = await connect();
    // out of order, unknown ids, wrong counts, over the size limit
    await refused(c, JSON.stringify({ id: 20, part: 1, parts: 3, chunk: 'x' }), 20, /parts are sent in order from 0/);
    await refused(c, JSON.stringify({ id: 21, part: 0, parts: 1, chunk: 'x' }), 21, /"parts" must be an integer from 2/);
    await refused(c, JSON.stringify({ id: 22, part: 5, parts: 3, chunk: 'x' }), 22, /"part" must be an integer from 0 to 2/);
    await refused(c, JSON.stringify({ id: 23, part: 0, parts: 3, chunk: 7 }), 23, /"chunk" must be a string/);
    c.send(JSON.stringify({ id: 24, part: 0, parts: 3, chunk: '{"id":24,' }));
    await refused(c, JSON.stringify({ id: 24, part: 2, parts: 3, chunk: '}' }), 24, /expected part 1 of 3/);
    c.send(JSON.stringify({ id: 25, part: 0, parts: 2, chunk: '{"id":99,"channel":"system:info",' }));
    await refused(c, JSON.stringify({ id: 25, part: 1, parts: 2, chunk: '"args":[]}' }), 25, /carry another id/);
    c.send(JSON.stringify({ id: 26, part: 0, parts: 2, chunk: '{"id":26,"chan' }));
    await refused(c, JSON.stringify({ id: 26, part: 1, parts: 2, chunk: 'nel":' }), 26, /its parts do not join into a JSON request/);
    // a request larger than the limit in total, sent in parts of legal size
    const parts = Math.ceil(BRIDGE_MAX_REQUEST_BYTES / BRIDGE_PART_CHARS) + 1;
    const chunk = 'A'.repeat(BRIDGE_PART_CHARS);
    counts.badInputs++;
    for (let i = 0; i < parts; i++) c.send(JSON.stringify({ id: 27, part: i, parts, chunk }));
    const big = await c.next((f) => f.id === 27);
    expect((big.error as { message: string }).message).toMatch(/request 27 is larger than the 96 MB the lab accepts/);
    counts.clearErrors++;
    await stillServes();

    // a real request larger than one part goes through: a PNG with 6 MB of trailing bytes, reassembled and decoded
    const lab = createWebSocketLab({ url: server.socketUrl, createSocket: (u): WebSocketLike => new WebSocket(u) });
    const long = Buffer.concat([Buffer.from(pngBase64(9), 'base64'), Buffer.alloc(6 * 1024 * 1024, 7)]).toString('base64');
    expect(long.length).toBeGreaterThan(BRIDGE_MAX_FRAME_BYTES);
    await expect(lab.targets.import({ name: 'long.png', bytesBase64: long, size: 9, padding: 0 })).resolves.toMatchObject({ name: 'long', size: 9 } satisfies Partial<TargetData>);
    // a request over the total limit is refused by the client before anything is sent
    counts.badInputs++;
    await expect(lab.models.open({ files: [{ name: 'huge.nckpt', bytesBase64: 'A'.repeat(BRIDGE_MAX_REQUEST_BYTES) }] }))
      .rejects.toThrow(/models:open: the request is 96 MB, more than the 96 MB the lab accepts over the browser connection/);
    counts.clearErrors++;
    lab.close();
    await stillServes();
  });

  it('refuses path arguments that reach outside the workspace', async () => {
    const c = await connect();
    const es = configFromPreset('thesis-es');
    let id = 100;
    const call = (channel: string, args: unknown[], cause: RegExp) => refused(c, JSON.stringify({ id: ++id, channel, args }), id, cause);
    const outside = [join(dir, 'private.png'), join(dir, 'missing.png'), '../private.png', '../../../../etc/passwd', 'targets/../../private.png',
      join(dir, 'workspace', 'targets', '..', '..', 'private.png'), '/etc/passwd', 'C:\\Windows\\win.ini'];
    const messages: string[] = [];
    for (const name of outside) {
      const config = { ...es, target: { name, size: 9, padding: 0 } };
      messages.push(await call('runs:create', [{ config, start: false }], /config\.target\.name: target ".*" is neither a built-in target nor an image imported into the workspace/));
    }
    // an existing and a missing file get the same answer: no existence oracle
    expect(messages[0].replace(join(dir, 'private.png'), 'F')).toBe(messages[1].replace(join(dir, 'missing.png'), 'F'));
    await call('runs:create', [{ config: { ...es, target: { name: 'passwd', size: 9, padding: 0 } }, start: false }], /unknown target "passwd"/);
    for (const runId of ['../x', '..', '/etc', 'a/b', '', '.hidden']) {
      await call('runs:get', [runId], /run id|runId/);
      await call('runs:target', [runId], /run id|runId/);
      await call('models:params', [{ runId }], /run id|runId/);
    }
    await call('models:open', [{ files: [{ name: '../model.json', bytesBase64: '' }] }], /files\[0\]\.name must be a plain file name/);
    await call('models:open', [{ files: [{ name: '/etc/passwd', bytesBase64: '' }] }], /files\[0\]\.name must be a plain file name/);
    await call('experiments:run', [{ suite: 'growth', models: ['../../etc'] }], /models\[0\]/);
    await call('experiments:reproduceFile', ['x', '../../../etc/passwd'], /reproduce/i);
    await call('runs:fork', [{ runId: '../x', generation: 0 }], /run id|runId/);

    // a model file that names a target outside the workspace: opened, its target neither read nor probed
    const elsewhere = new LabStore(join(dir, 'cli-workspace'));
    const run = await elsewhere.createRun({ ...es, target: { name: join(dir, 'private.png'), size: 9, padding: 0 } }, { backend: null });
    const folder = await elsewhere.writeModel(run.id, new Float32Array((await elsewhere.readLatestCheckpoint(run.id))?.params.length ?? paramCount(ncaConfigOf(es))), { config: run.config, generation: 0, loss: null });
    const files = await Promise.all(['model.json', 'weights.bin'].map(async (name) => ({ name, bytesBase64: (await readFile(join(folder, name))).toString('base64') })));
    counts.badInputs++;
    c.send(JSON.stringify({ id: 500, channel: 'models:open', args: [{ files }] }));
    const opened = (await c.next((f) => f.id === 500)).result as OpenedModel;
    expect(opened.target).toBeNull();
    expect(opened.targetProblem).toMatch(/its target is not read: target ".*private\.png" is neither a built-in target nor an image imported/);
    counts.clearErrors++;
    await stillServes();
  });

  it('lets a window name built-ins and images imported into the workspace only', () => {
    const imported = join(dir, 'workspace', 'targets');
    expect(windowTargetProblem('carrot-9', 9, imported)).toBeNull();
    expect(windowTargetProblem(join(imported, 'heart-0123abcd.png'), 15, imported)).toBeNull();
    expect(windowTargetProblem(join(imported, 'sub', 'x.png'), 15, imported)).toMatch(/neither a built-in target nor an image imported/);
    expect(windowTargetProblem(join(imported, '..', 'x.png'), 15, imported)).toMatch(/neither a built-in/);
    expect(windowTargetProblem('heart.png', 15, imported)).toMatch(/neither a built-in/);
    expect(windowTargetProblem('carrot', 40, imported)).toMatch(/built-in target "carrot" has no size 40/);
  });

  it('checks model file sizes before reading them (the playground\'s Open model files…)', () => {
    expect(modelFilesProblem([{ name: 'ckpt-000001000.nckpt', size: 18 * 1024 * 1024 }])).toBeNull();
    expect(modelFilesProblem([{ name: 'big.nckpt', size: 70 * 1024 * 1024 }]))
      .toBe('big.nckpt (70.0 MB) is larger than the 64 MB the playground opens; load the run from the list above instead, or grow it with `nca-lab grow`.');
    expect(modelFilesProblem([{ name: 'a', size: 1 }, { name: 'b', size: 1 }, { name: 'c', size: 1 }])).toMatch(/3 files picked/);
  });
});

describe('names, huge arguments and headers (bad inputs that were taken or echoed)', () => {
  it('refuses names of 5,000 characters or with control characters, on every channel that takes a name', async () => {
    const c = await connect();
    const es = configFromPreset('thesis-es');
    let id = 1000;
    const call = (channel: string, args: unknown[], cause: RegExp) => refused(c, JSON.stringify({ id: ++id, channel, args }), id, cause);
    const run = await new LabStore(join(dir, 'workspace')).createRun(es, { backend: null });
    for (const name of ['x'.repeat(5000), 'a\u0007b', 'two\nlines', 'tab\tname', '   ']) {
      await call('runs:create', [{ config: es, name, start: false }], /name must be a non-empty name of at most 200 characters without control characters/);
      await call('runs:rename', [run.id, name], /runs\.rename: name must be a non-empty name of at most 200 characters without control characters/);
      await call('runs:fork', [{ runId: run.id, generation: 0, name }], /name must be a non-empty name of at most 200 characters/);
      await call('targets:rename', ['carrot-9.png', name], /targets\.rename: name must be a non-empty name/);
    }
    for (const name of ['y'.repeat(5000), 'bell\u0007']) {
      await call('sweeps:plan', [{ name, preset: 'thesis-es', target: 'carrot-9' }], /name: must be text of at most 200 characters without control characters/);
    }
    await stillServes();
  });

  it('cuts an error message that would quote a 400 KB argument', async () => {
    const c = await connect();
    const huge = 'z'.repeat(400_000);
    let id = 1100;
    for (const [channel, args] of [
      ['runs:get', [huge]], ['runs:rename', [huge, huge]], ['targets:delete', [huge]], ['models:params', [{ runId: huge }]],
      ['experiments:reproduceFile', [huge, huge]], ['runs:create', [{ config: { ...configFromPreset('thesis-es'), preset: huge }, start: false }]],
      ['settings:update', [{ [huge]: 1 }]], ['sweeps:resume', [huge]], [huge.slice(0, 300_000), []],
    ] as [string, unknown[]][]) {
      const message = await refused(c, JSON.stringify({ id: ++id, channel, args }), id, /./);
      expect(message.length, `${channel.slice(0, 30)} answered ${message.length} characters`).toBeLessThanOrEqual(ERROR_MESSAGE_MAX_CHARS + 60);
    }
    await stillServes();
  });

  it('answers every channel called with a wrong number of arguments with an error naming it', async () => {
    const c = await connect();
    let id = 1200;
    for (const channel of LAB_CHANNELS) {
      // one argument too many: no channel takes nine
      await refused(c, JSON.stringify({ id: ++id, channel, args: Array.from({ length: 9 }, (_, i) => i) }), id, new RegExp(`${channel.replace(':', '[:.]')}|expected \\d+ argument`));
      // a symbol-like argument: a channel that takes none refuses it, one that takes a value names the field
      await refused(c, JSON.stringify({ id: ++id, channel, args: [null, { __proto__: 1 }, [], 'x'] }), id, new RegExp(`${channel.replace(':', '[:.]')}|expected \\d+ argument`));
    }
    await stillServes();
  });

  it('refuses a request with two Host headers', async () => {
    for (const hosts of [[`127.0.0.1:${server.port}`, 'evil.example'], [`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`]]) {
      tally.add('clear');
      // Node's client sends one Host header at most: the request is written by hand
      const status = await new Promise<number>((resolve, reject) => {
        const sock = connectSocket(server.port, '127.0.0.1', () => {
          sock.write(`GET /?token=${server.token} HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}Connection: close\r\n\r\n`);
        });
        let text = '';
        sock.on('data', (d) => { text += d.toString(); });
        sock.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
        sock.on('error', reject);
      });
      expect(status).toBe(400);
    }
    await stillServes();
  });

  it('an image named "x.p ng" is imported under an id that can be renamed and deleted', async () => {
    const lab = createWebSocketLab({ url: server.socketUrl, createSocket: (u): WebSocketLike => new WebSocket(u) });
    try {
      for (const name of ['x.p ng', 'a b.PNG', '-lead.png', '..weird..png', 'ünï.png', 'noext']) {
        const t = await lab.targets.import({ name, bytesBase64: pngBase64(9), size: 9, padding: 0, keep: true });
        const id = t.imported!.id;
        expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
        expect((await lab.targets.rename(id, `renamed ${name}`)).name).toBe(`renamed ${name}`);
        await expect(lab.targets.delete(id)).resolves.toBeUndefined();
      }
    } finally {
      lab.close();
    }
  });
});
