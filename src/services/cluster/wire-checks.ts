/**
 * The field checks every shape read from the cluster's Redis is built from: what arrives was written by another
 * machine, so each field is checked and a wrong one is named with its path (`es generation.x0.height must be …`).
 * Used by the cluster protocol (protocol.ts) and by the job kinds' wire forms (workers/lab-jobs.ts); no Redis
 * and no codec here, so a worker process that imports the job table loads neither.
 */
import type { NcaConfig } from '../../core/nca/config';
import type { StateBatch } from '../../core/nca/state';

export type Obj = Record<string, unknown>;

export function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be an object`);
  return v as Obj;
}
export function int(o: Obj, k: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`${what}.${k} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}
export function num(o: Obj, k: string, what: string): number {
  const v = o[k];
  if (typeof v !== 'number') throw new Error(`${what}.${k} must be a number, got ${typeof v}`);
  return v;
}
export function bool(o: Obj, k: string, what: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Error(`${what}.${k} must be true or false, got ${String(v)}`);
  return v;
}
export function str(o: Obj, k: string, what: string, max = 400): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new Error(`${what}.${k} must be a non-empty string of at most ${max} characters`);
  return v;
}
export function f32(o: Obj, k: string, what: string, length?: number): Float32Array {
  const v = o[k];
  if (!(v instanceof Float32Array)) throw new Error(`${what}.${k} must be a Float32Array`);
  if (length !== undefined && v.length !== length) throw new Error(`${what}.${k} must have ${length} entries, got ${v.length}`);
  return v;
}
export function f64(o: Obj, k: string, what: string, length?: number): Float64Array {
  const v = o[k];
  if (!(v instanceof Float64Array)) throw new Error(`${what}.${k} must be a Float64Array`);
  if (length !== undefined && v.length !== length) throw new Error(`${what}.${k} must have ${length} entries, got ${v.length}`);
  return v;
}
const ID = /^[A-Za-z0-9_.~-]{1,160}$/;
export function id(o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string' || !ID.test(v)) throw new Error(`${what}.${k} must be an id of letters, digits and . _ ~ - (at most 160), got ${JSON.stringify(v)}`);
  return v;
}

export function stateBatch(v: unknown, what: string): StateBatch {
  const o = obj(v, what);
  const n = int(o, 'n', what, 1, 1 << 16);
  const height = int(o, 'height', what, 1, 4096);
  const width = int(o, 'width', what, 1, 4096);
  const channels = int(o, 'channels', what, 1, 256);
  return { n, height, width, channels, data: f32(o, 'data', what, n * height * width * channels) };
}

export function ncaConfig(v: unknown, what: string): NcaConfig {
  const o = obj(v, what);
  return {
    channels: int(o, 'channels', what, 4, 256), hidden: int(o, 'hidden', what, 1, 4096),
    bias1: bool(o, 'bias1', what), bias2: bool(o, 'bias2', what), fireRate: num(o, 'fireRate', what),
    aliveThreshold: num(o, 'aliveThreshold', what), stepSize: num(o, 'stepSize', what),
  };
}
