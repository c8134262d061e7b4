/**
 * The benchmark's shapes in valibot (strict objects, the same ranges as the hand-written checks): the progress
 * event derived from the metric table, the worker's slice-result message, and the cluster's es generation and
 * slice result. Only scripts/bench-validation.ts uses them.
 */
import * as v from 'valibot';
import { METRIC_KEYS, metricDef } from '../../src/shared/metrics';

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const seconds = v.pipe(v.number(), v.minValue(0));
const value = v.nullable(v.number());
const metricShape = Object.fromEntries(
  METRIC_KEYS.map((k) => {
    const d = metricDef(k);
    const s = d.kind === 'count' ? count : d.kind === 'seconds' ? seconds : value;
    return [k, d.optional ? v.optional(s) : s];
  }),
);
export const progressEvent = v.strictObject({
  ...metricShape,
  runId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  optimizer: v.picklist(['es', 'adam']),
  generationsPerSec: v.optional(v.number()),
  mutantsPerSec: v.optional(v.number()),
  iterationsPerSec: v.optional(v.number()),
});

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
export const stateBatch = v.pipe(
  v.strictObject({ n: int(1, 1 << 16), height: int(1, 4096), width: int(1, 4096), channels: int(1, 256), data: v.instance(Float32Array) }),
  v.forward(
    v.check((s) => s.data.length === s.n * s.height * s.width * s.channels, 'data must have n × height × width × channels entries'),
    ['data'],
  ),
);

export const sliceResultMessage = v.strictObject({
  type: v.literal('result'),
  id: int(0),
  payload: v.strictObject({
    memberStart: int(0, 1 << 24),
    losses: v.array(v.number()),
    sampleLosses: v.array(v.array(v.number())),
    steps: v.array(v.number()),
    best: v.nullable(v.strictObject({ member: int(0, 1 << 24), loss: v.number(), final: stateBatch })),
  }),
});

export const esGeneration = v.pipe(
  v.strictObject({
    generation: int(1),
    params: v.instance(Float32Array),
    x0: stateBatch,
    wantBest: v.boolean(),
    sigma: v.number(),
    sigmaVector: v.optional(v.instance(Float32Array)),
  }),
  v.forward(v.check((g) => !g.sigmaVector || g.sigmaVector.length === g.params.length, 'sigmaVector must have one entry per parameter'), ['sigmaVector']),
);

export const sliceWireResult = v.strictObject({
  memberStart: int(0, 1 << 24),
  losses: v.instance(Float64Array),
  sampleLosses: v.instance(Float64Array),
  batch: int(0, 1 << 16),
  steps: v.instance(Float64Array),
  best: v.nullable(v.strictObject({ member: int(0, 1 << 24), loss: v.number(), final: stateBatch })),
  worker: v.pipe(v.string(), v.minLength(1), v.maxLength(400)),
});
