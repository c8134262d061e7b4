/**
 * Where a model that did not come from one of the workspace's runs came from (an imported file, a built-in of
 * the gallery), and what it is known to do. Kept in the lab's model.json (`userDefinedMetadata.ncaLab.source`
 * and `.evaluation`, services/store/model-format.ts) and sent to the window as is, so it has one schema here.
 */
import { describeValue, isIntegerIn, isRecord } from './validate';
import { persistenceVerdict, type PersistenceVerdict } from '../core/nca/growth-eval';

/** The two file formats the lab reads models from and exports them to. */
export const MODEL_FILE_FORMATS = ['nca-lab', 'distill-webgl'] as const;
export type ModelFileFormat = (typeof MODEL_FILE_FORMATS)[number];

export function isModelFileFormat(v: unknown): v is ModelFileFormat {
  return (MODEL_FILE_FORMATS as readonly unknown[]).includes(v);
}

export interface ModelSource {
  /** in words, shown beside the model: "Distill demo model ex1_🦎.json (growing)" */
  description: string;
  format: ModelFileFormat;
  /** the file the parameters were read from (its base name), or null */
  file: string | null;
  /** SPDX-style licence of the parameters ("CC-BY-4.0"), or null when not known */
  licence: string | null;
  /** the credit the licence asks for, or null */
  attribution: string | null;
  url: string | null;
  /** how the model was trained (an optimizer and preset, in words), or null when not known */
  trainedWith: string | null;
}

/**
 * The model grown once from the seed by the lab (replay seed 0, the training canvas, no damage): its loss
 * after 40, 200 and 1000 updates, which say whether it grows and whether it stops (the thesis's 40-step loss
 * and its long-run persistence). Null losses: no target known.
 */
export interface ModelEvaluation {
  replaySeed: number;
  canvas: number;
  loss40: number | null;
  loss200: number | null;
  loss1000: number | null;
}

/**
 * The side of the canvas a model grows on: its target's padded size, else the canvas it was evaluated on (a
 * Distill demo model of an emoji the lab has no target for grows on the demo's canvas).
 */
export function modelCanvas(target: { size: number; padding: number } | null, evaluation: ModelEvaluation | null): number | null {
  return target ? target.size + 2 * target.padding : evaluation?.canvas ?? null;
}

/** Whether the model stops growing (the one verdict function, core/nca/growth-eval.ts); null without a target. */
export function modelVerdict(e: ModelEvaluation | null): PersistenceVerdict | null {
  return e && e.loss40 !== null && e.loss1000 !== null ? persistenceVerdict(e.loss40, e.loss1000) : null;
}

/** Ids of built-in and imported models: their folder names (lower-case letters, digits, ".", "_", "-"). */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,79}$/;

export function isValidModelId(id: unknown): id is string {
  return typeof id === 'string' && MODEL_ID_PATTERN.test(id) && !id.includes('..');
}

export const MODEL_SOURCE_LIMITS = { textMaxLength: 2000 } as const;

export class ModelSourceError extends Error {
  override name = 'ModelSourceError';
}

function text(v: unknown, field: string, nullable: boolean): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || v.length > MODEL_SOURCE_LIMITS.textMaxLength) {
    throw new ModelSourceError(`${field} must be ${nullable ? 'null or ' : ''}a string of at most ${MODEL_SOURCE_LIMITS.textMaxLength} characters, got ${describeValue(v)}`);
  }
  return v;
}

export function parseModelSource(v: unknown, field = 'source'): ModelSource {
  if (!isRecord(v)) throw new ModelSourceError(`${field} must be an object, got ${describeValue(v)}`);
  if (!isModelFileFormat(v.format)) {
    throw new ModelSourceError(`${field}.format must be ${MODEL_FILE_FORMATS.map((f) => `"${f}"`).join(' or ')}, got ${describeValue(v.format)}`);
  }
  return {
    description: text(v.description, `${field}.description`, false)!,
    format: v.format,
    file: text(v.file, `${field}.file`, true),
    licence: text(v.licence, `${field}.licence`, true),
    attribution: text(v.attribution, `${field}.attribution`, true),
    url: text(v.url, `${field}.url`, true),
    trainedWith: text(v.trainedWith, `${field}.trainedWith`, true),
  };
}

function loss(v: unknown, field: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !(v >= 0)) throw new ModelSourceError(`${field} must be null or a number ≥ 0, got ${describeValue(v)}`);
  return v;
}

export function parseModelEvaluation(v: unknown, field = 'evaluation'): ModelEvaluation {
  if (!isRecord(v)) throw new ModelSourceError(`${field} must be an object, got ${describeValue(v)}`);
  if (!isIntegerIn(v.replaySeed, 0, Number.MAX_SAFE_INTEGER)) throw new ModelSourceError(`${field}.replaySeed must be an integer ≥ 0, got ${describeValue(v.replaySeed)}`);
  if (!isIntegerIn(v.canvas, 1, 4096)) throw new ModelSourceError(`${field}.canvas must be an integer in [1, 4096], got ${describeValue(v.canvas)}`);
  return {
    replaySeed: v.replaySeed, canvas: v.canvas,
    loss40: loss(v.loss40, `${field}.loss40`), loss200: loss(v.loss200, `${field}.loss200`), loss1000: loss(v.loss1000, `${field}.loss1000`),
  };
}

/** The article whose demo published the Distill-format models, as its licence (CC-BY 4.0) asks to credit it. */
export const DISTILL_ATTRIBUTION =
  'Mordvintsev, Randazzo, Niklasson, Levin, "Growing Neural Cellular Automata", Distill, 2020 ' +
  '(doi:10.23915/distill.00023); models from github.com/distillpub/post--growing-ca, public/webgl_models8, ' +
  'licensed CC-BY 4.0';
export const DISTILL_URL = 'https://distill.pub/2020/growing-ca/';
export const DISTILL_LICENCE = 'CC-BY-4.0';
