/**
 * The Adam hyper-parameters (spec d.1, d.4) and sample-pool variants (spec e) as the core's training step reads
 * them. The run configuration (src/shared/training-config.ts) embeds these types; they live here so the core
 * never imports a layer above it.
 */

/** Sample-pool variants for Adam (spec e). */
export type AdamPoolKind = 'none' | 'thesis' | 'mordvintsev' | 'mordvintsev-regenerating';

export interface AdamSettings {
  lr: number;
  /** constant, or M's piecewise 2e-3 → 2e-4 after iteration `boundary` */
  schedule: { kind: 'constant' } | { kind: 'piecewise'; boundary: number; after: number };
  beta1: number;
  beta2: number;
  /** PyTorch 1e-8 (thesis), Keras/tfjs 1e-7 (M): always explicit (spec i.6) */
  epsilon: number;
  batchSize: number;
  /** M: g ← g / (‖g‖₂ + 1e-8) per variable */
  gradNorm: boolean;
  pool: { kind: AdamPoolKind; size: number; damageN: number };
  /** stop the run when the global gradient norm exceeds this (exploding gradients); null = never */
  maxGradNorm: number | null;
}
