/**
 * Models: the parameters of a run's checkpoint or model (models.params), decoded once, for growing it in the
 * window. The newest parameters of a training run change with every checkpoint, so they are keyed by the
 * checkpoint generation the caller saw. And the gallery's and the workspace's imported models as listed
 * (models.library), for the views that offer them beside runs (Compare, Overlay).
 */
import type { LibraryModelInfo, ModelParams } from '@shared/lab-api';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import { lab } from '../lib/lab';
import { messageOf } from '../lib/format';
import type { LoadStatus } from './targets';

export interface LoadedParams extends Omit<ModelParams, 'paramsF32Base64'> {
  params: Float32Array;
}

const KEPT = 16;

export const useModelsStore = defineStore('models', () => {
  const cache = new Map<string, Promise<LoadedParams>>();

  /** `generation` undefined: the run's newest parameters (`version` = the checkpoint the caller knows of). */
  function params(runId: string, generation?: number, version: number | null = null): Promise<LoadedParams> {
    const key = `${runId}@${generation ?? `latest:${version}`}`;
    let p = cache.get(key);
    if (!p) {
      p = lab.models.params({ runId, ...(generation !== undefined ? { generation } : {}) }).then((m) => {
        const { paramsF32Base64, ...rest } = m;
        return markRaw({ ...rest, params: decodeFloat32Base64(paramsF32Base64) });
      });
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      while (cache.size > KEPT) cache.delete(cache.keys().next().value!);
    }
    return p;
  }

  const library = shallowRef<LibraryModelInfo[]>([]);
  const libraryStatus = ref<LoadStatus>('idle');
  const libraryError = ref<string | null>(null);

  /** The built-in and imported models (again when `force`: after an import or a removal). */
  async function loadLibrary(force = false): Promise<void> {
    if (!force && (libraryStatus.value === 'ready' || libraryStatus.value === 'loading')) return;
    libraryStatus.value = 'loading';
    libraryError.value = null;
    try {
      library.value = await lab.models.library();
      libraryStatus.value = 'ready';
    } catch (err) {
      libraryError.value = messageOf(err);
      libraryStatus.value = 'error';
    }
  }

  return { params, library, libraryStatus, libraryError, loadLibrary };
});
