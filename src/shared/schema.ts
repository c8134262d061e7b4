/**
 * How a boundary declares what it accepts: one zod 4 schema per shape, its TypeScript type inferred from it
 * (`z.infer`), parsed with `parseWith`, which throws an Error in the lab's words that names the field's path and
 * what was there instead (`es generation.x0.height must be an integer from 1 to 4096, got 5000`). Objects are
 * strict unless a comment says why not. docs/architecture.md ("Validation") says which boundaries use it and why
 * zod; scripts/bench-validation.ts measures its cost beside the hand-written checks. Import zod as
 * `import * as z from 'zod'`: a bundler then keeps only what is used (`import { z }` keeps every locale).
 */
import * as z from 'zod';
import { describeValue } from './validate';

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/** An issue in the lab's words, without its path (parseWith adds it); undefined leaves zod's own. */
function labWords(iss: RawIssue): string | undefined {
  const got = `, got ${describeValue(iss.input)}`;
  switch (iss.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[iss.expected] ?? iss.expected}${got}`;
    case 'too_small':
      return iss.origin === 'string' ? `must have at least ${iss.minimum} characters${got}` : `must be ≥ ${iss.minimum}${got}`;
    case 'too_big':
      return iss.origin === 'string' ? `must have at most ${iss.maximum} characters${got}` : `must be ≤ ${iss.maximum}${got}`;
    case 'unrecognized_keys':
      return `has fields this lab does not know: ${iss.keys.join(', ')}`;
    case 'invalid_value':
      return `must be ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}${got}`;
    default:
      return undefined;
  }
}

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', object: 'an object', array: 'a list', null: 'null',
};

function pathOf(what: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), what);
}

/**
 * Parses `value` with `schema` or throws an Error naming the first problem's path under `what` (the shape's name
 * in messages: "es generation", "worker announcement"), in the lab's words.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const ok = schema.safeParse(value);
  if (ok.success) return ok.data;
  // a refused value is parsed again for the lab's words: the accepted ones, nearly all, pay nothing for them
  const r = schema.safeParse(value, { error: labWords });
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  throw new Error(`${pathOf(what, first.path)} ${first.message}${more}`, { cause: r.error });
}

// ---- the field shapes the lab's boundaries are built from ----

/** An integer from min to max, said as such when it is not one. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = (iss: RawIssue) => `must be an integer from ${min} to ${max}, got ${describeValue(iss.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string of at most `max` characters. */
export function text(max = 400) {
  const error = (iss: RawIssue) => `must be a non-empty string of at most ${max} characters, got ${describeValue(iss.input)}`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

/** An id that is safe in Redis keys and file names: letters, digits and . _ ~ - (at most 160). */
const idError = (iss: RawIssue) => `must be an id of letters, digits and . _ ~ - (at most 160), got ${describeValue(iss.input)}`;
export const labId = z.string({ error: idError }).regex(/^[A-Za-z0-9_.~-]{1,160}$/, { error: idError });

/** Typed arrays (numbers that travel bit-exactly over msgpack and structured clone), on any kind of buffer. */
const typedArrayError = (name: string) => (iss: RawIssue) => `must be a ${name}, got ${describeValue(iss.input)}`;
export const float32Array: z.ZodType<Float32Array> = z.instanceof(Float32Array, { error: typedArrayError('Float32Array') });
export const float64Array: z.ZodType<Float64Array> = z.instanceof(Float64Array, { error: typedArrayError('Float64Array') });
