/**
 * What every persisted record shares (run.json, metrics lines, sweep.json): the error that names the field of a
 * shape that does not match, and numbers that may be NaN or ±Infinity (a diverged run), which JSON cannot hold:
 * on disk they are the strings "NaN", "Infinity" and "-Infinity", so a diverged run reads back as it was.
 */

/** A persisted shape that does not match its schema; `field` is the dotted path of the first problem. */
export class RecordFormatError extends Error {
  override name = 'RecordFormatError';
  constructor(readonly field: string, detail: string) {
    super(field ? `${field}: ${detail}` : detail);
  }
}

export type EncodedNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(x: number): EncodedNumber {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

/** The inverse of `encodeNumber` (a number, NaN included, passes as it is); undefined for anything else. */
export function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}
