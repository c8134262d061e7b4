import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeFloat32Base64, encodeFloat32Base64 } from '../../../src/shared/float32-base64';
import { parseBridgeRequest, requestIdOf } from '../../../src/shared/bridge-protocol';
import { LAB_CHANNELS, isLabChannel, isLabEventName } from '../../../src/shared/ipc';
import { createLabApi } from '../../../src/shared/lab-client';

describe('float32 base64', () => {
  it('encodes little-endian float32 bytes', () => {
    // 1.0f = 0x3f800000 → bytes 00 00 80 3f
    expect(encodeFloat32Base64(new Float32Array([1]))).toBe('AACAPw==');
    expect(Array.from(base64ToBytes('AACAPw=='))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('round-trips every value exactly, including tiny, huge and negative zero', () => {
    const values = new Float32Array([0, -0, 1 / 255, 0.1, -3.5, 1e-38, 3.4e38, Math.fround(Math.PI)]);
    const back = decodeFloat32Base64(encodeFloat32Base64(values));
    expect(Array.from(back)).toEqual(Array.from(values));
    expect(Object.is(back[1], -0)).toBe(true);
  });

  it('handles buffers larger than one String.fromCharCode chunk', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 31) & 255);
    expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('refuses a byte count that is not a multiple of 4', () => {
    expect(() => decodeFloat32Base64('AAAA')).toThrow('float32 data must be a multiple of 4 bytes, got 3');
  });
});

describe('channel map', () => {
  it('lists every channel once, and knows channels and events by name', () => {
    expect(new Set(LAB_CHANNELS).size).toBe(LAB_CHANNELS.length);
    expect(LAB_CHANNELS).toEqual(expect.arrayContaining([
      'system:info', 'targets:import', 'targets:list', 'runs:list', 'runs:create', 'runs:pause', 'runs:resume', 'runs:stop',
      'runs:delete', 'runs:fork', 'runs:metrics', 'runs:checkpoints', 'models:params', 'settings:get', 'settings:update',
    ]));
    for (const c of LAB_CHANNELS) expect(c).toMatch(/^[a-z]+:[A-Za-z]+$/);
    expect(isLabChannel('targets:list')).toBe(true);
    expect(isLabChannel('toString')).toBe(false);
    expect(isLabEventName('targets:imported')).toBe(true);
    expect(isLabEventName('run:progress')).toBe(true);
    expect(isLabEventName('run:exploded')).toBe(false);
  });

  it('builds LabApi methods that send their channel and arguments', async () => {
    const calls: [string, unknown[]][] = [];
    const api = createLabApi({
      invoke: async (channel, args) => {
        calls.push([channel, args]);
        return 'ok';
      },
      subscribe: () => () => undefined,
    });
    const request = { name: 'a.png', bytesBase64: 'AAAA', size: 9, padding: 0 };
    await api.system.info();
    await api.targets.list();
    await api.targets.import(request);
    await api.runs.setTags('run-1', ['a']);
    expect(calls).toEqual([['system:info', []], ['targets:list', []], ['targets:import', [request]], ['runs:setTags', ['run-1', ['a']]]]);
    // an event that is not in the map cannot be listened to
    expect(() => api.on('run:exploded' as 'targets:imported', () => undefined)).toThrow('unknown lab event "run:exploded"');
  });
});

describe('bridge request frames', () => {
  it('parses {id, channel, args}', () => {
    expect(parseBridgeRequest('{"id":7,"channel":"system:info","args":[]}')).toEqual({ id: 7, channel: 'system:info', args: [] });
  });
  it.each([
    ['not json', 'bridge: a request must be JSON {id, channel, args}'],
    ['{"channel":"system:info","args":[]}', 'bridge: request id must be a positive integer'],
    ['{"id":1,"channel":3,"args":[]}', 'bridge: request channel must be a string'],
    ['{"id":1,"channel":"system:info"}', 'bridge: request args must be a list'],
  ])('refuses %s', (text, message) => {
    expect(() => parseBridgeRequest(text)).toThrow(message);
  });
  it('still finds the id of a frame it refuses', () => {
    expect(requestIdOf('{"id":12,"channel":3}')).toBe(12);
    expect(requestIdOf('garbage')).toBe(0);
  });
});
