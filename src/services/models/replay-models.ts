/**
 * Models for a replay (`nca-lab grow`, the playground's model files), from the workspace or from disk, with the
 * target each was trained on (for the per-step loss and FGSM).
 *
 *   RUN_ID            the run's model/ (its final parameters), else its newest readable checkpoint
 *   RUN_ID@GEN        the run's checkpoint at generation GEN
 *   MODEL_ID          a built-in model of the gallery or one imported into the workspace (model-library.ts)
 *   PATH              a model folder, a model.json or a checkpoint file (LabStore.loadModel refuses, naming the file
 *                     and the problem, anything malformed or incompatible)
 *
 * The target of a run is its exact target.png; a model file names its target (a built-in, or an image path that
 * may no longer exist): when it cannot be found the replay runs without a loss, and `targetProblem` says why.
 */
import { basename, dirname, join } from 'node:path';
import type { Target } from '../../core/targets/target';
import type { CanvasTarget } from '../../core/replay/canvas-target';
import type { ReplayModel } from '../../core/replay/growth-replay';
import type { RecordedModel } from '../../core/replay/recording';
import { ncaConfigOf, type TargetRef } from '../../shared/training-config';
import { isValidRunId, type LabStore } from '../store/lab-store';
import type { LoadedModel } from '../store/model-format';
import { resolveTarget } from '../targets/targets';
import { findLibraryModel, loadLibraryModel } from './model-library';
import { messageOf } from '../../shared/validate';
import { modelCanvas } from '../../shared/model-source';

export interface LoadedReplayModel {
  model: ReplayModel;
  recorded: RecordedModel;
  /** the canvas it was trained on (target size + 2·padding), or null when unknown */
  trainingCanvas: { height: number; width: number } | null;
  /** why the target is missing, when it is */
  targetProblem: string | null;
  source: string;
}

export function canvasTargetOf(t: Target): CanvasTarget {
  return { height: t.height, width: t.width, rgba: t.rgba };
}


/** The target a model file names, or why it cannot be had. */
export async function targetOfRef(ref: TargetRef | null): Promise<{ target: Target | null; problem: string | null }> {
  if (!ref) return { target: null, problem: 'the model names no target' };
  try {
    return { target: await resolveTarget(ref.name, { size: ref.size, padding: ref.padding }), problem: null };
  } catch (err) {
    return { target: null, problem: `its target "${ref.name}" cannot be loaded (${messageOf(err)})` };
  }
}

/** A LoadedModel (from a file) and its target as a replay model. */
export async function replayModelFromLoaded(loaded: LoadedModel, name: string): Promise<Omit<LoadedReplayModel, 'recorded'>> {
  const { target, problem } = await targetOfRef(loaded.target);
  // a model without a target still knows its canvas when it was evaluated on one (a Distill demo model's)
  const side = modelCanvas(loaded.target, loaded.evaluation);
  return {
    model: { name, nca: loaded.nca, params: loaded.params, target: target ? canvasTargetOf(target) : null },
    trainingCanvas: side === null ? null : { height: side, width: side },
    targetProblem: problem,
    source: loaded.source,
  };
}

export async function loadReplayModel(store: LabStore, spec: string): Promise<LoadedReplayModel> {
  const at = spec.lastIndexOf('@');
  if (at > 0 && /^\d+$/.test(spec.slice(at + 1)) && isValidRunId(spec.slice(0, at))) {
    const runId = spec.slice(0, at);
    const generation = Number(spec.slice(at + 1));
    const record = await store.getRun(runId);
    const ckpt = await store.readCheckpoint(runId, generation);
    const target = await store.loadRunTarget(runId);
    return {
      model: { name: `${runId}@${generation}`, nca: ncaConfigOf(record.config), params: ckpt.params, target: canvasTargetOf(target) },
      recorded: { name: `${runId}@${generation}`, runId, generation },
      trainingCanvas: { height: target.height, width: target.width },
      targetProblem: null,
      source: `run ${runId}, checkpoint at generation ${generation}`,
    };
  }
  // a built-in or imported model by id (services/models/model-library.ts), unless a run has that id
  const library = isValidRunId(spec) && (await store.getRun(spec).then(() => true, () => false)) ? null : await findLibraryModel(store.workspace, spec);
  if (library) {
    const loaded = await loadLibraryModel(library);
    const rest = await replayModelFromLoaded(loaded, library.id);
    return { ...rest, recorded: { name: library.id, file: join(library.dir, 'model.json') }, source: `${library.kind} model ${library.id} (${library.origin?.description ?? library.dir})` };
  }
  const loaded = await store.loadModel(spec);
  const runId = isValidRunId(spec) ? await store.getRun(spec).then((r) => r.id, () => null) : null;
  if (runId) {
    const target = await store.loadRunTarget(runId);
    return {
      model: { name: runId, nca: loaded.nca, params: loaded.params, target: canvasTargetOf(target) },
      recorded: { name: runId, runId },
      trainingCanvas: { height: target.height, width: target.width },
      targetProblem: null,
      source: loaded.source,
    };
  }
  // a file: name it after its folder when it is a model.json or a model folder (runs/<id>/model → <id>)
  const file = loaded.source;
  const folder = basename(dirname(file));
  const name = basename(file) === 'model.json' ? (folder === 'model' ? basename(dirname(dirname(file))) : folder) : basename(file);
  const rest = await replayModelFromLoaded(loaded, name);
  return { ...rest, recorded: { name, file } };
}
