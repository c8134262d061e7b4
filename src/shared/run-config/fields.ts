/**
 * What the run config is built from: a field is one setting (its kind, range, label and help), a group nests
 * fields by name, a tuple holds a fixed list of fields (the c.5 decay's two thresholds), and a variant is a group
 * whose `kind` chooses which other fields exist (the Adam schedule). The config's TypeScript type is inferred from
 * these declarations (`Infer`), and the field table (`flattenFields`), the checks (`checkField`), the text parsing
 * of a CLI flag or a form box (`parseFieldText`) and the messages all read the same declaration, so a setting is
 * declared once.
 *
 * Messages name the allowed range and what was given ("must be an integer ≥ 2 and ≤ 100000, got 1"); the caller
 * puts the field's dotted path in front.
 */
import type { Optimizer } from './optimizer-ids';

export type FieldKind = 'int' | 'number' | 'bool' | 'choice' | 'nullable-int' | 'nullable-number';

/** A field's declaration; `T` is the type of its value (inferred into the config's type). */
export interface FieldDef<T = unknown> {
  readonly $node: 'field';
  readonly kind: FieldKind;
  readonly label: string;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  /** the bound itself is not allowed (σ > 0) */
  readonly exclusiveMin?: boolean;
  readonly choices?: readonly string[];
  /**
   * What a config written before this field existed gets when it is loaded (run-config/upgrade.ts): what the
   * lab did before the field was added, so old runs resume on the same trajectory. Absent: the field was always
   * there, and a config without it is refused.
   */
  readonly before?: T;
  /** how the form and the run page show special values (`{ 0: 'one per core' }` → "0 (one per core)") */
  readonly valueNotes?: Readonly<Record<string, string>>;
  /** CLI flags of `nca-lab train` that set it (`--seed N`), besides `--set PATH=VALUE` */
  readonly flags?: readonly string[];
  /** the value's type, for inference only (never set) */
  readonly $type?: T;
}

/** A fixed-length list of fields (`es.decay.thresholds`: paths `…thresholds.0`, `…thresholds.1`). */
export interface TupleDef<E extends readonly FieldDef[] = readonly FieldDef[]> {
  readonly $node: 'tuple';
  readonly items: E;
}

/**
 * A group whose `kind` field chooses its other fields: `{ kind: 'constant' } | { kind: 'piecewise'; boundary;
 * after }`. Switching the kind replaces the group with that option's defaults (`withFieldValue`), in the form and
 * on the command line alike.
 */
export interface VariantDef<V extends Record<string, Group> = Record<string, Group>> {
  readonly $node: 'variant';
  readonly label: string;
  readonly help: string;
  readonly options: V;
  /** the option's fields when the kind is switched to it */
  readonly defaults: { readonly [K in keyof V]: Infer<V[K]> };
}

export type ConfigNode = FieldDef | TupleDef | VariantDef | Group;
export interface Group {
  readonly [key: string]: ConfigNode;
}

type Simplify<T> = { -readonly [K in keyof T]: T[K] } & unknown;

/** The TypeScript type of a declaration's values. */
export type Infer<N> = N extends FieldDef<infer T>
  ? T
  : N extends TupleDef<infer E>
    ? { -readonly [I in keyof E]: Infer<E[I]> }
    : N extends VariantDef<infer V>
      ? { [K in keyof V & string]: Simplify<{ kind: K } & Infer<V[K]>> }[keyof V & string]
      : { -readonly [K in keyof N]: Infer<N[K]> };

// ---- builders ----

interface FieldText {
  label: string;
  help: string;
}
interface Range {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
}
type Extras<T> = Pick<FieldDef<T>, 'before' | 'valueNotes' | 'flags'>;

const make = <T>(kind: FieldKind, text: FieldText, rest: object): FieldDef<T> => ({ $node: 'field', kind, ...text, ...rest });

/** The builders of every kind of field. */
export const field = {
  int: (text: FieldText, range: Range, extras: Extras<number> = {}) => make<number>('int', text, { ...range, ...extras }),
  number: (text: FieldText, range: Range, extras: Extras<number> = {}) => make<number>('number', text, { ...range, ...extras }),
  nullableInt: (text: FieldText, range: Range, extras: Extras<number | null> = {}) => make<number | null>('nullable-int', text, { ...range, ...extras }),
  nullableNumber: (text: FieldText, range: Range, extras: Extras<number | null> = {}) => make<number | null>('nullable-number', text, { ...range, ...extras }),
  bool: (text: FieldText, extras: Extras<boolean> = {}) => make<boolean>('bool', text, extras),
  choice: <const C extends string>(choices: readonly C[], text: FieldText, extras: Extras<C> = {}) => make<C>('choice', text, { choices, ...extras }),
  tuple: <const E extends readonly FieldDef[]>(...items: E): TupleDef<E> => ({ $node: 'tuple', items }),
  variant: <const V extends Record<string, Group>>(text: FieldText, options: V, defaults: { readonly [K in keyof V]: Infer<V[K]> }): VariantDef<V> => ({
    $node: 'variant', ...text, options, defaults,
  }),
};

/** A group's values as its fields' `before` (what configs from before it get; a rule's published defaults). */
export function beforeValues<G extends Group>(group: G): Infer<G> {
  return Object.fromEntries(Object.entries(group).map(([k, node]) => {
    if (!isField(node) || node.before === undefined) throw new Error(`beforeValues: ${k} is not a field with a value for configs from before it`);
    return [k, node.before];
  })) as Infer<G>;
}

// ---- the field table ----

/** Applies only while another field has this value (the Adam schedule's boundary: while the kind is piecewise). */
export interface FieldCondition {
  path: string;
  equals: string;
}

/** One row of the field table: a field with its dotted path and who it belongs to. */
export interface FieldSpec extends Omit<FieldDef, '$node' | '$type'> {
  /** dotted path into the config (`es.population`, `es.decay.thresholds.0`) */
  path: string;
  /** the optimizer whose settings hold it (absent: every run has it) */
  optimizer?: Optimizer;
  /** the ES update rule that reads it (run-config/es-rules.ts; absent: every rule) */
  rule?: string;
  /** only while another field has a value (absent: always) */
  when?: FieldCondition;
  /** for a variant's kind: each option's other fields, set when the kind is switched to it */
  variants?: Readonly<Record<string, object>>;
}

/** Where a field's row came from, besides its path. */
export type FieldTags = Pick<FieldSpec, 'optimizer' | 'rule' | 'when'>;

export const isField = (n: ConfigNode): n is FieldDef => n.$node === 'field';

/** Every field under a declaration, depth first in declaration order, with its dotted path. */
export function flattenFields(node: ConfigNode, path: string, tags: FieldTags = {}): FieldSpec[] {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (isField(node)) {
    const { $node, $type, ...def } = node;
    void $node;
    void $type;
    return [{ ...def, path, ...tags }];
  }
  if (node.$node === 'tuple') return (node as TupleDef).items.flatMap((f, i) => flattenFields(f, at(String(i)), tags));
  if (node.$node === 'variant') {
    const v = node as VariantDef;
    const kindField: FieldSpec = { kind: 'choice', label: v.label, help: v.help, choices: Object.keys(v.options), path: at('kind'), variants: v.defaults, ...tags };
    return [kindField, ...Object.entries(v.options).flatMap(([kind, g]) => flattenFields(g, path, { ...tags, when: { path: at('kind'), equals: kind } }))];
  }
  return Object.entries(node as Group).flatMap(([key, child]) => flattenFields(child, at(key), tags));
}

/** The paths under a declaration that must hold an object (groups, variants) or a list (tuples), outermost first. */
export function containerPaths(node: ConfigNode, path: string): { path: string; list: boolean }[] {
  if (isField(node)) return [];
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const self = path ? [{ path, list: node.$node === 'tuple' }] : [];
  if (node.$node === 'tuple' || node.$node === 'variant') return self;
  return [...self, ...Object.entries(node as Group).flatMap(([key, child]) => containerPaths(child, at(key)))];
}

// ---- checks ----

/** "≥ 2 and ≤ 100000", "> 0 and ≤ 10" */
export function rangeText(f: Pick<FieldSpec, 'min' | 'max' | 'exclusiveMin'>): string {
  const lo = f.min === undefined ? '' : `${f.exclusiveMin ? '>' : '≥'} ${f.min}`;
  const hi = f.max === undefined ? '' : `≤ ${f.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

const isNullable = (f: Pick<FieldSpec, 'kind'>) => f.kind === 'nullable-int' || f.kind === 'nullable-number';

/** Checks one field's value; returns the message (without the path) or null. */
export function checkField(f: FieldSpec, v: unknown): string | null {
  const nullable = isNullable(f);
  if (nullable && v === null) return null;
  switch (f.kind) {
    case 'bool':
      return typeof v === 'boolean' ? null : `must be true or false, got ${JSON.stringify(v)}`;
    case 'choice':
      return typeof v === 'string' && f.choices!.includes(v) ? null : `must be one of ${f.choices!.join(', ')}, got ${JSON.stringify(v)}`;
    default: {
      const integer = f.kind === 'int' || f.kind === 'nullable-int';
      const what = `${integer ? 'an integer' : 'a number'} ${rangeText(f)}${nullable ? ' (or empty)' : ''}`;
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be ${what}, got ${JSON.stringify(v)}`;
      if (integer && !Number.isInteger(v)) return `must be ${what}, got ${v}`;
      if (f.min !== undefined && (f.exclusiveMin ? v <= f.min : v < f.min)) return `must be ${what}, got ${v}`;
      if (f.max !== undefined && v > f.max) return `must be ${what}, got ${v}`;
      return null;
    }
  }
}

/** A configuration error that names the field (dotted path) and says what is allowed. */
export class ConfigError extends RangeError {
  override name = 'ConfigError';
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
  }
}

// decimal only: Number() would also take "0x10" (16), "0b11" and " " as numbers
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A field's value from text (a CLI flag, a form box), with the field's messages: a number, true/false, one of
 * the choices (a misspelt choice is refused naming the allowed ones), or empty/none/null for a nullable field.
 */
export function parseFieldText(f: FieldSpec, text: string): unknown {
  const t = text.trim();
  if (isNullable(f) && (t === '' || t === 'none' || t === 'null')) return null;
  if (f.kind === 'bool') {
    if (['true', '1', 'yes', 'on'].includes(t)) return true;
    if (['false', '0', 'no', 'off'].includes(t)) return false;
    throw new ConfigError(f.path, `must be true or false, got "${text}"`);
  }
  if (f.kind === 'choice') {
    if (!f.choices!.includes(t)) throw new ConfigError(f.path, `must be one of ${f.choices!.join(', ')}, got "${text}"`);
    return t;
  }
  if (!DECIMAL_NUMBER.test(t)) throw new ConfigError(f.path, `must be a number, got "${text}"${/^[+-]?0[xob]/i.test(t) ? ' (decimal digits only)' : ''}`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw new ConfigError(f.path, `must be a finite number, got "${text}"`);
  return n;
}

/** A value as the form and the run page show it ("none", "yes", "0 (one per core)"). */
export function fieldValueText(f: FieldSpec, v: unknown): string {
  if (v === null || v === undefined) return isNullable(f) ? 'none' : '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const note = f.valueNotes?.[String(v)];
  return note ? `${String(v)} (${note})` : String(v);
}
