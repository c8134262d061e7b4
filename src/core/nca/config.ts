/**
 * NCA model configuration and the flat parameter layout (spec a.1–a.3).
 *
 * Parameters live in ONE Float32Array, in this order (row-major, TF.js dense/1×1 kernel convention):
 *
 *   kernel0  [48, hidden]   input index j = 3·c + k, k ∈ {0: identity, 1: sobel_x, 2: sobel_y}  (= W0ᵀ, spec a.3)
 *   bias0    [hidden]       only when `bias1` is on
 *   kernel1  [hidden, 16]   (= W1ᵀ)
 *   bias1    [16]           only when `bias2` is on
 *
 * So the thesis ES model (no biases, hidden 32) has 1536 + 512 = 2048 parameters, the thesis Adam model
 * (layer-1 bias) 2080, and Mordvintsev's (hidden 128, both biases) 8336.
 */
export interface NcaConfig {
  /** state channels: RGBA (premultiplied) + hidden; the thesis and M use 16 */
  channels: number;
  /** width of the per-cell MLP's hidden layer: 32 (thesis) or 128 (M) */
  hidden: number;
  /** layer-1 bias (thesis Adam, M) */
  bias1: boolean;
  /** layer-2 bias (M only) */
  bias2: boolean;
  /** probability that a cell updates in a step (a.4: mask = u <= fireRate) */
  fireRate: number;
  /** alive if the 3×3 max-pooled alpha is strictly above this (a.4) */
  aliveThreshold: number;
  /** dx is multiplied by this before it is added (1.0 everywhere in the sources) */
  stepSize: number;
}

export const PERCEPTION_KERNELS = 3;

export const THESIS_ES_MODEL: NcaConfig = {
  channels: 16, hidden: 32, bias1: false, bias2: false, fireRate: 0.5, aliveThreshold: 0.1, stepSize: 1,
};
export const THESIS_ADAM_MODEL: NcaConfig = { ...THESIS_ES_MODEL, bias1: true };
export const MORDVINTSEV_MODEL: NcaConfig = { ...THESIS_ES_MODEL, hidden: 128, bias1: true, bias2: true };

export interface ParamLayout {
  /** perception width: channels × 3 */
  inputs: number;
  kernel0: { offset: number; size: number; shape: [number, number] };
  bias0: { offset: number; size: number } | null;
  kernel1: { offset: number; size: number; shape: [number, number] };
  bias1: { offset: number; size: number } | null;
  total: number;
}

export function paramLayout(cfg: NcaConfig): ParamLayout {
  const inputs = cfg.channels * PERCEPTION_KERNELS;
  let offset = 0;
  const kernel0 = { offset, size: inputs * cfg.hidden, shape: [inputs, cfg.hidden] as [number, number] };
  offset += kernel0.size;
  const bias0 = cfg.bias1 ? { offset, size: cfg.hidden } : null;
  if (bias0) offset += bias0.size;
  const kernel1 = { offset, size: cfg.hidden * cfg.channels, shape: [cfg.hidden, cfg.channels] as [number, number] };
  offset += kernel1.size;
  const bias1 = cfg.bias2 ? { offset, size: cfg.channels } : null;
  if (bias1) offset += bias1.size;
  return { inputs, kernel0, bias0, kernel1, bias1, total: offset };
}

export function paramCount(cfg: NcaConfig): number {
  return paramLayout(cfg).total;
}

/** How layer 1 is initialised (a.3): PyTorch's default Linear/Conv init, or Keras glorot_uniform (M). */
export type InitScheme = 'torch' | 'glorot';

/**
 * Fresh parameters. Layer 2 (kernel and bias) is always zero, so the first step changes nothing (a.3).
 * `uniform` supplies numbers in [0, 1) (a seeded stream, for reproducible runs).
 */
export function initParams(cfg: NcaConfig, scheme: InitScheme, uniform: () => number): Float32Array {
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.total);
  const bound = scheme === 'torch'
    ? 1 / Math.sqrt(layout.inputs)
    : Math.sqrt(6 / (layout.inputs + cfg.hidden));
  const k0 = layout.kernel0;
  for (let i = 0; i < k0.size; i++) params[k0.offset + i] = (uniform() * 2 - 1) * bound;
  if (layout.bias0 && scheme === 'torch') {
    for (let i = 0; i < layout.bias0.size; i++) params[layout.bias0.offset + i] = (uniform() * 2 - 1) * bound;
  }
  return params;
}

/** Refuses a configuration the NCA cannot run, naming the field and the allowed range. */
export function validateNcaConfig(cfg: NcaConfig): void {
  const check = (ok: boolean, msg: string) => {
    if (!ok) throw new RangeError(`model.${msg}`);
  };
  check(Number.isInteger(cfg.channels) && cfg.channels >= 4 && cfg.channels <= 64, `channels must be an integer in [4, 64], got ${cfg.channels}`);
  check(Number.isInteger(cfg.hidden) && cfg.hidden >= 1 && cfg.hidden <= 1024, `hidden must be an integer in [1, 1024], got ${cfg.hidden}`);
  check(cfg.fireRate > 0 && cfg.fireRate <= 1, `fireRate must be in (0, 1], got ${cfg.fireRate}`);
  check(cfg.aliveThreshold >= 0 && cfg.aliveThreshold < 1, `aliveThreshold must be in [0, 1), got ${cfg.aliveThreshold}`);
  check(Number.isFinite(cfg.stepSize) && cfg.stepSize > 0, `stepSize must be a positive number, got ${cfg.stepSize}`);
}
