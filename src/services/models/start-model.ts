/**
 * Fine-tuning: the model a new run starts from, resolved before the run exists, so a
 * reference that names nothing, or a model whose parameters do not fit the run's model settings, is refused and
 * leaves no run behind. What `nca-lab train --from MODEL` accepts (as `nca-lab grow` does, replay-models.ts):
 *
 *   RUN_ID            the run's model/ (its final parameters), else its newest readable checkpoint
 *   RUN_ID@GEN        the run's checkpoint at generation/iteration GEN
 *   MODEL_ID          a built-in model of the gallery or one imported into the workspace (model-library.ts)
 *   PATH              a model folder, a model.json or a checkpoint file
 *
 * The window sends a `StartModel` reference of the first three kinds in the config (never a path); the label is
 * always rewritten here from what was found, so run.json says in words where the parameters came from.
 */
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type { NcaConfig } from '../../core/nca/config';
import { stepWord } from '../../shared/run-record';
import { startShapeRefusal, type StartModel } from '../../shared/start-model';
import { ncaConfigOf, type RunConfig } from '../../shared/training-config';
import { isValidRunId, RunNotFoundError, type LabStore, type StartParams } from '../store/lab-store';
import { liveRunOwner, ownedRunRefusal } from '../training/run-owner';
import { findLibraryModel, importedModelsDir, loadLibraryModel } from './model-library';

/** A start that names nothing the workspace has, or whose parameters do not fit: the message says which. */
export class StartModelError extends Error {
  override name = 'StartModelError';
}

export interface ResolvedStart {
  /** the reference with its label filled in */
  from: StartModel;
  nca: NcaConfig;
  params: Float32Array;
}

async function runExists(store: LabStore, id: string): Promise<boolean> {
  return (
    isValidRunId(id) &&
    (await store.getRun(id).then(
      () => true,
      () => false,
    ))
  );
}

/** What a `--from` text names, checked against the workspace (nothing is loaded yet). */
export async function startModelOfSpec(store: LabStore, spec: string): Promise<StartModel> {
  const at = spec.lastIndexOf('@');
  if (at > 0 && /^\d+$/.test(spec.slice(at + 1)) && isValidRunId(spec.slice(0, at))) {
    return { kind: 'run', runId: spec.slice(0, at), generation: Number(spec.slice(at + 1)), label: '' };
  }
  if (await runExists(store, spec)) return { kind: 'run', runId: spec, generation: null, label: '' };
  if (await findLibraryModel(store.workspace, spec)) return { kind: 'library', id: spec, label: '' };
  if (
    await stat(spec).then(
      () => true,
      () => false,
    )
  )
    return { kind: 'file', path: resolve(spec), label: '' };
  throw new StartModelError(
    `"${spec}" is no run in ${store.runsDir}, no built-in model, no model imported into ` +
      `${importedModelsDir(store.workspace)} and no model file`,
  );
}

/** Loads the parameters a reference names; refuses, naming it, what is missing or cannot be read. */
export async function resolveStartModel(store: LabStore, ref: StartModel): Promise<ResolvedStart> {
  switch (ref.kind) {
    case 'run': {
      const record = await store.getRun(ref.runId).catch((err) => {
        throw err instanceof RunNotFoundError ? new StartModelError(`cannot start from run "${ref.runId}": ${err.message}`) : err;
      });
      const unit = stepWord(record.optimizer);
      if (ref.generation !== null) {
        const ckpt = await store.readCheckpoint(record.id, ref.generation).catch((err: Error) => {
          throw new StartModelError(`cannot start from ${record.id}@${ref.generation}: ${err.message}`);
        });
        const label = `run "${record.name}" (${record.id}), checkpoint at ${unit} ${ckpt.generation}`;
        return { from: { ...ref, label }, nca: ncaConfigOf(record.config), params: ckpt.params };
      }
      // a run's head moves while a process trains it: a start is fixed only at one of its checkpoints
      const owner = await liveRunOwner(store.runDir(record.id));
      if (owner) {
        const at = record.checkpointGeneration === null ? 'once it has written a checkpoint, ' : '';
        throw new StartModelError(ownedRunRefusal(record.id, owner, 'its newest parameters change while it trains; ' +
          `${at}start from one of its checkpoints (${record.id}@${record.checkpointGeneration ?? 'GENERATION'}), or stop it there first`));
      }
      const loaded = await store.loadModel(record.id).catch((err: Error) => {
        throw new StartModelError(`cannot start from run ${record.id}: ${err.message}`);
      });
      const label = `run "${record.name}" (${record.id}), its model${loaded.generation === null ? '' : ` at ${unit} ${loaded.generation}`}`;
      return { from: { ...ref, label }, nca: loaded.nca, params: loaded.params };
    }
    case 'library': {
      const model = await findLibraryModel(store.workspace, ref.id);
      if (!model)
        throw new StartModelError(
          `cannot start from model "${ref.id}": no built-in model and no model imported into ${importedModelsDir(store.workspace)} has that id`,
        );
      const loaded = await loadLibraryModel(model);
      const label = `${model.kind === 'builtin' ? 'built-in' : 'imported'} model "${model.name}" (${model.id})`;
      return { from: { ...ref, label }, nca: loaded.nca, params: loaded.params };
    }
    case 'file': {
      const loaded = await store.loadModel(ref.path).catch((err: Error) => {
        throw new StartModelError(`cannot start from ${ref.path}: ${err.message}`);
      });
      return { from: { ...ref, label: `model file ${loaded.source}` }, nca: loaded.nca, params: loaded.params };
    }
  }
}

/**
 * A new run's config and the parameters it starts from: config.startFrom resolved (its label rewritten) and
 * checked against the run's model settings. A config without a start passes through unchanged.
 */
export async function prepareStart(store: LabStore, config: RunConfig): Promise<{ config: RunConfig; startModel?: StartParams }> {
  if (!config.startFrom) return { config };
  const resolved = await resolveStartModel(store, config.startFrom);
  const refusal = startShapeRefusal(resolved.from.label, resolved.nca, config.model);
  if (refusal) throw new StartModelError(refusal);
  return { config: { ...structuredClone(config), startFrom: resolved.from }, startModel: { nca: resolved.nca, params: resolved.params } };
}
