/**
 * What validating a message costs on the hot paths, hand-written checks against zod 4 and valibot (the same
 * shapes, strict objects: scripts/bench-validation/*-shapes.ts), plus what each says about a wrong nested field
 * and what each adds to a minified bundle. Prints figures and the machine's load; asserts nothing.
 *
 *   npm run bench:validation [-- --rounds 7 --ms 150]
 *
 * The shapes:
 * - progress event: a training session's RunProgressEvent (shared/metrics.ts), the metric row's wire form. No
 *   check runs on it today (it comes from the lab's own process); the hand-written one here is parseMetricRow's
 *   table-driven loop over the event, what the lab would write.
 * - worker slice result: the `result` message of an ES slice (workers/protocol.ts; 32 members × batch 8). Today
 *   only its tag is checked (isWorkerMessage); the hand-written full check here uses the cluster's wire checks.
 * - cluster es generation: parseEsGeneration (cluster/protocol.ts), θ of the thesis model and x0 of 8 × 40×40×16.
 * - cluster slice result: parseSliceResult (cluster/protocol.ts), the same slice in its wire form.
 * Each round times every implementation of every shape for --ms milliseconds, in an order that rotates from round
 * to round (so a load burst does not favour one); the table gives the median over rounds and its ratio to the
 * hand-written check's median.
 */
import { gzipSync } from 'node:zlib';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as z from 'zod';
import * as v from 'valibot';
import * as Z from './bench-validation/zod-shapes';
import * as V from './bench-validation/valibot-shapes';
import * as H from './bench-validation/hand-shapes';
import type { RunProgressEvent } from '../src/shared/metrics';
import { isWorkerMessage } from '../src/services/workers/protocol';
import { parseEsGeneration, parseSliceResult, sliceResultToWire, type EsSliceJobData } from '../src/services/cluster/protocol';
import type { EsSliceResult } from '../src/core/es/slice';
import { parseWith } from '../src/shared/schema';
import { messageOf } from '../src/shared/validate';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag('--rounds', 7);
const MS = flag('--ms', 150);

// ---- the messages ----

const event: RunProgressEvent = {
  runId: 'es-256-lizard-20261208-031500', optimizer: 'es', generation: 1234, evaluations: 1234 * 256 * 8, wallSeconds: 812.5,
  loss: 0.0123, bestLoss: 0.0101, lr: 0.01, eval40: 0.013, eval200: 0.02, eval1000: null, generationsPerSec: 3.2, mutantsPerSec: 820,
};
const MEMBERS = 32;
const BATCH = 8;
const sliceResult: EsSliceResult = {
  memberStart: 64,
  losses: Array.from({ length: MEMBERS }, (_, i) => 0.01 + i * 1e-4),
  sampleLosses: Array.from({ length: MEMBERS }, (_, i) => Array.from({ length: BATCH }, (_, j) => 0.01 + (i + j) * 1e-4)),
  steps: Array.from({ length: MEMBERS }, (_, i) => 30 + (i % 10)),
  best: null,
};
const resultMessage = { type: 'result', id: 17, payload: sliceResult };
const x0 = { n: 8, height: 40, width: 40, channels: 16, data: new Float32Array(8 * 40 * 40 * 16) };
const generation = { generation: 1234, params: new Float32Array(8_320), x0, wantBest: false, sigma: 0.02 };
const job: EsSliceJobData = { kind: 'es-slice', run: 'r1.s1', generation: 1234, slice: 2, memberStart: 64, memberEnd: 64 + MEMBERS };
const wireResult = sliceResultToWire(sliceResult, 'worker-a.1');

/**
 * The cluster's wire result after the schema: the checks that need the job (the schema cannot know it) and the
 * turn back into an EsSliceResult that parseSliceResult does too, so that all three do the same work.
 */
function afterSchema(r: { memberStart: number; losses: Float64Array; sampleLosses: Float64Array; batch: number; steps: Float64Array; best: EsSliceResult['best'] }): EsSliceResult {
  const count = job.memberEnd - job.memberStart;
  if (r.memberStart !== job.memberStart || r.losses.length !== count || r.steps.length !== count || r.sampleLosses.length !== count * r.batch) {
    throw new Error('slice result does not answer its job');
  }
  const sampleLosses: number[][] = [];
  for (let i = 0; i < count; i++) sampleLosses.push(Array.from(r.sampleLosses.subarray(i * r.batch, (i + 1) * r.batch)));
  return { memberStart: r.memberStart, losses: Array.from(r.losses), sampleLosses, steps: Array.from(r.steps), best: r.best };
}

// ---- timing ----

type Impl = { name: string; run: () => unknown };
const SHAPES: { shape: string; impls: Impl[] }[] = [
  {
    shape: 'progress event',
    impls: [
      { name: 'hand-written', run: () => H.progressEvent(event) },
      { name: 'zod 4', run: () => Z.progressEvent.parse(event) },
      { name: 'zod 4, parseWith', run: () => parseWith(Z.progressEvent, event, 'progress event') },
      { name: 'valibot', run: () => v.parse(V.progressEvent, event) },
    ],
  },
  {
    shape: 'worker slice result',
    impls: [
      { name: 'hand-written', run: () => H.sliceResultMessage(resultMessage) },
      { name: 'tag only (today)', run: () => isWorkerMessage(resultMessage) },
      { name: 'zod 4', run: () => Z.sliceResultMessage.parse(resultMessage) },
      { name: 'zod 4, parseWith', run: () => parseWith(Z.sliceResultMessage, resultMessage, 'result message') },
      { name: 'valibot', run: () => v.parse(V.sliceResultMessage, resultMessage) },
    ],
  },
  {
    shape: 'cluster es generation',
    impls: [
      { name: 'hand-written', run: () => H.parseEsGeneration(generation) },
      { name: 'zod 4', run: () => Z.esGeneration.parse(generation) },
      { name: 'the lab (zod 4)', run: () => parseEsGeneration(generation) },
      { name: 'valibot', run: () => v.parse(V.esGeneration, generation) },
    ],
  },
  {
    shape: 'cluster slice result',
    impls: [
      { name: 'hand-written', run: () => H.parseSliceResult(wireResult, job) },
      { name: 'zod 4', run: () => afterSchema(Z.sliceWireResult.parse(wireResult)) },
      { name: 'the lab (zod 4)', run: () => parseSliceResult(wireResult, job) },
      { name: 'valibot', run: () => afterSchema(v.parse(V.sliceWireResult, wireResult)) },
    ],
  },
];

let sink = 0;
/** ns per call over about MS milliseconds, in batches so the clock is read rarely. */
function time(run: () => unknown): number {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(MS * 1e6);
  let t = t0;
  while (t < end) {
    for (let i = 0; i < 200; i++) if (run()) sink++;
    calls += 200;
    t = process.hrtime.bigint();
  }
  return Number(t - t0) / calls;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function benchmark(): void {
  const samples = SHAPES.map((s) => s.impls.map(() => [] as number[]));
  SHAPES.forEach((s) => s.impls.forEach((impl) => time(impl.run))); // warm up every path (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    SHAPES.forEach((s, si) => {
      const n = s.impls.length;
      for (let j = 0; j < n; j++) {
        const i = (j + r) % n;
        samples[si][i].push(time(s.impls[i].run));
      }
    });
  }
  console.log(`\nper message, median of ${ROUNDS} alternating rounds of ${MS} ms (ratio to hand-written):`);
  SHAPES.forEach((s, si) => {
    const hand = median(samples[si][0]);
    console.log(`  ${s.shape}`);
    s.impls.forEach((impl, i) => {
      const m = median(samples[si][i]);
      const spread = `${Math.min(...samples[si][i]).toFixed(0)}–${Math.max(...samples[si][i]).toFixed(0)}`;
      console.log(`    ${impl.name.padEnd(18)}${`${m.toFixed(0)} ns`.padStart(10)}   ×${(m / hand).toFixed(2).padEnd(6)} (rounds ${spread} ns)`);
    });
  });
}

// ---- what each says about a wrong nested field ----

function messages(): void {
  const cases: [string, unknown][] = [
    ['x0.height = "40" (a string)', { ...generation, x0: { ...x0, height: '40' } }],
    ['x0.height = 5000 (out of range)', { ...generation, x0: { ...x0, height: 5000 } }],
    ['an extra field x0.depth', { ...generation, x0: { ...x0, depth: 1 } }],
  ];
  for (const [name, bad] of cases) messagesFor(name, bad);
}

function messagesFor(caseName: string, bad: unknown): void {
  const tries: [string, () => unknown][] = [
    ['hand-written', () => H.parseEsGeneration(bad)],
    ['the lab (zod 4, parseWith)', () => parseEsGeneration(bad)],
    ['zod 4 (error.message)', () => Z.esGeneration.parse(bad)],
    ['zod 4 (z.prettifyError)', () => {
      const r = Z.esGeneration.safeParse(bad);
      if (!r.success) throw new Error(z.prettifyError(r.error));
    }],
    ['valibot (error.message)', () => v.parse(V.esGeneration, bad)],
    ['valibot (v.summarize)', () => {
      const r = v.safeParse(V.esGeneration, bad);
      if (!r.success) throw new Error(v.summarize(r.issues));
    }],
  ];
  console.log(`\nes generation with ${caseName}, what the error says:`);
  for (const [name, run] of tries) {
    try {
      run();
      console.log(`  ${name}: accepted (!)`);
    } catch (err) {
      console.log(`  ${name}: ${messageOf(err).replace(/\s*\n\s*/g, ' ⏎ ')}`);
    }
  }
}

// ---- what each adds to a bundle ----

async function bundleSizes(): Promise<void> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const entries: [string, string][] = [
    ['hand-written', `const o = (v, w) => { if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(w + ' must be an object'); return v; };
      export const p = (x) => { const v = o(x, 's'); for (const k in v) if (!['a', 'b', 'c'].includes(k)) throw new Error('s has fields this lab does not know: ' + k);
        if (!Number.isInteger(v.a) || v.a < 0) throw new Error('s.a must be an integer ≥ 0, got ' + String(v.a));
        if (!(v.b instanceof Float32Array)) throw new Error('s.b must be a Float32Array');
        if (v.c !== null) { const c = o(v.c, 's.c'); if (typeof c.d !== 'boolean') throw new Error('s.c.d must be true or false'); } return v; };`],
    ['the lab (zod 4, shared/schema)', `import * as z from 'zod'; import { parseWith, integer, float32Array } from '../src/shared/schema'; const s = z.strictObject({ a: integer(0), b: float32Array, c: z.strictObject({ d: z.boolean() }).nullable() }); export const p = (x) => parseWith(s, x, 's');`],
    ['zod 4 (classic)', `import * as z from 'zod'; export const s = z.strictObject({ a: z.number().int().min(0), b: z.instanceof(Float32Array), c: z.strictObject({ d: z.boolean() }).nullable() }).refine(() => true);`],
    ['zod 4 (zod/mini)', `import * as z from 'zod/mini'; export const s = z.strictObject({ a: z.number().check(z.int(), z.minimum(0)), b: z.instanceof(Float32Array), c: z.nullable(z.strictObject({ d: z.boolean() })) }).check(z.refine(() => true));`],
    ['valibot', `import * as v from 'valibot'; export const s = v.pipe(v.strictObject({ a: v.pipe(v.number(), v.integer(), v.minValue(0)), b: v.instance(Float32Array), c: v.nullable(v.strictObject({ d: v.boolean() })) }), v.check(() => true)); export const p = (x) => v.parse(s, x);`],
  ];
  console.log('\nminified bundle of a small strict schema with its parse (esbuild, browser, tree-shaken):');
  for (const [name, contents] of entries) {
    const out = await build({
      stdin: { contents, resolveDir: here, loader: 'ts' }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false,
    });
    const bytes = out.outputFiles[0].contents;
    console.log(`  ${name.padEnd(30)}${`${(bytes.length / 1024).toFixed(1)} KiB`.padStart(10)}   gzip ${(gzipSync(bytes).length / 1024).toFixed(1)} KiB`);
  }
}

console.log(`validation cost, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
console.log(`load average (1, 5, 15 min) before: ${load()}`);
benchmark();
console.log(`load average after: ${load()}`);
messages();
await bundleSizes();
if (sink < 0) console.log(sink);
