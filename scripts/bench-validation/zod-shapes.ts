/**
 * The benchmark's shapes in zod 4 (strict objects, the same ranges as the hand-written checks): the progress event
 * derived from the metric table, the worker's slice-result message, and the cluster's es generation and slice
 * result. Only scripts/bench-validation.ts uses them.
 */
import * as z from 'zod';
import { METRIC_KEYS, metricDef } from '../../src/shared/metrics';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().min(0);
const value = z.number().nullable();
const metricShape = Object.fromEntries(
  METRIC_KEYS.map((k) => {
    const d = metricDef(k);
    const s = d.kind === 'count' ? count : d.kind === 'seconds' ? seconds : value;
    return [k, d.optional ? s.optional() : s];
  }),
);
export const progressEvent = z.strictObject({
  ...metricShape,
  runId: z.string().min(1).max(200),
  optimizer: z.enum(['es', 'adam']),
  generationsPerSec: z.number().optional(),
  mutantsPerSec: z.number().optional(),
  iterationsPerSec: z.number().optional(),
});

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
export const stateBatch = z
  .strictObject({ n: int(1, 1 << 16), height: int(1, 4096), width: int(1, 4096), channels: int(1, 256), data: z.instanceof(Float32Array) })
  .refine((s) => s.data.length === s.n * s.height * s.width * s.channels, { message: 'data must have n × height × width × channels entries', path: ['data'] });

export const sliceResultMessage = z.strictObject({
  type: z.literal('result'),
  id: int(0),
  payload: z.strictObject({
    memberStart: int(0, 1 << 24),
    losses: z.array(z.number()),
    sampleLosses: z.array(z.array(z.number())),
    steps: z.array(z.number()),
    best: z.strictObject({ member: int(0, 1 << 24), loss: z.number(), final: stateBatch }).nullable(),
  }),
});

export const esGeneration = z
  .strictObject({
    generation: int(1),
    params: z.instanceof(Float32Array),
    x0: stateBatch,
    wantBest: z.boolean(),
    sigma: z.number(),
    sigmaVector: z.instanceof(Float32Array).optional(),
  })
  .refine((g) => !g.sigmaVector || g.sigmaVector.length === g.params.length, { message: 'sigmaVector must have one entry per parameter', path: ['sigmaVector'] });

export const sliceWireResult = z.strictObject({
  memberStart: int(0, 1 << 24),
  losses: z.instanceof(Float64Array),
  sampleLosses: z.instanceof(Float64Array),
  batch: int(0, 1 << 16),
  steps: z.instanceof(Float64Array),
  best: z.strictObject({ member: int(0, 1 << 24), loss: z.number(), final: stateBatch }).nullable(),
  worker: z.string().min(1).max(400),
});
