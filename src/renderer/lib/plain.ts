/**
 * A deep copy of data held in the window's reactive state, as plain objects that cross IPC and structuredClone.
 * `toRaw` unwraps only the outer proxy: a record that came through a reactive store keeps reactive proxies in its
 * nested objects (a run's config inside its RunInfo), and structuredClone refuses those with a DataCloneError.
 */
import { isProxy, toRaw } from 'vue';

export function plainCopy<T>(value: T): T {
  return structuredClone(unwrap(value)) as T;
}

/** The value with every reactive proxy inside it replaced by its raw object (new arrays and objects only where needed). */
function unwrap(value: unknown): unknown {
  const raw = isProxy(value) ? toRaw(value) : value;
  if (raw === null || typeof raw !== 'object' || ArrayBuffer.isView(raw)) return raw;
  if (Array.isArray(raw)) return raw.map(unwrap);
  if (Object.getPrototypeOf(raw) !== Object.prototype) return raw;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, unwrap(v)]));
}
