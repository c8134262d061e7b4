/**
 * The models that are not a run's: the gallery of built-in models shipped in `resources/models/` and the models a
 * user imported into the workspace (`<workspace>/models/<id>/`). Each is a folder in the lab's own model format
 * (services/store/model-format.ts) with its origin (file, licence, attribution), its 40/200/1000-update losses and
 * a thumbnail:
 *
 *   <folder>/model.json      the lab's model description (userDefinedMetadata.ncaLab.{name, origin, evaluation})
 *            weights.bin     float32 parameters
 *            thumbnail.png   the model grown for THUMBNAIL_STEP updates from the seed on its training canvas
 *
 * `resources/models/models.json` lists the built-ins in gallery order. Importing reads a Distill demo file
 * (core/nca/distill-format.ts) or any model the lab reads (model folder, model.json, checkpoint), grows it once to
 * measure it, and writes the folder under a hidden name before renaming it into place.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { paramCount, type NcaConfig } from '../../core/nca/config';
import { decodeDistillModel } from '../../core/nca/distill-format';
import { renderFrame } from '../../core/replay/frames';
import { GrowthReplay } from '../../core/replay/growth-replay';
import type { Target } from '../../core/targets/target';
import {
  DISTILL_ATTRIBUTION, DISTILL_LICENCE, DISTILL_URL, isValidModelId, parseModelSource, type ModelEvaluation, type ModelSource,
} from '../../shared/model-source';
import type { RunConfig, TargetRef } from '../../shared/training-config';
import { messageOf } from '../../shared/validate';
import { encodePng } from '../export/png';
import { packageVersion, resourcesDir } from '../resources/package-paths';
import { writeBytesAtomic } from '../store/atomic-file';
import { LabStore } from '../store/lab-store';
import { encodeModelFile, MODEL_FILE_SUFFIX, MODEL_JSON, readModelFolder, WEIGHTS_BIN, type LoadedModel } from '../store/model-format';
import { resolveTarget } from '../targets/targets';

export const MODELS_DIR = 'models';
export const THUMBNAIL_PNG = 'thumbnail.png';
export const GALLERY_JSON = 'models.json';
/** The update shown by thumbnails: past the thesis's 40-step horizon, where a model that does not stop shows it. */
export const THUMBNAIL_STEP = 200;
/** Evaluations grow from this replay seed (fire masks), so they are reproducible. */
export const EVALUATION_SEED = 0;

/** The target the Distill demo's lizards were trained on: the 2018 Noto lizard, 40 px padded by 16 (72×72). */
export const DISTILL_LIZARD_TARGET: TargetRef = { name: 'lizard-2018-40', size: 40, padding: 16 };
/** The canvas of every Distill demo model (the notebook's 40 px targets padded by 16): the one its files imply. */
export const DISTILL_CANVAS = DISTILL_LIZARD_TARGET.size + 2 * DISTILL_LIZARD_TARGET.padding;

export type LibraryKind = 'builtin' | 'imported';

/** A built-in or imported model as listed: enough to show it and to load it. */
export interface LibraryModel {
  kind: LibraryKind;
  /** the folder name; `nca-lab grow ID` and the window use it */
  id: string;
  dir: string;
  name: string;
  nca: NcaConfig;
  paramCount: number;
  target: TargetRef | null;
  origin: ModelSource | null;
  evaluation: ModelEvaluation | null;
  /** absolute path of thumbnail.png, or null when there is none */
  thumbnail: string | null;
}

/** `resources/models/` */
export function builtinModelsDir(): string {
  return join(resourcesDir(), MODELS_DIR);
}

/** `<workspace>/models/` */
export function importedModelsDir(workspace: string): string {
  return join(workspace, MODELS_DIR);
}

export { isValidModelId };

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function readLibraryFolder(kind: LibraryKind, dir: string, id: string): Promise<LibraryModel> {
  const loaded = await readModelFolder(join(dir, MODEL_JSON), (n) => join(dir, n));
  const thumb = join(dir, THUMBNAIL_PNG);
  return {
    kind, id, dir, name: loaded.name ?? id, nca: loaded.nca, paramCount: paramCount(loaded.nca), target: loaded.target,
    origin: loaded.origin, evaluation: loaded.evaluation, thumbnail: (await exists(thumb)) ? thumb : null,
  };
}

/** The built-in models in gallery order (models.json); none when the folder is absent. */
export async function listBuiltinModels(): Promise<LibraryModel[]> {
  const dir = builtinModelsDir();
  let ids: string[];
  try {
    const catalogue = JSON.parse(await readFile(join(dir, GALLERY_JSON), 'utf8')) as { models?: { id?: unknown }[] };
    ids = (catalogue.models ?? []).map((m) => String(m.id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the built-in model list ${join(dir, GALLERY_JSON)}: ${messageOf(err)} (run \`npm run models:build\`)`, { cause: err });
  }
  return Promise.all(ids.map((id) => readLibraryFolder('builtin', join(dir, id), id)));
}

/** The workspace's imported models, by id; folders that cannot be read are reported through `onProblem`. */
export async function listImportedModels(workspace: string, onProblem: (id: string, message: string) => void = () => {}): Promise<LibraryModel[]> {
  const root = importedModelsDir(workspace);
  const names = await readdir(root).catch(() => [] as string[]);
  const out: LibraryModel[] = [];
  for (const id of names.sort()) {
    if (id.startsWith('.') || !isValidModelId(id)) continue;
    try {
      out.push(await readLibraryFolder('imported', join(root, id), id));
    } catch (err) {
      onProblem(id, messageOf(err));
    }
  }
  return out;
}

/** A built-in or imported model by id (imports shadow nothing: built-in ids win, imports get other ids). */
export async function findLibraryModel(workspace: string, id: string): Promise<LibraryModel | null> {
  if (!isValidModelId(id)) return null;
  for (const [kind, dir] of [['builtin', builtinModelsDir()], ['imported', importedModelsDir(workspace)]] as const) {
    const folder = join(dir, id);
    if (await exists(join(folder, MODEL_JSON))) return readLibraryFolder(kind, folder, id);
  }
  return null;
}

/** The parameters of a library model (checked like any model file). */
export async function loadLibraryModel(model: LibraryModel): Promise<LoadedModel> {
  return readModelFolder(join(model.dir, MODEL_JSON), (n) => join(model.dir, n));
}

/** Deletes an imported model; built-ins cannot be deleted. */
export async function removeImportedModel(workspace: string, id: string): Promise<void> {
  if (!isValidModelId(id)) throw new Error(`"${id}" is not a model id (lower-case letters, digits, ".", "_" and "-")`);
  const folder = join(importedModelsDir(workspace), id);
  if (!(await exists(join(folder, MODEL_JSON)))) {
    const builtin = await exists(join(builtinModelsDir(), id, MODEL_JSON));
    throw new Error(builtin ? `"${id}" is a built-in model: it cannot be deleted` : `no imported model "${id}" in ${importedModelsDir(workspace)}`);
  }
  // rename away first, so a half-deleted folder is never listed
  const trash = join(importedModelsDir(workspace), `.deleted-${id}-${randomBytes(3).toString('hex')}`);
  await rename(folder, trash);
  await rm(trash, { recursive: true, force: true });
}

// ---- measuring a model ----

/** Grows a model once from the seed on its training canvas: its losses at 40, 200 and 1000 and the thumbnail. */
export function evaluateModel(nca: NcaConfig, params: Float32Array, target: Target | null, canvas: number): { evaluation: ModelEvaluation; thumbnailPng: Buffer } {
  const replay = new GrowthReplay({
    models: [{ name: 'model', nca, params, target: target ? { height: target.height, width: target.width, rgba: target.rgba } : null }],
    height: canvas, width: canvas, seed: EVALUATION_SEED,
  });
  replay.seek(THUMBNAIL_STEP);
  const thumbnailPng = encodePng(renderFrame(replay.state(0), 'rgb'), canvas, canvas);
  replay.seek(1000);
  const at = (t: number) => {
    const v = replay.loss(0, t);
    return Number.isFinite(v) ? v : null;
  };
  return { evaluation: { replaySeed: EVALUATION_SEED, canvas, loss40: at(40), loss200: at(200), loss1000: at(1000) }, thumbnailPng };
}

// ---- importing ----

/** The Distill demo's experiments, by the prefix of its file names (ex1_🦎.json …). */
const DISTILL_VARIANTS: Record<string, string> = { ex1: 'growing', ex2: 'persistent', ex3: 'regenerating' };

/** What the name of a Distill demo file says: its experiment (variant) and whether it is the lizard. */
export function distillFileFacts(fileName: string): { variant: string | null; lizard: boolean } {
  const stem = basename(fileName, extname(fileName));
  const prefix = /^(ex[123])_/.exec(stem)?.[1];
  return { variant: prefix ? DISTILL_VARIANTS[prefix] : null, lizard: /🦎|lizard/i.test(stem) };
}

/** A model read from a file, before it is measured and written: its parameters, target, name, origin and run. */
export interface ModelFromFile {
  nca: NcaConfig;
  params: Float32Array;
  target: TargetRef | null;
  name: string;
  origin: ModelSource;
  /** the canvas it grows on when it names no target (a Distill demo file's), else its target's */
  canvas?: number;
  /** the run it was trained in, its config and the generation/iteration it was saved at, when the file says */
  config?: RunConfig | null;
  runId?: string | null;
  generation?: number | null;
}

/** Whether a file name is one of the Distill demo's own (`public/webgl_models8/ex{1,2,3}_<emoji>.json`). */
export function isDistillDemoFileName(fileName: string): boolean {
  return /^ex[123]_[^/\\]+\.json$/i.test(fileName);
}

/**
 * A Distill-format file, as a model to import. One the lab wrote carries its provenance: its own shape, name,
 * target and origin (core/nca/distill-format.ts). One of the demo's own files is credited to the article whose demo
 * published it (CC-BY 4.0), its target the 2018 lizard when it is one of the lizards; any other has no known origin.
 */
function distillModel(json: unknown, file: string, fileName: string): ModelFromFile {
  let decoded;
  try {
    decoded = decodeDistillModel(json);
  } catch (err) {
    throw new Error(`${file}: not a Distill demo model: ${messageOf(err)}`, { cause: err });
  }
  const { nca, params, provenance } = decoded;
  if (provenance) {
    let origin: ModelSource | null;
    try {
      origin = provenance.origin === null ? null : parseModelSource(provenance.origin, 'layer 0.nca_lab.origin');
    } catch (err) {
      throw new Error(`${file}: not a Distill demo model: ${messageOf(err)}`, { cause: err });
    }
    const name = provenance.name ?? basename(fileName, extname(fileName));
    const from = origin ? `, from: ${origin.description}` : '';
    return {
      nca, params, target: provenance.target, canvas: DISTILL_CANVAS, name, runId: provenance.runId, generation: provenance.generation,
      origin: {
        // the 8-bit layers are the lab's export of the model: the source's credit and licence stay with it
        description: `Exported by NCA Lab in the Distill demo's format (8-bit weights) as ${fileName}${from}`,
        format: 'distill-webgl', file: fileName, licence: origin?.licence ?? null, attribution: origin?.attribution ?? null,
        url: origin?.url ?? null, trainedWith: origin?.trainedWith ?? null,
      },
    };
  }
  if (!isDistillDemoFileName(fileName)) {
    const stem = basename(fileName, extname(fileName));
    return {
      nca, params, target: null, name: stem, canvas: DISTILL_CANVAS,
      origin: { description: `Distill-format model ${fileName} of unknown origin`, format: 'distill-webgl', file: fileName, licence: null, attribution: null, url: null, trainedWith: null },
    };
  }
  const { variant, lizard } = distillFileFacts(fileName);
  const what = `${lizard ? 'lizard' : basename(fileName, '.json')}${variant ? ` (${variant})` : ''}`;
  return {
    nca, params, target: lizard ? { ...DISTILL_LIZARD_TARGET } : null, name: `Distill ${what}`, canvas: DISTILL_CANVAS,
    origin: {
      description: `Distill demo model ${fileName}${variant ? `, the article's ${variant} experiment` : ''}`,
      format: 'distill-webgl', file: fileName, licence: DISTILL_LICENCE, attribution: DISTILL_ATTRIBUTION, url: DISTILL_URL,
      trainedWith: 'Adam (Mordvintsev et al., the growing-CA notebook)',
    },
  };
}

/**
 * Reads a file to import: a Distill demo model (a JSON array of two layers) or any model the lab reads (its
 * one-file export, a model folder or model.json, a checkpoint). `shownAs` is the file's name as the user knows it
 * (a window's pick is read from a temporary folder).
 */
export async function readModelToImport(file: string, store: LabStore, shownAs = basename(file)): Promise<ModelFromFile> {
  const fileName = shownAs;
  if ((await stat(file).catch(() => null))?.isFile() && fileName.toLowerCase().endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not a model: the file is not JSON (${messageOf(err)})`, { cause: err });
    }
    // a JSON array is never the lab's model.json: read it as the demo's format and say what does not fit
    if (Array.isArray(json)) return distillModel(json, file, fileName);
  }
  const loaded = await store.loadModel(file);
  const stem = fileName.toLowerCase().endsWith(MODEL_FILE_SUFFIX) ? fileName.slice(0, -MODEL_FILE_SUFFIX.length) : basename(fileName, extname(fileName));
  const runId = loaded.runId ?? null;
  return {
    nca: loaded.nca, params: loaded.params, target: loaded.target, config: loaded.config, runId, generation: loaded.generation,
    name: loaded.name ?? runId ?? (fileName === MODEL_JSON && shownAs === basename(file) ? basename(join(file, '..')) : stem),
    origin: loaded.origin ?? {
      description: `NCA Lab model ${fileName}${loaded.config ? ` (${loaded.config.optimizer}, preset ${loaded.config.preset})` : ''}`,
      format: 'nca-lab', file: fileName, licence: null, attribution: null, url: null,
      trainedWith: loaded.config ? `${loaded.config.optimizer}, preset ${loaded.config.preset}` : null,
    },
  };
}

/** A fresh id from a name: lower-case, safe characters, unique among the existing ones. */
export function modelIdFor(name: string, taken: ReadonlySet<string>): string {
  const base = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'model';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

/**
 * Measures a model and writes its library folder (model.json, weights.bin, thumbnail.png) under `root/<id>`,
 * assembled under a hidden name and renamed into place. Returns the folder.
 */
export async function writeLibraryFolder(root: string, id: string, model: ModelFromFile): Promise<string> {
  if (!isValidModelId(id)) throw new Error(`"${id}" is not a model id`);
  let target: Target | null = null;
  if (model.target) {
    try {
      target = await resolveTarget(model.target.name, { size: model.target.size, padding: model.target.padding });
    } catch (err) {
      throw new Error(`${model.name}: its target "${model.target.name}" cannot be loaded (${messageOf(err)})`, { cause: err });
    }
  }
  const canvas = model.target ? model.target.size + 2 * model.target.padding : model.canvas ?? null;
  const evaluated = canvas ? evaluateModel(model.nca, model.params, target, canvas) : null;
  const { modelJson, weights } = encodeModelFile(model.params, {
    nca: model.nca, target: model.target, config: model.config ?? null, generation: model.generation ?? null,
    loss: evaluated?.evaluation.loss40 ?? null, runId: model.runId ?? null,
    labVersion: packageVersion(), name: model.name, origin: model.origin, evaluation: evaluated?.evaluation ?? null,
  });
  await mkdir(root, { recursive: true });
  const staging = join(root, `.staging-${id}-${randomBytes(3).toString('hex')}`);
  await mkdir(staging);
  try {
    await writeBytesAtomic(join(staging, WEIGHTS_BIN), weights, { what: 'model weights' });
    await writeBytesAtomic(join(staging, MODEL_JSON), JSON.stringify(modelJson, null, 2) + '\n', { what: 'model description' });
    if (evaluated) await writeBytesAtomic(join(staging, THUMBNAIL_PNG), evaluated.thumbnailPng, { what: 'model thumbnail' });
    const folder = join(root, id);
    if (await exists(folder)) await rm(folder, { recursive: true, force: true });
    await rename(staging, folder);
    return folder;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Imports model files into the workspace's models/ and returns them as listed. `refuseTarget` says why a
 * file's target must not be read (files from a window); such a model is imported without its target.
 */
export async function importModelFiles(
  workspace: string, files: string[],
  opts: { refuseTarget?: (ref: TargetRef) => string | null; fileNames?: ReadonlyMap<string, string> } = {},
): Promise<LibraryModel[]> {
  const store = new LabStore(workspace);
  const root = importedModelsDir(workspace);
  const taken = new Set([
    ...(await readdir(root).catch(() => [] as string[])),
    ...(await listBuiltinModels()).map((m) => m.id),
  ]);
  // every file is read and checked before the first is written: one bad file imports nothing
  const reads = [];
  for (const file of files) reads.push(await readModelToImport(file, store, opts.fileNames?.get(file)));
  const out: LibraryModel[] = [];
  for (const [i, read] of reads.entries()) {
    const refused = read.target && opts.refuseTarget ? opts.refuseTarget(read.target) : null;
    // a target that is not read leaves the model its canvas
    const model = refused && read.target ? { ...read, target: null, canvas: read.target.size + 2 * read.target.padding } : read;
    const id = modelIdFor(model.name, taken);
    taken.add(id);
    try {
      const folder = await writeLibraryFolder(root, id, model);
      out.push(await readLibraryFolder('imported', folder, id));
    } catch (err) {
      // a write that fails part-way (a full disk) says what was imported before it
      const done = out.length ? `imported ${out.map((m, k) => `${m.id} (from ${files[k]})`).join(', ')}; ` : 'nothing was imported; ';
      throw new Error(`${done}${files[i]} could not be written: ${messageOf(err)}`, { cause: err });
    }
  }
  return out;
}
