/**
 * The damage log as short text, for the command line (`nca-lab grow --damage 'thesis:bottom@52'`) and for
 * showing a log: `KIND[:ARGS]@WHEN`. The KIND[:ARGS] part is each damage kind's own (core/damage/kinds.ts,
 * DAMAGE_TEXT_FORMS lists them: `thesis:bottom`, `fgsm:0.007,all`, `circle` for M's random circle, …).
 *
 * WHEN counts CA updates applied (t): `@52` is after the 52nd update; `@1..40` repeats after each of updates
 * 1–40. With a `k` it is the thesis's logged index k = t − 1 (f.1): `@k51` is `@52` (the thesis's "step 51"),
 * `@k0..k39` is `@1..40` (its FGSM during growth).
 */
import { DamageLogError } from '../damage/damage-kind';
import { damageFromText, damageToText } from '../damage/kinds';
import { MAX_REPLAY_STEPS, type DamageEvent, type DamageEventRequest } from './damage-event';

function parseWhen(text: string, whole: string): { afterUpdate: number; repeatUntil?: number } {
  const m = /^(k?)(\d+)(?:\.\.(k?)(\d+))?$/.exec(text.trim());
  if (!m) throw new DamageLogError(`damage "${whole}": after "@" write the update count t (@52), a range (@1..40), or the thesis's index k = t − 1 (@k51, @k0..k39)`);
  const toT = (k: string, digits: string) => Number(digits) + (k ? 1 : 0);
  const afterUpdate = toT(m[1], m[2]);
  if (afterUpdate > MAX_REPLAY_STEPS) throw new DamageLogError(`damage "${whole}": the update count must be at most ${MAX_REPLAY_STEPS}`);
  if (m[4] === undefined) return { afterUpdate };
  const repeatUntil = toT(m[3], m[4]);
  if (repeatUntil < afterUpdate) throw new DamageLogError(`damage "${whole}": the range ends (${repeatUntil}) before it starts (${afterUpdate})`);
  if (repeatUntil > MAX_REPLAY_STEPS) throw new DamageLogError(`damage "${whole}": the update count must be at most ${MAX_REPLAY_STEPS}`);
  return { afterUpdate, repeatUntil };
}

/** Parses one `KIND[:ARGS]@WHEN`; random choices (circle, noise seed) are left to resolveDamage. */
export function parseDamageText(text: string): DamageEventRequest {
  const whole = text.trim();
  const at = whole.lastIndexOf('@');
  if (at < 0) throw new DamageLogError(`damage "${whole}": say when with "@", e.g. thesis:bottom@52 (after 52 updates) or thesis:bottom@k51 (the thesis's index 51)`);
  const when = parseWhen(whole.slice(at + 1), whole);
  return { ...when, damage: damageFromText(whole.slice(0, at), whole) };
}

export function eventToText(e: DamageEvent): string {
  const range = e.repeatUntil !== undefined && e.repeatUntil !== e.afterUpdate ? `..${e.repeatUntil}` : '';
  return `${damageToText(e.damage)}@${e.afterUpdate}${range}`;
}
