import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import type { LabEventMessage, TargetData } from '../../../../src/shared/lab-api';
import { LabService } from '../../../../src/services/lab/lab-service';
import { encodePng } from '../../../../src/services/export/png';
import { loadBuiltinTarget } from '../../../../src/services/targets/targets';
import { packageVersion } from '../../../../src/services/resources/package-paths';

let workspace: string;
let service: LabService;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nca-lab-service-'));
  service = new LabService({ workspace });
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/** A size×size PNG whose left half is opaque red and right half fully transparent blue. */
function halfRedPng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      if (x < size / 2) px.set([255, 0, 0, 255], i);
      else px.set([0, 0, 255, 0], i);
    }
  }
  return encodePng(px, size, size);
}

function importArgs(bytes: Buffer, extra: Partial<{ name: string; size: number; padding: number }> = {}) {
  return [{ name: 'half.png', bytesBase64: bytes.toString('base64'), size: 8, padding: 0, ...extra }];
}

describe('LabService system:info', () => {
  it('reports the package version, a backend, the cores and the resolved workspace', async () => {
    const info = (await service.dispatch('system:info', [])) as Awaited<ReturnType<LabService['systemInfo']>>;
    expect(info.version).toBe(packageVersion());
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.backend);
    expect(info.cores).toBe(availableParallelism());
    expect(info.workspace).toBe(workspace);
    for (const s of info.skippedBackends) expect(s.reason.length).toBeGreaterThan(0);
    // the GPU survey as `nca-lab info` prints it: a line per adapter or why there is none, and auto's pick with its reason
    expect(info.gpu.adapters.length).toBeGreaterThan(0);
    expect(info.gpu.auto.reason).toMatch(/^auto: /);
  });

  it('uses the injected backend choice', async () => {
    const s = new LabService({
      workspace,
      selectBackend: async () => ({ name: 'cpu', skipped: [{ name: 'wasm', reason: 'test says no' }] }),
    });
    const info = await s.systemInfo();
    expect(info.backend).toBe('cpu');
    expect(info.skippedBackends).toEqual([{ name: 'wasm', reason: 'test says no' }]);
  });
});

describe('LabService targets:list', () => {
  it('lists the six built-ins with exactly the pixels loadBuiltinTarget gives', async () => {
    const list = (await service.dispatch('targets:list', [])) as TargetData[];
    expect(list.map((t) => t.name)).toEqual(['carrot-9', 'carrot-15', 'rabbit-9', 'rabbit-15', 'lizard-40', 'lizard-2018-40']);
    for (const t of list) {
      const expected = loadBuiltinTarget(t.name);
      expect(t.builtin).toBe(true);
      expect([t.size, t.padding, t.height, t.width]).toEqual([expected.size, expected.padding, expected.height, expected.width]);
      const rgba = decodeFloat32Base64(t.rgbaF32Base64);
      expect(rgba.length).toBe(t.height * t.width * 4);
      expect(Array.from(rgba)).toEqual(Array.from(expected.rgba));
    }
    const lizard = list.find((t) => t.name === 'lizard-40')!;
    expect([lizard.size, lizard.padding, lizard.width]).toEqual([40, 16, 72]);
    expect(list.find((t) => t.name === 'carrot-9')!.emoji).toBe('🥕');
  });
});

describe('LabService targets:import', () => {
  it('imports a PNG: premultiplied pixels, padding, the file base name, and an event', async () => {
    const events: LabEventMessage[] = [];
    const off = service.onEvent((m) => events.push(m));
    const t = (await service.dispatch('targets:import', importArgs(halfRedPng(8), { padding: 2 }))) as TargetData;
    off();
    expect(t).toMatchObject({ name: 'half', builtin: false, size: 8, padding: 2, height: 12, width: 12 });
    const rgba = decodeFloat32Base64(t.rgbaF32Base64);
    const at = (y: number, x: number) => Array.from(rgba.subarray((y * 12 + x) * 4, (y * 12 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([0, 0, 0, 0]); // padding
    expect(at(6, 2)).toEqual([1, 0, 0, 1]); // opaque red, left edge (no neighbour to blur with)
    expect(at(6, 11 - 2)).toEqual([0, 0, 0, 0]); // transparent blue premultiplies to zero
    expect(events).toEqual([{ event: 'targets:imported', payload: t }]);
  });

  it('reports a text file named .png with the user\'s file name, not the temporary path, and cleans up', async () => {
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith('nca-lab-import-')).length;
    const bytes = Buffer.from('these are notes, not an image\n');
    const err = await service.dispatch('targets:import', importArgs(bytes, { name: 'notes.png' })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/^notes\.png: not an image \(PNG, JPEG or WebP expected/);
    expect(message).not.toContain(tmpdir());
    const after = (await readdir(tmpdir())).filter((f) => f.startsWith('nca-lab-import-')).length;
    expect(after).toBe(before);
  });

  it('keeps folders out of the file name it writes', async () => {
    const t = (await service.dispatch('targets:import', importArgs(halfRedPng(4), { name: '../../etc/evil.png', size: 4 }))) as TargetData;
    expect(t.name).toBe('evil');
  });

  it.each([
    [{ size: 0 }, 'targets.import: size must be an integer from 1 to 128, got 0'],
    [{ size: 9.5 }, 'targets.import: size must be an integer from 1 to 128, got 9.5'],
    [{ padding: -1 }, 'targets.import: padding must be an integer from 0 to 64, got -1'],
    [{ name: '' }, 'targets.import: name must be a non-empty file name of at most 200 characters'],
  ])('refuses %o before decoding: %s', async (extra, message) => {
    await expect(service.dispatch('targets:import', importArgs(halfRedPng(4), extra))).rejects.toThrow(message);
  });

  it('refuses malformed requests with messages that name the problem', async () => {
    await expect(service.dispatch('targets:import', [])).rejects.toThrow('targets:import: expected 1 argument, got 0');
    await expect(service.dispatch('targets:import', ['x'])).rejects.toThrow(/expected an object \{name, bytesBase64, size, padding\}, got "x"/);
    await expect(service.dispatch('targets:import', [{ name: 'a.png', bytesBase64: 'not base64!', size: 9, padding: 0 }]))
      .rejects.toThrow('targets.import: bytesBase64 is not valid base64');
    await expect(service.dispatch('system:info', [1])).rejects.toThrow('system:info: expected 0 arguments, got 1');
    await expect(service.dispatch('system:info', 'nope')).rejects.toThrow('system:info: arguments must be a list');
    await expect(service.dispatch('runs:erase', [])).rejects.toThrow('unknown channel "runs:erase"');
  });
});
