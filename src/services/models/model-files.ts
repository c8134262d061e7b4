/**
 * The models domain's reading side for the playground (LabApi `models.list`, `models.open`), with no Electron
 * import: the workspace's runs that have parameters on disk, and model files the user picked from their disk
 * (a model folder's model.json + weights.bin, or a checkpoint file), read with the same checks as `nca-lab grow`.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFloat32Base64 } from '../../shared/float32-base64';
import type { ModelFilesRequest, ModelSummary, OpenedModel } from '../../shared/lab-api';
import { LabStore, MODEL_DIR } from '../store/lab-store';
import { MODEL_JSON } from '../store/model-format';
import { targetOfRef } from './replay-models';
import { listBuiltinTargets, windowTargetProblem } from '../targets/targets';
import { messageOf } from '../../shared/validate';

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
      checkpoints, hasModel, bestLoss: best !== null && Number.isFinite(best) ? best : null,
    });
  }
  return out;
}

/**
 * Reads the picked files in a private temporary folder under their own names, so model.json finds its weights
 * file beside it, and reports problems with the user's file names rather than the temporary path.
 */
export async function openModelFiles(request: ModelFilesRequest, opts: { importedTargets: string }): Promise<OpenedModel> {
  const dir = await mkdtemp(join(tmpdir(), 'nca-lab-model-'));
  const scrub = (message: string) => message.split(`${dir}/`).join('').split(dir).join('the picked files');
  try {
    for (const f of request.files) await writeFile(join(dir, f.name), Buffer.from(f.bytesBase64, 'base64'));
    const json = request.files.find((f) => f.name.toLowerCase().endsWith('.json'));
    if (!json && request.files.length > 1) {
      throw new Error(`pick a model folder's ${MODEL_JSON} together with its weights file, or a single checkpoint file (got ${request.files.map((f) => f.name).join(', ')})`);
    }
    const picked = json ?? request.files[0];
    const path = join(dir, picked.name);
    let loaded;
    try {
      loaded = await new LabStore(dir).loadModel(path);
    } catch (err) {
      throw new Error(scrub(messageOf(err)));
    }
    let runId: string | null = null;
    let generation: number | null = null;
    if (json) {
      // the loader checked the file; its metadata also says which run and generation it came from
      const meta = JSON.parse(await readFile(path, 'utf8')).userDefinedMetadata.ncaLab as { runId?: unknown; generation?: unknown };
      runId = typeof meta.runId === 'string' ? meta.runId : null;
      generation = typeof meta.generation === 'number' ? meta.generation : null;
    }
    // the file comes from a window: its target is read only when it is a built-in or an imported image
    const refused = loaded.target ? windowTargetProblem(loaded.target.name, loaded.target.size, opts.importedTargets) : null;
    const { target, problem } = refused ? { target: null, problem: `its target is not read: ${refused}` } : await targetOfRef(loaded.target);
    const ref = loaded.target;
    return {
      name: runId ?? picked.name,
      nca: loaded.nca,
      paramsF32Base64: encodeFloat32Base64(loaded.params),
      height: ref ? ref.size + 2 * ref.padding : null,
      width: ref ? ref.size + 2 * ref.padding : null,
      target: target
        ? { name: target.name, builtin: listBuiltinTargets().some((b) => b.name === target.name), size: target.size, padding: target.padding, height: target.height, width: target.width, rgbaF32Base64: encodeFloat32Base64(target.rgba) }
        : null,
      targetProblem: problem,
      runId,
      generation,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
