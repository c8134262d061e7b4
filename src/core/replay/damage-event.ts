/**
 * A damage log: what was done to a growing NCA and when, so that a replay (seed + damage log) can be re-run
 * exactly, saved and exported (spec f.3, f.4, d.4, f.8).
 *
 * Timing: `afterUpdate: t` applies the damage to the state after t CA updates (t = 0 is the seed itself), before
 * that state's loss is measured, exactly where the thesis's experiment hook sits (f.1). The thesis logs that
 * state at index k = t − 1, so its "damage at step 51" is `afterUpdate: 52`. `repeatUntil: t2` applies it again
 * after every update t … t2 (inclusive): the thesis's FGSM during growth, "after the update at every counter < 40",
 * is `{afterUpdate: 1, repeatUntil: 40}`. Events active at the same t are applied in log order.
 *
 * Every random choice is resolved into the event itself (a circle's centre and radius, a noise stream's seed),
 * so a saved log replays identically on its own.
 */
import {
  addNoise, eraseCircle, eraseDisc, eraseRect, eraseThesis, fgsmStep, randomCircle, type FgsmClamp, type ThesisErase,
} from '../damage/damage';
import type { StateBatch } from '../nca/state';
import { Philox } from '../rng/philox';
import { describeValue, isRecord } from '../validate';

export type DamageSpec =
  /** zero all channels in rows [y0, y1) × cols [x0, x1) (clipped to the canvas) */
  | { kind: 'rect'; y0: number; y1: number; x0: number; x1: number }
  /** the thesis's rectangles (f.3), placed on the replay's canvas */
  | { kind: 'thesis'; variant: ThesisErase }
  /** M's circle (d.4) in normalised coordinates: centre in [−1, 1]², radius > 0 */
  | { kind: 'circle'; cx: number; cy: number; r: number }
  /** the brush: zero the disc of `radius` cells around (cy, cx) (the M demo's click eraser, f.8) */
  | { kind: 'disc'; cy: number; cx: number; radius: number }
  /** untargeted FGSM (f.4): x ← clamp(x + ε·sign(x − target16)) */
  | { kind: 'fgsm'; eps: number; clamp: FgsmClamp }
  /** Gaussian noise of standard deviation `std` on every channel; `seed` picks the noise stream */
  | { kind: 'noise'; std: number; seed: number };

export type DamageKind = DamageSpec['kind'];

export interface DamageEvent {
  /** applied to the state after this many CA updates (0 = the seed) */
  afterUpdate: number;
  damage: DamageSpec;
  /** applied again after every update up to and including this one */
  repeatUntil?: number;
}

export const DAMAGE_KINDS: readonly DamageKind[] = ['rect', 'thesis', 'circle', 'disc', 'fgsm', 'noise'];
export const THESIS_ERASES: readonly ThesisErase[] = ['2x2', '3x3', 'bottom'];
export const FGSM_CLAMPS: readonly FgsmClamp[] = ['all', 'rgba', 'none'];
/** The longest replay a log may schedule into (a day at 1000 steps/s is far below it). */
export const MAX_REPLAY_STEPS = 100_000_000;

/** Philox stream words for the replay's random numbers, so no two uses share a stream. */
export const STREAM_FIRE = 0x46495245; // 'FIRE': the fire masks, one stream per update (see growth-replay.ts)
export const STREAM_CIRCLE = 0x43495243; // 'CIRC': random circles, one per event added
export const STREAM_NOISE = 0x4e4f4953; // 'NOIS': noise damage, one stream per (event seed, update)
export const STREAM_NOISE_SEED = 0x4e534544; // 'NSED': the seed of a noise event added without one

/**
 * A damage as asked for, before its random choices are made: a circle without centre and radius is M's random
 * circle (d.4), a noise without a seed gets one. `resolveDamage` turns it into a DamageSpec.
 */
export type DamageRequest =
  | Exclude<DamageSpec, { kind: 'circle' } | { kind: 'noise' }>
  | { kind: 'circle'; cx?: number; cy?: number; r?: number }
  | { kind: 'noise'; std: number; seed?: number };

export interface DamageEventRequest {
  afterUpdate: number;
  damage: DamageRequest;
  repeatUntil?: number;
}

/**
 * Makes a request's random choices from the replay's seed and the event's place in the log, so the same seed and
 * the same sequence of damages give the same log.
 */
export function resolveDamage(d: DamageRequest, replaySeed: number, eventIndex: number): DamageSpec {
  if (d.kind === 'circle') {
    if (d.cx !== undefined && d.cy !== undefined && d.r !== undefined) return { kind: 'circle', cx: d.cx, cy: d.cy, r: d.r };
    const c = randomCircle(new Philox(replaySeed, STREAM_CIRCLE, eventIndex));
    return { kind: 'circle', cx: d.cx ?? c.cx, cy: d.cy ?? c.cy, r: d.r ?? c.r };
  }
  if (d.kind === 'noise') {
    return { kind: 'noise', std: d.std, seed: d.seed ?? new Philox(replaySeed, STREAM_NOISE_SEED, eventIndex).nextUint32() };
  }
  return { ...d };
}

/** Whether the event applies to the state after t updates. */
export function isActiveAt(e: DamageEvent, t: number): boolean {
  return t >= e.afterUpdate && t <= (e.repeatUntil ?? e.afterUpdate);
}

/** The last update the event applies after. */
export function lastUpdateOf(e: DamageEvent): number {
  return e.repeatUntil ?? e.afterUpdate;
}

/** What a damage needs besides the state: the model's target on the canvas (FGSM) and the update count (noise). */
export interface DamageContext {
  /** premultiplied RGBA target [H·W·4] on the replay canvas, or null when the model has none */
  targetRgba: Float32Array | null;
  /** the state's update count */
  t: number;
}

/** Applies one damage to every sample of `s`, in place. */
export function applyDamage(s: StateBatch, d: DamageSpec, ctx: DamageContext): void {
  switch (d.kind) {
    case 'rect':
      eraseRect(s, d.y0, d.y1, d.x0, d.x1);
      return;
    case 'thesis':
      eraseThesis(s, d.variant);
      return;
    case 'circle':
      eraseCircle(s, { cx: d.cx, cy: d.cy, r: d.r });
      return;
    case 'disc':
      eraseDisc(s, d.cy, d.cx, d.radius);
      return;
    case 'fgsm':
      // sign(x − 0) on RGBA when there is no target: the attack then pushes away from an empty canvas
      fgsmStep(s, ctx.targetRgba ?? new Float32Array(s.height * s.width * 4), d.eps, d.clamp);
      return;
    case 'noise':
      addNoise(s, d.std, new Philox(d.seed, STREAM_NOISE, ctx.t));
      return;
  }
}

/** A short human description of a damage, for the damage log and file names. */
export function describeDamage(d: DamageSpec): string {
  const n = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString());
  switch (d.kind) {
    case 'rect': return `erase rows ${d.y0}–${d.y1 - 1}, cols ${d.x0}–${d.x1 - 1}`;
    case 'thesis': return d.variant === 'bottom' ? 'erase the bottom half (thesis)' : `erase the centre ${d.variant.replace('x', '×')} (thesis)`;
    case 'circle': return `erase circle (M) centre (${n(d.cx)}, ${n(d.cy)}) r ${n(d.r)}`;
    case 'disc': return `brush at (${n(d.cy)}, ${n(d.cx)}) radius ${n(d.radius)}`;
    case 'fgsm': return `FGSM ε ${n(d.eps)}, clamp ${d.clamp}`;
    case 'noise': return `noise σ ${n(d.std)}`;
  }
}

export function describeEvent(e: DamageEvent): string {
  const when = e.repeatUntil !== undefined && e.repeatUntil !== e.afterUpdate
    ? `after updates ${e.afterUpdate}–${e.repeatUntil}`
    : `after update ${e.afterUpdate}`;
  return `${describeDamage(e.damage)}, ${when}`;
}

// ---- validation (one schema, checked wherever a log comes from outside: files, IPC, CLI flags) ----

/** A damage log that cannot be used; the message names the field and the allowed range. */
export class DamageLogError extends Error {
  override name = 'DamageLogError';
}



function num(where: string, v: unknown, min: number, max: number, opts: { integer?: boolean; minExclusive?: boolean } = {}): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (opts.minExclusive ? v > min : v >= min) && v <= max &&
    (!opts.integer || Number.isInteger(v));
  if (!ok) {
    const kind = opts.integer ? 'an integer' : 'a number';
    const range = opts.minExclusive ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`;
    throw new DamageLogError(`${where} must be ${kind} ${range}, got ${describeValue(v)}`);
  }
  return v as number;
}

function oneOf<T extends string>(where: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new DamageLogError(`${where} must be one of ${allowed.join(', ')}, got ${describeValue(v)}`);
  }
  return v as T;
}

const BIG = 1e9;

/** Checks a damage spec from outside; returns a clean copy (unknown fields dropped). */
export function parseDamageSpec(value: unknown, where = 'damage'): DamageSpec {
  if (!isRecord(value)) throw new DamageLogError(`${where} must be an object {kind, …}, got ${describeValue(value)}`);
  const kind = oneOf(`${where}.kind`, value.kind, DAMAGE_KINDS);
  const f = (name: string) => value[name];
  switch (kind) {
    case 'rect': {
      const y0 = num(`${where}.y0`, f('y0'), -BIG, BIG, { integer: true });
      const y1 = num(`${where}.y1`, f('y1'), -BIG, BIG, { integer: true });
      const x0 = num(`${where}.x0`, f('x0'), -BIG, BIG, { integer: true });
      const x1 = num(`${where}.x1`, f('x1'), -BIG, BIG, { integer: true });
      if (y1 <= y0 || x1 <= x0) throw new DamageLogError(`${where}: an empty rectangle (rows [${y0}, ${y1}), cols [${x0}, ${x1}))`);
      return { kind, y0, y1, x0, x1 };
    }
    case 'thesis':
      return { kind, variant: oneOf(`${where}.variant`, f('variant'), THESIS_ERASES) };
    case 'circle':
      return {
        kind,
        cx: num(`${where}.cx`, f('cx'), -1, 1),
        cy: num(`${where}.cy`, f('cy'), -1, 1),
        r: num(`${where}.r`, f('r'), 0, 4, { minExclusive: true }),
      };
    case 'disc':
      return {
        kind,
        cy: num(`${where}.cy`, f('cy'), -BIG, BIG),
        cx: num(`${where}.cx`, f('cx'), -BIG, BIG),
        radius: num(`${where}.radius`, f('radius'), 0, 4096, { minExclusive: true }),
      };
    case 'fgsm':
      return { kind, eps: num(`${where}.eps`, f('eps'), 0, 1e6), clamp: oneOf(`${where}.clamp`, f('clamp'), FGSM_CLAMPS) };
    case 'noise':
      return {
        kind,
        std: num(`${where}.std`, f('std'), 0, 1e6),
        seed: num(`${where}.seed`, f('seed'), 0, Number.MAX_SAFE_INTEGER, { integer: true }),
      };
  }
}

export function parseDamageEvent(value: unknown, where = 'damage event'): DamageEvent {
  if (!isRecord(value)) throw new DamageLogError(`${where} must be an object {afterUpdate, damage, repeatUntil?}, got ${describeValue(value)}`);
  const afterUpdate = num(`${where}.afterUpdate`, value.afterUpdate, 0, MAX_REPLAY_STEPS, { integer: true });
  const damage = parseDamageSpec(value.damage, `${where}.damage`);
  const out: DamageEvent = { afterUpdate, damage };
  if (value.repeatUntil !== undefined) {
    out.repeatUntil = num(`${where}.repeatUntil`, value.repeatUntil, afterUpdate, MAX_REPLAY_STEPS, { integer: true });
  }
  return out;
}

export function parseDamageLog(value: unknown, where = 'damage'): DamageEvent[] {
  if (!Array.isArray(value)) throw new DamageLogError(`${where} must be a list of damage events, got ${describeValue(value)}`);
  return value.map((e, i) => parseDamageEvent(e, `${where}[${i}]`));
}
