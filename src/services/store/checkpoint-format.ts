/**
 * The checkpoint file (`runs/<id>/checkpoints/ckpt-<generation, 9 digits>.nckpt`): one binary file holding
 * everything needed to continue a run exactly (parameters, optimizer state, sample pool, random stream).
 *
 *   bytes 0..7    magic "NCACKPT1"
 *   bytes 8..11   uint32 LE: header length H (the JSON is space-padded so that 12 + H is a multiple of 4)
 *   bytes 12..    UTF-8 JSON header (CheckpointHeader)
 *   then          the payload: little-endian float32 arrays, back to back (so every one is 4-byte aligned):
 *                 params, each optimizer array (header order), the pool's states
 *
 * The header's `crc32` covers the whole payload; its `payloadBytes` gives the expected file size, so a short
 * file and a flipped bit are both told apart from a good one. Pools of 1024 × 72×72×16 floats (≈340 MB) occur
 * in M presets: writes stream each array in chunks straight from its Float32Array, and reads fill fresh
 * Float32Arrays straight from the file, so no full-size intermediate buffer is ever built.
 *
 * Why one file of this length: the writer and the reader of one binary format, kept side by side so that every
 * field's encoding and its check are read together.
 */
import { open, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import type { StateBatch } from '../../core/nca/state';
import type { RngState } from '../../core/rng/philox';
import type { Checkpoint, CheckpointScalar } from '../../shared/run-record';
import type { RunConfig } from '../../shared/training-config';
import { writeFileAtomic, type StoreFs } from './atomic-file';
import { fail, isRecord } from '../../shared/validate';

export const CHECKPOINT_MAGIC = 'NCACKPT1';
export const CHECKPOINT_FORMAT_VERSION = 1;
const PREFIX_BYTES = 12;
/** Chunk size for streaming payloads to and from disk. */
const CHUNK_BYTES = 8 * 1024 * 1024;
/** A header larger than this is not one of ours (a corrupt length field would otherwise allocate gigabytes). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Where one float32 array lies in the payload: byte offset from the payload start, length in floats. */
export interface PayloadSlot {
  offset: number;
  length: number;
}

/** A non-finite number inside the scalars, which JSON cannot hold. */
type EncodedScalar = number | string | boolean | null | { nonFinite: 'NaN' | 'Infinity' | '-Infinity' } | EncodedScalar[];

export interface CheckpointHeader {
  formatVersion: 1;
  generation: number;
  evaluations: number;
  wallSeconds: number;
  createdAt: string;
  scalars: Record<string, EncodedScalar>;
  rng: RngState | null;
  params: PayloadSlot;
  arrays: Record<string, PayloadSlot>;
  pool: { n: number; height: number; width: number; channels: number; data: PayloadSlot } | null;
  payloadBytes: number;
  /** CRC-32 (zlib's) of the payload bytes, as 8 hex digits */
  crc32: string;
  /** the run the checkpoint belongs to, so the file alone is enough to load its model */
  run: { id: string; config: RunConfig } | null;
}

/** A checkpoint file that cannot be used; the message names the file and the problem. */
export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
  constructor(readonly file: string, readonly problem: string) {
    super(`checkpoint ${file}: ${problem}`);
  }
}

export function checkpointFileName(generation: number): string {
  return `ckpt-${String(generation).padStart(9, '0')}.nckpt`;
}

/** The generation in a checkpoint file name, or null for any other name. */
export function generationOfCheckpointFile(name: string): number | null {
  const m = /^ckpt-(\d{9,})\.nckpt$/.exec(name);
  return m ? Number(m[1]) : null;
}

// ---- validation of what a trainer hands in ----

function checkCount(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`checkpoint ${what} must be an integer ≥ 0, got ${v}`);
}

/** Refuses a checkpoint that could not be read back as it was given. */
export function validateCheckpoint(ckpt: Checkpoint): void {
  checkCount(ckpt.generation, 'generation');
  checkCount(ckpt.evaluations, 'evaluations');
  if (!(Number.isFinite(ckpt.wallSeconds) && ckpt.wallSeconds >= 0)) throw new RangeError(`checkpoint wallSeconds must be a number ≥ 0, got ${ckpt.wallSeconds}`);
  if (!(ckpt.params instanceof Float32Array)) throw new TypeError('checkpoint params must be a Float32Array');
  for (const [name, a] of Object.entries(ckpt.arrays)) {
    if (!(a instanceof Float32Array)) throw new TypeError(`checkpoint array "${name}" must be a Float32Array`);
  }
  for (const [name, v] of Object.entries(ckpt.scalars)) {
    const ok = v === null || ['number', 'string', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!ok) throw new TypeError(`checkpoint scalar "${name}" must be a number, string, boolean, null or number[], got ${typeof v}`);
  }
  if (ckpt.pool) {
    const p = ckpt.pool;
    for (const k of ['n', 'height', 'width', 'channels'] as const) checkCount(p[k], `pool.${k}`);
    if (!(p.data instanceof Float32Array) || p.data.length !== p.n * p.height * p.width * p.channels) {
      throw new RangeError(`checkpoint pool: ${p.n}×${p.height}×${p.width}×${p.channels} needs ${p.n * p.height * p.width * p.channels} floats, got ${p.data?.length}`);
    }
  }
  if (ckpt.rng && !isRngState(ckpt.rng)) throw new RangeError(`checkpoint rng is not a Philox state: ${JSON.stringify(ckpt.rng)}`);
}

/** The shape of core/rng/philox.ts's RngState. */
export function isRngState(v: unknown): v is RngState {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const pair = (x: unknown) => Array.isArray(x) && x.length === 2 && x.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
  return pair(r.key) && pair(r.counter) && pair(r.stream) && Number.isInteger(r.used) && (r.used as number) >= 0 && (r.used as number) <= 4
    && (r.spareNormal === null || (typeof r.spareNormal === 'number' && Number.isFinite(r.spareNormal)));
}

function encodeScalar(v: CheckpointScalar | number): EncodedScalar {
  if (typeof v === 'number' && !Number.isFinite(v)) return { nonFinite: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
  if (Array.isArray(v)) return v.map((x) => encodeScalar(x));
  return v;
}

function decodeScalar(v: unknown, file: string, name: string): CheckpointScalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => decodeScalar(x, file, name) as number);
  const nf = (v as { nonFinite?: unknown }).nonFinite;
  if (nf === 'NaN') return NaN;
  if (nf === 'Infinity') return Infinity;
  if (nf === '-Infinity') return -Infinity;
  throw new CheckpointFormatError(file, `malformed header: scalar "${name}" is ${JSON.stringify(v)}`);
}

// ---- float32 ↔ little-endian bytes ----

/** Bytes [start, end) of `a` as little-endian float32: a view on LE machines, a swapped copy on BE ones. */
function leBytes(a: Float32Array, startByte: number, endByte: number): Uint8Array {
  const view = new Uint8Array(a.buffer, a.byteOffset + startByte, endByte - startByte);
  if (LITTLE_ENDIAN) return view;
  const copy = Uint8Array.from(view);
  swap32(copy);
  return copy;
}

function swap32(b: Uint8Array): void {
  for (let i = 0; i + 3 < b.length; i += 4) {
    const t0 = b[i];
    const t1 = b[i + 1];
    b[i] = b[i + 3];
    b[i + 1] = b[i + 2];
    b[i + 2] = t1;
    b[i + 3] = t0;
  }
}

function* chunksOf(a: Float32Array): Generator<[number, number]> {
  for (let s = 0; s < a.byteLength; s += CHUNK_BYTES) yield [s, Math.min(a.byteLength, s + CHUNK_BYTES)];
}

// ---- writing ----

/** The payload arrays in file order. */
function payloadOrder(ckpt: Checkpoint): { key: string; data: Float32Array }[] {
  return [
    { key: 'params', data: ckpt.params },
    ...Object.entries(ckpt.arrays).map(([name, data]) => ({ key: `arrays.${name}`, data })),
    ...(ckpt.pool ? [{ key: 'pool', data: ckpt.pool.data }] : []),
  ];
}

/** Builds the header (with the payload's CRC, computed chunk by chunk) for `ckpt`. */
export function checkpointHeader(ckpt: Checkpoint, run: CheckpointHeader['run'], now = new Date()): { header: CheckpointHeader; order: Float32Array[] } {
  validateCheckpoint(ckpt);
  const parts = payloadOrder(ckpt);
  let offset = 0;
  let crc = 0;
  const slots = new Map<string, PayloadSlot>();
  for (const p of parts) {
    slots.set(p.key, { offset, length: p.data.length });
    offset += p.data.byteLength;
    for (const [s, e] of chunksOf(p.data)) crc = crc32(leBytes(p.data, s, e), crc);
  }
  const arrays: Record<string, PayloadSlot> = {};
  for (const name of Object.keys(ckpt.arrays)) arrays[name] = slots.get(`arrays.${name}`)!;
  const scalars: Record<string, EncodedScalar> = {};
  for (const [k, v] of Object.entries(ckpt.scalars)) scalars[k] = encodeScalar(v);
  const header: CheckpointHeader = {
    formatVersion: 1,
    generation: ckpt.generation,
    evaluations: ckpt.evaluations,
    wallSeconds: ckpt.wallSeconds,
    createdAt: now.toISOString(),
    scalars,
    rng: ckpt.rng ? structuredClone(ckpt.rng) : null,
    params: slots.get('params')!,
    arrays,
    pool: ckpt.pool
      ? { n: ckpt.pool.n, height: ckpt.pool.height, width: ckpt.pool.width, channels: ckpt.pool.channels, data: slots.get('pool')! }
      : null,
    payloadBytes: offset,
    crc32: (crc >>> 0).toString(16).padStart(8, '0'),
    run,
  };
  return { header, order: parts.map((p) => p.data) };
}

function headerBytes(header: CheckpointHeader): Buffer {
  let json = JSON.stringify(header);
  const raw = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((4 - ((PREFIX_BYTES + raw) % 4)) % 4);
  const body = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(body.length, 8);
  return Buffer.concat([prefix, body]);
}

/** Writes a checkpoint file atomically (see atomic-file.ts), streaming the payload in chunks. */
export async function writeCheckpointFile(path: string, ckpt: Checkpoint, run: CheckpointHeader['run'], fs?: StoreFs): Promise<CheckpointHeader> {
  const { header, order } = checkpointHeader(ckpt, run);
  await writeFileAtomic(path, async (sink) => {
    await sink(headerBytes(header));
    for (const a of order) for (const [s, e] of chunksOf(a)) await sink(leBytes(a, s, e));
  }, { what: 'checkpoint', fs });
  return header;
}

// ---- reading ----

const checkpointProblem = (file: string, problem: string) => new CheckpointFormatError(file, problem);
/** A checkpoint problem, thrown as CheckpointFormatError (a declaration, so `never` narrows at call sites). */
function failCheckpoint(file: string, problem: string): never {
  return fail(file, problem, checkpointProblem);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseSlot(v: unknown, file: string, what: string): PayloadSlot {
  if (!isRecord(v) || !isCount(v.offset) || !isCount(v.length) || v.offset % 4 !== 0) {
    failCheckpoint(file, `malformed header: ${what} is not {offset, length} with a 4-byte-aligned offset (${JSON.stringify(v)})`);
  }
  return { offset: v.offset, length: v.length };
}

function parseHeader(json: unknown, file: string): CheckpointHeader {
  if (!isRecord(json)) failCheckpoint(file, 'malformed header: not a JSON object');
  const h = json;
  if (h.formatVersion !== CHECKPOINT_FORMAT_VERSION) failCheckpoint(file, `unsupported checkpoint format version ${JSON.stringify(h.formatVersion)} (this lab reads ${CHECKPOINT_FORMAT_VERSION})`);
  for (const k of ['generation', 'evaluations', 'payloadBytes'] as const) {
    if (!isCount(h[k])) failCheckpoint(file, `malformed header: ${k} must be an integer ≥ 0, got ${JSON.stringify(h[k])}`);
  }
  if (!(typeof h.wallSeconds === 'number' && h.wallSeconds >= 0)) failCheckpoint(file, `malformed header: wallSeconds is ${JSON.stringify(h.wallSeconds)}`);
  if (typeof h.crc32 !== 'string' || !/^[0-9a-f]{8}$/.test(h.crc32)) failCheckpoint(file, `malformed header: crc32 is ${JSON.stringify(h.crc32)}`);
  if (!isRecord(h.scalars)) failCheckpoint(file, 'malformed header: scalars is not an object');
  if (!isRecord(h.arrays)) failCheckpoint(file, 'malformed header: arrays is not an object');
  const arrays: Record<string, PayloadSlot> = {};
  for (const [name, slot] of Object.entries(h.arrays)) arrays[name] = parseSlot(slot, file, `array "${name}"`);
  let pool: CheckpointHeader['pool'] = null;
  if (h.pool !== null && h.pool !== undefined) {
    const p = h.pool;
    if (!isRecord(p) || !isCount(p.n) || !isCount(p.height) || !isCount(p.width) || !isCount(p.channels)) {
      failCheckpoint(file, `malformed header: pool shape is ${JSON.stringify(p)}`);
    }
    const data = parseSlot(p.data, file, 'pool');
    if (data.length !== p.n * p.height * p.width * p.channels) {
      failCheckpoint(file, `malformed header: pool ${p.n}×${p.height}×${p.width}×${p.channels} does not match its ${data.length} floats`);
    }
    pool = { n: p.n, height: p.height, width: p.width, channels: p.channels, data };
  }
  const run = isRecord(h.run) && typeof h.run.id === 'string' && isRecord(h.run.config)
    ? { id: h.run.id, config: h.run.config as unknown as RunConfig }
    : null;
  return {
    formatVersion: 1,
    generation: h.generation as number,
    evaluations: h.evaluations as number,
    wallSeconds: h.wallSeconds,
    createdAt: typeof h.createdAt === 'string' ? h.createdAt : '',
    scalars: h.scalars as Record<string, EncodedScalar>,
    rng: h.rng === null || h.rng === undefined ? null : isRngState(h.rng) ? h.rng : failCheckpoint(file, `malformed header: rng is ${JSON.stringify(h.rng)}`),
    params: parseSlot(h.params, file, 'params'),
    arrays,
    pool,
    payloadBytes: h.payloadBytes as number,
    crc32: h.crc32,
    run,
  };
}

/** Reads `length` bytes at `position` into `into`, or fails naming the file as truncated. */
async function readFully(fh: Awaited<ReturnType<typeof open>>, into: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) failCheckpoint(file, `truncated: the file ends at byte ${position + done}, expected ${position + into.length} bytes or more`);
    done += bytesRead;
  }
}

export interface CheckpointFile {
  checkpoint: Checkpoint;
  header: CheckpointHeader;
}

/** Reads only the header (for listings and for `loadModel` of a checkpoint, which needs its run config). */
export async function readCheckpointHeader(file: string): Promise<{ header: CheckpointHeader; payloadStart: number; size: number }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') failCheckpoint(file, 'no such file');
    throw err;
  }
  if (size < PREFIX_BYTES) failCheckpoint(file, `truncated: ${size} bytes, shorter than the ${PREFIX_BYTES}-byte prefix`);
  const fh = await open(file, 'r');
  try {
    const prefix = Buffer.alloc(PREFIX_BYTES);
    await readFully(fh, prefix, 0, file);
    const magic = prefix.toString('latin1', 0, 8);
    if (magic !== CHECKPOINT_MAGIC) failCheckpoint(file, `not an NCA Lab checkpoint (bad magic ${JSON.stringify(magic)}, expected "${CHECKPOINT_MAGIC}")`);
    const headerLength = prefix.readUInt32LE(8);
    if (headerLength > MAX_HEADER_BYTES || PREFIX_BYTES + headerLength > size) {
      failCheckpoint(file, `truncated or corrupt: the header claims ${headerLength} bytes, the file has ${size - PREFIX_BYTES} after the prefix`);
    }
    const body = Buffer.alloc(headerLength);
    await readFully(fh, body, PREFIX_BYTES, file);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      failCheckpoint(file, `malformed header (not JSON: ${(err as Error).message})`);
    }
    const header = parseHeader(json, file);
    const payloadStart = PREFIX_BYTES + headerLength;
    if (payloadStart % 4 !== 0) failCheckpoint(file, `malformed: the payload starts at byte ${payloadStart}, not 4-byte aligned`);
    if (size !== payloadStart + header.payloadBytes) {
      failCheckpoint(file, size < payloadStart + header.payloadBytes
        ? `truncated: ${size} bytes, the header says ${payloadStart + header.payloadBytes}`
        : `${size - payloadStart - header.payloadBytes} unexpected bytes after the payload (${size} bytes, the header says ${payloadStart + header.payloadBytes})`);
    }
    return { header, payloadStart, size };
  } finally {
    await fh.close();
  }
}

/** Reads and verifies a checkpoint file (magic, sizes, directory, CRC-32); every array is a fresh Float32Array. */
export async function readCheckpointFile(file: string): Promise<CheckpointFile> {
  const { header, payloadStart } = await readCheckpointHeader(file);
  // The slots must tile the payload exactly, in order, so the CRC pass reads each byte once.
  const slots: { key: string; slot: PayloadSlot }[] = [
    { key: 'params', slot: header.params },
    ...Object.entries(header.arrays).map(([name, slot]) => ({ key: `arrays.${name}`, slot })),
    ...(header.pool ? [{ key: 'pool', slot: header.pool.data }] : []),
  ].sort((a, b) => a.slot.offset - b.slot.offset);
  let expected = 0;
  for (const { key, slot } of slots) {
    if (slot.offset !== expected) failCheckpoint(file, `malformed directory: ${key} starts at payload byte ${slot.offset}, expected ${expected}`);
    expected += slot.length * 4;
  }
  if (expected !== header.payloadBytes) failCheckpoint(file, `malformed directory: the arrays cover ${expected} payload bytes, the header says ${header.payloadBytes}`);

  const fh = await open(file, 'r');
  const out = new Map<string, Float32Array>();
  let crc = 0;
  try {
    for (const { key, slot } of slots) {
      const a = new Float32Array(slot.length);
      const bytes = new Uint8Array(a.buffer);
      for (let s = 0; s < bytes.length; s += CHUNK_BYTES) {
        const part = bytes.subarray(s, Math.min(bytes.length, s + CHUNK_BYTES));
        await readFully(fh, part, payloadStart + slot.offset + s, file);
        crc = crc32(part, crc);
      }
      if (!LITTLE_ENDIAN) swap32(bytes);
      out.set(key, a);
    }
  } finally {
    await fh.close();
  }
  const actual = (crc >>> 0).toString(16).padStart(8, '0');
  if (actual !== header.crc32) failCheckpoint(file, `checksum mismatch: the payload's CRC-32 is ${actual}, the header says ${header.crc32} (the file is corrupt)`);

  const arrays: Record<string, Float32Array> = {};
  for (const name of Object.keys(header.arrays)) arrays[name] = out.get(`arrays.${name}`)!;
  const scalars: Record<string, CheckpointScalar> = {};
  for (const [k, v] of Object.entries(header.scalars)) scalars[k] = decodeScalar(v, file, k);
  const pool: StateBatch | null = header.pool
    ? { n: header.pool.n, height: header.pool.height, width: header.pool.width, channels: header.pool.channels, data: out.get('pool')! }
    : null;
  const checkpoint: Checkpoint = {
    generation: header.generation,
    evaluations: header.evaluations,
    wallSeconds: header.wallSeconds,
    params: out.get('params')!,
    arrays,
    scalars,
    pool,
    rng: header.rng ? structuredClone(header.rng) : null,
  };
  return { checkpoint, header };
}
