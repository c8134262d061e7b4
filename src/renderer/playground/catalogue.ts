/**
 * The Playground's models: what one loaded model is (its parameters, target, where it came from, its colour) and
 * how it is made from what the lab sends (a run's parameters and target, or a model opened from files or the
 * library). Pure: the store (store.ts) asks the lab and keeps the list.
 */
import type { NcaConfig } from '@core/nca/config';
import type { CanvasTarget } from '@core/replay/canvas-target';
import type { RecordedModel } from '@core/replay/recording';
import { decodeFloat32Base64 } from '@shared/float32-base64';
import type { ModelParams, ModelSummary, OpenedModel, TargetData } from '@shared/lab-api';
import { CURVE_COLOURS } from '../lib/charts/chart';
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
