/**
 * The models domain's reading side for the playground (LabApi `models.list`, `models.open`), with no Electron
 * import: the workspace's runs that have parameters on disk, and model files the user picked from their disk
 * (a model folder's model.json + weights.bin, or a checkpoint file), read with the same checks as `nca-lab grow`.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFloat32Base64 } from '../../shared/float32-base64';
import type { LibraryModelInfo, ModelFilesRequest, ModelSummary, OpenedModel } from '../../shared/lab-api';
import { LabStore, MODEL_DIR } from '../store/lab-store';
import { MODEL_JSON, type LoadedModel } from '../store/model-format';
import {
  findLibraryModel, importModelFiles, listBuiltinModels, listImportedModels, loadLibraryModel, type LibraryModel,
} from './model-library';
import { targetOfRef } from './replay-models';
import { listBuiltinTargets, windowTargetProblem } from '../targets/targets';
import { messageOf } from '../../shared/validate';
import { ncaConfigOf, type TargetRef } from '../../shared/training-config';
import { modelCanvas } from '../../shared/model-source';

/** Every readable run with a model/ or at least one checkpoint, newest first. */
export async function listGrowableModels(store: LabStore): Promise<ModelSummary[]> {
  const { runs } = await store.scanRuns();
  const out: ModelSummary[] = [];
  for (const r of runs) {
    const checkpoints = (await store.listCheckpoints(r.id).catch(() => [])).map((c) => c.generation);
    const hasModel = await access(join(store.runDir(r.id), MODEL_DIR, MODEL_JSON)).then(() => true, () => false);
    if (checkpoints.length === 0 && !hasModel) continue;
    const { name, size, padding } = r.config.target;
    const best = r.progress.bestLoss;
    out.push({
      runId: r.id, name: r.name, optimizer: r.optimizer, preset: r.preset, status: r.status,
      target: { name, size, padding }, height: size + 2 * padding, width: size + 2 * padding,
      checkpoints, hasModel, bestLoss: best !== null && Number.isFinite(best) ? best : null, nca: ncaConfigOf(r.config),
    });
  }
  return out;
}

/** Whether picked bytes are a Distill demo model (a JSON array), not the lab's model.json. */
function isDistillFile(name: string, bytesBase64: string): boolean {
  if (!name.toLowerCase().endsWith('.json')) return false;
  return Buffer.from(bytesBase64.slice(0, 64), 'base64').toString('utf8').trimStart().startsWith('[');
}

/**
 * The name a picked file is written under: its own, except the one weights file picked with a model.json, which
 * gets the name the model.json lists (the lab's older export downloaded them as `<id>-model.json` and
 * `<id>-weights.bin`, and a browser renames a second download of a name).
 */
function pickedNames(request: ModelFilesRequest): string[] {
  const names = request.files.map((f) => f.name);
  const json = request.files.filter((f) => f.name.toLowerCase().endsWith('.json') && !isDistillFile(f.name, f.bytesBase64));
  const others = request.files.filter((f) => !json.includes(f));
  if (json.length !== 1 || others.length !== 1) return names;
  let listed: unknown;
  try {
    listed = (JSON.parse(Buffer.from(json[0].bytesBase64, 'base64').toString('utf8')) as { weightsManifest?: { paths?: unknown[] }[] }).weightsManifest?.[0]?.paths?.[0];
  } catch {
    return names; // the model reader says what is wrong with it
  }
  if (typeof listed !== 'string' || listed === json[0].name || /[\\/]/.test(listed) || listed.startsWith('.')) return names;
  return request.files.map((f, i) => (f === others[0] ? listed as string : names[i]));
}

/** Writes the picked files into a private temporary folder (pickedNames) and runs `job` on it. */
async function withPickedFiles<T>(request: ModelFilesRequest, job: (dir: string, scrub: (m: string) => string, names: string[]) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'nca-lab-model-'));
  const scrub = (message: string) => message.split(`${dir}/`).join('').split(dir).join('the picked files');
  const names = pickedNames(request);
  try {
    for (const [i, f] of request.files.entries()) await writeFile(join(dir, names[i]), Buffer.from(f.bytesBase64, 'base64'));
    return await job(dir, scrub, names);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Imports picked files into the workspace's models/: each Distill demo file on its own, or one lab model
 * (a model folder's model.json with its weights file, or a checkpoint).
 */
export async function importPickedModels(workspace: string, request: ModelFilesRequest, importedTargets: string): Promise<LibraryModelInfo[]> {
  return withPickedFiles(request, async (dir, scrub) => {
    const distill = request.files.filter((f) => isDistillFile(f.name, f.bytesBase64));
    const lab = request.files.filter((f) => !distill.includes(f));
    const json = lab.find((f) => f.name.toLowerCase().endsWith('.json'));
    const picked = [...distill, ...(lab.length > 0 ? [json ?? lab[0]] : [])];
    const paths = picked.map((f) => join(dir, f.name));
    try {
      // files from a window: their targets are read only when built in or imported into the workspace
      const refuseTarget = (ref: TargetRef) => windowTargetProblem(ref.name, ref.size, importedTargets);
      // a model without a name of its own is named after the file the user picked, not the temporary folder
      const fileNames = new Map(picked.map((f, i) => [paths[i], f.name]));
      return await Promise.all((await importModelFiles(workspace, paths, { refuseTarget, fileNames })).map(libraryInfo));
    } catch (err) {
      throw new Error(scrub(messageOf(err)), { cause: err });
    }
  });
}

/** A library model as the window lists it, with its thumbnail inline. */
export async function libraryInfo(m: LibraryModel): Promise<LibraryModelInfo> {
  return {
    kind: m.kind, id: m.id, name: m.name, nca: m.nca, paramCount: m.paramCount, target: m.target,
    canvas: modelCanvas(m.target, m.evaluation), origin: m.origin, evaluation: m.evaluation,
    thumbnailPngBase64: m.thumbnail ? (await readFile(m.thumbnail)).toString('base64') : null,
  };
}

/** The built-ins in gallery order, then the workspace's imports. */
export async function listLibrary(workspace: string): Promise<LibraryModelInfo[]> {
  const problems: string[] = [];
  const all = [...(await listBuiltinModels()), ...(await listImportedModels(workspace, (id, m) => void problems.push(`${id}: ${m}`)))];
  for (const p of problems) console.error(`nca-lab: models/${p}`);
  return Promise.all(all.map(libraryInfo));
}

async function openedFromLoaded(loaded: LoadedModel, name: string, extra: Partial<OpenedModel>, refused: string | null = null): Promise<OpenedModel> {
  const { target, problem } = refused ? { target: null, problem: `its target is not read: ${refused}` } : await targetOfRef(loaded.target);
  const canvas = modelCanvas(loaded.target, loaded.evaluation);
  return {
    name,
    nca: loaded.nca,
    paramsF32Base64: encodeFloat32Base64(loaded.params),
    height: canvas,
    width: canvas,
    target: target
      ? { name: target.name, builtin: listBuiltinTargets().some((b) => b.name === target.name), size: target.size, padding: target.padding, height: target.height, width: target.width, rgbaF32Base64: encodeFloat32Base64(target.rgba) }
      : null,
    targetProblem: problem,
    runId: null,
    generation: null,
    ...extra,
  };
}

/** A built-in or imported model, opened for growing. */
export async function openLibraryModel(workspace: string, id: string): Promise<OpenedModel> {
  const m = await findLibraryModel(workspace, id);
  if (!m) throw new Error(`no built-in or imported model "${id}"`);
  return openedFromLoaded(await loadLibraryModel(m), m.id, { libraryId: m.id });
}

/**
 * Reads the picked files in a private temporary folder under their own names, so model.json finds its weights
 * file beside it, and reports problems with the user's file names rather than the temporary path. A Distill demo
 * file is imported into the workspace (the lab's format, with its source) and opened from there.
 */
export async function openModelFiles(request: ModelFilesRequest, opts: { workspace: string; importedTargets: string }): Promise<OpenedModel> {
  if (request.files.length === 1 && isDistillFile(request.files[0].name, request.files[0].bytesBase64)) {
    const [imported] = await importPickedModels(opts.workspace, request, opts.importedTargets);
    return openLibraryModel(opts.workspace, imported.id);
  }
  return withPickedFiles(request, async (dir, scrub) => {
    const json = request.files.find((f) => f.name.toLowerCase().endsWith('.json'));
    if (!json && request.files.length > 1) {
      throw new Error(`pick a model folder's ${MODEL_JSON} together with its weights file, or a single checkpoint file (got ${request.files.map((f) => f.name).join(', ')})`);
    }
    const picked = json ?? request.files[0];
    let loaded;
    try {
      loaded = await new LabStore(dir).loadModel(join(dir, picked.name));
    } catch (err) {
      throw new Error(scrub(messageOf(err)), { cause: err });
    }
    // the file comes from a window: its target is read only when it is a built-in or an imported image
    const refused = loaded.target ? windowTargetProblem(loaded.target.name, loaded.target.size, opts.importedTargets) : null;
    const runId = loaded.runId ?? null;
    return openedFromLoaded(loaded, loaded.name ?? runId ?? picked.name, { runId, generation: json ? loaded.generation : null }, refused);
  });
}
