/**
 * A run's parameters for the window (the growth preview, the playground): a given checkpoint; else the newest
 * checkpoint (while it trains, the most recent parameters on disk); else its model.
 */
import type { ModelParams } from '../../shared/lab-api';
import { encodeFloat32Base64 } from '../../shared/float32-base64';
import { ncaConfigOf } from '../../shared/training-config';
import type { LabStore } from '../store/lab-store';
import { OPTIMIZERS } from '../../shared/optimizers';

/** No parameters on disk yet; the message says when they will appear. */
export class NoParamsYetError extends Error {
  override name = 'NoParamsYetError';
}

export async function readRunParams(store: LabStore, runId: string, generation?: number): Promise<ModelParams> {
  const record = await store.getRun(runId);
  const { size, padding } = record.config.target;
  const canvas = { height: size + 2 * padding, width: size + 2 * padding };
  const nca = ncaConfigOf(record.config);
  if (generation !== undefined) {
    const ckpt = await store.readCheckpoint(runId, generation);
    return { runId, generation, source: 'checkpoint', nca, paramsF32Base64: encodeFloat32Base64(ckpt.params), ...canvas };
  }
  const latest = await store.readLatestCheckpoint(runId);
  if (latest) {
    return { runId, generation: latest.generation, source: 'checkpoint', nca, paramsF32Base64: encodeFloat32Base64(latest.params), ...canvas };
  }
  let model;
  try {
    model = await store.loadModel(runId);
  } catch {
    const unit = OPTIMIZERS[record.optimizer].units;
    throw new NoParamsYetError(`run "${runId}" has no parameters on disk yet: they appear with its first checkpoint (every ${record.config.checkpointEvery} ${unit}, and whenever it is paused or stopped)`);
  }
  return {
    runId, generation: record.progress.generation, source: 'model', nca: model.nca,
    paramsF32Base64: encodeFloat32Base64(model.params), ...canvas,
  };
}
