/**
 * The model format of the Distill article's WebGL demo ("Growing Neural Cellular Automata", Mordvintsev et al.
 * 2020; its `public/webgl_models8/*.json`, written by the growing-CA notebook's `export_ca_to_webgl_demo`), read
 * into and written from the lab's flat parameters (config.ts). Pure: no Node, no tfjs, so the window can use it.
 *
 * A file is a JSON array of two dense layers, each
 *   { data_b64, in_ch, out_ch, weight_scale, bias_scale, type: "uint8" }
 * whose bytes are an (in_ch + 1) × out_ch row-major matrix: rows 0…in_ch−1 the weights (input × output), the last
 * row the bias. A byte b stands for (b / 255 − 0.5) · scale (weight_scale for weight rows, bias_scale for the bias
 * row); the exporter wrote round((v / scale + 0.5) · 255) with scale = 2·max|v|, so one value is off by at most
 * scale / 510.
 *
 * Axes (checked on the published lizard files, tests/unit/core/nca/distill-format.test.ts):
 *  - the first layer's 48 input rows are grouped by filter band, row = band·16 + c (band 0 identity, 1 sobel-x,
 *    2 sobel-y): the demo's perception shader packs channel vectors by band (`filterBand = floor(ch / depth4)`).
 *    The lab's kernel0 interleaves them, row = 3c + band (spec a.2), so the rows are permuted here.
 *  - the demo's `mat3(-1,0,1, -2,0,2, -1,0,1)/8` is column-major, so `sobel[y][x]` = (x − 1)·(y = 1 ? 2 : 1)/8:
 *    right minus left, the lab's sobel_x; `sobel[x][y]` its transpose, down minus up (texture row 0 is drawn at
 *    the top), the lab's sobel_y. No sign or axis flip is needed.
 *  - the demo's hidden layer is fixed at 128 units and its state at 16 channels; the layers carry both biases
 *    (Mordvintsev's model, config.ts MORDVINTSEV_MODEL).
 *
 * A file the lab writes also carries, in its first layer, the key DISTILL_PROVENANCE_KEY ("nca_lab"; the demo reads
 * its layers' fields by name and ignores it): the lab model's true shape (hidden width, biases: the layers are
 * padded to the demo's 128 units with zeros), its name, target and origin. Reading it back gives the model's own
 * shape (the padding is checked to be the encoder's zeros and dropped) and keeps its provenance, so a lab model
 * exported for the demo is never taken for one of the article's.
 */
import { describeValue, isIntegerIn, isNumberIn, isRecord } from '../validate';
import { MORDVINTSEV_MODEL, paramLayout, PERCEPTION_KERNELS, validateNcaConfig, type NcaConfig } from './config';

export interface DistillLayer {
  data_b64: string;
  in_ch: number;
  out_ch: number;
  weight_scale: number;
  bias_scale: number;
  type: 'uint8';
  /** only in the first layer of a file the lab wrote */
  nca_lab?: DistillProvenance;
}

/** The key of the lab's provenance in the first layer of a Distill file it writes. */
export const DISTILL_PROVENANCE_KEY = 'nca_lab';

/** What a Distill file the lab wrote says about the model beyond its 8-bit layers. */
export interface DistillProvenance {
  /** the lab model's own configuration: its hidden width and biases (the layers hold them padded) */
  nca: NcaConfig;
  name: string | null;
  target: { name: string; size: number; padding: number } | null;
  /** where the model came from, a ModelSource (shared/model-source.ts), checked by the importer */
  origin: unknown;
  runId: string | null;
  generation: number | null;
}

/** What the demo can run: 16 state channels and a 128-unit hidden layer (its shaders' fixed buffers). */
export const DISTILL_CHANNELS = 16;
export const DISTILL_HIDDEN = 128;

/** A Distill model file that cannot be read; the message names the field. */
export class DistillFormatError extends Error {
  override name = 'DistillFormatError';
}

function fail(msg: string): never {
  throw new DistillFormatError(msg);
}

function bytesOfBase64(text: string, field: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    fail(`${field} is not base64`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function base64OfBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Whether a parsed JSON value looks like a Distill demo model (so a file picker can tell it from a lab model). */
export function isDistillModelJson(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((l) => isRecord(l) && typeof l.data_b64 === 'string' && 'in_ch' in l);
}

interface DecodedLayer {
  inCh: number;
  outCh: number;
  /** the file's bytes, (inCh + 1) × outCh */
  bytes: Uint8Array;
  /** bias_scale: 0 when every bias is 0 */
  biasScale: number;
  /** [inCh][outCh] */
  weights: Float32Array;
  bias: Float32Array;
}

function decodeLayer(v: unknown, i: number): DecodedLayer {
  const at = `layer ${i}`;
  if (!isRecord(v)) fail(`${at} must be an object { data_b64, in_ch, out_ch, weight_scale, bias_scale, type }`);
  if (v.type !== 'uint8') fail(`${at}.type must be "uint8" (the demo's 8-bit export), got ${describeValue(v.type)}`);
  for (const k of ['in_ch', 'out_ch'] as const) {
    if (!isIntegerIn(v[k], 1, 4096)) fail(`${at}.${k} must be an integer in [1, 4096], got ${describeValue(v[k])}`);
  }
  for (const k of ['weight_scale', 'bias_scale'] as const) {
    if (!isNumberIn(v[k], 0, Number.MAX_VALUE)) fail(`${at}.${k} must be a finite number ≥ 0, got ${describeValue(v[k])}`);
  }
  if (typeof v.data_b64 !== 'string') fail(`${at}.data_b64 must be a base64 string`);
  const inCh = v.in_ch as number;
  const outCh = v.out_ch as number;
  const bytes = bytesOfBase64(v.data_b64, `${at}.data_b64`);
  if (bytes.length !== (inCh + 1) * outCh) {
    fail(`${at}.data_b64 holds ${bytes.length} bytes; (in_ch + 1) × out_ch = ${(inCh + 1) * outCh} expected`);
  }
  const ws = v.weight_scale as number;
  const bs = v.bias_scale as number;
  const weights = new Float32Array(inCh * outCh);
  for (let j = 0; j < weights.length; j++) weights[j] = (bytes[j] / 255 - 0.5) * ws;
  const bias = new Float32Array(outCh);
  for (let o = 0; o < outCh; o++) bias[o] = (bytes[inCh * outCh + o] / 255 - 0.5) * bs;
  return { inCh, outCh, bytes, biasScale: bs, weights, bias };
}

/** Distill band-major row (band·C + c) → the lab's interleaved row (3c + band). */
function labRow(distillRow: number, channels: number): number {
  const band = Math.floor(distillRow / channels);
  const c = distillRow % channels;
  return PERCEPTION_KERNELS * c + band;
}

/** The lab's provenance of a Distill file, checked: its model shape must fit the layers (channels, hidden ≤ theirs). */
function readProvenance(v: unknown, channels: number, units: number): DistillProvenance | null {
  if (v === undefined) return null;
  const at = `layer 0.${DISTILL_PROVENANCE_KEY}`;
  if (!isRecord(v) || !isRecord(v.nca)) fail(`${at} must be an object with the lab model's "nca" configuration`);
  const n = v.nca;
  const nca = { channels: n.channels, hidden: n.hidden, bias1: n.bias1, bias2: n.bias2, fireRate: n.fireRate, aliveThreshold: n.aliveThreshold, stepSize: n.stepSize } as NcaConfig;
  if (typeof nca.bias1 !== 'boolean' || typeof nca.bias2 !== 'boolean') fail(`${at}.nca.bias1 and bias2 must be true or false`);
  try {
    validateNcaConfig(nca);
  } catch (err) {
    fail(`${at}.${(err as Error).message}`);
  }
  if (nca.channels !== channels) fail(`${at}.nca.channels is ${nca.channels}, the layers hold ${channels} state channels`);
  if (nca.hidden > units) fail(`${at}.nca.hidden is ${nca.hidden}, more than the layers' ${units} hidden units`);
  const t = v.target;
  if (t !== null && !(isRecord(t) && typeof t.name === 'string' && isIntegerIn(t.size, 1, 4096) && isIntegerIn(t.padding, 0, 4096))) {
    fail(`${at}.target must be null or {name, size, padding}, got ${describeValue(t)}`);
  }
  const text = (x: unknown, f: string) => {
    if (x !== null && typeof x !== 'string') fail(`${at}.${f} must be null or a string, got ${describeValue(x)}`);
    return x;
  };
  if (v.generation !== null && !isIntegerIn(v.generation, 0, Number.MAX_SAFE_INTEGER)) fail(`${at}.generation must be null or an integer ≥ 0, got ${describeValue(v.generation)}`);
  return {
    nca, name: text(v.name ?? null, 'name'), target: t === null ? null : { name: t.name as string, size: t.size as number, padding: t.padding as number },
    origin: v.origin ?? null, runId: text(v.runId ?? null, 'runId'), generation: (v.generation as number | null) ?? null,
  };
}

/** The encoder's zero: the byte a 0 was written as (round(0.5·255)), which decodes to scale/510, not to 0. */
const ZERO_BYTE = 128;

/** Refuses padding that is not the encoder's zeros: the file was changed after the lab wrote it. */
function checkPadding(l0: DecodedLayer, l1: DecodedLayer, nca: NcaConfig): void {
  const H = l0.outCh;
  const onOff = (b: boolean) => (b ? 'on' : 'off');
  const bad = (what: string) => fail(
    `layer 0.${DISTILL_PROVENANCE_KEY} says hidden ${nca.hidden}, layer-1 bias ${onOff(nca.bias1)}, layer-2 bias ${onOff(nca.bias2)}, ` +
    `but ${what} carries weights (the file was changed after the lab wrote it)`,
  );
  for (let u = nca.hidden; u < H; u++) {
    for (let r = 0; r <= l0.inCh; r++) if (l0.bytes[r * H + u] !== ZERO_BYTE) bad(`hidden unit ${u}`);
    for (let c = 0; c < l1.outCh; c++) if (l1.bytes[u * l1.outCh + c] !== ZERO_BYTE) bad(`hidden unit ${u}`);
  }
  if (!nca.bias1) for (let u = 0; u < H; u++) if (l0.bytes[l0.inCh * H + u] !== ZERO_BYTE) bad('the layer-1 bias');
  if (!nca.bias2) for (let c = 0; c < l1.outCh; c++) if (l1.bytes[l1.inCh * l1.outCh + c] !== ZERO_BYTE) bad('the layer-2 bias');
}

/**
 * The shape of a file without the lab's note, read from its weights: Mordvintsev's configuration with the hidden
 * units up to the last that carries a weight (trailing units whose every byte is the encoder's zero in both layers
 * are the padding the lab's exporter wrote before it added its note: the model it padded had no such units) and a
 * bias only where the layer's bias_scale is not 0 (a scale of 0 decodes every bias to 0: no bias, exactly).
 */
function shapeFromWeights(l0: DecodedLayer, l1: DecodedLayer, channels: number): NcaConfig {
  const H = l0.outCh;
  const padding = (u: number) => {
    for (let r = 0; r <= l0.inCh; r++) if (l0.bytes[r * H + u] !== ZERO_BYTE) return false;
    for (let c = 0; c < l1.outCh; c++) if (l1.bytes[u * l1.outCh + c] !== ZERO_BYTE) return false;
    return true;
  };
  let hidden = H;
  while (hidden > 1 && padding(hidden - 1)) hidden--;
  return { ...MORDVINTSEV_MODEL, channels, hidden, bias1: l0.biasScale !== 0, bias2: l1.biasScale !== 0 };
}

/**
 * A Distill demo model as the lab's NCA, with the flat parameters. A file the lab wrote (with its provenance)
 * gives the lab model's own configuration (hidden width, biases); any other is Mordvintsev's configuration (fire
 * rate 0.5, alive threshold 0.1) with its channels, hidden width and biases read from the layers (shapeFromWeights).
 */
export function decodeDistillModel(json: unknown): { nca: NcaConfig; params: Float32Array; provenance: DistillProvenance | null } {
  if (!Array.isArray(json)) fail('a Distill model is a JSON array of two layers');
  if (json.length !== 2) fail(`a Distill model has 2 layers, this one has ${json.length}`);
  const [l0, l1] = json.map(decodeLayer);
  if (l0.inCh % PERCEPTION_KERNELS !== 0) fail(`layer 0.in_ch must be 3 × the state channels, got ${l0.inCh}`);
  const channels = l0.inCh / PERCEPTION_KERNELS;
  if (l1.inCh !== l0.outCh) fail(`layer 1.in_ch (${l1.inCh}) must equal layer 0.out_ch (${l0.outCh})`);
  if (l1.outCh !== channels) fail(`layer 1.out_ch (${l1.outCh}) must equal the state channels (layer 0.in_ch / 3 = ${channels})`);
  if (channels < 4 || channels > 64) fail(`the state must have 4 to 64 channels, got ${channels}`);
  const provenance = readProvenance((json[0] as Record<string, unknown>)[DISTILL_PROVENANCE_KEY], channels, l0.outCh);
  const nca: NcaConfig = provenance ? provenance.nca : shapeFromWeights(l0, l1, channels);
  if (provenance) checkPadding(l0, l1, nca);
  const L = paramLayout(nca);
  const params = new Float32Array(L.total);
  const h = nca.hidden;
  const H = l0.outCh;
  // the layers' first h units are the model's (a lab model's padding units follow them)
  for (let r = 0; r < l0.inCh; r++) {
    params.set(l0.weights.subarray(r * H, r * H + h), L.kernel0.offset + labRow(r, channels) * h);
  }
  if (L.bias0) params.set(l0.bias.subarray(0, h), L.bias0.offset);
  params.set(l1.weights.subarray(0, h * channels), L.kernel1.offset);
  if (L.bias1) params.set(l1.bias, L.bias1.offset);
  return { nca, params, provenance };
}

function encodeLayer(weights: Float32Array, bias: Float32Array, inCh: number, outCh: number): DistillLayer {
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // the exporter's scale: 2·max|v|, so the extremes land on bytes 0 and 255
  const weightScale = 2 * maxAbs(weights);
  const biasScale = 2 * maxAbs(bias);
  const bytes = new Uint8Array((inCh + 1) * outCh);
  const q = (v: number, s: number) => (s === 0 ? 128 : Math.min(255, Math.max(0, Math.round((v / s + 0.5) * 255))));
  for (let j = 0; j < weights.length; j++) bytes[j] = q(weights[j], weightScale);
  for (let o = 0; o < outCh; o++) bytes[inCh * outCh + o] = q(bias[o], biasScale);
  return { data_b64: base64OfBytes(bytes), in_ch: inCh, out_ch: outCh, weight_scale: weightScale, bias_scale: biasScale, type: 'uint8' };
}

/**
 * The lab's model as a Distill demo file. The demo runs 16 channels and 128 hidden units: a narrower hidden layer
 * is padded with units whose weights are all zero (relu(0) = 0 adds nothing, so it grows the same), missing biases
 * are written as zeros. With `provenance` the first layer carries it (DISTILL_PROVENANCE_KEY), so the lab reads
 * the model back in its own shape. Throws, naming the field, for a model the demo cannot run.
 */
export function encodeDistillModel(nca: NcaConfig, params: Float32Array, provenance?: Omit<DistillProvenance, 'nca'>): DistillLayer[] {
  const L = paramLayout(nca);
  if (params.length !== L.total) fail(`parameters: expected ${L.total} values for the model's config, got ${params.length}`);
  if (nca.channels !== DISTILL_CHANNELS) fail(`model.channels must be ${DISTILL_CHANNELS} for the Distill demo, got ${nca.channels}`);
  if (nca.hidden > DISTILL_HIDDEN) fail(`model.hidden must be at most ${DISTILL_HIDDEN} for the Distill demo, got ${nca.hidden}`);
  if (nca.fireRate !== 0.5 || nca.aliveThreshold !== 0.1 || nca.stepSize !== 1) {
    fail(`the Distill demo runs fire rate 0.5, alive threshold 0.1 and step size 1; this model has ${nca.fireRate}, ${nca.aliveThreshold}, ${nca.stepSize}`);
  }
  const C = nca.channels;
  const h = nca.hidden;
  const H = DISTILL_HIDDEN;
  const w0 = new Float32Array(L.inputs * H);
  for (let r = 0; r < L.inputs; r++) {
    const src = L.kernel0.offset + labRow(r, C) * h;
    w0.set(params.subarray(src, src + h), r * H);
  }
  const b0 = new Float32Array(H);
  if (L.bias0) b0.set(params.subarray(L.bias0.offset, L.bias0.offset + h));
  const w1 = new Float32Array(H * C);
  w1.set(params.subarray(L.kernel1.offset, L.kernel1.offset + L.kernel1.size));
  const b1 = new Float32Array(C);
  if (L.bias1) b1.set(params.subarray(L.bias1.offset, L.bias1.offset + C));
  const first = encodeLayer(w0, b0, L.inputs, H);
  return [provenance ? { ...first, [DISTILL_PROVENANCE_KEY]: { ...provenance, nca: { ...nca } } } : first, encodeLayer(w1, b1, H, C)];
}
