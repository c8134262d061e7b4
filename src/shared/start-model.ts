/**
 * Where a run's parameters start (fine-tuning: a run may start from a model the workspace has). `RunConfig.startFrom` is null for
 * the fresh initialisation every run had before (model.init, drawn from the seed's Init stream); otherwise it names
 * a model the workspace knew when the run was created: a run's model or one of its checkpoints, a built-in or
 * imported model, or (from the command line only) a model file. The parameters themselves are copied into the run
 * folder when the run is created (`runs/<id>/start/`, LabStore), so the run trains and resumes without its source;
 * this record says where they came from, in words (`label`) and as a reference.
 */
import type { NcaConfig } from '../core/nca/config';
import { describeValue, hasControlCharacters, isIntegerIn, isRecord } from './validate';
import { isValidModelId } from './model-source';

export type StartModel =
  /** a run's parameters: `generation` null = its model (model/, else its newest checkpoint), else that checkpoint */
  | { kind: 'run'; runId: string; generation: number | null; label: string }
  /** a built-in model of the gallery or one imported into the workspace, by id */
  | { kind: 'library'; id: string; label: string }
  /** a model folder, model.json or checkpoint file, by its absolute path (`nca-lab train --from PATH`) */
  | { kind: 'file'; path: string; label: string };

export const START_MODEL_KINDS = ['run', 'library', 'file'] as const;
export const START_MODEL_LIMITS = { labelMaxLength: 500, pathMaxLength: 4096 } as const;

/** A run id as the store names run folders (services/store/lab-store.ts). */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What is wrong with a config's `startFrom`, as {field, message}, or null when it is null or a valid reference. */
export function startModelProblem(v: unknown): { field: string; message: string } | null {
  if (v === null) return null;
  const bad = (field: string, message: string) => ({ field: `startFrom${field}`, message });
  if (!isRecord(v)) return bad('', `must be null (a fresh initialisation) or {kind, …, label}, got ${describeValue(v)}`);
  const { labelMaxLength, pathMaxLength } = START_MODEL_LIMITS;
  if (typeof v.label !== 'string' || v.label.length > labelMaxLength || hasControlCharacters(v.label)) {
    return bad('.label', `must be a line of text of at most ${labelMaxLength} characters, got ${describeValue(v.label)}`);
  }
  switch (v.kind) {
    case 'run':
      if (typeof v.runId !== 'string' || !RUN_ID.test(v.runId) || v.runId.includes('..'))
        return bad('.runId', `must be a run id (letters, digits, '.', '_' and '-'), got ${describeValue(v.runId)}`);
      if (v.generation !== null && !isIntegerIn(v.generation, 0, Number.MAX_SAFE_INTEGER))
        return bad('.generation', `must be null (the run's model) or a checkpoint's generation ≥ 0, got ${describeValue(v.generation)}`);
      return null;
    case 'library':
      return isValidModelId(v.id)
        ? null
        : bad('.id', `must be a model id (lower-case letters, digits, '.', '_' and '-'), got ${describeValue(v.id)}`);
    case 'file':
      if (typeof v.path !== 'string' || v.path === '' || v.path.length > pathMaxLength || hasControlCharacters(v.path)) {
        return bad('.path', `must be a file path of at most ${pathMaxLength} characters, got ${describeValue(v.path)}`);
      }
      return null;
    default:
      return bad('.kind', `must be ${START_MODEL_KINDS.map((k) => `"${k}"`).join(', ')}, got ${describeValue(v.kind)}`);
  }
}

/** The part of a model that decides its parameters' layout (core/nca/config.ts). */
export type ModelShape = Pick<NcaConfig, 'channels' | 'hidden' | 'bias1' | 'bias2'>;

export function shapeText(s: ModelShape): string {
  return `channels ${s.channels}, hidden ${s.hidden}, layer-1 bias ${s.bias1 ? 'on' : 'off'}, layer-2 bias ${s.bias2 ? 'on' : 'off'}`;
}

export function sameShape(a: ModelShape, b: ModelShape): boolean {
  return a.channels === b.channels && a.hidden === b.hidden && a.bias1 === b.bias1 && a.bias2 === b.bias2;
}

/**
 * Why a run with model settings `run` cannot start from a model of shape `model` (its parameters would not fit),
 * naming both shapes; null when they fit. Fire rate, alive threshold and step size are not parameters: they may differ.
 */
export function startShapeRefusal(label: string, model: ModelShape, run: ModelShape): string | null {
  if (sameShape(model, run)) return null;
  return (
    `cannot start from ${label}: its model has ${shapeText(model)}, the run's model settings have ${shapeText(run)}; ` +
    "set the run's model settings to the start model's, or start from another model"
  );
}

/** The start in words, for a summary: the label, or the fresh initialisation. */
export function startFromText(from: StartModel | null, init: string): string {
  return from ? from.label || startModelRefText(from) : `a fresh initialisation (${init}, from the seed)`;
}

/** A reference in words, before the lab has resolved it (and filled its label). */
export function startModelRefText(from: StartModel): string {
  switch (from.kind) {
    case 'run':
      return `run ${from.runId}${from.generation === null ? '' : `@${from.generation}`}`;
    case 'library':
      return `model ${from.id}`;
    case 'file':
      return `model file ${from.path}`;
  }
}
