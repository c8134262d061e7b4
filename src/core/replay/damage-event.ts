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
import { checkNumber, DamageLogError } from '../damage/damage-kind';
import { describeDamage, parseDamageSpec, type DamageRequest, type DamageSpec } from '../damage/kinds';
import { describeValue, isRecord } from '../validate';

export interface DamageEvent {
  /** applied to the state after this many CA updates (0 = the seed) */
  afterUpdate: number;
  damage: DamageSpec;
  /** applied again after every update up to and including this one */
  repeatUntil?: number;
}

/** The longest replay a log may schedule into (a day at 1000 steps/s is far below it). */
export const MAX_REPLAY_STEPS = 100_000_000;

/**
 * The Philox stream word of the replay's fire masks, one stream per update (see growth-replay.ts); the damage
 * kinds' own stream words are in core/damage/kinds.ts, all distinct.
 */
export const STREAM_FIRE = 0x46495245; // 'FIRE'

export interface DamageEventRequest {
  afterUpdate: number;
  damage: DamageRequest;
  repeatUntil?: number;
}

/** Whether the event applies to the state after t updates. */
export function isActiveAt(e: DamageEvent, t: number): boolean {
  return t >= e.afterUpdate && t <= (e.repeatUntil ?? e.afterUpdate);
}

/** The last update the event applies after. */
export function lastUpdateOf(e: DamageEvent): number {
  return e.repeatUntil ?? e.afterUpdate;
}

export function describeEvent(e: DamageEvent): string {
  const when = e.repeatUntil !== undefined && e.repeatUntil !== e.afterUpdate
    ? `after updates ${e.afterUpdate}–${e.repeatUntil}`
    : `after update ${e.afterUpdate}`;
  return `${describeDamage(e.damage)}, ${when}`;
}

// ---- validation (one schema, checked wherever a log comes from outside: files, IPC, CLI flags) ----

export function parseDamageEvent(value: unknown, where = 'damage event'): DamageEvent {
  if (!isRecord(value)) throw new DamageLogError(`${where} must be an object {afterUpdate, damage, repeatUntil?}, got ${describeValue(value)}`);
  const afterUpdate = checkNumber(`${where}.afterUpdate`, value.afterUpdate, 0, MAX_REPLAY_STEPS, { integer: true });
  const damage = parseDamageSpec(value.damage, `${where}.damage`);
  const out: DamageEvent = { afterUpdate, damage };
  if (value.repeatUntil !== undefined) {
    out.repeatUntil = checkNumber(`${where}.repeatUntil`, value.repeatUntil, afterUpdate, MAX_REPLAY_STEPS, { integer: true });
  }
  return out;
}

export function parseDamageLog(value: unknown, where = 'damage'): DamageEvent[] {
  if (!Array.isArray(value)) throw new DamageLogError(`${where} must be a list of damage events, got ${describeValue(value)}`);
  return value.map((e, i) => parseDamageEvent(e, `${where}[${i}]`));
}
