/**
 * The lab's one validation toolkit: the small checks every schema is built from, so that a message always
 * names the field and shows what it got in the same words, whichever boundary it comes from (IPC, files,
 * CLI flags, the replay's damage logs). Each schema (run.json, checkpoints, model files, experiment results,
 * IPC requests, growth recordings) keeps its own error class and field names and builds on these.
 *
 * It lives in the core, the lowest layer, because the core's own formats (damage logs, growth recordings)
 * validate too and the core imports nothing above it; every other layer reaches it through
 * src/shared/validate.ts.
 */

/** A plain JSON object (not null, not a list). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as a message shows it: short, and never a whole file's worth of JSON. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** The message of anything thrown (an Error's message, else its text). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of a thrown message (libvips and some system errors repeat themselves over several lines). */
export function firstLineOf(err: unknown): string {
  return messageOf(err).trim().split('\n')[0];
}

/** How a schema reports a problem: its own error class, built from where and what. */
export type ProblemFactory = (where: string, detail: string) => Error;

const plainProblem: ProblemFactory = (where, detail) => new Error(where ? `${where}: ${detail}` : detail);

/** Throws the schema's error for `where` (a field path, a file) and what is wrong with it. */
export function fail(where: string, detail: string, problem: ProblemFactory = plainProblem): never {
  throw problem(where, detail);
}

/** True when the text holds a control character (U+0000–U+001F): names and tags must not. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

/** The text without its control characters. */
export function withoutControlCharacters(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x20) out += text[i];
  return out;
}

/** An integer (safe) from min to max, inclusive. */
export function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** A finite number from min to max, inclusive. */
export function isNumberIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
}
