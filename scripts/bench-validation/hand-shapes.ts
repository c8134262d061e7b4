/**
 * The hand-written checks the benchmark measures zod 4 and valibot against: the cluster's es generation and slice
 * result parsers as src/services/cluster/protocol.ts wrote them before it declared its shapes with zod (main
 * a2c26b3), built from the field checks that workers/lab-jobs.ts still uses, and the progress event and worker
 * slice-result checks the lab would write in the same style (none runs today: both come from the lab's own
 * processes). Only scripts/bench-validation.ts uses them.
 */
import { bool, f32, f64, int, num, obj, str, type Obj } from '../../src/services/cluster/wire-checks';
import { METRIC_KEYS, metricDef, type RunProgressEvent } from '../../src/shared/metrics';
import { isWorkerMessage } from '../../src/services/workers/protocol';
import type { StateBatch } from '../../src/core/nca/state';
import type { EsSliceResult } from '../../src/core/es/slice';
import type { EsClusterGeneration, EsSliceJobData } from '../../src/services/cluster/protocol';

function strict(o: Obj, keys: readonly string[], what: string): void {
  for (const k in o) if (!keys.includes(k)) throw new Error(`${what} has fields this lab does not know: ${k}`);
}

export function stateBatch(v: unknown, what: string): StateBatch {
  const o = obj(v, what);
  const n = int(o, 'n', what, 1, 1 << 16);
  const height = int(o, 'height', what, 1, 4096);
  const width = int(o, 'width', what, 1, 4096);
  const channels = int(o, 'channels', what, 1, 256);
  return { n, height, width, channels, data: f32(o, 'data', what, n * height * width * channels) };
}

const GENERATION_KEYS = ['generation', 'params', 'x0', 'wantBest', 'sigma', 'sigmaVector'];
export function parseEsGeneration(v: unknown): EsClusterGeneration {
  const what = 'es generation';
  const o = obj(v, what);
  strict(o, GENERATION_KEYS, what);
  const out: EsClusterGeneration = {
    generation: int(o, 'generation', what, 1), params: f32(o, 'params', what), x0: stateBatch(o.x0, `${what}.x0`),
    wantBest: bool(o, 'wantBest', what), sigma: num(o, 'sigma', what),
  };
  if (o.sigmaVector !== undefined) out.sigmaVector = f32(o, 'sigmaVector', what);
  if (out.sigmaVector && out.sigmaVector.length !== out.params.length) {
    throw new Error(`${what}.sigmaVector must have ${out.params.length} entries, got ${out.sigmaVector.length}`);
  }
  return out;
}

export function parseSliceResult(v: unknown, job: EsSliceJobData): { result: EsSliceResult; worker: string } {
  const what = `result of slice ${job.slice} (members ${job.memberStart}–${job.memberEnd - 1}) of generation ${job.generation}`;
  const o = obj(v, what);
  const count = job.memberEnd - job.memberStart;
  if (o.memberStart !== job.memberStart) throw new Error(`${what}.memberStart must be ${job.memberStart}, got ${String(o.memberStart)}`);
  const losses = f64(o, 'losses', what, count);
  const batch = int(o, 'batch', what, 0, 1 << 16);
  const flat = f64(o, 'sampleLosses', what, count * batch);
  const steps = f64(o, 'steps', what, count);
  let best: EsSliceResult['best'] = null;
  if (o.best !== null && o.best !== undefined) {
    const b = obj(o.best, `${what}.best`);
    best = { member: int(b, 'member', `${what}.best`, job.memberStart, job.memberEnd - 1), loss: num(b, 'loss', `${what}.best`), final: stateBatch(b.final, `${what}.best.final`) };
  }
  const sampleLosses: number[][] = [];
  for (let i = 0; i < count; i++) sampleLosses.push(Array.from(flat.subarray(i * batch, (i + 1) * batch)));
  return { result: { memberStart: job.memberStart, losses: Array.from(losses), sampleLosses, steps: Array.from(steps), best }, worker: str(o, 'worker', what) };
}

const OPTIMIZER_IDS = ['es', 'adam'];
const THROUGHPUT = ['generationsPerSec', 'mutantsPerSec', 'iterationsPerSec'];
const EVENT_KEYS = [...METRIC_KEYS, 'runId', 'optimizer', ...THROUGHPUT];
export function progressEvent(value: unknown): RunProgressEvent {
  const what = 'progress event';
  const o = obj(value, what);
  strict(o, EVENT_KEYS, what);
  for (const k of METRIC_KEYS) {
    const x = o[k];
    const d = metricDef(k);
    if (x === undefined && d.optional) continue;
    if (d.kind === 'value') {
      if (x !== null && typeof x !== 'number') throw new Error(`${what}.${k} must be a number or null, got ${typeof x}`);
    } else if (d.kind === 'count') int(o, k, what, 0);
    else if (typeof x !== 'number' || !(x >= 0)) throw new Error(`${what}.${k} must be a number ≥ 0, got ${String(x)}`);
  }
  str(o, 'runId', what, 200);
  if (!OPTIMIZER_IDS.includes(o.optimizer as string)) throw new Error(`${what}.optimizer must be es or adam, got ${String(o.optimizer)}`);
  for (const k of THROUGHPUT) if (o[k] !== undefined) num(o, k, what);
  return o as RunProgressEvent;
}

function numbers(a: unknown, what: string): number[] {
  if (!Array.isArray(a)) throw new Error(`${what} must be a list of numbers`);
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'number') throw new Error(`${what}[${i}] must be a number, got ${typeof a[i]}`);
  return a as number[];
}
export function sliceResultMessage(value: unknown): { type: 'result'; id: number; payload: EsSliceResult } {
  if (!isWorkerMessage(value) || value.type !== 'result') throw new Error('worker message must be a result');
  const m = value as unknown as Obj;
  strict(m, ['type', 'id', 'payload'], 'result message');
  int(m, 'id', 'result message', 0);
  const what = 'result message.payload';
  const p = obj(m.payload, what);
  strict(p, ['memberStart', 'losses', 'sampleLosses', 'steps', 'best'], what);
  int(p, 'memberStart', what, 0, 1 << 24);
  numbers(p.losses, `${what}.losses`);
  numbers(p.steps, `${what}.steps`);
  if (!Array.isArray(p.sampleLosses)) throw new Error(`${what}.sampleLosses must be a list of lists of numbers`);
  (p.sampleLosses as unknown[]).forEach((row, i) => numbers(row, `${what}.sampleLosses[${i}]`));
  if (p.best !== null) {
    const b = obj(p.best, `${what}.best`);
    strict(b, ['member', 'loss', 'final'], `${what}.best`);
    int(b, 'member', `${what}.best`, 0, 1 << 24);
    num(b, 'loss', `${what}.best`);
    stateBatch(b.final, `${what}.best.final`);
  }
  return value as never;
}
