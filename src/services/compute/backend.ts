/**
 * Backend selection for Node processes (CLI, training workers, the bridge): tensorflow → wasm → cpu.
 * `@tensorflow/tfjs-node` is an optional dependency (its install downloads libtensorflow, which some
 * machines cannot do), so it is loaded dynamically and skipped when absent.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendCandidate, type BackendChoice } from '../../core/backend';

let chosen: Promise<BackendChoice> | null = null;

export const NODE_BACKEND_CANDIDATES: BackendCandidate[] = [
  {
    name: 'tensorflow',
    load: async () => {
      const mod = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ mod);
    },
  },
  {
    name: 'wasm',
    load: async () => {
      await import('@tensorflow/tfjs-backend-wasm');
    },
  },
  { name: 'cpu', load: async () => {} },
];

/**
 * Why the named backend cannot be loaded in this process (its module missing or its native library refused),
 * or null when it loads. Loading has no other effect: the backend is chosen by initNodeBackend.
 */
export async function nodeBackendProblem(name: string): Promise<string | null> {
  const candidate = NODE_BACKEND_CANDIDATES.find((c) => c.name === name);
  if (!candidate) return `unknown backend "${name}" (${NODE_BACKEND_CANDIDATES.map((c) => c.name).join(', ')})`;
  try {
    await candidate.load();
    return null;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return /Cannot find (package|module) '@tensorflow\/tfjs-node'/.test(message)
      ? 'the optional package @tensorflow/tfjs-node is not installed (its install downloads libtensorflow)'
      : message.split('\n')[0];
  }
}

/**
 * Initialises the backend once per process. `forced` (a flag) wins over the `NCA_LAB_BACKEND` variable.
 */
export function initNodeBackend(forced?: string): Promise<BackendChoice> {
  if (!chosen) {
    // tfjs prints a banner suggesting tfjs-node when it runs on cpu in Node; the lab reports its backend itself.
    tf.env().set('PROD', true);
    chosen = selectBackend(NODE_BACKEND_CANDIDATES, forced ?? (process.env.NCA_LAB_BACKEND || undefined));
    chosen.catch(() => { chosen = null; });
  }
  return chosen;
}
