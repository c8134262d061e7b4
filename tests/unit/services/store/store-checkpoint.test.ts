import { open as fsOpen } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Philox } from '../../../../src/core/rng/philox';
import { nodeStoreFs, type StoreFs, type WriteHandle } from '../../../../src/services/store/atomic-file';
import { CHECKPOINT_MAGIC } from '../../../../src/services/store/checkpoint-format';
import { LabStore } from '../../../../src/services/store/lab-store';
import type { Checkpoint } from '../../../../src/shared/run-record';
import { esConfig, floats, sameBytes, TEST_VERSIONS, testWorkspace, type TestWorkspace } from '../../helpers/store-helpers';

let ws: TestWorkspace;
let runId: string;
beforeEach(async () => {
  ws = testWorkspace();
  runId = (await ws.store.createRun(esConfig(), { backend: 'cpu' })).id;
});
afterEach(() => ws.cleanup());

/** A checkpoint of the thesis ES model (2048 params) with every kind of content. */
function checkpoint(generation: number, opts: { poolN?: number; grid?: number } = {}): Checkpoint {
  const rng = new Philox(1234, 7, 9);
  for (let i = 0; i < 5; i++) rng.uniform();
  rng.normal();
  const n = opts.poolN ?? 3;
  const g = opts.grid ?? 9;
  return {
    generation,
    evaluations: generation * 6,
    wallSeconds: generation * 0.125,
    params: floats(2048, generation),
    arrays: { 'm/kernel0': floats(1536, 11), 'v/kernel0': floats(1536, 12), poolLoss: floats(n, 13), empty: new Float32Array(0) },
    scalars: { lr: 0.0015, decayStage: 1, name: 'stage-1', done: false, missing: null, list: [1, 2.5, -3], bad: NaN, big: -Infinity },
    pool: { n, height: g, width: g, channels: 16, data: floats(n * g * g * 16, 14) },
    rng: rng.getState(),
  };
}

function expectSame(got: Checkpoint, want: Checkpoint): void {
  expect([got.generation, got.evaluations, got.wallSeconds]).toEqual([want.generation, want.evaluations, want.wallSeconds]);
  expect(sameBytes(got.params, want.params)).toBe(true);
  expect(Object.keys(got.arrays)).toEqual(Object.keys(want.arrays));
  for (const k of Object.keys(want.arrays)) expect(sameBytes(got.arrays[k], want.arrays[k]), k).toBe(true);
  expect(got.scalars).toEqual(want.scalars);
  expect(Object.is(got.scalars.bad, NaN)).toBe(true);
  expect(got.pool && { ...got.pool, data: null }).toEqual(want.pool && { ...want.pool, data: null });
  if (want.pool) expect(sameBytes(got.pool!.data, want.pool.data)).toBe(true);
  expect(got.rng).toEqual(want.rng);
}

const ckptDir = () => join(ws.store.runDir(runId), 'checkpoints');

describe('LabStore checkpoints', () => {
  it('round-trips params, optimizer arrays, scalars, pool and rng exactly, in the documented layout', async () => {
    const want = checkpoint(1000);
    await ws.store.writeCheckpoint(runId, want);
    const file = join(ckptDir(), 'ckpt-000001000.nckpt');
    const bytes = readFileSync(file);
    expect(bytes.toString('latin1', 0, 8)).toBe(CHECKPOINT_MAGIC);
    const headerLength = bytes.readUInt32LE(8);
    expect((12 + headerLength) % 4).toBe(0);
    const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
    const floatsTotal = 2048 + 1536 + 1536 + 3 + 0 + 3 * 9 * 9 * 16;
    expect(header.payloadBytes).toBe(floatsTotal * 4);
    expect(bytes.length).toBe(12 + headerLength + floatsTotal * 4);
    expect(header.params).toEqual({ offset: 0, length: 2048 });
    expect(header.arrays['m/kernel0']).toEqual({ offset: 2048 * 4, length: 1536 });
    expect(header.run.id).toBe(runId);
    // params are the payload's first floats, little-endian
    const p0 = 12 + headerLength;
    expect(bytes.readFloatLE(p0 + 4 * 100)).toBe(want.params[100]);

    const got = await ws.store.readLatestCheckpoint(runId);
    expect(got).not.toBeNull();
    expectSame(got!, want);
    expect(got!.file).toBe(file);
    expect(got!.fallbacks).toEqual([]);
    expectSame(await ws.store.readCheckpoint(runId, 1000), want);
    expect((await ws.store.getRun(runId)).checkpointGeneration).toBe(1000);
    expect(await ws.store.listCheckpoints(runId)).toEqual([{ generation: 1000, file, bytes: bytes.length }]);
  });

  it('writes a checkpoint without a pool or rng', async () => {
    const want: Checkpoint = { ...checkpoint(5), pool: null, rng: null, arrays: {}, scalars: {} };
    await ws.store.writeCheckpoint(runId, want);
    const got = await ws.store.readCheckpoint(runId, 5);
    expect(got.pool).toBeNull();
    expect(got.rng).toBeNull();
    expect(got.arrays).toEqual({});
    expect(sameBytes(got.params, want.params)).toBe(true);
  });

  it('returns null when a run has no checkpoint, and names what exists when one is missing', async () => {
    expect(await ws.store.readLatestCheckpoint(runId)).toBeNull();
    await ws.store.writeCheckpoint(runId, checkpoint(10));
    await expect(ws.store.readCheckpoint(runId, 20)).rejects.toThrow(`run "${runId}" has no checkpoint at generation 20 (it has 10)`);
  });

  it('refuses params that do not fit the run model', async () => {
    await expect(ws.store.writeCheckpoint(runId, { ...checkpoint(1), params: new Float32Array(2080) }))
      .rejects.toThrow(`run "${runId}": checkpoint params hold 2080 floats, the run's model needs 2048`);
    const bad = checkpoint(1);
    bad.pool = { ...bad.pool!, n: 4 };
    await expect(ws.store.writeCheckpoint(runId, bad)).rejects.toThrow('checkpoint pool: 4×9×9×16 needs 5184 floats, got 3888');
    expect(readdirSync(ckptDir())).toEqual([]);
  });

  it('keeps the newest 3 (or `keep`), and drops later generations after a rewind', async () => {
    for (const g of [10, 20, 30, 40, 50]) await ws.store.writeCheckpoint(runId, checkpoint(g));
    expect((await ws.store.listCheckpoints(runId)).map((c) => c.generation)).toEqual([30, 40, 50]);
    await ws.store.writeCheckpoint(runId, checkpoint(60), { keep: 1 });
    expect((await ws.store.listCheckpoints(runId)).map((c) => c.generation)).toEqual([60]);
    for (const g of [70, 80]) await ws.store.writeCheckpoint(runId, checkpoint(g));
    // resumed from 70, the run writes 75: 80 belongs to the abandoned future
    await ws.store.writeCheckpoint(runId, checkpoint(75));
    expect((await ws.store.listCheckpoints(runId)).map((c) => c.generation)).toEqual([60, 70, 75]);
    expect((await ws.store.getRun(runId)).checkpointGeneration).toBe(75);
    expect(readdirSync(ckptDir()).sort()).toEqual(['ckpt-000000060.nckpt', 'ckpt-000000070.nckpt', 'ckpt-000000075.nckpt']);
    await expect(ws.store.writeCheckpoint(runId, checkpoint(90), { keep: 0 })).rejects.toThrow('keep must be an integer ≥ 1, got 0');
  });

  it('falls back to the older checkpoint when the newest is corrupt, and says which file it used', async () => {
    const older = checkpoint(10);
    await ws.store.writeCheckpoint(runId, older);
    await ws.store.writeCheckpoint(runId, checkpoint(20));
    const newest = join(ckptDir(), 'ckpt-000000020.nckpt');
    const good = readFileSync(newest);

    // a flipped bit in the payload
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5] ^= 0x10;
    writeFileSync(newest, flipped);
    let got = await ws.store.readLatestCheckpoint(runId);
    expectSame(got!, older);
    expect(basename(got!.file)).toBe('ckpt-000000010.nckpt');
    expect(got!.fallbacks).toHaveLength(1);
    expect(got!.fallbacks[0].file).toBe(newest);
    expect(got!.fallbacks[0].problem).toMatch(/^checksum mismatch: the payload's CRC-32 is [0-9a-f]{8}, the header says [0-9a-f]{8}/);

    // cut short (a crash before the rename cannot do this, but a copy or a bad disk can)
    writeFileSync(newest, good.subarray(0, good.length - 1000));
    got = await ws.store.readLatestCheckpoint(runId);
    expect(got!.generation).toBe(10);
    expect(got!.fallbacks[0].problem).toBe(`truncated: ${good.length - 1000} bytes, the header says ${good.length}`);

    // bad magic
    const magic = Buffer.from(good);
    magic.write('NOTCKPT!', 0, 'latin1');
    writeFileSync(newest, magic);
    got = await ws.store.readLatestCheckpoint(runId);
    expect(got!.generation).toBe(10);
    expect(got!.fallbacks[0].problem).toBe('not an NCA Lab checkpoint (bad magic "NOTCKPT!", expected "NCACKPT1")');

    // the header is damaged
    const notJson = Buffer.from(good);
    notJson[12] = 'X'.charCodeAt(0);
    writeFileSync(newest, notJson);
    got = await ws.store.readLatestCheckpoint(runId);
    expect(got!.generation).toBe(10);
    expect(got!.fallbacks[0].problem).toMatch(/^malformed header \(not JSON: /);

    // a header whose generation was altered (the payload CRC cannot see it; the file name can)
    const text = good.toString('latin1');
    expect(text).toContain('"generation":20,');
    writeFileSync(newest, Buffer.from(text.replace('"generation":20,', '"generation":30,'), 'latin1'));
    got = await ws.store.readLatestCheckpoint(runId);
    expect(got!.generation).toBe(10);
    expect(got!.fallbacks[0].problem).toBe('its header says generation 30, its name 20');

    // the corrupt file was not deleted
    expect(readdirSync(ckptDir()).sort()).toEqual(['ckpt-000000010.nckpt', 'ckpt-000000020.nckpt']);
  });

  it('gives a clear error when no checkpoint is readable', async () => {
    await ws.store.writeCheckpoint(runId, checkpoint(10));
    const file = join(ckptDir(), 'ckpt-000000010.nckpt');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(ws.store.readLatestCheckpoint(runId)).rejects.toThrow(
      new RegExp(`^run "${runId}": no readable checkpoint: ${file.replace(/[/\\.]/g, '\\$&')}: checksum mismatch`),
    );
    await expect(ws.store.readCheckpoint(runId, 10)).rejects.toThrow(`checkpoint ${file}: checksum mismatch`);
    writeFileSync(file, Buffer.alloc(5));
    await expect(ws.store.readLatestCheckpoint(runId)).rejects.toThrow(`${file}: truncated: 5 bytes, shorter than the 12-byte prefix`);
  });

  it('on a full disk keeps the previous checkpoint, removes the partial file and says the disk is full', async () => {
    await ws.store.writeCheckpoint(runId, checkpoint(10));
    const before = readFileSync(join(ckptDir(), 'ckpt-000000010.nckpt'));
    let written = 0;
    // a disk with room for 20 kB more
    const fullDisk: StoreFs = {
      ...nodeStoreFs,
      async open(path, flags) {
        const h = await nodeStoreFs.open(path, flags);
        if (!path.endsWith('.tmp')) return h;
        const failing: WriteHandle = {
          async write(buf, offset, length, position) {
            if (written + length > 20_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            written += length;
            return h.write(buf, offset, length, position);
          },
          sync: () => h.sync(),
          close: () => h.close(),
        };
        return failing;
      },
    };
    const store = new LabStore(ws.dir, { fs: fullDisk, versions: TEST_VERSIONS });
    const target = join(ckptDir(), 'ckpt-000000020.nckpt');
    const err = (await store.writeCheckpoint(runId, checkpoint(20)).then(() => null, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`the disk is full: cannot write checkpoint ${target} (ENOSPC); the previous checkpoint is untouched and the partial file was removed. Free some space and try again.`);
    expect(written).toBeGreaterThan(0);
    expect(readdirSync(ckptDir())).toEqual(['ckpt-000000010.nckpt']);
    expect(readFileSync(join(ckptDir(), 'ckpt-000000010.nckpt')).equals(before)).toBe(true);
    expect((await ws.store.getRun(runId)).checkpointGeneration).toBe(10);
    expectSame((await ws.store.readLatestCheckpoint(runId))!, checkpoint(10));

    // any other write error names the file too
    const eio: StoreFs = { ...nodeStoreFs, rename: async () => { throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' }); } };
    await expect(new LabStore(ws.dir, { fs: eio, versions: TEST_VERSIONS }).writeCheckpoint(runId, checkpoint(30)))
      .rejects.toThrow(`cannot write checkpoint ${join(ckptDir(), 'ckpt-000000030.nckpt')}: EIO: i/o error, rename; the previous checkpoint is untouched`);
    expect(readdirSync(ckptDir())).toEqual(['ckpt-000000010.nckpt']);
  });

  it('streams a large pool in bounded chunks and reads it back exactly', async () => {
    const chunks: number[] = [];
    const recording: StoreFs = {
      ...nodeStoreFs,
      async open(path, flags) {
        const h = await fsOpen(path, flags);
        if (!basename(path).startsWith('.ckpt-')) return h;
        return {
          write: (buf: Uint8Array, offset: number, length: number, position?: number | null) => {
            chunks.push(length);
            return h.write(buf, offset, length, position);
          },
          sync: () => h.sync(),
          close: () => h.close(),
        };
      },
    };
    const store = new LabStore(ws.dir, { fs: recording, versions: TEST_VERSIONS });
    // 40 × 72×72×16 floats = 13.3 MB: more than one 8 MiB chunk
    const want = checkpoint(7, { poolN: 40, grid: 72 });
    await store.writeCheckpoint(runId, want);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(chunks.filter((c) => c > 1_000_000).length).toBeGreaterThanOrEqual(2);
    const file = join(ckptDir(), 'ckpt-000000007.nckpt');
    expect(statSync(file).size).toBe(chunks.reduce((a, b) => a + b, 0));
    expectSame(await store.readCheckpoint(runId, 7), want);
  });
});
