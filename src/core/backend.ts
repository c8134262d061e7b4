/**
 * Backend choice, in one place (docs/architecture.md, "Compute"): try candidates in order, keep the first that
 * initialises, and say which one is in use. Node processes try tensorflow → wasm → cpu; the renderer
 * webgl → wasm → cpu. `NCA_LAB_BACKEND` (or a flag) forces one; forcing a backend that cannot load is an
 * error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'webgl' | 'cpu';

export interface BackendCandidate {
  name: BackendName;
  /** registers the backend with tfjs (dynamic import of its package); throws if it cannot */
  load: () => Promise<void>;
}

export interface BackendChoice {
  name: BackendName;
  /** why earlier candidates were skipped, for `nca-lab info` and run records */
  skipped: { name: BackendName; reason: string }[];
}

export function isBackendName(s: string): s is BackendName {
  return s === 'tensorflow' || s === 'wasm' || s === 'webgl' || s === 'cpu';
}

export async function selectBackend(candidates: BackendCandidate[], forced?: string): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  let list = candidates;
  if (forced) {
    if (!isBackendName(forced)) {
      throw new Error(`unknown backend "${forced}": use one of ${candidates.map((c) => c.name).join(', ')}`);
    }
    list = candidates.filter((c) => c.name === forced);
    if (list.length === 0) {
      throw new Error(`backend "${forced}" is not available in this process (choose from ${candidates.map((c) => c.name).join(', ')})`);
    }
  }
  for (const c of list) {
    try {
      await c.load();
      const ok = await tf.setBackend(c.name);
      if (!ok) throw new Error('tf.setBackend returned false');
      await tf.ready();
      return { name: c.name, skipped };
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (forced) throw new Error(`backend "${forced}" was requested but failed to initialise: ${reason}`, { cause: err });
      skipped.push({ name: c.name, reason });
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`);
}
