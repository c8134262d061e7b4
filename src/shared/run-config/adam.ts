/**
 * The Adam recipe's settings (spec d.1, d.4; sample pools, spec e): the optimizer's hyper-parameters, the
 * learning-rate schedule (constant, or M's piecewise step), the batch, gradient normalisation and the pool. The
 * core's training step reads them as core/adam/settings.ts's AdamSettings, which this declaration must give
 * exactly (tests/unit/shared/run-config.test.ts checks the types).
 */
import type { AdamPoolKind } from '../../core/adam/settings';
import { field, type Infer } from './fields';
import type { CommonConfig, ConfigProblem } from './common';

export const ADAM_POOL_KINDS = ['none', 'thesis', 'mordvintsev', 'mordvintsev-regenerating'] as const satisfies readonly AdamPoolKind[];

/** M's schedule (d.4): 2e-3 → 2e-4 after iteration 2000; what a switch to piecewise starts from, in the form and on the CLI */
const M_PIECEWISE = { boundary: 2000, after: 2e-4 };

export const ADAM_FIELDS = {
  lr: field.number({ label: 'Learning rate', help: '2e-3 (code) or 1e-3 (thesis text)' }, { min: 0, max: 1, exclusiveMin: true }),
  schedule: field.variant(
    { label: 'Learning-rate schedule', help: 'constant, or piecewise: the rate drops to "after" past the boundary (M: 2e-3 → 2e-4 at 2000)' },
    {
      constant: {},
      piecewise: {
        boundary: field.int({ label: 'Boundary (iteration)', help: 'the lr changes after this iteration' }, { min: 0, max: 1e9 }),
        after: field.number({ label: 'Learning rate after', help: '2e-4 in M' }, { min: 0, max: 1, exclusiveMin: true }),
      },
    },
    { constant: {}, piecewise: M_PIECEWISE },
  ),
  beta1: field.number({ label: 'β1', help: '0.9' }, { min: 0, max: 1 }),
  beta2: field.number({ label: 'β2', help: '0.999' }, { min: 0, max: 1 }),
  epsilon: field.number({ label: 'ε', help: '1e-8 (PyTorch) or 1e-7 (Keras)' }, { min: 0, max: 1, exclusiveMin: true }),
  batchSize: field.int({ label: 'Batch size', help: '8' }, { min: 1, max: 256 }),
  gradNorm: field.bool({ label: 'Gradient normalisation', help: 'M: per-variable g/(‖g‖+1e-8)' }),
  pool: {
    kind: field.choice(ADAM_POOL_KINDS, { label: 'Sample pool', help: 'spec e' }),
    size: field.int({ label: 'Pool size', help: '1024' }, { min: 1, max: 65536 }),
    damageN: field.int({ label: 'Damaged samples', help: 'M regenerating: 3' }, { min: 0, max: 256 }),
  },
  maxGradNorm: field.nullableNumber({ label: 'Stop above gradient norm', help: 'exploding gradients stop the run; empty = never' }, { min: 0, max: 1e12, exclusiveMin: true }),
} as const;

export type AdamRecipe = Infer<typeof ADAM_FIELDS>;

/** The rules between Adam fields (each field's own range is in its row). */
export function adamProblems(cfg: CommonConfig & { adam: AdamRecipe }): ConfigProblem[] {
  const a = cfg.adam;
  const out: ConfigProblem[] = [];
  if (a.pool.kind !== 'none' && a.batchSize > a.pool.size) out.push({ field: 'adam.batchSize', message: `must be ≤ the pool size (${a.pool.size}), got ${a.batchSize}` });
  if (a.pool.damageN > a.batchSize) out.push({ field: 'adam.pool.damageN', message: `must be ≤ the batch size (${a.batchSize}), got ${a.pool.damageN}` });
  return out;
}
