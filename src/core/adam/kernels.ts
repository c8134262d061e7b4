/**
 * The tfjs kernels Adam training runs on, checked up front so a backend that lacks one fails with a message
 * naming it, instead of an engine error deep inside backprop (environment.md, "Compute"). The kernels that wasm
 * lacks (DepthwiseConv2dNativeBackpropInput/…BackpropFilter, Conv2DBackpropFilter, MaxPoolGrad) are never asked
 * for: the CA step carries its own gradient (trainable-step.ts), written with forward kernels only. A missing
 * kernel is never worked around by moving the run to another backend.
 */
import * as tf from '@tensorflow/tfjs';
import { messageOf } from '../validate';

/** Forward kernels of the trainable step, the loss, its tfjs gradient and tf.train.adam's update. */
export const ADAM_TRAINING_KERNELS = [
  // trainable step (forward and hand-written backward)
  'BatchMatMul', 'DepthwiseConv2dNative', 'MaxPool', 'Transpose', 'Relu', 'Step', 'AddN', 'Add', 'Sub', 'Multiply',
  'Reshape',
  // loss and its tfjs gradient (slice → pad, square, mean), gradient norms
  'Slice', 'PadV2', 'Square', 'Sum', 'Mean', 'RealDiv', 'Sqrt', 'Fill', 'Cast',
  // tf.train.adam and the split of kernel0 into its perception blocks
  'Maximum', 'SplitV', 'Concat', 'Pow', 'Identity',
] as const;

export class MissingKernelError extends Error {
  override name = 'MissingKernelError';
  constructor(readonly kernel: string, readonly backend: string, what: 'kernel' | 'gradient' = 'kernel') {
    super(what === 'kernel'
      ? `the ${backend} backend has no "${kernel}" kernel, which Adam training needs; ` +
        'run on a backend that has it (NCA_LAB_BACKEND) — the lab never moves a run to another backend by itself'
      : `tfjs has no gradient for the "${kernel}" op on the ${backend} backend; Adam training must give it a custom gradient`);
  }
}

/** Throws MissingKernelError for the first kernel the current backend does not register. */
export function requireTrainingKernels(kernels: readonly string[] = ADAM_TRAINING_KERNELS): void {
  const backend = tf.getBackend();
  for (const k of kernels) {
    if (!tf.getKernel(k, backend)) throw new MissingKernelError(k, backend);
  }
}

/**
 * Rewrites tfjs's own "kernel not found" / "gradient not found" errors (a kernel this list missed) into the
 * same clear message; anything else passes through unchanged.
 */
export function explainKernelError(err: unknown): unknown {
  const msg = messageOf(err);
  const k = /Cannot find registered kernel '([^']+)' for backend '([^']+)'/.exec(msg);
  if (k) return new MissingKernelError(k[1], k[2], 'kernel');
  const g = /gradient function not found for ([A-Za-z0-9_]+)/.exec(msg);
  if (g) return new MissingKernelError(g[1], tf.getBackend(), 'gradient');
  return err;
}
