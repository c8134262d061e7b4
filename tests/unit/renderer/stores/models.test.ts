// @vitest-environment happy-dom
/** The models store (src/renderer/stores/models.ts): parameters fetched once per checkpoint, decoded, a bounded cache. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { THESIS_ES_MODEL } from '../../../../src/core/nca/config';
import { encodeFloat32Base64 } from '../../../../src/shared/float32-base64';
import type { ModelParamsRequest } from '../../../../src/shared/lab-api';
import { installFakeLab, type FakeLab } from '../fake-lab';

let fake: FakeLab;
let useModelsStore: typeof import('../../../../src/renderer/stores/models').useModelsStore;
let failing: Set<string>;

/** the parameters of a run at a generation: [generation, runId's length, 0.5] so each answer is told apart */
function answer({ runId, generation }: ModelParamsRequest) {
  if (failing.has(runId)) throw new Error(`run "${runId}" has no checkpoint yet`);
  const g = generation ?? 99;
  return {
    runId, generation: g, source: 'checkpoint', nca: THESIS_ES_MODEL,
    paramsF32Base64: encodeFloat32Base64(new Float32Array([g, runId.length, 0.5])), height: 9, width: 9,
  };
}
const fetches = () => fake.calls.filter((c) => c.method === 'models.params').map((c) => c.args[0]);

beforeEach(async () => {
  failing = new Set();
  fake = installFakeLab({ 'models.params': answer });
  setActivePinia(createPinia());
  ({ useModelsStore } = await import('../../../../src/renderer/stores/models'));
});

describe('the models store', () => {
  it('decodes the parameters into a Float32Array and keeps the rest of the answer', async () => {
    const m = await useModelsStore().params('abc', 40);
    expect(m.params).toBeInstanceOf(Float32Array);
    expect([...m.params]).toEqual([40, 3, 0.5]);
    expect(m).toMatchObject({ runId: 'abc', generation: 40, height: 9, width: 9, nca: THESIS_ES_MODEL });
    expect('paramsF32Base64' in m).toBe(false);
    expect(fetches()).toEqual([{ runId: 'abc', generation: 40 }]);
  });

  it('asks the lab once per checkpoint, also while the first request is on its way', async () => {
    const store = useModelsStore();
    const [a, b] = await Promise.all([store.params('abc', 40), store.params('abc', 40)]);
    expect(a).toBe(b);
    await store.params('abc', 80);
    await store.params('abc', 40);
    expect(fetches()).toEqual([{ runId: 'abc', generation: 40 }, { runId: 'abc', generation: 80 }]);
  });

  it('asks for the newest parameters (no generation) again when the caller knows of a newer checkpoint', async () => {
    const store = useModelsStore();
    await store.params('abc', undefined, 10);
    await store.params('abc', undefined, 10);
    await store.params('abc', undefined, 20);
    expect(fetches()).toEqual([{ runId: 'abc' }, { runId: 'abc' }]);
  });

  it('forgets a failed request, so asking again asks the lab again', async () => {
    const store = useModelsStore();
    failing.add('new');
    await expect(store.params('new', 5)).rejects.toThrow('run "new" has no checkpoint yet');
    failing.delete('new');
    expect([...(await store.params('new', 5)).params]).toEqual([5, 3, 0.5]);
    expect(fetches()).toHaveLength(2);
  });

  it('keeps the 16 most recently added models: the oldest is fetched again once 17 were asked for', async () => {
    const store = useModelsStore();
    for (let g = 1; g <= 16; g++) await store.params('abc', g);
    await store.params('abc', 1);
    expect(fetches()).toHaveLength(16);
    await store.params('abc', 17);
    await store.params('abc', 2);
    expect(fetches()).toHaveLength(17);
    await store.params('abc', 1);
    expect(fetches()).toHaveLength(18);
  });
});
