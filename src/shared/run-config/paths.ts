/**
 * Dotted paths into a run config: `es.population`, `es.decay.thresholds.0`, `adam.schedule.kind`. Every row of
 * the field table (RUN_CONFIG_FIELDS) is addressed by one, and so are `--set PATH=VALUE`, the form's inputs, a
 * validation message's field and a sweep's axis. A list's entries are numbered segments.
 *
 * These two read and write a plain path; `withFieldValue` (run-config/edit.ts) is what changes a setting, since
 * switching a variant's kind also replaces its other fields.
 */
import { ConfigError } from './fields';

/** The value at `path`, or undefined where any part of the path is missing. */
export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k]), obj);
}

/** Sets the value at `path` in place; every object on the way must exist (a ConfigError names the path if not). */
export function setPath(obj: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null) throw new ConfigError(path, 'no such field');
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}
