/**
 * Models: the parameters of a run's checkpoint or model (models.params), decoded once, for growing it in the
 * window. The newest parameters of a training run change with every checkpoint, so they are keyed by the
 * checkpoint generation the caller saw.
 */
import type { ModelParams } from '@shared/lab-api';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import { lab } from '../lib/lab';

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

  return { params };
});
