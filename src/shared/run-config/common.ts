/**
 * The settings every run has, whatever its optimizer: the target canvas, the model (spec a), the seed, the
 * rollout lengths (c.1), the stop conditions, evaluation and checkpoints, and what computes it (the engine). A
 * setting about how a run computes belongs here too: one row, with `before` saying what configs written before it
 * ran on.
 *
 * The target's name and `startFrom` are not table fields: a name is not a number or a choice (the CLI's --target
 * and the form's target picker set it), and where the parameters start is a reference checked by
 * shared/start-model.ts.
 */
import type { NcaConfig, InitScheme } from '../../core/nca/config';
import type { StartModel } from '../start-model';
import { ENGINE_CHOICES } from '../compute-engine';
import { field, type Infer } from './fields';

/** One problem of a config: the dotted path of the field and what is wrong with it. */
export interface ConfigProblem {
  field: string;
  message: string;
}

export const COMMON_FIELDS = {
  target: {
    size: field.int({ label: 'Target size', help: 'the image is resized to size×size (b.2)' }, { min: 1, max: 128 }, { flags: ['size'] }),
    padding: field.int({ label: 'Padding', help: 'zero border on every side; canvas = size + 2·padding' }, { min: 0, max: 64 }, { flags: ['padding'] }),
  },
  model: {
    channels: field.int({ label: 'Channels', help: 'RGBA + hidden state channels (16 in every source)' }, { min: 4, max: 64 }),
    hidden: field.int({ label: 'Hidden units', help: '32 (thesis) or 128 (M)' }, { min: 1, max: 1024 }),
    bias1: field.bool({ label: 'Layer-1 bias', help: 'thesis Adam and M have one; thesis ES does not' }),
    bias2: field.bool({ label: 'Layer-2 bias', help: 'M only' }),
    fireRate: field.number({ label: 'Fire rate', help: 'probability a cell updates in a step (0.5)' }, { min: 0, max: 1, exclusiveMin: true }),
    aliveThreshold: field.number({ label: 'Alive threshold', help: 'alive if max-pooled alpha > this (0.1)' }, { min: 0, max: 0.99 }),
    stepSize: field.number({ label: 'Step size', help: 'dx multiplier (1.0)' }, { min: 0, max: 10, exclusiveMin: true }),
    init: field.choice<InitScheme>(['torch', 'glorot'], { label: 'Layer-1 init', help: 'PyTorch default U(±1/√48) or Keras glorot_uniform' }),
  },
  seed: field.int({ label: 'Seed', help: 'every random number of the run derives from it' }, { min: 0, max: 2 ** 52 }, { flags: ['seed'] }),
  stepsMin: field.int({ label: 'Min CA steps', help: 'rollout length drawn from [min, max] (30–39; M 64–95)' }, { min: 1, max: 1000 }),
  stepsMax: field.int({ label: 'Max CA steps', help: 'inclusive' }, { min: 1, max: 1000 }),
  stop: {
    maxGenerations: field.nullableInt({ label: 'Max generations / iterations', help: 'empty = no limit' }, { min: 1, max: 1e9 }, { flags: ['max-generations', 'max-iterations'] }),
    maxSeconds: field.nullableNumber({ label: 'Max seconds', help: 'empty = no limit' }, { min: 1, max: 1e8 }, { flags: ['max-seconds'] }),
    targetLoss: field.nullableNumber({ label: 'Target 40-step loss', help: 'stop when the growth loss reaches it; empty = never' }, { min: 0, max: 1, exclusiveMin: true }, { flags: ['target-loss'] }),
  },
  evalEvery: field.int({ label: 'Evaluate every', help: '40/200-step growth loss from the seed (c.2)' }, { min: 1, max: 1e7 }),
  /** what computes it (shared/compute-engine.ts); every run before the GPU engine computed on the CPU, where it resumes bit-exactly */
  engine: field.choice(ENGINE_CHOICES, {
    label: 'Compute engine', help: 'auto: the GPU (WebGPU) when there is one, else the CPU\'s WebAssembly SIMD engine; wasm; webgpu (an error without a GPU)',
  }, { before: 'wasm', flags: ['engine'] }),
  checkpointEvery: field.int({ label: 'Checkpoint every', help: 'also written at every stop' }, { min: 1, max: 1e7 }),
} as const;

type CommonFields = Infer<typeof COMMON_FIELDS>;

export interface TargetRef extends Pick<CommonFields['target'], 'size' | 'padding'> {
  /** built-in name (`carrot-9`) or, for an imported image, its file name */
  name: string;
}

/** The model as the NCA core takes it (core/nca/config.ts), and how its layer 1 is initialised. */
export type ModelSettings = CommonFields['model'];
export type StopConditions = CommonFields['stop'];

export interface CommonConfig extends Omit<CommonFields, 'target'> {
  target: TargetRef;
  /**
   * where the parameters start (shared/start-model.ts): null = a fresh initialisation (model.init from the seed);
   * else a model the workspace knew, whose parameters were copied into the run folder when the run was created
   */
  startFrom: StartModel | null;
}

/** The rules between common fields (each field's own range is in its row). */
export function commonProblems(cfg: CommonConfig): ConfigProblem[] {
  return cfg.stepsMin > cfg.stepsMax ? [{ field: 'stepsMax', message: `must be ≥ stepsMin (${cfg.stepsMin}), got ${cfg.stepsMax}` }] : [];
}

/** The model part of a config as the NCA core takes it. */
export function ncaConfigOf(cfg: Pick<CommonConfig, 'model'>): NcaConfig {
  const { channels, hidden, bias1, bias2, fireRate, aliveThreshold, stepSize } = cfg.model;
  return { channels, hidden, bias1, bias2, fireRate, aliveThreshold, stepSize };
}
