/**
 * The Playground's models: what one loaded model is (its parameters, target, where it came from, its colour) and
 * how it is made from what the lab sends (a run's parameters and target, or a model opened from files or the
 * library), pure; and `useCatalogue`, what the lab offers and the loading of one model from it, which the store
 * composes with the lab it talks to.
 */
import type { NcaConfig } from '@core/nca/config';
import type { CanvasTarget } from '@core/replay/canvas-target';
import type { RecordedModel } from '@core/replay/recording';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import { modelFilesProblem } from '@shared/ipc-schema';
import type { LabApi, LibraryModelInfo, ModelParams, ModelSummary, OpenedModel, TargetData } from '@shared/lab-api';
import { messageOf } from '@shared/validate';
import { ref, shallowRef } from 'vue';
import { CURVE_COLOURS } from '../lib/charts/chart';
import { fileToBase64 } from '../lib/files';
import { modelSourceText } from '../lib/runs/run-summary';

export interface PlaygroundModel {
  /** unique within the playground */
  key: string;
  name: string;
  /** where it came from, for the model chip: "checkpoint at generation 300", "checkpoint at iteration 916", "model.json" */
  source: string;
  nca: NcaConfig;
  /** the model's own parameters (the replay grows them rotated by the playground's angle) */
  params: Float32Array;
  target: CanvasTarget | null;
  /** why there is no target (no loss) */
  targetProblem: string | null;
  trainingCanvas: { height: number; width: number } | null;
  recorded: RecordedModel;
  colour: string;
}

/** A model before the playground gives it a key and a colour. */
export type LoadedModel = Omit<PlaygroundModel, 'key' | 'colour'>;

/** The smallest canvas every model fits: the largest training canvas (1 when none is known). */
export function minCanvasOf(list: readonly LoadedModel[]): number {
  return Math.max(1, ...list.map((m) => (m.trainingCanvas ? Math.max(m.trainingCanvas.height, m.trainingCanvas.width) : 1)));
}

/** The first run colour the models do not use yet (then round again). */
export function nextColour(models: readonly PlaygroundModel[]): string {
  const used = new Set(models.map((m) => m.colour));
  return CURVE_COLOURS.find((c) => !used.has(c)) ?? CURVE_COLOURS[models.length % CURVE_COLOURS.length];
}

function canvasTarget(t: TargetData): CanvasTarget {
  return { height: t.height, width: t.width, rgba: decodeFloat32Base64(t.rgbaF32Base64) };
}

/**
 * A run's parameters (its newest, or the checkpoint at `generation`) with the run's exact target. A checkpoint is
 * recorded by its generation so a recording loads it again; a run's final model (model/) has none to ask for.
 */
export function modelFromRun(
  p: ModelParams, target: TargetData, run: Pick<ModelSummary, 'name' | 'optimizer'>, generation: number | undefined,
): LoadedModel {
  return {
    name: run.name,
    source: modelSourceText(p.source, run.optimizer, p.generation),
    nca: p.nca,
    params: decodeFloat32Base64(p.paramsF32Base64),
    target: canvasTarget(target),
    targetProblem: null,
    trainingCanvas: { height: p.height, width: p.width },
    recorded: { name: run.name, runId: p.runId, ...(generation !== undefined ? { generation } : p.source === 'checkpoint' ? { generation: p.generation } : {}) },
  };
}

/** A model opened from files or from the library, with what the lab knows of its target and canvas. */
export function modelFromOpened(m: OpenedModel, source: string, recorded: RecordedModel): LoadedModel {
  return {
    name: m.name,
    source,
    nca: m.nca,
    params: decodeFloat32Base64(m.paramsF32Base64),
    target: m.target ? canvasTarget(m.target) : null,
    targetProblem: m.targetProblem,
    trainingCanvas: m.height !== null && m.width !== null ? { height: m.height, width: m.width } : null,
    recorded,
  };
}

/** How a model opened from files is recorded and shown: the files' names, and the run and checkpoint they came from. */
export function openedFromFiles(m: OpenedModel, fileNames: string): { source: string; recorded: RecordedModel } {
  return {
    // a Distill demo file is imported into the workspace on the way: it is in the model list from then on
    source: m.libraryId ? `${fileNames}, imported as ${m.libraryId}` : fileNames,
    recorded: { name: m.name, file: fileNames, ...(m.runId ? { runId: m.runId } : {}), ...(m.generation !== null ? { generation: m.generation } : {}) },
  };
}

/**
 * The runs and the library the lab offers, and loading one model from them (or from files) into the replay through
 * `addModel`; a failure is shown as the load error.
 */
export function useCatalogue(lab: Pick<LabApi, 'models' | 'runs'>, addModel: (m: LoadedModel, replace: boolean) => Promise<void>) {
  const catalogue = shallowRef<ModelSummary[]>([]);
  /** built-in models (gallery order), then imported ones: listed before the runs */
  const library = shallowRef<LibraryModelInfo[]>([]);
  const catalogueError = ref<string | null>(null);
  const loading = ref(false);
  const loadError = ref<string | null>(null);

  async function loadCatalogue(): Promise<void> {
    catalogueError.value = null;
    try {
      [catalogue.value, library.value] = await Promise.all([lab.models.list(), lab.models.library()]);
    } catch (err) {
      catalogueError.value = messageOf(err);
    }
  }

  /** Runs `load` with the loading flag up and its failure shown as the load error. */
  async function loadingModel(load: () => Promise<void>): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      await load();
    } catch (err) {
      loadError.value = messageOf(err);
    } finally {
      loading.value = false;
    }
  }

  /** A run's newest parameters (generation undefined) or one of its checkpoints, with the run's exact target. */
  function loadRun(runId: string, generation: number | undefined, replace: boolean): Promise<void> {
    return loadingModel(async () => {
      const [p, target] = await Promise.all([
        lab.models.params({ runId, ...(generation !== undefined ? { generation } : {}) }),
        lab.runs.target(runId),
      ]);
      // opened by address (a run page's link) before the catalogue arrived: the run itself names it
      const summary = catalogue.value.find((c) => c.runId === runId) ?? await lab.runs.get(runId);
      await addModel(modelFromRun(p, target, summary, generation), replace);
    });
  }

  /** A built-in or imported model (the gallery, services/models/model-library.ts). */
  function loadLibrary(id: string, replace: boolean): Promise<void> {
    return loadingModel(async () => {
      const m = await lab.models.openLibrary(id);
      const info = library.value.find((l) => l.id === id);
      const name = info?.name ?? m.name;
      await addModel(modelFromOpened({ ...m, name }, info?.kind === 'builtin' ? 'built-in model' : 'imported model', { name: info?.name ?? id, file: id }), replace);
    });
  }

  /** model.json + weights.bin of a model folder, or one checkpoint file, picked by the user. */
  function openFiles(files: File[], replace: boolean): Promise<void> {
    return loadingModel(async () => {
      // checked before a byte is read, so a too-large pick says so instead of stalling the window
      const problem = modelFilesProblem(files);
      if (problem) throw new Error(problem);
      const request = { files: await Promise.all(files.map(async (f) => ({ name: f.name, bytesBase64: await fileToBase64(f) }))) };
      const m: OpenedModel = await lab.models.open(request);
      // a Distill demo file was imported into the workspace on the way: it is in the model list from now on
      if (m.libraryId) void loadCatalogue();
      const { source, recorded } = openedFromFiles(m, files.map((f) => f.name).join(' + '));
      await addModel(modelFromOpened(m, source, recorded), replace);
    });
  }

  return { catalogue, library, catalogueError, loading, loadError, loadCatalogue, loadRun, loadLibrary, openFiles };
}
