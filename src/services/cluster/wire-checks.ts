/**
 * The field checks every shape read from the cluster's Redis is built from: what arrives was written by another
 * machine, so each field is checked and a wrong one is named with its path (`es generation.x0.height must be …`).
 * Used by the cluster protocol (protocol.ts) and by the job kinds' wire forms (workers/lab-jobs.ts); no Redis
 * and no codec here, so a worker process that imports the job table loads neither. The shapes the two share are
 * zod schemas (shared/schema.ts, the house's way to declare a boundary); the field checks below are what the job
 * kinds' hand-written parsers are still built from.
 */
import type { NcaConfig } from '../../core/nca/config';
import * as z from 'zod';
import { float32Array, integer, parseWith } from '../../shared/schema';

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
/** A batch of NCA states on the wire: the sizes and data that agrees with them (core/nca/state.ts). */
export const STATE_BATCH = z
  .strictObject({ n: integer(1, 1 << 16), height: integer(1, 4096), width: integer(1, 4096), channels: integer(1, 256), data: float32Array })
  .superRefine((s, ctx) => {
    const want = s.n * s.height * s.width * s.channels;
    if (s.data.length !== want) ctx.addIssue({ code: 'custom', path: ['data'], message: `must have ${want} entries (n × height × width × channels), got ${s.data.length}` });
  });

/** The NCA's config on the wire, field by field as core/nca/config.ts declares it. */
export const NCA_CONFIG_FIELDS = {
  channels: integer(4, 256), hidden: integer(1, 4096), bias1: z.boolean(), bias2: z.boolean(), fireRate: z.number(), aliveThreshold: z.number(), stepSize: z.number(),
} satisfies { [K in keyof NcaConfig]-?: z.ZodType<NcaConfig[K]> };

/**
 * A job payload's NCA config (workers/lab-jobs.ts): fields beyond NcaConfig's are left out, not refused, since an
 * experiment's config may come from a model file that records more about its model.
 */
export function ncaConfig(v: unknown, what: string): NcaConfig {
  return parseWith(NCA_CONFIG_STRIPPED, v, what);
}
const NCA_CONFIG_STRIPPED = z.object(NCA_CONFIG_FIELDS);
