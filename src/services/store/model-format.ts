/**
 * A trained model on disk (`runs/<id>/model/`, or any folder a user exports to), in the tfjs weights format, so
 * tfjs loads it directly (`tf.io.loadWeights(modelJson.weightsManifest, url)` or `tf.io.decodeWeights`):
 *
 *   model.json   { "format": "nca-lab-weights", "generatedBy": "nca-lab <version>",
 *                  "weightsManifest": [{ "paths": ["weights.bin"],
 *                                        "weights": [{ "name": "kernel0", "shape": [48, hidden], "dtype": "float32" },
 *                                                    { "name": "bias0", … }, { "name": "kernel1", … }, { "name": "bias1", … }] }],
 *                  "userDefinedMetadata": { "ncaLab": ModelMetadata } }
 *   weights.bin  the flat parameters as little-endian float32, in the layout of core/nca/config.ts (which is the
 *                manifest order, so tfjs's concatenated decoding gives the same offsets)
 *
 * There is no layers-model topology: the NCA's step is not a Keras layer stack; `ncaLab.nca` describes it.
 * The weights' CRC-32 is kept in the metadata, so a weights.bin from another save is told apart from its own.
 *
 * An exported model is ONE file, `<id>.nca-model.json` (MODEL_FILE_SUFFIX): the same model.json with the bytes
 * of weights.bin inline, base64, in `weightsBase64`. It is read by the same reader with the same checks (size,
 * CRC-32, finite numbers), so one download imports back with its name, origin and training metadata.
 */
import { readFile, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { paramLayout, validateNcaConfig, type NcaConfig, type ParamLayout } from '../../core/nca/config';
import { encodeNumber } from '../../shared/run-record';
import { configProblems, ncaConfigOf, upgradeRunConfig, type RunConfig, type TargetRef } from '../../shared/training-config';
import { parseModelEvaluation, parseModelSource, type ModelEvaluation, type ModelSource } from '../../shared/model-source';
import { describeValue, isRecord } from '../../shared/validate';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const MODEL_FORMAT = 'nca-lab-weights';
/** The name ending of an exported one-file model (model.json with `weightsBase64`). */
export const MODEL_FILE_SUFFIX = '.nca-model.json';
/** Version of the flat parameter layout (core/nca/config.ts): kernel0, bias0?, kernel1, bias1?. */
export const PARAM_LAYOUT_VERSION = 1;
const LITTLE_ENDIAN = endianness() === 'LE';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface ModelMetadata {
  formatVersion: 1;
  paramLayoutVersion: number;
  nca: NcaConfig;
  paramCount: number;
  /** CRC-32 of weights.bin, 8 hex digits */
  weightsCrc32: string;
  target: TargetRef | null;
  config: RunConfig | null;
  runId: string | null;
  generation: number | null;
  /** loss at save time; non-finite values as "NaN"/"Infinity" strings */
  loss: number | string | null;
  savedAt: string;
  labVersion: string;
  /** a name to show (imported and built-in models; runs' models are named by their run) */
  name?: string | null;
  /** where a model that is not a run's came from: an imported file, the gallery (shared/model-source.ts) */
  origin?: ModelSource | null;
  /** its losses after 40/200/1000 updates from the seed, measured when it was imported or built */
  evaluation?: ModelEvaluation | null;
}

export interface ModelJson {
  format: string;
  generatedBy: string;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  userDefinedMetadata: { ncaLab: ModelMetadata };
  /** the one-file form: weights.bin's bytes, base64 (the manifest still names weights.bin, as tfjs expects) */
  weightsBase64?: string;
}

/** The model's parameters as loaded: what `grow`, experiments and the playground need. */
export interface LoadedModel {
  config: RunConfig | null;
  nca: NcaConfig;
  params: Float32Array;
  target: TargetRef | null;
  /** the file the parameters came from */
  source: string;
  /** the generation/iteration of the run it was saved at, when the file says */
  generation: number | null;
  /** the run it was saved from, when the file says */
  runId?: string | null;
  name: string | null;
  origin: ModelSource | null;
  evaluation: ModelEvaluation | null;
}

/** A model file that cannot be used; the message names the file and the problem. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** The tfjs weight specs of a layout, in layout order. */
export function weightSpecs(layout: ParamLayout): WeightSpec[] {
  const specs: WeightSpec[] = [{ name: 'kernel0', shape: [...layout.kernel0.shape], dtype: 'float32' }];
  if (layout.bias0) specs.push({ name: 'bias0', shape: [layout.bias0.size], dtype: 'float32' });
  specs.push({ name: 'kernel1', shape: [...layout.kernel1.shape], dtype: 'float32' });
  if (layout.bias1) specs.push({ name: 'bias1', shape: [layout.bias1.size], dtype: 'float32' });
  return specs;
}

/** Little-endian bytes of the parameters (a view on LE machines). */
export function paramsToBytes(params: Float32Array): Uint8Array {
  const view = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  if (LITTLE_ENDIAN) return view;
  const out = Uint8Array.from(view);
  for (let i = 0; i < out.length; i += 4) out.subarray(i, i + 4).reverse();
  return out;
}

function bytesToParams(bytes: Uint8Array): Float32Array {
  const copy = Uint8Array.from(bytes);
  if (!LITTLE_ENDIAN) for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

export function crcHex(bytes: Uint8Array): string {
  return (crc32(bytes) >>> 0).toString(16).padStart(8, '0');
}

/** model.json and weights.bin contents for a run's `params`. */
export function encodeModel(params: Float32Array, meta: {
  config: RunConfig; generation: number; loss: number | null; runId: string | null; labVersion: string; now?: Date;
}): { modelJson: ModelJson; weights: Uint8Array } {
  return encodeModelFile(params, { ...meta, nca: ncaConfigOf(meta.config), target: { ...meta.config.target } });
}

/** What a model file says about its parameters beyond the NCA they run in. */
export interface ModelFileMeta {
  nca: NcaConfig;
  target: TargetRef | null;
  config: RunConfig | null;
  generation: number | null;
  loss: number | null;
  runId: string | null;
  labVersion: string;
  now?: Date;
  name?: string | null;
  origin?: ModelSource | null;
  evaluation?: ModelEvaluation | null;
}

/** model.json and weights.bin contents for `params` of any model (a run's, an imported one, a built-in). */
export function encodeModelFile(params: Float32Array, meta: ModelFileMeta): { modelJson: ModelJson; weights: Uint8Array } {
  const nca = meta.nca;
  validateNcaConfig(nca);
  const layout = paramLayout(nca);
  if (params.length !== layout.total) {
    throw new RangeError(`model params: the config (channels ${nca.channels}, hidden ${nca.hidden}, bias1 ${nca.bias1}, bias2 ${nca.bias2}) needs ${layout.total} floats, got ${params.length}`);
  }
  const weights = paramsToBytes(params);
  const modelJson: ModelJson = {
    format: MODEL_FORMAT,
    generatedBy: `nca-lab ${meta.labVersion}`,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: weightSpecs(layout) }],
    userDefinedMetadata: {
      ncaLab: {
        formatVersion: 1,
        paramLayoutVersion: PARAM_LAYOUT_VERSION,
        nca,
        paramCount: layout.total,
        weightsCrc32: crcHex(weights),
        target: meta.target ? { ...meta.target } : null,
        config: meta.config,
        runId: meta.runId,
        generation: meta.generation,
        loss: meta.loss === null ? null : encodeNumber(meta.loss),
        savedAt: (meta.now ?? new Date()).toISOString(),
        labVersion: meta.labVersion,
        ...(meta.name ? { name: meta.name } : {}),
        ...(meta.origin ? { origin: meta.origin } : {}),
        ...(meta.evaluation ? { evaluation: meta.evaluation } : {}),
      },
    },
  };
  return { modelJson, weights };
}

/** The one-file form of a model (an export): its model.json with the weights inline. */
export function oneFileModel(modelJson: ModelJson, weights: Uint8Array): string {
  return JSON.stringify({ ...modelJson, weightsBase64: Buffer.from(weights).toString('base64') }, null, 2) + '\n';
}

/** Strict base64 (what Buffer.from would silently skip is refused): the bytes, or why not. */
function strictBase64(text: unknown): Buffer | string {
  if (typeof text !== 'string') return `must be a base64 string, got ${describeValue(text)}`;
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) return `is not base64: character ${JSON.stringify(bad[0])} at ${bad.index}`;
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return `is not base64: ${text.length} characters, cut short or padded wrongly`;
  return Buffer.from(text, 'base64');
}

export function firstNonFinite(params: Float32Array, layout: ParamLayout): string | null {
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) {
      const parts: [string, { offset: number; size: number } | null][] = [['kernel0', layout.kernel0], ['bias0', layout.bias0], ['kernel1', layout.kernel1], ['bias1', layout.bias1]];
      const part = parts.find(([, p]) => p && i >= p.offset && i < p.offset + p.size);
      return `${params[i]} at parameter ${i}${part ? ` (${part[0]}[${i - part[1]!.offset}])` : ''}`;
    }
  }
  return null;
}

/** Checks an NcaConfig read from a file; the message names the file. */
export function checkNca(v: unknown, file: string, field: string): NcaConfig {
  if (!isRecord(v)) throw new ModelFormatError(file, `${field} is missing or not an object`);
  const nca: NcaConfig = {
    channels: v.channels as number, hidden: v.hidden as number, bias1: v.bias1 as boolean, bias2: v.bias2 as boolean,
    fireRate: v.fireRate as number, aliveThreshold: v.aliveThreshold as number, stepSize: v.stepSize as number,
  };
  if (typeof nca.bias1 !== 'boolean' || typeof nca.bias2 !== 'boolean') throw new ModelFormatError(file, `${field}.bias1/bias2 must be true or false`);
  try {
    validateNcaConfig(nca);
  } catch (err) {
    throw new ModelFormatError(file, `incompatible model: ${field}: ${(err as Error).message}`);
  }
  return nca;
}

/** A run config read from a file, or null when it is absent or no longer valid (the NcaConfig still is). */
function optionalConfig(v: unknown): RunConfig | null {
  if (!isRecord(v)) return null;
  try {
    const config = upgradeRunConfig(v) as RunConfig;
    return configProblems(config).length === 0 ? config : null;
  } catch {
    return null;
  }
}

function optionalTarget(v: unknown): TargetRef | null {
  if (!isRecord(v) || typeof v.name !== 'string' || !Number.isInteger(v.size) || !Number.isInteger(v.padding)) return null;
  return { name: v.name, size: v.size as number, padding: v.padding as number };
}

/** The weights of a model.json: inline (`weightsBase64`, the one-file form) or the file its manifest names beside it. */
async function weightsOf(
  json: Record<string, unknown>, binName: string, file: string, weightsPathFor: (name: string) => string,
): Promise<{ bytes: Buffer; binPath: string }> {
  if ('weightsBase64' in json) {
    const bytes = strictBase64(json.weightsBase64);
    if (typeof bytes === 'string') throw new ModelFormatError(file, `weightsBase64 ${bytes}`);
    return { bytes, binPath: `${file} (weightsBase64)` };
  }
  if (binName.includes('/') || binName.includes('\\') || binName.startsWith('..')) {
    throw new ModelFormatError(file, `incompatible model: the weights path ${JSON.stringify(binName)} must be a file name beside model.json`);
  }
  const binPath = weightsPathFor(binName);
  try {
    if (!(await stat(binPath)).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    return { bytes: await readFile(binPath), binPath };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFormatError(binPath, code === 'ENOENT' ? `missing: ${file} lists ${binName} but there is no such file` : `cannot read: ${(err as Error).message}`);
  }
}

/**
 * Reads model.json and its weights; refuses, naming the file, anything that is not exactly a model this lab
 * wrote for a config it can run: not JSON, no ncaLab metadata, a manifest that does not match the layout,
 * a missing or wrongly sized weights.bin, a checksum mismatch, NaN or infinite weights.
 */
export async function readModelFolder(modelJsonPath: string, weightsPathFor: (name: string) => string): Promise<LoadedModel> {
  const file = modelJsonPath;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFormatError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(file, `not a model: the file is not JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw new ModelFormatError(file, 'not a model: expected a JSON object');
  const manifest = json.weightsManifest;
  const meta = isRecord(json.userDefinedMetadata) ? json.userDefinedMetadata.ncaLab : undefined;
  if (!Array.isArray(manifest) || !isRecord(meta)) {
    throw new ModelFormatError(file, `unknown format: not an NCA Lab model (needs "weightsManifest" and "userDefinedMetadata.ncaLab"${json.format ? `; this file's format is ${JSON.stringify(json.format)}` : ''})`);
  }
  // a file that says it is another format is not read as this one, whatever else it holds
  if (json.format !== MODEL_FORMAT) {
    throw new ModelFormatError(file, `unknown format ${describeValue(json.format)}: an NCA Lab model.json says "format": "${MODEL_FORMAT}"`);
  }
  if (meta.formatVersion !== 1) throw new ModelFormatError(file, `unsupported NCA Lab model format version ${JSON.stringify(meta.formatVersion)} (this lab reads 1)`);
  if (meta.paramLayoutVersion !== PARAM_LAYOUT_VERSION) {
    throw new ModelFormatError(file, `incompatible parameter layout version ${JSON.stringify(meta.paramLayoutVersion)} (this lab reads ${PARAM_LAYOUT_VERSION})`);
  }
  const nca = checkNca(meta.nca, file, 'userDefinedMetadata.ncaLab.nca');
  const layout = paramLayout(nca);
  const expected = weightSpecs(layout);
  if (manifest.length !== 1 || !isRecord(manifest[0]) || !Array.isArray(manifest[0].paths) || manifest[0].paths.length !== 1 || typeof manifest[0].paths[0] !== 'string') {
    throw new ModelFormatError(file, 'incompatible model: weightsManifest must be one group with one weights file');
  }
  const group = manifest[0] as { paths: string[]; weights: unknown };
  const specsJson = JSON.stringify(Array.isArray(group.weights) ? group.weights.map((w: Record<string, unknown>) => ({ name: w?.name, shape: w?.shape, dtype: w?.dtype })) : group.weights);
  if (specsJson !== JSON.stringify(expected)) {
    throw new ModelFormatError(file, `incompatible model: the weights manifest ${specsJson} does not match the layout of its nca config ${JSON.stringify(expected)}`);
  }
  const { bytes, binPath } = await weightsOf(json, group.paths[0], file, weightsPathFor);
  if (bytes.length !== layout.total * 4) {
    throw new ModelFormatError(binPath, `wrong size: ${bytes.length} bytes, but the model's config (channels ${nca.channels}, hidden ${nca.hidden}, bias1 ${nca.bias1}, bias2 ${nca.bias2}) needs ${layout.total} float32 = ${layout.total * 4} bytes`);
  }
  if (typeof meta.weightsCrc32 === 'string' && crcHex(bytes) !== meta.weightsCrc32) {
    throw new ModelFormatError(binPath, `checksum mismatch: CRC-32 ${crcHex(bytes)}, ${file} says ${meta.weightsCrc32} (the weights are corrupt or from another save)`);
  }
  const params = bytesToParams(bytes);
  const bad = firstNonFinite(params, layout);
  if (bad) throw new ModelFormatError(binPath, `the weights are not finite: ${bad}`);
  let origin: ModelSource | null;
  let evaluation: ModelEvaluation | null;
  try {
    origin = meta.origin == null ? null : parseModelSource(meta.origin, 'userDefinedMetadata.ncaLab.origin');
    evaluation = meta.evaluation == null ? null : parseModelEvaluation(meta.evaluation, 'userDefinedMetadata.ncaLab.evaluation');
  } catch (err) {
    throw new ModelFormatError(file, (err as Error).message);
  }
  const name = typeof meta.name === 'string' && meta.name.length > 0 ? meta.name : null;
  const generation = Number.isSafeInteger(meta.generation) && (meta.generation as number) >= 0 ? (meta.generation as number) : null;
  const runId = typeof meta.runId === 'string' && meta.runId.length > 0 ? meta.runId : null;
  return { config: optionalConfig(meta.config), nca, params, target: optionalTarget(meta.target), source: file, generation, runId, name, origin, evaluation };
}

