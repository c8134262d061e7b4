/**
 * Finished runs written straight into a spec's fresh workspace (no training): an ES and an Adam run on carrot-9
 * whose model is a fixed growing parameter set (tests/fixtures/model-params.ts), saved at generation 1.
 */
import { THESIS_ADAM_MODEL, THESIS_ES_MODEL } from '../../src/core/nca/config';
import { LabStore } from '../../src/services/store/lab-store';
import { configFromPreset } from '../../src/shared/training-config';
import { growingParams } from '../fixtures/model-params';

/** Writes the ES run, then the Adam run, under these names; returns their ids in that order. */
export async function writeEsAndAdamRuns(workspace: string, names: { es: string; adam: string }): Promise<string[]> {
  const store = new LabStore(workspace);
  const ids: string[] = [];
  for (const [preset, cfg, seed, name] of [['thesis-es', THESIS_ES_MODEL, 3, names.es], ['thesis-adam', THESIS_ADAM_MODEL, 2, names.adam]] as const) {
    const c = configFromPreset(preset);
    const run = await store.createRun(c, { backend: null, name });
    await store.writeModel(run.id, growingParams(cfg, seed), { config: c, generation: 1, loss: null });
    await store.updateRun(run.id, { status: 'finished' });
    ids.push(run.id);
  }
  return ids;
}
