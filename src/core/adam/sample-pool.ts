/**
 * Sample-pool variants for Adam (spec e, d.2, d.4), as pure functions on plain state batches and losses.
 *
 *  - 'none': every batch is B seeds; nothing is written back (thesis "NonSamplePools", M "Growing").
 *  - 'thesis' (= jankrepl, d.2): draw B distinct slots; after the rollout the sample with the highest
 *    post-rollout loss is replaced by the seed in the pool, the other B − 1 final states are written back.
 *  - 'mordvintsev' (d.4 "Persistent"): draw B slots, sort the batch by pre-rollout loss (worst first), put the
 *    seed into slot 0 of the batch, write all B final states back.
 *  - 'mordvintsev-regenerating' (d.4 "Regenerating"): as 'mordvintsev', and the `damageN` lowest-loss samples
 *    (the last ones after sorting) get a random circle erased (all channels) before the rollout.
 *
 * Write-back keeps each pool slot with the continuation of its own sample. (M's notebook writes the sorted
 * batch back into the slots in drawn order, i.e. it relabels the drawn slots; slots are drawn uniformly, so the
 * pool's distribution is the same.)
 */
import type { AdamPoolKind } from './settings';
import type { StateBatch } from '../nca/state';
import { stackStates } from '../nca/state';
import { rgbaMsePerSample } from '../nca/loss';
import { eraseCircle, randomCircle, type Circle } from '../damage/damage';
import type { Philox } from '../rng/philox';

/** A batch drawn for one iteration. */
export interface AdamBatch {
  /** the rollout's start states */
  x0: StateBatch;
  /** pool slot of each batch sample, or null when the batch does not come from the pool */
  slots: number[] | null;
  /** batch samples that got a circle erased (regenerating), with the circle */
  damaged: { sample: number; circle: Circle }[];
}

function sampleSize(s: StateBatch): number {
  return s.height * s.width * s.channels;
}

function checkSeed(seed: StateBatch, like: StateBatch | null): void {
  if (seed.n !== 1) throw new RangeError(`pool: the seed must be a batch of 1, got ${seed.n}`);
  if (like && (like.height !== seed.height || like.width !== seed.width || like.channels !== seed.channels)) {
    throw new RangeError(`pool: seed grid ${seed.height}×${seed.width}×${seed.channels} differs from the pool's ${like.height}×${like.width}×${like.channels}`);
  }
}

/** A pool of `size` copies of the seed (d.2: "pool initialised with 1024 seeds"). */
export function seedPool(seed: StateBatch, size: number): StateBatch {
  checkSeed(seed, null);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be an integer ≥ 1, got ${size}`);
  return stackStates(Array.from({ length: size }, () => seed));
}

/** Copies pool slots into a new batch, in the given order. */
export function gatherSlots(pool: StateBatch, slots: number[]): StateBatch {
  const size = sampleSize(pool);
  const out: StateBatch = { n: slots.length, height: pool.height, width: pool.width, channels: pool.channels, data: new Float32Array(slots.length * size) };
  slots.forEach((p, b) => {
    if (!Number.isInteger(p) || p < 0 || p >= pool.n) throw new RangeError(`pool slot ${p} is outside the pool of ${pool.n}`);
    out.data.set(pool.data.subarray(p * size, (p + 1) * size), b * size);
  });
  return out;
}

/** 'none': B seeds. */
export function seedBatch(seed: StateBatch, batchSize: number): AdamBatch {
  checkSeed(seed, null);
  return { x0: stackStates(Array.from({ length: batchSize }, () => seed)), slots: null, damaged: [] };
}

/** 'thesis' draw (d.2): B distinct slots, in the order drawn. */
export function thesisDraw(pool: StateBatch, batchSize: number, rng: Philox): AdamBatch {
  if (batchSize > pool.n) throw new RangeError(`batch ${batchSize} is larger than the pool (${pool.n})`);
  const slots = rng.choose(pool.n, batchSize);
  return { x0: gatherSlots(pool, slots), slots, damaged: [] };
}

/**
 * 'thesis' write-back (d.2): the sample with the highest post-rollout loss (the first of equal ones) goes back
 * as the seed; every other final state is written to its slot. Returns the batch index replaced by the seed.
 */
export function thesisWriteBack(pool: StateBatch, slots: number[], finals: StateBatch, losses: number[], seed: StateBatch): number {
  checkSeed(seed, pool);
  if (finals.n !== slots.length || losses.length !== slots.length) {
    throw new RangeError(`pool write-back: ${slots.length} slots, ${finals.n} final states, ${losses.length} losses`);
  }
  let worst = 0;
  for (let b = 1; b < losses.length; b++) if (losses[b] > losses[worst]) worst = b;
  const size = sampleSize(pool);
  slots.forEach((p, b) => {
    const src = b === worst ? seed.data.subarray(0, size) : finals.data.subarray(b * size, (b + 1) * size);
    pool.data.set(src, p * size);
  });
  return worst;
}

/**
 * M's draw (d.4 steps 1–4): B distinct slots, sorted by pre-rollout loss descending (ties: drawn order), the
 * worst replaced by the seed; with `damageN` > 0 the last `damageN` samples get a random circle erased
 * (centre ~ U(−0.5, 0.5)², radius ~ U(0.1, 0.4), one circle per sample, drawn in batch order from `damageRng`).
 */
export function mordvintsevDraw(
  pool: StateBatch, batchSize: number, seed: StateBatch, target: Float32Array, rng: Philox,
  damageN = 0, damageRng?: Philox,
): AdamBatch {
  checkSeed(seed, pool);
  if (batchSize > pool.n) throw new RangeError(`batch ${batchSize} is larger than the pool (${pool.n})`);
  if (!Number.isInteger(damageN) || damageN < 0 || damageN > batchSize) {
    throw new RangeError(`damageN must be an integer in [0, ${batchSize}], got ${damageN}`);
  }
  if (damageN > 0 && !damageRng) throw new RangeError('damage needs its own random stream');
  const drawn = rng.choose(pool.n, batchSize);
  const picked = gatherSlots(pool, drawn);
  const pre = rgbaMsePerSample(picked, target);
  const order = drawn.map((_, b) => b).sort((a, b) => pre[b] - pre[a] || a - b);
  const slots = order.map((b) => drawn[b]);
  const x0 = gatherSlots(pool, slots);
  const size = sampleSize(pool);
  x0.data.set(seed.data.subarray(0, size), 0);
  const damaged: AdamBatch['damaged'] = [];
  for (let b = batchSize - damageN; b < batchSize; b++) {
    const circle = randomCircle(damageRng!);
    eraseCircle(x0, circle, b);
    damaged.push({ sample: b, circle });
  }
  return { x0, slots, damaged };
}

/** M's write-back (d.4 step 5): all B final states to their slots, no alive check. */
export function mordvintsevWriteBack(pool: StateBatch, slots: number[], finals: StateBatch): void {
  if (finals.n !== slots.length) throw new RangeError(`pool write-back: ${slots.length} slots, ${finals.n} final states`);
  const size = sampleSize(pool);
  slots.forEach((p, b) => pool.data.set(finals.data.subarray(b * size, (b + 1) * size), p * size));
}

export interface PoolRandom {
  /** slot choice */
  pool: Philox;
  /** circle damage (regenerating only) */
  damage: Philox;
}

/** The draw of any variant. `pool` is null for 'none'. */
export function drawBatch(
  kind: AdamPoolKind, pool: StateBatch | null, batchSize: number, seed: StateBatch, target: Float32Array,
  damageN: number, random: PoolRandom,
): AdamBatch {
  if (kind === 'none') return seedBatch(seed, batchSize);
  if (!pool) throw new Error(`the "${kind}" sample pool has no pool states`);
  switch (kind) {
    case 'thesis': return thesisDraw(pool, batchSize, random.pool);
    case 'mordvintsev': return mordvintsevDraw(pool, batchSize, seed, target, random.pool);
    case 'mordvintsev-regenerating': return mordvintsevDraw(pool, batchSize, seed, target, random.pool, damageN, random.damage);
  }
}

/** The write-back of any variant (nothing for 'none'). */
export function writeBack(kind: AdamPoolKind, pool: StateBatch | null, batch: AdamBatch, finals: StateBatch, losses: number[], seed: StateBatch): void {
  if (kind === 'none' || !batch.slots) return;
  if (!pool) throw new Error(`the "${kind}" sample pool has no pool states`);
  if (kind === 'thesis') thesisWriteBack(pool, batch.slots, finals, losses, seed);
  else mordvintsevWriteBack(pool, batch.slots, finals);
}
