/**
 * The shape of one damage kind's record (kinds.ts holds the table) and the small toolkit its parts are written
 * with: field checks for damage that comes from outside (files, IPC), argument checks for the text form
 * (`nca-lab grow --damage 'fgsm:0.007,all@52'`), and the description of the Playground's damage panel row.
 * Every message names the field (or the text) and what is allowed.
 */
import type { StateBatch } from '../nca/state';
import { describeValue } from '../validate';

/** A damage log or damage text that cannot be used; the message names the field and the allowed range. */
export class DamageLogError extends Error {
  override name = 'DamageLogError';
}

export interface NumberRule {
  integer?: boolean;
  /** the minimum itself is not allowed (a radius > 0) */
  minExclusive?: boolean;
}

/** Checks one number from outside, `where` naming it in the message. */
export function checkNumber(where: string, v: unknown, min: number, max: number, rule: NumberRule = {}): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (rule.minExclusive ? v > min : v >= min) && v <= max &&
    (!rule.integer || Number.isInteger(v));
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.minExclusive ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`;
    throw new DamageLogError(`${where} must be ${kind} ${range}, got ${describeValue(v)}`);
  }
  return v as number;
}

/** Checks one word from outside against the words allowed. */
export function checkOneOf<T extends string>(where: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new DamageLogError(`${where} must be one of ${allowed.join(', ')}, got ${describeValue(v)}`);
  }
  return v as T;
}

/** A damage's fields as they came from outside (a recording, an IPC request), read one by one. */
export class DamageFields {
  constructor(private readonly value: Record<string, unknown>, readonly where: string) {}

  number(name: string, min: number, max: number, rule: NumberRule = {}): number {
    return checkNumber(`${this.where}.${name}`, this.value[name], min, max, rule);
  }

  integer(name: string, min: number, max: number): number {
    return this.number(name, min, max, { integer: true });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    return checkOneOf(`${this.where}.${name}`, this.value[name], allowed);
  }

  fail(detail: string): never {
    throw new DamageLogError(`${this.where}: ${detail}`);
  }
}

/** The values after "KIND:" of one damage text, split at commas; `whole` is the text as given, for messages. */
export class DamageTextArgs {
  constructor(readonly kind: string, readonly values: readonly string[], readonly whole: string) {}

  get length(): number {
    return this.values.length;
  }

  /** Refuses fewer than `min` or more than `max` values. */
  count(min: number, max = min): this {
    const n = this.values.length;
    if (n < min || n > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      this.fail(`${this.kind} takes ${want} value${max === 1 ? '' : 's'} after ":", got ${n}`);
    }
    return this;
  }

  number(i: number, name: string): number {
    const text = this.values[i] ?? '';
    const v = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(v)) this.fail(`${name} must be a number, got "${text}"`);
    return v;
  }

  integer(i: number, name: string): number {
    const v = this.number(i, name);
    if (!Number.isInteger(v)) this.fail(`${name} must be an integer, got "${this.values[i]}"`);
    return v;
  }

  /** The i-th value, one of `allowed` (`fallback` when it is absent). */
  oneOf<T extends string>(i: number, allowed: readonly T[], what: string, fallback?: T): T {
    const v = this.values[i] ?? fallback;
    if (v === undefined || !(allowed as readonly string[]).includes(v)) this.fail(`${what} must be one of ${allowed.join(', ')}, got "${v ?? ''}"`);
    return v as T;
  }

  fail(detail: string): never {
    throw new DamageLogError(`damage "${this.whole}": ${detail}`);
  }
}

/** What a damage needs besides the state: the model's target on the canvas (FGSM) and the update count (noise). */
export interface DamageContext {
  /** premultiplied RGBA target [H·W·4] on the replay canvas, or null when the model has none */
  targetRgba: Float32Array | null;
  /** the state's update count */
  t: number;
}

/** Where a damage's random choices come from: the replay's seed and the event's place in the log. */
export interface DamageChoice {
  replaySeed: number;
  eventIndex: number;
}

/** One input of a panel row: a number or a choice among words, keyed by `key` in the values an action reads. */
export type DamagePanelField =
  | { key: string; type: 'number'; label: string; aria: string; initial: number; min?: number }
  | { key: string; type: 'choice'; label: string; aria: string; initial: string; options: readonly { value: string; label: string }[] };

export type DamagePanelValues = Readonly<Record<string, number | string>>;

/** A kind's row in the Playground's damage panel: its inputs and one button per action. */
export interface DamagePanel<R> {
  /** the row's label */
  group: string;
  fields?: readonly DamagePanelField[];
  /** offer "every step until" (the thesis's FGSM during growth, spec f.4), starting at this step */
  repeatUntil?: number;
  actions: readonly { id: string; label: string; request(values: DamagePanelValues): R }[];
  /** a remark under the row for some values (`id` names it for tests) */
  note?(values: DamagePanelValues): { id: string; text: string } | null;
}

/**
 * Everything the lab does with one kind of damage. `S` is the damage as recorded (every random choice made), `R`
 * as asked for (a random circle has no centre yet); they are the same for kinds without random choices.
 */
export interface DamageKindRecord<S extends { kind: string }, R extends { kind: string } = S> {
  kind: S['kind'];
  /** other words the text form accepts for it */
  aliases?: readonly string[];
  /** its text forms for help texts: `fgsm:EPS[,all|rgba|none]` */
  textForms: readonly string[];
  /** checks a recorded damage from outside and returns a clean copy (unknown fields dropped) */
  parse(fields: DamageFields): S;
  /** makes the request's random choices (when it has none, the request is the damage) */
  resolve?(request: R, choice: DamageChoice): S;
  /** applies it to every sample of the state, in place */
  apply(s: StateBatch, d: S, ctx: DamageContext): void;
  /** a short description for the damage log and file names */
  describe(d: S): string;
  /** the request from the values after "KIND:" */
  fromText(args: DamageTextArgs): R;
  /** the values after "KIND:" (the inverse of fromText; '' for none) */
  toText(d: S): string;
  /** its row in the Playground's damage panel; null for the kinds drawn with the pointer on the canvas */
  panel: DamagePanel<R> | null;
}

/** Types a record (its `S` and `R` inferred from the functions); the table in kinds.ts lists them. */
export function defineDamageKind<S extends { kind: string }, R extends { kind: string } = S>(record: DamageKindRecord<S, R>): DamageKindRecord<S, R> {
  return record;
}

/** Numbers as a description shows them: integers as they are, others to 4 significant digits. */
export function shortNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
}
