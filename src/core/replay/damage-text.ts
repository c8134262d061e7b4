/**
 * The damage log as short text, for the command line (`nca-lab grow --damage 'thesis:bottom@52'`) and for
 * showing a log: `KIND[:ARGS]@WHEN`.
 *
 *   thesis:2x2 | thesis:3x3 | thesis:bottom       the thesis's rectangles (f.3)
 *   rect:Y0,Y1,X0,X1                              erase rows [Y0, Y1) × cols [X0, X1)
 *   circle | circle:CX,CY,R                       M's circle (d.4): random from the replay seed, or given
 *   disc:CY,CX,RADIUS  (also brush:…)             the brush
 *   fgsm:EPS[,all|rgba|none]                      FGSM (f.4); the clamp defaults to the thesis code's 'all'
 *   noise:STD[,SEED]                              Gaussian noise
 *
 * WHEN counts CA updates applied (t): `@52` is after the 52nd update; `@1..40` repeats after each of updates
 * 1–40. With a `k` it is the thesis's logged index k = t − 1 (f.1): `@k51` is `@52` (the thesis's "step 51"),
 * `@k0..k39` is `@1..40` (its FGSM during growth).
 */
import {
  DamageLogError, FGSM_CLAMPS, MAX_REPLAY_STEPS, THESIS_ERASES,
  type DamageEvent, type DamageEventRequest, type DamageRequest, type DamageSpec,
} from './damage-event';
import type { FgsmClamp, ThesisErase } from '../damage/damage';

function number(text: string, what: string, whole: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new DamageLogError(`damage "${whole}": ${what} must be a number, got "${text}"`);
  return v;
}

function integer(text: string, what: string, whole: string): number {
  const v = number(text, what, whole);
  if (!Number.isInteger(v)) throw new DamageLogError(`damage "${whole}": ${what} must be an integer, got "${text}"`);
  return v;
}

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

function args(text: string | undefined, count: [number, number], kind: string, whole: string): string[] {
  const list = text === undefined || text === '' ? [] : text.split(',').map((s) => s.trim());
  if (list.length < count[0] || list.length > count[1]) {
    const want = count[0] === count[1] ? `${count[0]}` : `${count[0]} to ${count[1]}`;
    throw new DamageLogError(`damage "${whole}": ${kind} takes ${want} value${count[1] === 1 ? '' : 's'} after ":", got ${list.length}`);
  }
  return list;
}

/** Parses one `KIND[:ARGS]@WHEN`; random choices (circle, noise seed) are left to resolveDamage. */
export function parseDamageText(text: string): DamageEventRequest {
  const whole = text.trim();
  const at = whole.lastIndexOf('@');
  if (at < 0) throw new DamageLogError(`damage "${whole}": say when with "@", e.g. thesis:bottom@52 (after 52 updates) or thesis:bottom@k51 (the thesis's index 51)`);
  const when = parseWhen(whole.slice(at + 1), whole);
  const head = whole.slice(0, at);
  const colon = head.indexOf(':');
  const kind = (colon < 0 ? head : head.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? undefined : head.slice(colon + 1);
  let damage: DamageRequest;
  switch (kind) {
    case 'thesis': {
      const [variant] = args(rest, [1, 1], 'thesis', whole);
      if (!(THESIS_ERASES as readonly string[]).includes(variant)) {
        throw new DamageLogError(`damage "${whole}": thesis takes one of ${THESIS_ERASES.join(', ')}, got "${variant}"`);
      }
      damage = { kind: 'thesis', variant: variant as ThesisErase };
      break;
    }
    case 'rect': {
      const [y0, y1, x0, x1] = args(rest, [4, 4], 'rect', whole).map((s, i) => integer(s, ['Y0', 'Y1', 'X0', 'X1'][i], whole));
      damage = { kind: 'rect', y0, y1, x0, x1 };
      break;
    }
    case 'circle': {
      const a = args(rest, [0, 3], 'circle', whole);
      if (a.length !== 0 && a.length !== 3) throw new DamageLogError(`damage "${whole}": circle takes nothing (random) or CX,CY,R`);
      damage = a.length === 0 ? { kind: 'circle' } : { kind: 'circle', cx: number(a[0], 'CX', whole), cy: number(a[1], 'CY', whole), r: number(a[2], 'R', whole) };
      break;
    }
    case 'disc':
    case 'brush': {
      const [cy, cx, radius] = args(rest, [3, 3], kind, whole).map((s, i) => number(s, ['CY', 'CX', 'RADIUS'][i], whole));
      damage = { kind: 'disc', cy, cx, radius };
      break;
    }
    case 'fgsm': {
      const a = args(rest, [1, 2], 'fgsm', whole);
      const clamp = (a[1] ?? 'all') as FgsmClamp;
      if (!FGSM_CLAMPS.includes(clamp)) throw new DamageLogError(`damage "${whole}": the FGSM clamp must be one of ${FGSM_CLAMPS.join(', ')}, got "${a[1]}"`);
      damage = { kind: 'fgsm', eps: number(a[0], 'EPS', whole), clamp };
      break;
    }
    case 'noise': {
      const a = args(rest, [1, 2], 'noise', whole);
      damage = a.length === 2 ? { kind: 'noise', std: number(a[0], 'STD', whole), seed: integer(a[1], 'SEED', whole) } : { kind: 'noise', std: number(a[0], 'STD', whole) };
      break;
    }
    default:
      throw new DamageLogError(`damage "${whole}": unknown kind "${kind}" (kinds: thesis, rect, circle, disc, fgsm, noise)`);
  }
  return { ...when, damage };
}

function n(v: number): string {
  return String(v);
}

/** The text form of a damage (the inverse of parseDamageText's KIND[:ARGS]). */
export function damageToText(d: DamageSpec): string {
  switch (d.kind) {
    case 'thesis': return `thesis:${d.variant}`;
    case 'rect': return `rect:${d.y0},${d.y1},${d.x0},${d.x1}`;
    case 'circle': return `circle:${n(d.cx)},${n(d.cy)},${n(d.r)}`;
    case 'disc': return `disc:${n(d.cy)},${n(d.cx)},${n(d.radius)}`;
    case 'fgsm': return `fgsm:${n(d.eps)},${d.clamp}`;
    case 'noise': return `noise:${n(d.std)},${d.seed}`;
  }
}

export function eventToText(e: DamageEvent): string {
  const range = e.repeatUntil !== undefined && e.repeatUntil !== e.afterUpdate ? `..${e.repeatUntil}` : '';
  return `${damageToText(e.damage)}@${e.afterUpdate}${range}`;
}
