/**
 * A model as a file to save (LabApi `models.export`): a built-in or imported model, a run's model or one of its
 * checkpoints, in one of the two formats the lab reads back (shared/model-source.ts `ModelFileFormat`):
 *
 *   nca-lab        `<id>.nca-model.json`: the lab's model.json with the weights inline (store/model-format.ts), with
 *                  the model's name, target, shape, origin and, for a run, its config, generation and loss
 *   distill-webgl  `<id>.distill.json`: the Distill demo's two 8-bit layers (core/nca/distill-format.ts), which the
 *                  demo runs, with the lab's provenance so it imports back in its own shape and under its own origin
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NcaConfig } from '../../core/nca/config';
import { encodeDistillModel } from '../../core/nca/distill-format';
import type { ModelFileSet, ModelRef } from '../../shared/lab-api';
import type { ModelFileFormat, ModelSource } from '../../shared/model-source';
import { optimizerOf } from '../../shared/optimizers';
import type { RunRecord } from '../../shared/run-record';
import { startFromText } from '../../shared/start-model';
import { ncaConfigOf, type TargetRef } from '../../shared/training-config';
import { packageVersion } from '../resources/package-paths';
import type { LabStore } from '../store/lab-store';
import { encodeModelFile, MODEL_FILE_SUFFIX, MODEL_JSON, oneFileModel, WEIGHTS_BIN, type ModelJson } from '../store/model-format';
import { findLibraryModel, loadLibraryModel } from './model-library';

/** The name ending of a Distill demo file the lab writes. */
export const DISTILL_FILE_SUFFIX = '.distill.json';

/** A model to export: its file stem, parameters, the lab's model.json and weights, and what the Distill file keeps. */
interface ExportedModel {
  stem: string;
  nca: NcaConfig;
  params: Float32Array;
  modelJson: ModelJson;
  weights: Uint8Array;
  name: string;
  target: TargetRef | null;
  origin: ModelSource | null;
  runId: string | null;
  generation: number | null;
}

/** Where a run's parameters came from, in the words a model card shows (shared/model-source.ts). */
export function runOrigin(record: RunRecord, generation: number): ModelSource {
  const o = optimizerOf(record.config);
  const best = record.progress.bestLoss;
  const from = record.config.startFrom ? `, fine-tuned from ${startFromText(record.config.startFrom, '')}` : '';
  return {
    description: `NCA Lab run "${record.name}" (${record.id}) at ${o.unit} ${generation.toLocaleString('en-US')}${from}`,
    format: 'nca-lab', file: null, licence: null, attribution: null, url: null,
    trainedWith: `${o.short}, preset ${record.preset}, ${generation.toLocaleString('en-US')} ${o.units}` +
      (best !== null && Number.isFinite(best) ? `, best training loss ${best.toExponential(3)}` : ''),
  };
}

async function libraryExport(store: LabStore, id: string): Promise<ExportedModel> {
  const m = await findLibraryModel(store.workspace, id);
  if (!m) throw new Error(`no built-in or imported model "${id}"`);
  const loaded = await loadLibraryModel(m); // refuses a corrupt folder before handing it out
  // the folder's own description, as written (its origin, evaluation and save time), with its weights inline
  const modelJson = JSON.parse(await readFile(join(m.dir, MODEL_JSON), 'utf8')) as ModelJson;
  return {
    stem: m.id, nca: loaded.nca, params: loaded.params, modelJson, weights: await readFile(join(m.dir, WEIGHTS_BIN)),
    name: m.name, target: m.target, origin: m.origin, runId: loaded.runId ?? null, generation: loaded.generation,
  };
}

async function runExport(store: LabStore, ref: Extract<ModelRef, { kind: 'run' }>): Promise<ExportedModel> {
  const record = await store.getRun(ref.runId);
  const checkpoint = ref.generation !== undefined;
  const model = checkpoint ? null : await store.loadModel(ref.runId);
  const params = model ? model.params : (await store.readCheckpoint(ref.runId, ref.generation!)).params;
  // the generation the parameters are from: the checkpoint's, else what the run's model (or newest checkpoint) says
  const generation = model ? model.generation ?? record.progress.generation : ref.generation!;
  const best = record.progress.bestLoss;
  const origin = runOrigin(record, generation);
  const target = { ...record.config.target };
  const nca = ncaConfigOf(record.config);
  const { modelJson, weights } = encodeModelFile(params, {
    nca, target, config: record.config, generation, loss: best !== null && Number.isFinite(best) ? best : null,
    runId: ref.runId, labVersion: packageVersion(), name: record.name, origin,
  });
  return {
    stem: checkpoint ? `${ref.runId}-${optimizerOf(record.config).unit}-${generation}` : ref.runId,
    nca, params, modelJson, weights, name: record.name, target, origin, runId: ref.runId, generation,
  };
}

/** One file to save: the model in the lab's one-file form, or as the Distill demo's JSON with the lab's provenance. */
export async function exportModelFiles(store: LabStore, ref: ModelRef, format: ModelFileFormat): Promise<ModelFileSet> {
  const m = ref.kind === 'library' ? await libraryExport(store, ref.id) : await runExport(store, ref);
  if (format === 'nca-lab') {
    return { files: [{ name: `${m.stem}${MODEL_FILE_SUFFIX}`, bytesBase64: Buffer.from(oneFileModel(m.modelJson, m.weights)).toString('base64') }] };
  }
  const layers = encodeDistillModel(m.nca, m.params, { name: m.name, target: m.target, origin: m.origin, runId: m.runId, generation: m.generation });
  return { files: [{ name: `${m.stem}${DISTILL_FILE_SUFFIX}`, bytesBase64: Buffer.from(JSON.stringify(layers)).toString('base64') }] };
}
