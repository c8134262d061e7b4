/**
 * The damage kinds, one record each (the shape: damage-kind.ts): how a damage of that kind is checked when it
 * comes from outside, how its random choices are made, how it acts on a state, how it reads in the damage log, its
 * text form (`KIND[:ARGS]`, for `nca-lab grow --damage`), and its row in the Playground's damage panel. The replay,
 * damage logs and recordings, the text form and the panel all read DAMAGE_KIND_TABLE: a new kind is one record here.
 *
 * Every random choice is resolved into the damage itself (a circle's centre and radius, a noise stream's seed), so
 * a saved log replays identically on its own.
 */
import {
  addNoise, eraseCircle, eraseDisc, eraseRect, eraseThesis, fgsmStep, FGSM_CLAMPS, randomCircle, THESIS_ERASES,
  type FgsmClamp, type ThesisErase,
} from './damage';
import {
  checkOneOf, DamageFields, DamageLogError, DamageTextArgs, defineDamageKind, shortNumber as n,
  type DamageContext, type DamageKindRecord,
} from './damage-kind';
import type { StateBatch } from '../nca/state';
import { Philox } from '../rng/philox';
import { describeValue, isRecord } from '../validate';

/**
 * Philox stream words of the damage's random numbers (the replay's fire masks use STREAM_FIRE, in
 * core/replay/damage-event.ts), so no two uses share a stream.
 */
export const STREAM_CIRCLE = 0x43495243; // 'CIRC': random circles, one per event added
export const STREAM_NOISE = 0x4e4f4953; // 'NOIS': noise damage, one stream per (event seed, update)
export const STREAM_NOISE_SEED = 0x4e534544; // 'NSED': the seed of a noise event added without one

/** Coordinates a rectangle or a brush may use (they are clipped to the canvas). */
const BIG = 1e9;

const thesis = defineDamageKind<{ kind: 'thesis'; variant: ThesisErase }>({
  kind: 'thesis',
  textForms: ['thesis:2x2|3x3|bottom'],
  parse: (f) => ({ kind: 'thesis', variant: f.oneOf('variant', THESIS_ERASES) }),
  // the rectangles of spec f.3, placed on the replay's canvas
  apply: (s, d) => void eraseThesis(s, d.variant),
  describe: (d) => (d.variant === 'bottom' ? 'erase the bottom half (thesis)' : `erase the centre ${d.variant.replace('x', '×')} (thesis)`),
  fromText: (a) => ({ kind: 'thesis', variant: a.count(1).oneOf(0, THESIS_ERASES, 'the thesis rectangle') }),
  toText: (d) => d.variant,
  panel: {
    group: 'Thesis',
    actions: THESIS_ERASES.map((variant) => ({
      id: `erase-${variant}`,
      label: variant === 'bottom' ? 'Erase bottom half' : `Erase ${variant.replace('x', '×')}`,
      request: () => ({ kind: 'thesis' as const, variant }),
    })),
  },
});

const rect = defineDamageKind<{ kind: 'rect'; y0: number; y1: number; x0: number; x1: number }>({
  kind: 'rect',
  textForms: ['rect:Y0,Y1,X0,X1'],
  parse(f) {
    const [y0, y1, x0, x1] = (['y0', 'y1', 'x0', 'x1'] as const).map((k) => f.integer(k, -BIG, BIG));
    if (y1 <= y0 || x1 <= x0) f.fail(`an empty rectangle (rows [${y0}, ${y1}), cols [${x0}, ${x1}))`);
    return { kind: 'rect', y0, y1, x0, x1 };
  },
  // all channels of rows [y0, y1) × cols [x0, x1), clipped to the canvas
  apply: (s, d) => void eraseRect(s, d.y0, d.y1, d.x0, d.x1),
  describe: (d) => `erase rows ${d.y0}–${d.y1 - 1}, cols ${d.x0}–${d.x1 - 1}`,
  fromText(a) {
    a.count(4);
    const [y0, y1, x0, x1] = ['Y0', 'Y1', 'X0', 'X1'].map((name, i) => a.integer(i, name));
    return { kind: 'rect', y0, y1, x0, x1 };
  },
  toText: (d) => `${d.y0},${d.y1},${d.x0},${d.x1}`,
  // dragged on the canvas (the stage's rectangle tool)
  panel: null,
});

type Circle = { kind: 'circle'; cx: number; cy: number; r: number };

const circle = defineDamageKind<Circle, { kind: 'circle'; cx?: number; cy?: number; r?: number }>({
  kind: 'circle',
  textForms: ['circle (M\'s random circle)', 'circle:CX,CY,R'],
  // M's circle (d.4) in normalised coordinates: centre in [−1, 1]², radius > 0
  parse: (f) => ({ kind: 'circle', cx: f.number('cx', -1, 1), cy: f.number('cy', -1, 1), r: f.number('r', 0, 4, { minExclusive: true }) }),
  resolve(d, choice) {
    if (d.cx !== undefined && d.cy !== undefined && d.r !== undefined) return { kind: 'circle', cx: d.cx, cy: d.cy, r: d.r };
    const c = randomCircle(new Philox(choice.replaySeed, STREAM_CIRCLE, choice.eventIndex));
    return { kind: 'circle', cx: d.cx ?? c.cx, cy: d.cy ?? c.cy, r: d.r ?? c.r };
  },
  apply: (s, d) => void eraseCircle(s, d),
  describe: (d) => `erase circle (M) centre (${n(d.cx)}, ${n(d.cy)}) r ${n(d.r)}`,
  fromText(a) {
    if (a.count(0, 3).length === 0) return { kind: 'circle' };
    if (a.length !== 3) a.fail('circle takes nothing (random) or CX,CY,R');
    return { kind: 'circle', cx: a.number(0, 'CX'), cy: a.number(1, 'CY'), r: a.number(2, 'R') };
  },
  toText: (d) => `${d.cx},${d.cy},${d.r}`,
  panel: { group: 'Mordvintsev', actions: [{ id: 'erase-circle', label: 'Random circle', request: () => ({ kind: 'circle' }) }] },
});

const disc = defineDamageKind<{ kind: 'disc'; cy: number; cx: number; radius: number }>({
  kind: 'disc',
  aliases: ['brush'],
  textForms: ['disc:CY,CX,RADIUS (or brush:…)'],
  parse: (f) => ({ kind: 'disc', cy: f.number('cy', -BIG, BIG), cx: f.number('cx', -BIG, BIG), radius: f.number('radius', 0, 4096, { minExclusive: true }) }),
  // the brush: the disc of `radius` cells around (cy, cx) (the M demo's click eraser, f.8)
  apply: (s, d) => void eraseDisc(s, d.cy, d.cx, d.radius),
  describe: (d) => `brush at (${n(d.cy)}, ${n(d.cx)}) radius ${n(d.radius)}`,
  fromText(a) {
    a.count(3);
    const [cy, cx, radius] = ['CY', 'CX', 'RADIUS'].map((name, i) => a.number(i, name));
    return { kind: 'disc', cy, cx, radius };
  },
  toText: (d) => `${d.cy},${d.cx},${d.radius}`,
  // drawn on the canvas (the stage's brush)
  panel: null,
});

const CLAMP_LABELS: Record<FgsmClamp, string> = { all: 'all channels (thesis)', rgba: 'RGBA only', none: 'none' };

const fgsm = defineDamageKind<{ kind: 'fgsm'; eps: number; clamp: FgsmClamp }>({
  kind: 'fgsm',
  textForms: ['fgsm:EPS[,all|rgba|none]'],
  parse: (f) => ({ kind: 'fgsm', eps: f.number('eps', 0, 1e6), clamp: f.oneOf('clamp', FGSM_CLAMPS) }),
  // untargeted FGSM (f.4), x ← clamp(x + ε·sign(x − target16)); with no target, sign(x − 0) on RGBA: the attack
  // then pushes away from an empty canvas
  apply: (s, d, ctx) => fgsmStep(s, ctx.targetRgba ?? new Float32Array(s.height * s.width * 4), d.eps, d.clamp),
  describe: (d) => `FGSM ε ${n(d.eps)}, clamp ${d.clamp}`,
  // the clamp defaults to the thesis code's 'all'
  fromText: (a) => ({ kind: 'fgsm', eps: a.count(1, 2).number(0, 'EPS'), clamp: a.oneOf(1, FGSM_CLAMPS, 'the FGSM clamp', 'all') }),
  toText: (d) => `${d.eps},${d.clamp}`,
  panel: {
    group: 'FGSM',
    fields: [
      { key: 'eps', type: 'number', label: 'ε', aria: 'FGSM epsilon', initial: 0.007, min: 0 },
      { key: 'clamp', type: 'choice', label: 'clamp', aria: 'FGSM clamp', initial: 'all', options: FGSM_CLAMPS.map((c) => ({ value: c, label: CLAMP_LABELS[c] })) },
    ],
    // the thesis's FGSM during growth: after every update up to 40 (spec f.4)
    repeatUntil: 40,
    actions: [{ id: 'apply-fgsm', label: 'Attack', request: (v) => ({ kind: 'fgsm', eps: Number(v.eps), clamp: v.clamp as FgsmClamp }) }],
    note: (v) => (v.clamp === 'all'
      ? {
        id: 'fgsm-clamp-note',
        text: 'The thesis clamps all 16 channels to [0, 1] after the step (spec f.4). That also cuts RGBA values outside [0, 1], ' +
          'so the loss can drop at once; it is the zeroed negative hidden channels that break growth later.',
      }
      : null),
  },
});

const noise = defineDamageKind<{ kind: 'noise'; std: number; seed: number }, { kind: 'noise'; std: number; seed?: number }>({
  kind: 'noise',
  textForms: ['noise:STD[,SEED]'],
  parse: (f) => ({ kind: 'noise', std: f.number('std', 0, 1e6), seed: f.integer('seed', 0, Number.MAX_SAFE_INTEGER) }),
  resolve: (d, c) => ({ kind: 'noise', std: d.std, seed: d.seed ?? new Philox(c.replaySeed, STREAM_NOISE_SEED, c.eventIndex).nextUint32() }),
  // Gaussian noise of standard deviation `std` on every channel; `seed` picks the stream, one per update
  apply: (s, d, ctx) => addNoise(s, d.std, new Philox(d.seed, STREAM_NOISE, ctx.t)),
  describe: (d) => `noise σ ${n(d.std)}`,
  fromText(a) {
    const std = a.count(1, 2).number(0, 'STD');
    return a.length === 2 ? { kind: 'noise', std, seed: a.integer(1, 'SEED') } : { kind: 'noise', std };
  },
  toText: (d) => `${d.std},${d.seed}`,
  panel: {
    group: 'Noise',
    fields: [{ key: 'std', type: 'number', label: 'σ', aria: 'Noise standard deviation', initial: 0.05, min: 0 }],
    actions: [{ id: 'apply-noise', label: 'Add noise', request: (v) => ({ kind: 'noise', std: Number(v.std) }) }],
  },
});

/** Every damage kind, in the order the help texts and the Playground's damage panel list them. */
export const DAMAGE_KIND_TABLE = [thesis, rect, circle, disc, fgsm, noise] as const;

type AnyDamageKind = (typeof DAMAGE_KIND_TABLE)[number];
/** A damage as recorded: every random choice made. */
export type DamageSpec = AnyDamageKind extends infer K ? (K extends DamageKindRecord<infer S, any> ? S : never) : never;
/** A damage as asked for, before its random choices are made (resolveDamage makes them). */
export type DamageRequest = AnyDamageKind extends infer K ? (K extends DamageKindRecord<any, infer R> ? R : never) : never;
export type DamageKind = DamageSpec['kind'];

export const DAMAGE_KINDS: readonly DamageKind[] = DAMAGE_KIND_TABLE.map((k) => k.kind);
/** The text forms of every kind, for help texts. */
export const DAMAGE_TEXT_FORMS: readonly string[] = DAMAGE_KIND_TABLE.flatMap((k) => k.textForms);

// the records' types differ by kind; each is only ever called with a damage of its own kind
type UntypedKind = DamageKindRecord<any, any>;
const BY_KIND = new Map<string, UntypedKind>(DAMAGE_KIND_TABLE.map((k) => [k.kind, k as UntypedKind]));
const BY_WORD = new Map<string, UntypedKind>(DAMAGE_KIND_TABLE.flatMap((k) => [k.kind, ...(k.aliases ?? [])].map((w) => [w, k as UntypedKind])));

function recordOf(kind: string): UntypedKind {
  const k = BY_KIND.get(kind);
  if (!k) throw new DamageLogError(`unknown damage kind ${describeValue(kind)} (kinds: ${DAMAGE_KINDS.join(', ')})`);
  return k;
}

/** Checks a damage from outside (files, IPC, recordings); returns a clean copy (unknown fields dropped). */
export function parseDamageSpec(value: unknown, where = 'damage'): DamageSpec {
  if (!isRecord(value)) throw new DamageLogError(`${where} must be an object {kind, …}, got ${describeValue(value)}`);
  const kind = checkOneOf(`${where}.kind`, value.kind, DAMAGE_KINDS);
  return recordOf(kind).parse(new DamageFields(value, where));
}

/**
 * Makes a request's random choices from the replay's seed and the event's place in the log, so the same seed and
 * the same sequence of damages give the same log.
 */
export function resolveDamage(d: DamageRequest, replaySeed: number, eventIndex: number): DamageSpec {
  const k = recordOf(d.kind);
  // a kind without random choices records what was asked for
  return k.resolve ? k.resolve(d, { replaySeed, eventIndex }) : ({ ...d } as DamageSpec);
}

/** Applies one damage to every sample of `s`, in place. */
export function applyDamage(s: StateBatch, d: DamageSpec, ctx: DamageContext): void {
  recordOf(d.kind).apply(s, d, ctx);
}

/** A short human description of a damage, for the damage log and file names. */
export function describeDamage(d: DamageSpec): string {
  return recordOf(d.kind).describe(d);
}

/** The text form of a damage, `KIND[:ARGS]` (the inverse of damageFromText). */
export function damageToText(d: DamageSpec): string {
  const args = recordOf(d.kind).toText(d);
  return args === '' ? d.kind : `${d.kind}:${args}`;
}

/** Parses `KIND[:ARGS]` (`whole` is the text the user wrote, for the messages); random choices are left to resolveDamage. */
export function damageFromText(head: string, whole: string): DamageRequest {
  const colon = head.indexOf(':');
  const word = (colon < 0 ? head : head.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : head.slice(colon + 1);
  const k = BY_WORD.get(word);
  if (!k) throw new DamageLogError(`damage "${whole}": unknown kind "${word}" (kinds: ${DAMAGE_KINDS.join(', ')})`);
  return k.fromText(new DamageTextArgs(word, rest === '' ? [] : rest.split(',').map((s) => s.trim()), whole));
}
